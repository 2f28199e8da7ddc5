// qs8 depthwise conv2d with AVX-VNNI (VEX vpdpbusd on ymm): the AVX512 kernel's scheme at
// 32 channels per pass. 3x3 kernels (dilation_w 1, stride_w 1 or 2) only: 4 kernel rows
// of one input column go into the 4 bytes of each int32 lane (unpack{lo,hi}_epi8 then
// _epi16, so lane j of 128-bit lane L of q_i is channel 16L + 4i + j; packssdw / packsswb
// restore channel order), inputs flipped to u8 with xor 0x80 and 128 * sum(w) taken off the
// bias. The three prepared columns under the window are reused as it slides (stride 1).
// As in the AVX512 kernel, a pass computes two output rows per prepared column: at
// stride_h 1 a column of input rows 0..3 feeds row 0 (bytes 0..2) and row 1 (bytes 1..3,
// weights w_next_row); at stride_h 2 the second row's column (rows 2, 3, 4) reuses the
// rows-2/3 byte pairs of the first.
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
  Column w[3];           // per kw: kernel rows 0..2 in bytes 0..2, byte 3 zero
  Column w_next_row[3];  // per kw: kernel rows 0..2 in bytes 1..3, byte 0 zero
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
          sum[q],
          _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + 8 * q))));
    }
  }
  __m256i bias_n[4];
  __m256i mult_n[4];
  for (int q = 0; q < 4; ++q) {
    const __m256i b = p.bias != nullptr
                          ? load32(reinterpret_cast<const int8_t*>(p.bias + c0 + 8 * q))
                          : _mm256_setzero_si256();
    bias_n[q] = _mm256_sub_epi32(b, _mm256_slli_epi32(sum[q], 7));  // - 128 * sum(w)
    mult_n[q] = _mm256_castps_si256(p.rq.per_channel ? _mm256_loadu_ps(p.rq.multiplier + c0 + 8 * q)
                                                     : _mm256_set1_ps(p.rq.multiplier[0]));
  }
  // q_i, 128-bit lane L = channels 16L + 4i .. + 3 = 128-bit half (i % 2) of natural vector
  // 2L + i / 2.
  for (int i = 0; i < 4; ++i) {
    const int imm_hi = i % 2;
    const __m256i a = bias_n[i / 2], b = bias_n[2 + i / 2];
    const __m256i ma = mult_n[i / 2], mb = mult_n[2 + i / 2];
    chunk->bias[i] =
        imm_hi ? _mm256_permute2x128_si256(a, b, 0x31) : _mm256_permute2x128_si256(a, b, 0x20);
    chunk->multiplier[i] = _mm256_castsi256_ps(imm_hi ? _mm256_permute2x128_si256(ma, mb, 0x31)
                                                      : _mm256_permute2x128_si256(ma, mb, 0x20));
  }
  for (int kw = 0; kw < 3; ++kw) {
    const __m256i r0 = load32(p.w + (0 * 3 + kw) * channels + c0);
    const __m256i r1 = load32(p.w + (1 * 3 + kw) * channels + c0);
    const __m256i r2 = load32(p.w + (2 * 3 + kw) * channels + c0);
    chunk->w[kw] = interleave4(r0, r1, r2, _mm256_setzero_si256());
    chunk->w_next_row[kw] = interleave4(_mm256_setzero_si256(), r0, r1, r2);
  }
}

struct Epilogue {
  __m256 hi;      // qmax - zero point
  __m256i zp16;   // zero point, int16 lanes
  __m256i qmin8;  // qmin, int8 lanes
};

// requantize() for 32 lanes in the scrambled order, written in channel order. Same bytes
// with fewer instructions (as in the AVX512 kernel): for integer bounds round(clamp(y))
// equals clamp(round(y)); the upper clamp stays in float (it also keeps cvtps2dq from
// overflowing), below cvtps2dq's overflow value INT_MIN and the saturating packs / adds
// only push further down, and the final max with qmin gives the clamped value.
inline void store_output(const Chunk& chunk, __m256i a0, __m256i a1, __m256i a2, __m256i a3,
                         const Epilogue& e, int8_t* dst) {
  const __m256i q0 = _mm256_cvtps_epi32(
      _mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(a0), chunk.multiplier[0]), e.hi));
  const __m256i q1 = _mm256_cvtps_epi32(
      _mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(a1), chunk.multiplier[1]), e.hi));
  const __m256i q2 = _mm256_cvtps_epi32(
      _mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(a2), chunk.multiplier[2]), e.hi));
  const __m256i q3 = _mm256_cvtps_epi32(
      _mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(a3), chunk.multiplier[3]), e.hi));
  const __m256i w01 = _mm256_adds_epi16(_mm256_packs_epi32(q0, q1), e.zp16);
  const __m256i w23 = _mm256_adds_epi16(_mm256_packs_epi32(q2, q3), e.zp16);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst),
                      _mm256_max_epi8(_mm256_packs_epi16(w01, w23), e.qmin8));
}

// One pass over an output row (kMode 0: input rows 0..2) or two (kMode 1: stride_h 1,
// rows 0..3; kMode 2: stride_h 2, rows 0..4). rows[t] = input row t at the chunk's first
// channel, or a zero-point row with step 0 when it is padding.
template <int kMode, int kStrideW>
void dw3x3_pass(const DwConvQs8Params& p, const Chunk& chunk, const int8_t* const* row_ptrs,
                const size_t* row_steps, int8_t* y_row0, int8_t* y_row1, __m256i padding,
                const Epilogue& e) {
  constexpr int kInRows = kMode == 0 ? 3 : kMode == 1 ? 4 : 5;
  constexpr int kVecs = kMode == 2 ? 8 : 4;
  struct Col {
    __m256i v[kVecs];
  };
  const int in_w = p.g.in_w, out_w = p.g.out_w;
  const size_t out_c = static_cast<size_t>(p.g.out_c);
  const int8_t* rows[kInRows];
  size_t steps[kInRows];
  for (int t = 0; t < kInRows; ++t) {
    rows[t] = row_ptrs[t];
    steps[t] = row_steps[t];
  }
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const auto column = [&](int iw) __attribute__((always_inline))->Col {
    Col c;
    if (iw < 0 || iw >= in_w) {
#pragma GCC unroll 8
      for (int i = 0; i < kVecs; ++i) c.v[i] = padding;  // every byte is the flipped zp
      return c;
    }
    __m256i r[kInRows];
#pragma GCC unroll 5
    for (int t = 0; t < kInRows; ++t) {
      r[t] = _mm256_xor_si256(load32(rows[t] + static_cast<size_t>(iw) * steps[t]), flip);
    }
    if constexpr (kMode == 0) {
      const Column q = interleave4(r[0], r[1], r[2], r[2]);  // byte 3 meets zero weights
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) c.v[i] = q.q[i];
    } else {
      const __m256i t0 = _mm256_unpacklo_epi8(r[0], r[1]);
      const __m256i t1 = _mm256_unpackhi_epi8(r[0], r[1]);
      const __m256i t2 = _mm256_unpacklo_epi8(r[2], r[3]);
      const __m256i t3 = _mm256_unpackhi_epi8(r[2], r[3]);
      c.v[0] = _mm256_unpacklo_epi16(t0, t2);
      c.v[1] = _mm256_unpackhi_epi16(t0, t2);
      c.v[2] = _mm256_unpacklo_epi16(t1, t3);
      c.v[3] = _mm256_unpackhi_epi16(t1, t3);
      if constexpr (kMode == 2) {
        // Rows 2, 3, 4 (byte 3: row 4 again, zero weight), same lane order.
        const __m256i u0 = _mm256_unpacklo_epi8(r[kInRows - 1], r[kInRows - 1]);
        const __m256i u1 = _mm256_unpackhi_epi8(r[kInRows - 1], r[kInRows - 1]);
        c.v[kVecs - 4] = _mm256_unpacklo_epi16(t2, u0);
        c.v[kVecs - 3] = _mm256_unpackhi_epi16(t2, u0);
        c.v[kVecs - 2] = _mm256_unpacklo_epi16(t3, u1);
        c.v[kVecs - 1] = _mm256_unpackhi_epi16(t3, u1);
      }
    }
    return c;
  };
  int8_t* y0 = y_row0;
  int8_t* y1 = y_row1;
  const auto emit = [&](const Col& c0, const Col& c1, const Col& c2)
      __attribute__((always_inline)) {
    __m256i acc0[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      acc0[i] = _mm256_dpbusd_avx_epi32(chunk.bias[i], c0.v[i], chunk.w[0].q[i]);
      acc0[i] = _mm256_dpbusd_avx_epi32(acc0[i], c1.v[i], chunk.w[1].q[i]);
      acc0[i] = _mm256_dpbusd_avx_epi32(acc0[i], c2.v[i], chunk.w[2].q[i]);
    }
    if constexpr (kMode != 0) {
      constexpr int kSecond = kMode == 2 ? 4 : 0;
      const Column* w1 = kMode == 2 ? chunk.w : chunk.w_next_row;
      __m256i acc1[4];
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        acc1[i] = _mm256_dpbusd_avx_epi32(chunk.bias[i], c0.v[kSecond + i], w1[0].q[i]);
        acc1[i] = _mm256_dpbusd_avx_epi32(acc1[i], c1.v[kSecond + i], w1[1].q[i]);
        acc1[i] = _mm256_dpbusd_avx_epi32(acc1[i], c2.v[kSecond + i], w1[2].q[i]);
      }
      store_output(chunk, acc1[0], acc1[1], acc1[2], acc1[3], e, y1);
      y1 += out_c;
    }
    store_output(chunk, acc0[0], acc0[1], acc0[2], acc0[3], e, y0);
    y0 += out_c;
  };
  // Unrolled so that the columns rotate through names instead of register copies.
  const int base = -p.g.pad_left;
  Col ca = column(base), cb = column(base + 1), cc = column(base + 2);
  int v = 0;
  if constexpr (kStrideW == 1) {
    for (;;) {
      emit(ca, cb, cc);
      if (++v == out_w) break;
      ca = column(base + v + 2);
      emit(cb, cc, ca);
      if (++v == out_w) break;
      cb = column(base + v + 2);
      emit(cc, ca, cb);
      if (++v == out_w) break;
      cc = column(base + v + 2);
    }
  } else {
    for (;;) {
      emit(ca, cb, cc);
      if (++v == out_w) break;
      cb = column(base + 2 * v + 1);
      ca = column(base + 2 * v + 2);
      emit(cc, cb, ca);
      if (++v == out_w) break;
      cb = column(base + 2 * v + 1);
      cc = column(base + 2 * v + 2);
    }
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
    Epilogue e;
    e.hi = _mm256_set1_ps(static_cast<float>(p.rq.qmax - p.rq.zero_point));
    e.zp16 = _mm256_set1_epi16(static_cast<int16_t>(p.rq.zero_point));
    e.qmin8 = _mm256_set1_epi8(static_cast<char>(p.rq.qmin));
    // Two-row passes need dilation_h 1; the one-row pass reads rows t * dilation_h.
    using PassFn = void (*)(const DwConvQs8Params&, const Chunk&, const int8_t* const*,
                            const size_t*, int8_t*, int8_t*, __m256i, const Epilogue&);
    const bool pairs = g.dilation_h == 1 && (g.stride_h == 1 || g.stride_h == 2);
    const PassFn one = g.stride_w == 1 ? &dw3x3_pass<0, 1> : &dw3x3_pass<0, 2>;
    const PassFn two = g.stride_h == 1 ? (g.stride_w == 1 ? &dw3x3_pass<1, 1> : &dw3x3_pass<1, 2>)
                                       : (g.stride_w == 1 ? &dw3x3_pass<2, 1> : &dw3x3_pass<2, 2>);
    const size_t out_row = static_cast<size_t>(g.out_w) * g.out_c;
    Chunk chunk;
    for (int c0 = 0; c0 < chunked; c0 += kChunk) {
      prepare_chunk(p, c0, &chunk);
      for (int b = 0; b < g.batch; ++b) {
        const int8_t* image = p.x + static_cast<size_t>(b) * g.in_h * g.in_w * g.in_c + c0;
        int8_t* y_image = p.y + static_cast<size_t>(b) * g.out_h * out_row + c0;
        for (int oh = oh_begin; oh < oh_end;) {
          const bool pair = pairs && oh + 1 < oh_end;
          const int in_rows = !pair ? 3 : g.stride_h == 1 ? 4 : 5;
          const int8_t* rows[5];
          size_t steps[5];
          for (int t = 0; t < 5; ++t) {
            const int ih = oh * g.stride_h - g.pad_top + t * (pair ? 1 : g.dilation_h);
            const bool inside = t < in_rows && ih >= 0 && ih < g.in_h;
            rows[t] = inside ? image + static_cast<size_t>(ih) * g.in_w * g.in_c : padding_row;
            steps[t] = inside ? static_cast<size_t>(g.in_c) : 0;
          }
          int8_t* y_row = y_image + static_cast<size_t>(oh) * out_row;
          (pair ? two : one)(p, chunk, rows, steps, y_row, y_row + out_row, padding, e);
          oh += pair ? 2 : 1;
        }
      }
    }
  }
  if (chunked < g.out_c) x86::dwconv_qs8_avx2_channels(p, chunked);
}

}  // namespace

extern const DwConvQs8Kernel dwconv_qs8_avxvnni = {Isa::kAvxVnni, dwconv_qs8_avxvnni_run, nullptr};

}  // namespace octet
