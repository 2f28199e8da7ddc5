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
#include <cstdint>
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


struct Chunk {
  Column w[kMaxSlots];  // [row group][kw]
  Column w_next_row[3];  // 3x3 only: taps in bytes 1..3, for the output row below
  __m512i bias[4];
  __m512 multiplier[4];
  // True when no |acc * multiplier| of this chunk can reach 2^31 (bounded by the bias, the
  // weights and |x| <= 128): cvtps2dq cannot overflow and the upper clamp can move to int8.
  bool small_products;
};

void prepare_chunk(const DwConvQs8Params& p, int c0, __mmask64 mask, int row_groups,
                   Chunk* chunk) {
  const ref::ConvGeometry& g = p.g;
  const int channels = g.out_c;
  // Per-channel sum(w) and sum(|w|) over the taps, natural channel order, 16 per vector.
  __m512i sum[4], abs_sum[4];
  for (int q = 0; q < 4; ++q) sum[q] = abs_sum[q] = _mm512_setzero_si512();
  const int taps = g.kernel_h * g.kernel_w;
  for (int t = 0; t < taps; ++t) {
    const __m512i wv = _mm512_maskz_loadu_epi8(mask, p.w + static_cast<size_t>(t) * channels + c0);
    const __m128i part[4] = {_mm512_castsi512_si128(wv), _mm512_extracti32x4_epi32(wv, 1),
                             _mm512_extracti32x4_epi32(wv, 2), _mm512_extracti32x4_epi32(wv, 3)};
    for (int q = 0; q < 4; ++q) {
      const __m512i x = _mm512_cvtepi8_epi32(part[q]);
      sum[q] = _mm512_add_epi32(sum[q], x);
      abs_sum[q] = _mm512_add_epi32(abs_sum[q], _mm512_abs_epi32(x));
    }
  }
  __m512i bias_n[4];
  __m512 mult_n[4];
  bool small = true;
  for (int q = 0; q < 4; ++q) {
    const __mmask16 lanes = static_cast<__mmask16>(mask >> (16 * q));
    const __m512i b = p.bias != nullptr ? _mm512_maskz_loadu_epi32(lanes, p.bias + c0 + 16 * q)
                                        : _mm512_setzero_si512();
    mult_n[q] = p.rq.per_channel ? _mm512_maskz_loadu_ps(lanes, p.rq.multiplier + c0 + 16 * q)
                                 : _mm512_maskz_mov_ps(lanes, _mm512_set1_ps(p.rq.multiplier[0]));
    // The kernel multiplies (x + 128) by w: take 128 * sum(w) off the bias (wraps like the
    // int32 accumulators).
    bias_n[q] = _mm512_sub_epi32(b, _mm512_slli_epi32(sum[q], 7));
    // |acc| <= |bias| + 128 * sum|w|; bound |acc * m| with a margin for float rounding.
    const __m512 bound = _mm512_mul_ps(
        _mm512_mul_ps(_mm512_add_ps(_mm512_abs_ps(_mm512_cvtepi32_ps(b)),
                                    _mm512_mul_ps(_mm512_cvtepi32_ps(abs_sum[q]),
                                                  _mm512_set1_ps(128.0f))),
                      _mm512_abs_ps(mult_n[q])),
        _mm512_set1_ps(1.001f));
    // Not-less-than also catches NaN / inf multipliers.
    if (_mm512_mask_cmp_ps_mask(lanes, bound, _mm512_set1_ps(2.0e9f), _CMP_LT_OQ) != lanes) {
      small = false;
    }
  }
  chunk->small_products = small;
  // To the scrambled order of interleave4(): int32 lane j of 128-bit lane L of vector i is
  // channel 16L + 4i + j, i.e. 128-bit block i of natural vector L (a 4x4 block transpose).
  const auto scramble = [](const __m512i n[4], __m512i out[4]) {
    const __m512i t0 = _mm512_shuffle_i32x4(n[0], n[1], 0x44);
    const __m512i t1 = _mm512_shuffle_i32x4(n[0], n[1], 0xEE);
    const __m512i t2 = _mm512_shuffle_i32x4(n[2], n[3], 0x44);
    const __m512i t3 = _mm512_shuffle_i32x4(n[2], n[3], 0xEE);
    out[0] = _mm512_shuffle_i32x4(t0, t2, 0x88);
    out[1] = _mm512_shuffle_i32x4(t0, t2, 0xDD);
    out[2] = _mm512_shuffle_i32x4(t1, t3, 0x88);
    out[3] = _mm512_shuffle_i32x4(t1, t3, 0xDD);
  };
  scramble(bias_n, chunk->bias);
  __m512i mult_bits[4] = {_mm512_castps_si512(mult_n[0]), _mm512_castps_si512(mult_n[1]),
                          _mm512_castps_si512(mult_n[2]), _mm512_castps_si512(mult_n[3])};
  __m512i mult_scrambled[4];
  scramble(mult_bits, mult_scrambled);
  for (int i = 0; i < 4; ++i) chunk->multiplier[i] = _mm512_castsi512_ps(mult_scrambled[i]);
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
      if (g.kernel_h == 3 && g.kernel_w == 3) {
        chunk->w_next_row[kw] = interleave4(_mm512_setzero_si512(), rows[0], rows[1], rows[2]);
      }
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

struct Epilogue {
  __m512 hi;       // qmax - zero_point
  __m512i zp16;    // zero point, int16 lanes
  __m512i qmin8;   // qmin, int8 lanes
  __m512i qmax8;   // qmax, int8 lanes
};

Epilogue make_epilogue(const ref::Requant& rq) {
  Epilogue e;
  e.hi = _mm512_set1_ps(static_cast<float>(rq.qmax - rq.zero_point));
  e.zp16 = _mm512_set1_epi16(static_cast<int16_t>(rq.zero_point));
  e.qmin8 = _mm512_set1_epi8(static_cast<char>(rq.qmin));
  e.qmax8 = _mm512_set1_epi8(static_cast<char>(rq.qmax));
  return e;
}

// requantize() for 64 channels in the scrambled order, written in channel order.
// Same bytes with fewer instructions: for integer bounds, round(clamp(y)) equals
// clamp(round(y)). The upper clamp stays in float (it also keeps cvtps2dq from
// overflowing); below, cvtps2dq's overflow value INT_MIN and the saturating packs/adds only
// push further down, and the final max with qmin gives the clamped value.
inline void store_output(const Chunk& chunk, const __m512i acc[4], const Epilogue& e,
                         int8_t* dst, __mmask64 mask, bool full) {
  __m512i q[4];
  __m512i bytes;
  if (chunk.small_products) {
    // Both clamps in int8 (one instruction each for 64 channels instead of 4 minps).
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      q[i] = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[i]), chunk.multiplier[i]));
    }
    const __m512i w01 = _mm512_adds_epi16(_mm512_packs_epi32(q[0], q[1]), e.zp16);
    const __m512i w23 = _mm512_adds_epi16(_mm512_packs_epi32(q[2], q[3]), e.zp16);
    bytes = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(w01, w23), e.qmin8), e.qmax8);
  } else {
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      const __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[i]), chunk.multiplier[i]);
      q[i] = _mm512_cvtps_epi32(_mm512_min_ps(y, e.hi));
    }
    const __m512i w01 = _mm512_adds_epi16(_mm512_packs_epi32(q[0], q[1]), e.zp16);
    const __m512i w23 = _mm512_adds_epi16(_mm512_packs_epi32(q[2], q[3]), e.zp16);
    bytes = _mm512_max_epi8(_mm512_packs_epi16(w01, w23), e.qmin8);
  }
  if (full) {
    _mm512_storeu_si512(dst, bytes);
  } else {
    _mm512_mask_storeu_epi8(dst, mask, bytes);
  }
}

// 3x3 fast path (dilation_w 1, stride_w 1 or 2): one output row of one 64-channel chunk.
// rows[t] points at input row t of the window (+ c0), or at a zero-point row with step 0
// when it is padding; the three prepared columns under the window stay in registers.
template <int kStrideW>
void dw3x3_row(const DwConvQs8Params& p, const Chunk& chunk, const int8_t* const rows[3],
               const size_t steps[3], int8_t* y_row, __mmask64 mask, bool full,
               const Column& padding_column, __m512i padding, const Epilogue& e) {
  const ref::ConvGeometry& g = p.g;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const auto column = [&](int iw) -> Column {
    if (iw < 0 || iw >= g.in_w) return padding_column;
    const size_t at = static_cast<size_t>(iw);
    const __m512i r0 = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, rows[0] + at * steps[0]), flip);
    const __m512i r1 = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, rows[1] + at * steps[1]), flip);
    const __m512i r2 = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, rows[2] + at * steps[2]), flip);
    return interleave4(r0, r1, r2, padding);
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
    __m512i acc[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      acc[i] = _mm512_dpbusd_epi32(chunk.bias[i], c0.q[i], chunk.w[0].q[i]);
      acc[i] = _mm512_dpbusd_epi32(acc[i], c1.q[i], chunk.w[1].q[i]);
      acc[i] = _mm512_dpbusd_epi32(acc[i], c2.q[i], chunk.w[2].q[i]);
    }
    store_output(chunk, acc, e, y_row + static_cast<size_t>(ow) * g.out_c, mask, full);
  }
}

// 3x3, stride_h 1, dilation 1: output rows oh and oh + 1 together. A column holds input
// rows oh - pad_top + 0..3: bytes 0..2 feed row oh (weights w), bytes 1..3 row oh + 1
// (weights w_next_row), so each prepared column serves 6 vpdpbusd per 16 lanes.
template <int kStrideW>
void dw3x3_two_rows(const DwConvQs8Params& p, const Chunk& chunk, const int8_t* const rows[4],
                    const size_t steps[4], int8_t* y_row0, int8_t* y_row1, __mmask64 mask,
                    bool full, const Column& padding_column, const Epilogue& e) {
  const ref::ConvGeometry& g = p.g;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const auto column = [&](int iw) -> Column {
    if (iw < 0 || iw >= g.in_w) return padding_column;
    const size_t at = static_cast<size_t>(iw);
    __m512i r[4];
#pragma GCC unroll 4
    for (int t = 0; t < 4; ++t) {
      r[t] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, rows[t] + at * steps[t]), flip);
    }
    return interleave4(r[0], r[1], r[2], r[3]);
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
    __m512i acc0[4], acc1[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      acc0[i] = _mm512_dpbusd_epi32(chunk.bias[i], c0.q[i], chunk.w[0].q[i]);
      acc1[i] = _mm512_dpbusd_epi32(chunk.bias[i], c0.q[i], chunk.w_next_row[0].q[i]);
      acc0[i] = _mm512_dpbusd_epi32(acc0[i], c1.q[i], chunk.w[1].q[i]);
      acc1[i] = _mm512_dpbusd_epi32(acc1[i], c1.q[i], chunk.w_next_row[1].q[i]);
      acc0[i] = _mm512_dpbusd_epi32(acc0[i], c2.q[i], chunk.w[2].q[i]);
      acc1[i] = _mm512_dpbusd_epi32(acc1[i], c2.q[i], chunk.w_next_row[2].q[i]);
    }
    store_output(chunk, acc0, e, y_row0 + static_cast<size_t>(ow) * g.out_c, mask, full);
    store_output(chunk, acc1, e, y_row1 + static_cast<size_t>(ow) * g.out_c, mask, full);
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
  const bool fast3x3 = g.kernel_h == 3 && g.kernel_w == 3 && g.dilation_w == 1 &&
                       (g.stride_w == 1 || g.stride_w == 2);
  alignas(64) int8_t padding_row[kChunk];
  std::memset(padding_row, static_cast<int8_t>(p.x_zero_point), sizeof(padding_row));
  const Column padding_column = interleave4(padding, padding, padding, padding);
  const Epilogue e = make_epilogue(p.rq);
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
        if (fast3x3 && g.stride_h == 1 && g.dilation_h == 1 && oh + 1 < oh_end) {
          const int8_t* rows[4];
          size_t steps[4];
          for (int t = 0; t < 4; ++t) {
            const int ih = ih_top + t;
            const bool inside = ih >= 0 && ih < g.in_h;
            rows[t] = inside ? image + static_cast<size_t>(ih) * g.in_w * g.in_c + c0 : padding_row;
            steps[t] = inside ? static_cast<size_t>(g.in_c) : 0;
          }
          int8_t* y_next = y_row + static_cast<size_t>(g.out_w) * g.out_c;
          if (g.stride_w == 1) {
            dw3x3_two_rows<1>(p, chunk, rows, steps, y_row, y_next, mask, full, padding_column, e);
          } else {
            dw3x3_two_rows<2>(p, chunk, rows, steps, y_row, y_next, mask, full, padding_column, e);
          }
          ++oh;  // two rows done
        } else if (fast3x3) {
          const int8_t* rows[3];
          size_t steps[3];
          for (int t = 0; t < 3; ++t) {
            const int ih = ih_top + t * g.dilation_h;
            const bool inside = ih >= 0 && ih < g.in_h;
            rows[t] = inside ? image + static_cast<size_t>(ih) * g.in_w * g.in_c + c0 : padding_row;
            steps[t] = inside ? static_cast<size_t>(g.in_c) : 0;
          }
          if (g.stride_w == 1) {
            dw3x3_row<1>(p, chunk, rows, steps, y_row, mask, full, padding_column, padding, e);
          } else {
            dw3x3_row<2>(p, chunk, rows, steps, y_row, mask, full, padding_column, padding, e);
          }
        } else if (sliding) {
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
            store_output(chunk, acc, e, y_row + static_cast<size_t>(ow) * g.out_c, mask, full);
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
            store_output(chunk, acc, e, y_row + static_cast<size_t>(ow) * g.out_c, mask, full);
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
