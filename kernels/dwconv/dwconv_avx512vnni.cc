// qs8 depthwise conv2d (NHWC, depth multiplier 1) with AVX512-VNNI.
//
// Idea: put 4 kernel rows of one input column into the 4 bytes of each int32 lane, so one
// vpdpbusd adds 4 taps per channel. Four 64-channel input rows r0..r3 are interleaved with
// unpack{lo,hi}_epi8 then unpack{lo,hi}_epi16 into q0..q3, where int32 lane j of 128-bit
// lane L of q_i holds channel 16L + 4i + j. The weights go through the same shuffles once
// per 64-channel chunk (rows beyond KH are zero), and the packs at the end (packssdw q0,q1 /
// q2,q3, then packsswb) put the channels back in order. Inputs are flipped to u8 with
// xor 0x80; the matching -128 * sum(w) is folded into the chunk's bias. A prepared column
// depends only on (input row group, iw), so at stride_w = dilation_w = 1 each one is
// prepared once per output row and reused by the KW outputs that read it.
// Requantization follows requantize() exactly. Depth multiplier != 1 and kernels with
// more than kMaxSlots row-group x column slots go to the scalar kernel.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/dwconv/dwconv.h"

namespace octet {

extern const DwConvQs8Kernel dwconv_qs8_scalar;

namespace {

constexpr int kChunk = 64;      // channels per pass
constexpr int kMaxSlots = 16;   // row groups x kernel columns kept prepared (7x7 = 2 x 7)
constexpr int kMaxKw = 8;
constexpr int kMaxRowGroups = 4;  // kernel_h <= 16

struct Column {
  __m512i q[4];
};

// r0..r3: 64 channels of 4 rows -> 4 vectors of 4-row int32 lanes (see file comment).
inline Column interleave4(__m512i r0, __m512i r1, __m512i r2, __m512i r3) {
  const __m512i t0 = _mm512_unpacklo_epi8(r0, r1);
  const __m512i t1 = _mm512_unpackhi_epi8(r0, r1);
  const __m512i t2 = _mm512_unpacklo_epi8(r2, r3);
  const __m512i t3 = _mm512_unpackhi_epi8(r2, r3);
  Column c;
  c.q[0] = _mm512_unpacklo_epi16(t0, t2);
  c.q[1] = _mm512_unpackhi_epi16(t0, t2);
  c.q[2] = _mm512_unpacklo_epi16(t1, t3);
  c.q[3] = _mm512_unpackhi_epi16(t1, t3);
  return c;
}

// Channel of int32 lane `lane` (0..15) of q_i.
inline int scrambled_channel(int i, int lane) { return 16 * (lane / 4) + 4 * i + lane % 4; }

struct Chunk {
  Column w[kMaxSlots];  // [row group][kw]
  __m512i bias[4];
  __m512 multiplier[4];
};

void prepare_chunk(const DwConvQs8Params& p, int c0, __mmask64 mask, int row_groups,
                   Chunk* chunk) {
  const ref::ConvGeometry& g = p.g;
  const int channels = g.out_c;
  const int valid = std::min(kChunk, channels - c0);
  alignas(64) int32_t bias[4][16];
  alignas(64) float mult[4][16];
  alignas(64) int32_t wsum[kChunk] = {};
  for (int kh = 0; kh < g.kernel_h; ++kh) {
    for (int kw = 0; kw < g.kernel_w; ++kw) {
      const int8_t* w = p.w + (static_cast<size_t>(kh) * g.kernel_w + kw) * channels + c0;
      for (int c = 0; c < valid; ++c) wsum[c] += w[c];
    }
  }
  for (int i = 0; i < 4; ++i) {
    for (int lane = 0; lane < 16; ++lane) {
      const int c = scrambled_channel(i, lane);
      const bool inside = c < valid;
      const int32_t b = inside && p.bias != nullptr ? p.bias[c0 + c] : 0;
      bias[i][lane] = static_cast<int32_t>(static_cast<uint32_t>(b) -
                                           128u * static_cast<uint32_t>(wsum[c]));
      mult[i][lane] = inside ? p.rq.multiplier[p.rq.per_channel ? c0 + c : 0] : 0.0f;
    }
    chunk->bias[i] = _mm512_load_si512(bias[i]);
    chunk->multiplier[i] = _mm512_load_ps(mult[i]);
  }
  for (int rg = 0; rg < row_groups; ++rg) {
    for (int kw = 0; kw < g.kernel_w; ++kw) {
      __m512i rows[4];
      for (int t = 0; t < 4; ++t) {
        const int kh = rg * 4 + t;
        rows[t] = kh < g.kernel_h
                      ? _mm512_maskz_loadu_epi8(
                            mask, p.w + (static_cast<size_t>(kh) * g.kernel_w + kw) * channels + c0)
                      : _mm512_setzero_si512();
      }
      chunk->w[rg * g.kernel_w + kw] = interleave4(rows[0], rows[1], rows[2], rows[3]);
    }
  }
}

// Prepared (flipped) column of input rows ih0 + t * dilation_h (t = 0..3) at iw.
inline Column load_column(const DwConvQs8Params& p, const int8_t* image, int ih0, int rows_left,
                          int iw, int c0, __mmask64 mask, __m512i padding) {
  const ref::ConvGeometry& g = p.g;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512i r[4];
  const bool column_inside = iw >= 0 && iw < g.in_w;
  for (int t = 0; t < 4; ++t) {
    const int ih = ih0 + t * g.dilation_h;
    if (column_inside && t < rows_left && ih >= 0 && ih < g.in_h) {
      r[t] = _mm512_xor_si512(
          _mm512_maskz_loadu_epi8(
              mask, image + (static_cast<size_t>(ih) * g.in_w + iw) * g.in_c + c0),
          flip);
    } else {
      r[t] = padding;  // already flipped; rows past KH meet zero weights
    }
  }
  return interleave4(r[0], r[1], r[2], r[3]);
}

inline void store_output(const DwConvQs8Params& p, const Chunk& chunk, const __m512i acc[4],
                         int8_t* dst, __mmask64 mask, bool full) {
  const __m512 lo = _mm512_set1_ps(static_cast<float>(p.rq.qmin - p.rq.zero_point));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(p.rq.qmax - p.rq.zero_point));
  __m512i q[4];
  for (int i = 0; i < 4; ++i) {
    __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[i]), chunk.multiplier[i]);
    y = _mm512_min_ps(_mm512_max_ps(y, lo), hi);
    q[i] = _mm512_cvtps_epi32(y);
  }
  // Values are within [qmin - zp, qmax - zp]: the saturating packs never clip them and
  // adding the zero point in int16 is exact.
  const __m512i zp = _mm512_set1_epi16(static_cast<int16_t>(p.rq.zero_point));
  const __m512i w01 = _mm512_add_epi16(_mm512_packs_epi32(q[0], q[1]), zp);
  const __m512i w23 = _mm512_add_epi16(_mm512_packs_epi32(q[2], q[3]), zp);
  const __m512i bytes = _mm512_packs_epi16(w01, w23);
  if (full) {
    _mm512_storeu_si512(dst, bytes);
  } else {
    _mm512_mask_storeu_epi8(dst, mask, bytes);
  }
}

void dwconv_qs8_avx512vnni_run(const DwConvQs8Params& p) {
  const ref::ConvGeometry& g = p.g;
  const int row_groups = (g.kernel_h + 3) / 4;
  if (g.depth_multiplier != 1 || row_groups * g.kernel_w > kMaxSlots || g.kernel_w > kMaxKw ||
      row_groups > kMaxRowGroups) {
    dwconv_qs8_scalar.run(p);
    return;
  }
  const int oh_begin = std::max(p.oh_begin, 0);
  const int oh_end = std::min(p.oh_end, g.out_h);
  const __m512i padding = _mm512_set1_epi8(static_cast<char>((p.x_zero_point ^ 0x80) & 0xFF));
  const bool sliding = g.stride_w == 1 && g.dilation_w == 1;
  Chunk chunk;
  for (int c0 = 0; c0 < g.out_c; c0 += kChunk) {
    const int valid = std::min(kChunk, g.out_c - c0);
    const bool full = valid == kChunk;
    const __mmask64 mask = full ? ~__mmask64{0} : (__mmask64{1} << valid) - 1;
    prepare_chunk(p, c0, mask, row_groups, &chunk);
    for (int b = 0; b < g.batch; ++b) {
      const int8_t* image = p.x + static_cast<size_t>(b) * g.in_h * g.in_w * g.in_c;
      for (int oh = oh_begin; oh < oh_end; ++oh) {
        int8_t* y_row = p.y + (static_cast<size_t>(b) * g.out_h + oh) * g.out_w * g.out_c + c0;
        const int ih_top = oh * g.stride_h - g.pad_top;
        if (sliding) {
          // ring[(iw mod KW)][rg]: the prepared columns of the KW inputs under the window.
          Column ring[kMaxKw][kMaxRowGroups];
          const int kw_count = g.kernel_w;
          int iw_next = -g.pad_left;  // next column to prepare
          for (int ow = 0; ow < g.out_w; ++ow) {
            const int iw0 = ow - g.pad_left;
            for (; iw_next < iw0 + kw_count; ++iw_next) {
              const int slot = ((iw_next % kw_count) + kw_count) % kw_count;
              for (int rg = 0; rg < row_groups; ++rg) {
                ring[slot][rg] =
                    load_column(p, image, ih_top + rg * 4 * g.dilation_h, g.kernel_h - rg * 4,
                                iw_next, c0, mask, padding);
              }
            }
            __m512i acc[4] = {chunk.bias[0], chunk.bias[1], chunk.bias[2], chunk.bias[3]};
            for (int kw = 0; kw < kw_count; ++kw) {
              const int slot = (((iw0 + kw) % kw_count) + kw_count) % kw_count;
              for (int rg = 0; rg < row_groups; ++rg) {
                const Column& col = ring[slot][rg];
                const Column& w = chunk.w[rg * kw_count + kw];
                for (int i = 0; i < 4; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], col.q[i], w.q[i]);
              }
            }
            store_output(p, chunk, acc, y_row + static_cast<size_t>(ow) * g.out_c, mask, full);
          }
        } else {
          for (int ow = 0; ow < g.out_w; ++ow) {
            __m512i acc[4] = {chunk.bias[0], chunk.bias[1], chunk.bias[2], chunk.bias[3]};
            for (int kw = 0; kw < g.kernel_w; ++kw) {
              const int iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
              for (int rg = 0; rg < row_groups; ++rg) {
                const Column col =
                    load_column(p, image, ih_top + rg * 4 * g.dilation_h, g.kernel_h - rg * 4, iw,
                                c0, mask, padding);
                const Column& w = chunk.w[rg * g.kernel_w + kw];
                for (int i = 0; i < 4; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], col.q[i], w.q[i]);
              }
            }
            store_output(p, chunk, acc, y_row + static_cast<size_t>(ow) * g.out_c, mask, full);
          }
        }
      }
    }
  }
}

}  // namespace

extern const DwConvQs8Kernel dwconv_qs8_avx512vnni = {Isa::kAvx512Vnni,
                                                      dwconv_qs8_avx512vnni_run, nullptr};

}  // namespace octet
