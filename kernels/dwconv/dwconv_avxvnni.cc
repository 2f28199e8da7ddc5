// qs8 depthwise conv2d with AVX-VNNI (VEX vpdpbusd on ymm): the AVX512 kernel's scheme at
// 32 channels per pass. 3x3 kernels (dilation_w 1, stride_w 1 or 2) only: 4 kernel rows
// of one input column go into the 4 bytes of each int32 lane (unpack{lo,hi}_epi8 then
// _epi16, so lane j of 128-bit lane L of q_i is channel 16L + 4i + j; packssdw / packsswb
// restore channel order), inputs flipped to u8 with xor 0x80 and 128 * sum(w) taken off the
// bias. The three prepared columns under the window are reused as it slides (stride 1).
// Everything else (channel tails, other kernels, depth multiplier != 1) goes to the AVX2
// code. Requantization follows requantize() exactly.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/dwconv/dwconv.h"
#include "kernels/dwconv/dwconv_x86.h"

namespace octet {

extern const DwConvQs8Kernel dwconv_qs8_scalar;

namespace {

constexpr int kChunk = 32;

struct Column {
  __m256i q[4];
};

inline Column interleave4(__m256i r0, __m256i r1, __m256i r2, __m256i r3) {
  const __m256i t0 = _mm256_unpacklo_epi8(r0, r1);
  const __m256i t1 = _mm256_unpackhi_epi8(r0, r1);
  const __m256i t2 = _mm256_unpacklo_epi8(r2, r3);
  const __m256i t3 = _mm256_unpackhi_epi8(r2, r3);
  Column c;
  c.q[0] = _mm256_unpacklo_epi16(t0, t2);
  c.q[1] = _mm256_unpackhi_epi16(t0, t2);
  c.q[2] = _mm256_unpacklo_epi16(t1, t3);
  c.q[3] = _mm256_unpackhi_epi16(t1, t3);
  return c;
}

struct Chunk {
  Column w[3];  // per kw: kernel rows 0..2 in bytes 0..2, byte 3 zero
  __m256i bias[4];
  __m256 multiplier[4];
};

inline __m256i load32(const int8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

void prepare_chunk(const DwConvQs8Params& p, int c0, Chunk* chunk) {
  const size_t channels = static_cast<size_t>(p.g.out_c);
  // sum(w) per channel over the 9 taps, natural order (8 channels per vector).
  __m256i sum[4];
  for (auto& v : sum) v = _mm256_setzero_si256();
  for (int t = 0; t < 9; ++t) {
    const int8_t* w = p.w + t * channels + c0;
    for (int q = 0; q < 4; ++q) {
      sum[q] = _mm256_add_epi32(
          sum[q], _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + 8 * q))));
    }
  }
  __m256i bias_n[4];
  __m256i mult_n[4];
  for (int q = 0; q < 4; ++q) {
    const __m256i b = p.bias != nullptr ? load32(reinterpret_cast<const int8_t*>(p.bias + c0 + 8 * q))
                                        : _mm256_setzero_si256();
    bias_n[q] = _mm256_sub_epi32(b, _mm256_slli_epi32(sum[q], 7));  // - 128 * sum(w)
    mult_n[q] = _mm256_castps_si256(p.rq.per_channel
                                        ? _mm256_loadu_ps(p.rq.multiplier + c0 + 8 * q)
                                        : _mm256_set1_ps(p.rq.multiplier[0]));
  }
  // q_i, 128-bit lane L = channels 16L + 4i .. + 3 = 128-bit half (i % 2) of natural vector
  // 2L + i / 2.
  for (int i = 0; i < 4; ++i) {
    const int imm_hi = i % 2;
    const __m256i a = bias_n[i / 2], b = bias_n[2 + i / 2];
    const __m256i ma = mult_n[i / 2], mb = mult_n[2 + i / 2];
    chunk->bias[i] = imm_hi ? _mm256_permute2x128_si256(a, b, 0x31)
                            : _mm256_permute2x128_si256(a, b, 0x20);
    chunk->multiplier[i] = _mm256_castsi256_ps(imm_hi ? _mm256_permute2x128_si256(ma, mb, 0x31)
                                                      : _mm256_permute2x128_si256(ma, mb, 0x20));
  }
  for (int kw = 0; kw < 3; ++kw) {
    chunk->w[kw] = interleave4(load32(p.w + (0 * 3 + kw) * channels + c0),
                               load32(p.w + (1 * 3 + kw) * channels + c0),
                               load32(p.w + (2 * 3 + kw) * channels + c0), _mm256_setzero_si256());
  }
}

struct Epilogue {
  __m256 lo, hi;
  __m256i zp16;
};

inline void store_output(const Chunk& chunk, const __m256i acc[4], const Epilogue& e,
                         int8_t* dst) {
  __m256i q[4];
  for (int i = 0; i < 4; ++i) {
    __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[i]), chunk.multiplier[i]);
    y = _mm256_min_ps(_mm256_max_ps(y, e.lo), e.hi);
    q[i] = _mm256_cvtps_epi32(y);
  }
  // In [qmin - zp, qmax - zp]: the saturating packs never clip and the int16 add is exact.
  const __m256i w01 = _mm256_add_epi16(_mm256_packs_epi32(q[0], q[1]), e.zp16);
  const __m256i w23 = _mm256_add_epi16(_mm256_packs_epi32(q[2], q[3]), e.zp16);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_packs_epi16(w01, w23));
}

template <int kStrideW>
void dw3x3_row(const DwConvQs8Params& p, const Chunk& chunk, const int8_t* const rows[3],
               const size_t steps[3], int8_t* y_row, const Column& padding_column,
               __m256i padding, const Epilogue& e) {
  const ref::ConvGeometry& g = p.g;
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const auto column = [&](int iw) -> Column {
    if (iw < 0 || iw >= g.in_w) return padding_column;
    const size_t at = static_cast<size_t>(iw);
    return interleave4(_mm256_xor_si256(load32(rows[0] + at * steps[0]), flip),
                       _mm256_xor_si256(load32(rows[1] + at * steps[1]), flip),
                       _mm256_xor_si256(load32(rows[2] + at * steps[2]), flip), padding);
  };
  int iw0 = -g.pad_left;
  Column c0 = column(iw0), c1 = column(iw0 + 1), c2 = column(iw0 + 2);
  for (int ow = 0; ow < g.out_w; ++ow) {
    if (ow > 0) {
      iw0 += kStrideW;
      if (kStrideW == 1) {
        c0 = c1;
        c1 = c2;
      } else {
        c0 = c2;
        c1 = column(iw0 + 1);
      }
      c2 = column(iw0 + 2);
    }
    __m256i acc[4];
    for (int i = 0; i < 4; ++i) {
      acc[i] = _mm256_dpbusd_avx_epi32(chunk.bias[i], c0.q[i], chunk.w[0].q[i]);
      acc[i] = _mm256_dpbusd_avx_epi32(acc[i], c1.q[i], chunk.w[1].q[i]);
      acc[i] = _mm256_dpbusd_avx_epi32(acc[i], c2.q[i], chunk.w[2].q[i]);
    }
    store_output(chunk, acc, e, y_row + static_cast<size_t>(ow) * g.out_c);
  }
}

void dwconv_qs8_avxvnni_run(const DwConvQs8Params& p) {
  const ref::ConvGeometry& g = p.g;
  if (g.depth_multiplier != 1 || g.kernel_h * g.kernel_w > x86::kAvx2MaxTaps) {
    dwconv_qs8_scalar.run(p);
    return;
  }
  const bool fast3x3 = g.kernel_h == 3 && g.kernel_w == 3 && g.dilation_w == 1 &&
                       (g.stride_w == 1 || g.stride_w == 2);
  const int chunked = fast3x3 ? g.out_c / kChunk * kChunk : 0;
  if (chunked > 0) {
    const int oh_begin = std::max(p.oh_begin, 0);
    const int oh_end = std::min(p.oh_end, g.out_h);
    const __m256i padding = _mm256_set1_epi8(static_cast<char>((p.x_zero_point ^ 0x80) & 0xFF));
    alignas(32) int8_t padding_row[kChunk];
    std::memset(padding_row, static_cast<int8_t>(p.x_zero_point), sizeof(padding_row));
    const Column padding_column = interleave4(padding, padding, padding, padding);
    Epilogue e;
    e.lo = _mm256_set1_ps(static_cast<float>(p.rq.qmin - p.rq.zero_point));
    e.hi = _mm256_set1_ps(static_cast<float>(p.rq.qmax - p.rq.zero_point));
    e.zp16 = _mm256_set1_epi16(static_cast<int16_t>(p.rq.zero_point));
    Chunk chunk;
    for (int c0 = 0; c0 < chunked; c0 += kChunk) {
      prepare_chunk(p, c0, &chunk);
      for (int b = 0; b < g.batch; ++b) {
        const int8_t* image = p.x + static_cast<size_t>(b) * g.in_h * g.in_w * g.in_c + c0;
        for (int oh = oh_begin; oh < oh_end; ++oh) {
          int8_t* y_row =
              p.y + (static_cast<size_t>(b) * g.out_h + oh) * g.out_w * g.out_c + c0;
          const int8_t* rows[3];
          size_t steps[3];
          for (int t = 0; t < 3; ++t) {
            const int ih = oh * g.stride_h - g.pad_top + t * g.dilation_h;
            const bool inside = ih >= 0 && ih < g.in_h;
            rows[t] = inside ? image + static_cast<size_t>(ih) * g.in_w * g.in_c : padding_row;
            steps[t] = inside ? static_cast<size_t>(g.in_c) : 0;
          }
          if (g.stride_w == 1) {
            dw3x3_row<1>(p, chunk, rows, steps, y_row, padding_column, padding, e);
          } else {
            dw3x3_row<2>(p, chunk, rows, steps, y_row, padding_column, padding, e);
          }
        }
      }
    }
  }
  if (chunked < g.out_c) x86::dwconv_qs8_avx2_channels(p, chunked);
}

}  // namespace

extern const DwConvQs8Kernel dwconv_qs8_avxvnni = {Isa::kAvxVnni, dwconv_qs8_avxvnni_run,
                                                   nullptr};

}  // namespace octet
