// qs8 depthwise conv2d (NHWC) with AVX512-VNNI.
//
// Idea: put 4 kernel rows of one input column into the 4 bytes of each int32 lane, so one
// vpdpbusd adds 4 taps per channel. Four 64-channel input rows r0..r3 are interleaved with
// unpack{lo,hi}_epi8 then unpack{lo,hi}_epi16 into q0..q3, where int32 lane j of 128-bit
// lane L of q_i holds channel 16L + 4i + j. The weights go through the same shuffles once
// per 64-channel chunk (rows beyond KH are zero), and the packs at the end (packssdw q0,q1 /
// q2,q3, then packsswb) put the channels back in order. Inputs are flipped to u8 with
// xor 0x80; the matching -128 * sum(w) is folded into the chunk's bias. A prepared column
// depends only on (input row group, iw), so at stride_w = dilation_w = 1 each one is
// prepared once per output row and reused by the KW outputs that read it. 3x3 kernels
// (every MobileNet depthwise layer) take the faster passes of dw3x3_run (see there).
// Requantization follows requantize() exactly. Depth multiplier != 1 runs on a copy of the
// input with each channel repeated (scratch, see run_expanded); kernels with more than
// kMaxSlots row-group x column slots go to the scalar kernel.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/dwconv/dwconv.h"

namespace octet {

extern const DwConvQs8Kernel dwconv_qs8_scalar;

namespace {

constexpr int kChunk = 64;     // channels per pass
constexpr int kMaxSlots = 32;  // row groups x kernel columns kept prepared (10x8 = 3 x 8)
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
  Column w[kMaxSlots];   // [row group][kw]
  Column w_next_row[3];  // 3x3 only: taps in bytes 1..3, for the output row below
  __m512i bias[4];
  __m512 multiplier[4];
  // True when no |acc * multiplier| of this chunk can reach 2^31 (bounded by the bias, the
  // weights and |x| <= 128): cvtps2dq cannot overflow and the upper clamp can move to int8.
  bool small_products;
};

// Where the 64 lanes of a chunk take their weights, bias and multiplier from: lane l reads
// channel offset l of w + tap * tap_stride (taps in [KH][KW] order), bias[l], multiplier[l].
struct ChunkSource {
  const int8_t* w;
  size_t tap_stride;
  const int32_t* bias;      // may be null (zero bias)
  const float* multiplier;  // per lane if per_channel, else multiplier[0] for all
  bool per_channel;
};

ChunkSource chunk_source(const DwConvQs8Params& p, int c0) {
  return {p.w + c0, static_cast<size_t>(p.g.out_c), p.bias != nullptr ? p.bias + c0 : nullptr,
          p.rq.per_channel ? p.rq.multiplier + c0 : p.rq.multiplier, p.rq.per_channel};
}

void prepare_chunk(const ref::ConvGeometry& g, const ChunkSource& s, __mmask64 mask, int row_groups,
                   Chunk* chunk) {
  // Per-channel sum(w) and sum(|w|) over the taps, natural channel order, 16 per vector.
  __m512i sum[4], abs_sum[4];
  for (int q = 0; q < 4; ++q) sum[q] = abs_sum[q] = _mm512_setzero_si512();
  const int taps = g.kernel_h * g.kernel_w;
  for (int t = 0; t < taps; ++t) {
    const __m512i wv = _mm512_maskz_loadu_epi8(mask, s.w + static_cast<size_t>(t) * s.tap_stride);
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
    const __m512i b = s.bias != nullptr ? _mm512_maskz_loadu_epi32(lanes, s.bias + 16 * q)
                                        : _mm512_setzero_si512();
    mult_n[q] = s.per_channel ? _mm512_maskz_loadu_ps(lanes, s.multiplier + 16 * q)
                              : _mm512_maskz_mov_ps(lanes, _mm512_set1_ps(s.multiplier[0]));
    // The kernel multiplies (x + 128) by w: take 128 * sum(w) off the bias (wraps like the
    // int32 accumulators).
    bias_n[q] = _mm512_sub_epi32(b, _mm512_slli_epi32(sum[q], 7));
    // |acc| <= |bias| + 128 * sum|w|; bound |acc * m| with a margin for float rounding.
    const __m512 bound = _mm512_mul_ps(
        _mm512_mul_ps(
            _mm512_add_ps(_mm512_abs_ps(_mm512_cvtepi32_ps(b)),
                          _mm512_mul_ps(_mm512_cvtepi32_ps(abs_sum[q]), _mm512_set1_ps(128.0f))),
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
                            mask, s.w + (static_cast<size_t>(kh) * g.kernel_w + kw) * s.tap_stride)
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
      r[t] =
          _mm512_xor_si512(_mm512_maskz_loadu_epi8(
                               mask, image + (static_cast<size_t>(ih) * g.in_w + iw) * g.in_c + c0),
                           flip);
    } else {
      r[t] = padding;  // already flipped; rows past KH meet zero weights
    }
  }
  return interleave4(r[0], r[1], r[2], r[3]);
}

struct Epilogue {
  __m512 hi;      // qmax - zero_point
  __m512i zp16;   // zero point, int16 lanes
  __m512i qmin8;  // qmin, int8 lanes
  __m512i qmax8;  // qmax, int8 lanes
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
inline void store_output(const Chunk& chunk, const __m512i acc[4], const Epilogue& e, int8_t* dst,
                         __mmask64 mask, bool full) {
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

// ---------------------------------------------------------------- 3x3 fast path
// 3x3, dilation 1, stride 1 or 2 in each direction, depth multiplier 1 (every MobileNet
// depthwise layer). Per pass, one or two output rows across the whole width for one
// 64-lane chunk. Port budget (Sapphire Rapids, 2 zmm vector ports): per 64-lane output
// 12 vpdpbusd + ~17 requantization uops + the column preparation, so the passes
//  - compute two output rows per prepared column where possible: at stride_h 1 a column
//    of input rows 0..3 feeds row 0 (bytes 0..2, weights w) and row 1 (bytes 1..3,
//    w_next_row); at stride_h 2 the second row's column (rows 2, 3, 4) reuses the
//    rows-2/3 byte pairs of the first (only row 4 is unpacked again);
//  - fill the vectors of chunks with <= 32 (16) channels (32-channel layers, tails of 96 /
//    144) with 2 (4) output pixels: pixel v of each half (quarter) of the row, so the
//    columns still slide by one pixel and are reused by the next taps;
//  - pick the requantization at compile time: no float clamp when no product can reach
//    2^31 (Chunk::small_products), no byte clamp at qmin = -128 / qmax = 127 (packsswb
//    saturates there already).

// The part of a Chunk the 3x3 passes read (kept for several chunks at once).
struct Chunk3x3 {
  Column w[3];
  Column w_next_row[3];
  __m512i bias[4];
  __m512 multiplier[4];
};

// requantize() for 64 lanes in the scrambled order, returned in lane order. See
// store_output for why these are the same bytes; the flags only drop clamps that cannot
// change a byte.
template <bool kSmall, bool kClampLo, bool kClampHi>
struct Requant3x3 {
  static inline __m512i bytes(const Chunk3x3& chunk, const Epilogue& e, __m512i a0, __m512i a1,
                              __m512i a2, __m512i a3) {
    __m512 y0 = _mm512_mul_ps(_mm512_cvtepi32_ps(a0), chunk.multiplier[0]);
    __m512 y1 = _mm512_mul_ps(_mm512_cvtepi32_ps(a1), chunk.multiplier[1]);
    __m512 y2 = _mm512_mul_ps(_mm512_cvtepi32_ps(a2), chunk.multiplier[2]);
    __m512 y3 = _mm512_mul_ps(_mm512_cvtepi32_ps(a3), chunk.multiplier[3]);
    if (!kSmall) {  // keeps cvtps2dq from overflowing upwards (and clamps to qmax)
      y0 = _mm512_min_ps(y0, e.hi);
      y1 = _mm512_min_ps(y1, e.hi);
      y2 = _mm512_min_ps(y2, e.hi);
      y3 = _mm512_min_ps(y3, e.hi);
    }
    const __m512i w01 = _mm512_adds_epi16(
        _mm512_packs_epi32(_mm512_cvtps_epi32(y0), _mm512_cvtps_epi32(y1)), e.zp16);
    const __m512i w23 = _mm512_adds_epi16(
        _mm512_packs_epi32(_mm512_cvtps_epi32(y2), _mm512_cvtps_epi32(y3)), e.zp16);
    __m512i b = _mm512_packs_epi16(w01, w23);
    if (kClampLo) b = _mm512_max_epi8(b, e.qmin8);
    if (kSmall && kClampHi) b = _mm512_min_epi8(b, e.qmax8);
    return b;
  }
};
using Requant3x3General = Requant3x3<false, true, true>;  // exact for every chunk

// Zero point -128, qmin -128, qmax 127 (ReLU / ReLU6 outputs quantized to [0, max], as
// MobileNet's are), small products: clamp(q - 128, -128, 127) = clamp(q, 0, 255) - 128 is
// packuswb then xor 0x80, one uop fewer than the int16 zero-point adds.
struct Requant3x3ZeroPointMin {
  static inline __m512i bytes(const Chunk3x3& chunk, const Epilogue&, __m512i a0, __m512i a1,
                              __m512i a2, __m512i a3) {
    const __m512i q0 =
        _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(a0), chunk.multiplier[0]));
    const __m512i q1 =
        _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(a1), chunk.multiplier[1]));
    const __m512i q2 =
        _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(a2), chunk.multiplier[2]));
    const __m512i q3 =
        _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(a3), chunk.multiplier[3]));
    const __m512i u = _mm512_packus_epi16(_mm512_packs_epi32(q0, q1), _mm512_packs_epi32(q2, q3));
    return _mm512_xor_si512(u, _mm512_set1_epi8(static_cast<char>(0x80)));
  }
};

// One pass: output vectors across a row. rows[t] = input row t of the window at the
// chunk's first channel, or a row of zero points as long as an input row when the row is
// padding (so every row has the same pixel stride and addresses need no multiply).
struct Pass3x3 {
  const int8_t* rows[5];
  size_t pixel_bytes;  // in_c
  int8_t* y[2];        // output row(s) at the chunk's first channel
  size_t y_step;       // bytes between output vectors
  int vectors;         // output vectors across the row
  int in_w;
  int iw_first;          // input pixel under the first vector's first tap (-pad_left)
  __mmask64 load_mask;   // channel lanes of the chunk (tail chunks)
  __mmask64 store_mask;  // output lanes of every vector but the last
  __mmask64 last_store_mask;
  // Gathered vectors (chunks of <= 32 / 16 channels): kPixels pieces of 64 / kPixels lanes;
  // piece j of vector v is output pixel v + j * vectors, read from input pixel
  // iw + j * piece_step and written at + j * piece_out_step.
  int piece_step = 0;
  size_t piece_out_step = 0;
  __mmask64 piece_mask = 0;  // channel lanes of one piece
  int out_w = 0;
};

inline void store_bytes(int8_t* dst, __m512i bytes, __mmask64 mask) {
  if (mask == ~__mmask64{0}) {
    _mm512_storeu_si512(dst, bytes);
  } else {
    _mm512_mask_storeu_epi8(dst, mask, bytes);
  }
}

// Stores piece j < pixels of `bytes` (64 / kPixels lanes each) at dst + j * step.
template <int kPixels>
inline void store_pieces(int8_t* dst, __m512i bytes, size_t step, __mmask64 piece_mask,
                         int pixels) {
  if constexpr (kPixels == 2) {
    _mm256_mask_storeu_epi8(dst, static_cast<__mmask32>(piece_mask), _mm512_castsi512_si256(bytes));
    if (pixels > 1) {
      _mm256_mask_storeu_epi8(dst + step, static_cast<__mmask32>(piece_mask),
                              _mm512_extracti64x4_epi64(bytes, 1));
    }
  } else {
    const __mmask16 m = static_cast<__mmask16>(piece_mask);
    _mm_mask_storeu_epi8(dst, m, _mm512_castsi512_si128(bytes));
    if (pixels > 1) _mm_mask_storeu_epi8(dst + step, m, _mm512_extracti32x4_epi32(bytes, 1));
    if (pixels > 2) _mm_mask_storeu_epi8(dst + 2 * step, m, _mm512_extracti32x4_epi32(bytes, 2));
    if (pixels > 3) _mm_mask_storeu_epi8(dst + 3 * step, m, _mm512_extracti32x4_epi32(bytes, 3));
  }
}

inline const void* pixel_address(const int8_t* row, intptr_t offset) {
  // Out-of-row pixels are only used under an all-zero load mask (no access).
  return reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(row) +
                                       static_cast<uintptr_t>(offset));
}

// kMode 0: one output row (input rows 0..2); 1: two rows at stride_h 1 (rows 0..3);
// 2: two rows at stride_h 2 (rows 0..4). kStep: input pixels between output vectors
// (stride_w). kPixels: output pixels per vector (1, or 2 / 4 pieces: Pass3x3::piece_*).
template <int kMode, int kStep, int kPixels, class Rq>
void dw3x3_pass(const Pass3x3& ps, const Chunk3x3& chunk, const Epilogue& e, __m512i zp_raw) {
  constexpr int kInRows = kMode == 0 ? 3 : kMode == 1 ? 4 : 5;
  constexpr int kVecs = kMode == 2 ? 8 : 4;
  struct Col {
    __m512i v[kVecs];
  };
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i pad = _mm512_xor_si512(zp_raw, flip);
  const int8_t* rows[kInRows];
  for (int t = 0; t < kInRows; ++t) rows[t] = ps.rows[t];
  const intptr_t pixel_bytes = static_cast<intptr_t>(ps.pixel_bytes);
  const int in_w = ps.in_w;
  const __mmask64 load_mask = ps.load_mask;
  const int piece_step = ps.piece_step;
  const __mmask64 piece_mask = ps.piece_mask;
  const int out_w = ps.out_w;
  const auto column = [&](int iw) __attribute__((always_inline))->Col {
    __m512i r[kInRows];
    if constexpr (kPixels > 1) {
      const intptr_t offset = iw * pixel_bytes;
      const intptr_t piece_offset = piece_step * pixel_bytes;
      if (iw >= 0 && iw + (kPixels - 1) * piece_step < in_w) {
        // Every piece inside the row (lanes past the chunk's channels read as 0, zero weight).
#pragma GCC unroll 5
        for (int t = 0; t < kInRows; ++t) {
          __m512i row;
          if constexpr (kPixels == 2) {
            row = _mm512_inserti64x4(
                _mm512_castsi256_si512(_mm256_maskz_loadu_epi8(static_cast<__mmask32>(piece_mask),
                                                               pixel_address(rows[t], offset))),
                _mm256_maskz_loadu_epi8(static_cast<__mmask32>(piece_mask),
                                        pixel_address(rows[t], offset + piece_offset)),
                1);
          } else {
            const __mmask16 m = static_cast<__mmask16>(piece_mask);
            row = _mm512_inserti32x4(
                _mm512_inserti32x4(
                    _mm512_inserti32x4(
                        _mm512_castsi128_si512(
                            _mm_maskz_loadu_epi8(m, pixel_address(rows[t], offset))),
                        _mm_maskz_loadu_epi8(m, pixel_address(rows[t], offset + piece_offset)), 1),
                    _mm_maskz_loadu_epi8(m, pixel_address(rows[t], offset + 2 * piece_offset)), 2),
                _mm_maskz_loadu_epi8(m, pixel_address(rows[t], offset + 3 * piece_offset)), 3);
          }
          r[t] = _mm512_xor_si512(row, flip);
        }
      } else {
        // A piece outside the row is padding: masked loads keep the zero point there.
        const __m512i zp = zp_raw;
        __mmask64 m[kPixels];
#pragma GCC unroll 4
        for (int j = 0; j < kPixels; ++j) {
          const int at = iw + j * piece_step;
          m[j] = at >= 0 && at < in_w ? piece_mask : 0;
        }
#pragma GCC unroll 5
        for (int t = 0; t < kInRows; ++t) {
          __m512i row;
          if constexpr (kPixels == 2) {
            const __m256i lo =
                _mm256_mask_loadu_epi8(_mm512_castsi512_si256(zp), static_cast<__mmask32>(m[0]),
                                       pixel_address(rows[t], offset));
            const __m256i hi =
                _mm256_mask_loadu_epi8(_mm512_castsi512_si256(zp), static_cast<__mmask32>(m[1]),
                                       pixel_address(rows[t], offset + piece_offset));
            row = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
          } else {
            const __m128i zp16 = _mm512_castsi512_si128(zp);
            __m128i q[4];
#pragma GCC unroll 4
            for (int j = 0; j < 4; ++j) {
              q[j] = _mm_mask_loadu_epi8(zp16, static_cast<__mmask16>(m[j]),
                                         pixel_address(rows[t], offset + j * piece_offset));
            }
            row = _mm512_inserti32x4(
                _mm512_inserti32x4(_mm512_inserti32x4(_mm512_castsi128_si512(q[0]), q[1], 1), q[2],
                                   2),
                q[3], 3);
          }
          r[t] = _mm512_xor_si512(row, flip);
        }
      }
    } else if (iw >= 0 && iw < in_w) {
#pragma GCC unroll 5
      for (int t = 0; t < kInRows; ++t) {
        r[t] =
            _mm512_xor_si512(_mm512_maskz_loadu_epi8(load_mask, rows[t] + iw * pixel_bytes), flip);
      }
    } else {
      Col c;
#pragma GCC unroll 8
      for (int i = 0; i < kVecs; ++i) c.v[i] = pad;  // every byte is the flipped zero point
      return c;
    }
    Col c;
    if constexpr (kMode == 0) {
      const Column q = interleave4(r[0], r[1], r[2], r[2]);  // byte 3 meets zero weights
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) c.v[i] = q.q[i];
    } else {
      const __m512i t0 = _mm512_unpacklo_epi8(r[0], r[1]);
      const __m512i t1 = _mm512_unpackhi_epi8(r[0], r[1]);
      const __m512i t2 = _mm512_unpacklo_epi8(r[2], r[3]);
      const __m512i t3 = _mm512_unpackhi_epi8(r[2], r[3]);
      c.v[0] = _mm512_unpacklo_epi16(t0, t2);
      c.v[1] = _mm512_unpackhi_epi16(t0, t2);
      c.v[2] = _mm512_unpacklo_epi16(t1, t3);
      c.v[3] = _mm512_unpackhi_epi16(t1, t3);
      if constexpr (kMode == 2) {
        // Rows 2, 3, 4 (byte 3: row 4 again, zero weight), same lane order.
        const __m512i u0 = _mm512_unpacklo_epi8(r[kInRows - 1], r[kInRows - 1]);
        const __m512i u1 = _mm512_unpackhi_epi8(r[kInRows - 1], r[kInRows - 1]);
        c.v[kVecs - 4] = _mm512_unpacklo_epi16(t2, u0);
        c.v[kVecs - 3] = _mm512_unpackhi_epi16(t2, u0);
        c.v[kVecs - 2] = _mm512_unpacklo_epi16(t3, u1);
        c.v[kVecs - 1] = _mm512_unpackhi_epi16(t3, u1);
      }
    }
    return c;
  };
  int8_t* y0 = ps.y[0];
  int8_t* y1 = ps.y[1];
  const int vectors = ps.vectors;
  const __mmask64 store_mask = ps.store_mask, last_store_mask = ps.last_store_mask;
  // Output vector v from the columns under its three taps.
  const int full_vectors = out_w - (kPixels - 1) * vectors;  // vectors with every piece inside
  const auto emit = [&](int v, const Col& c0, const Col& c1, const Col& c2)
      __attribute__((always_inline)) {
    const __mmask64 mask = v + 1 == vectors ? last_store_mask : store_mask;
    // Pieces of this vector inside the row (the last quarter / half may be short).
    const int pieces = kPixels == 1 || v < full_vectors
                           ? kPixels
                           : std::min(kPixels, (out_w - v + vectors - 1) / vectors);
    __m512i acc0[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      acc0[i] = _mm512_dpbusd_epi32(chunk.bias[i], c0.v[i], chunk.w[0].q[i]);
      acc0[i] = _mm512_dpbusd_epi32(acc0[i], c1.v[i], chunk.w[1].q[i]);
      acc0[i] = _mm512_dpbusd_epi32(acc0[i], c2.v[i], chunk.w[2].q[i]);
    }
    if constexpr (kMode != 0) {
      __m512i acc1[4];
      constexpr int kSecond = kMode == 2 ? 4 : 0;
      const Column* w1 = kMode == 2 ? chunk.w : chunk.w_next_row;
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        acc1[i] = _mm512_dpbusd_epi32(chunk.bias[i], c0.v[kSecond + i], w1[0].q[i]);
        acc1[i] = _mm512_dpbusd_epi32(acc1[i], c1.v[kSecond + i], w1[1].q[i]);
        acc1[i] = _mm512_dpbusd_epi32(acc1[i], c2.v[kSecond + i], w1[2].q[i]);
      }
      const __m512i b1 = Rq::bytes(chunk, e, acc1[0], acc1[1], acc1[2], acc1[3]);
      if constexpr (kPixels > 1) {
        store_pieces<kPixels>(y1, b1, ps.piece_out_step, piece_mask, pieces);
      } else {
        store_bytes(y1, b1, mask);
      }
      y1 += ps.y_step;
    }
    const __m512i b0 = Rq::bytes(chunk, e, acc0[0], acc0[1], acc0[2], acc0[3]);
    if constexpr (kPixels > 1) {
      store_pieces<kPixels>(y0, b0, ps.piece_out_step, piece_mask, pieces);
    } else {
      store_bytes(y0, b0, mask);
    }
    y0 += ps.y_step;
  };
  // Unrolled so that the columns rotate through names instead of register copies (zmm
  // moves take vector-port slots).
  const int base = ps.iw_first;
  Col ca = column(base), cb = column(base + 1), cc = column(base + 2);
  int v = 0;
  if constexpr (kStep == 1) {
    for (;;) {
      emit(v, ca, cb, cc);
      if (++v == vectors) break;
      ca = column(base + v + 2);
      emit(v, cb, cc, ca);
      if (++v == vectors) break;
      cb = column(base + v + 2);
      emit(v, cc, ca, cb);
      if (++v == vectors) break;
      cc = column(base + v + 2);
    }
  } else {
    for (;;) {
      emit(v, ca, cb, cc);
      if (++v == vectors) break;
      cb = column(base + 2 * v + 1);
      ca = column(base + 2 * v + 2);
      emit(v, cc, cb, ca);
      if (++v == vectors) break;
      cb = column(base + 2 * v + 1);
      cc = column(base + 2 * v + 2);
    }
  }
}

using PassFn = void (*)(const Pass3x3&, const Chunk3x3&, const Epilogue&, __m512i);

template <int kMode, int kStep, int kPixels>
PassFn pick_pass(bool small, bool clamp_lo, bool clamp_hi, bool zero_point_min) {
  if (small && zero_point_min) return &dw3x3_pass<kMode, kStep, kPixels, Requant3x3ZeroPointMin>;
  if (!small) {
    return clamp_lo ? &dw3x3_pass<kMode, kStep, kPixels, Requant3x3<false, true, true>>
                    : &dw3x3_pass<kMode, kStep, kPixels, Requant3x3<false, false, true>>;
  }
  if (clamp_lo) {
    return clamp_hi ? &dw3x3_pass<kMode, kStep, kPixels, Requant3x3<true, true, true>>
                    : &dw3x3_pass<kMode, kStep, kPixels, Requant3x3<true, true, false>>;
  }
  return clamp_hi ? &dw3x3_pass<kMode, kStep, kPixels, Requant3x3<true, false, true>>
                  : &dw3x3_pass<kMode, kStep, kPixels, Requant3x3<true, false, false>>;
}

// Chunks in pieces: the common unclamped case and the always-exact general one.
template <int kMode, int kStep, int kPixels>
PassFn pick_piece_pass(bool small, bool clamp_lo, bool clamp_hi, bool zero_point_min) {
  if (small && zero_point_min) return &dw3x3_pass<kMode, kStep, kPixels, Requant3x3ZeroPointMin>;
  return small && !clamp_lo && !clamp_hi
             ? &dw3x3_pass<kMode, kStep, kPixels, Requant3x3<true, false, false>>
             : &dw3x3_pass<kMode, kStep, kPixels, Requant3x3General>;
}

template <int kPixels>
void pick_piece_passes(const ref::ConvGeometry& g, bool small, bool clamp_lo, bool clamp_hi,
                       bool zero_point_min, PassFn* one, PassFn* two) {
  if (g.stride_w == 1) {
    *one = &dw3x3_pass<0, 1, kPixels, Requant3x3General>;
    *two = pick_piece_pass<1, 1, kPixels>(small, clamp_lo, clamp_hi, zero_point_min);
  } else {
    *one = &dw3x3_pass<0, 2, kPixels, Requant3x3General>;
    *two = pick_piece_pass<2, 2, kPixels>(small, clamp_lo, clamp_hi, zero_point_min);
  }
}

// Stack bytes for a row of zero points (wider rows take the general path).
constexpr size_t kMaxPaddingRow = 32 * 1024;

bool is_fast3x3(const ref::ConvGeometry& g) {
  return static_cast<size_t>(g.in_w) * g.in_c + kChunk <= kMaxPaddingRow &&
         g.depth_multiplier == 1 && g.kernel_h == 3 && g.kernel_w == 3 && g.dilation_h == 1 &&
         g.dilation_w == 1 && (g.stride_h == 1 || g.stride_h == 2) &&
         (g.stride_w == 1 || g.stride_w == 2);
}

void dw3x3_run(const DwConvQs8Params& p) {
  const ref::ConvGeometry& g = p.g;
  const int oh_begin = std::max(p.oh_begin, 0);
  const int oh_end = std::min(p.oh_end, g.out_h);
  if (oh_begin >= oh_end) return;
  const Epilogue e = make_epilogue(p.rq);
  const __m512i zp_raw = _mm512_set1_epi8(static_cast<char>(p.x_zero_point));
  // Padding rows: zero points over a whole input row (+ a vector), only when some row of
  // these output rows reads outside the image.
  alignas(64) int8_t padding_row[kMaxPaddingRow];
  const bool pads =
      oh_begin * g.stride_h - g.pad_top < 0 || (oh_end - 1) * g.stride_h - g.pad_top + 4 >= g.in_h;
  if (pads) {
    std::memset(padding_row, static_cast<int8_t>(p.x_zero_point),
                static_cast<size_t>(g.in_w) * g.in_c + kChunk);
  }
  const bool clamp_lo = p.rq.qmin > -128, clamp_hi = p.rq.qmax < 127;
  const bool zero_point_min = p.rq.zero_point == -128 && !clamp_lo && !clamp_hi;
  const size_t in_row = static_cast<size_t>(g.in_w) * g.in_c;
  const size_t out_row = static_cast<size_t>(g.out_w) * g.out_c;
  // Weights / bias / multipliers repeated for every pixel of a vector.
  alignas(64) int8_t w_rep[9 * kChunk];
  alignas(64) int32_t bias_rep[kChunk];
  alignas(64) float mult_rep[kChunk];
  // Chunks are prepared a group at a time and the rows walked once per group, so each input
  // row is read from memory once rather than once per chunk.
  constexpr int kGroupChunks = 8;
  struct Plan {
    Chunk3x3 chunk;
    Pass3x3 ps;
    PassFn one, two;
    int c0;
  };
  Plan plans[kGroupChunks];
  Chunk chunk;
  for (int group = 0; group < g.out_c; group += kGroupChunks * kChunk) {
    int plan_count = 0;
    for (int c0 = group; c0 < std::min(g.out_c, group + kGroupChunks * kChunk); c0 += kChunk) {
      const int valid = std::min(kChunk, g.out_c - c0);
      const __mmask64 lanes = valid == kChunk ? ~__mmask64{0} : (__mmask64{1} << valid) - 1;
      // A chunk of <= 32 (16) channels fills its vectors with 2 (4) output pixels: pixel v of
      // each half (quarter) of the row.
      const bool pieces = valid <= kChunk / 2 && g.stride_h == g.stride_w && g.out_w > 1;
      const int vector_pixels = !pieces ? 1 : valid <= kChunk / 4 && g.out_w >= 4 ? 4 : 2;
      ChunkSource src = chunk_source(p, c0);
      __mmask64 chunk_lanes = lanes;
      Pass3x3 ps;
      ps.in_w = g.in_w;
      ps.iw_first = -g.pad_left;
      ps.pixel_bytes = static_cast<size_t>(g.in_c);
      ps.y_step = static_cast<size_t>(g.out_c);
      if (vector_pixels > 1) {
        // Weights, bias and multipliers repeated in every piece (zero on lanes past the
        // chunk's channels).
        const int piece = kChunk / vector_pixels;
        chunk_lanes = 0;
        for (int j = 0; j < vector_pixels; ++j) chunk_lanes |= lanes << (j * piece);
        for (int l = 0; l < kChunk; ++l) {
          const int c = l % piece;
          const bool inside = c < valid;
          for (int t = 0; t < 9; ++t) {
            w_rep[t * kChunk + l] = inside ? p.w[static_cast<size_t>(t) * g.out_c + c0 + c] : 0;
          }
          bias_rep[l] = inside && p.bias != nullptr ? p.bias[c0 + c] : 0;
          mult_rep[l] = inside ? p.rq.multiplier[p.rq.per_channel ? c0 + c : 0] : 0.0f;
        }
        src = {w_rep, kChunk, bias_rep, mult_rep, true};
        ps.vectors = (g.out_w + vector_pixels - 1) / vector_pixels;
        ps.load_mask = ps.store_mask = ps.last_store_mask = ~__mmask64{0};
        ps.piece_step = ps.vectors * g.stride_w;
        ps.piece_out_step = static_cast<size_t>(ps.vectors) * g.out_c;
        ps.piece_mask = lanes;
        ps.out_w = g.out_w;
      } else {
        ps.vectors = g.out_w;
        ps.load_mask = ps.store_mask = ps.last_store_mask = lanes;
      }
      prepare_chunk(g, src, chunk_lanes, 1, &chunk);
      const bool small = chunk.small_products;
      PassFn one, two;
      if (vector_pixels == 2) {
        pick_piece_passes<2>(g, small, clamp_lo, clamp_hi, zero_point_min, &one, &two);
      } else if (vector_pixels == 4) {
        pick_piece_passes<4>(g, small, clamp_lo, clamp_hi, zero_point_min, &one, &two);
      } else if (g.stride_w == 1) {
        one = pick_pass<0, 1, 1>(small, clamp_lo, clamp_hi, zero_point_min);
        two = g.stride_h == 1 ? pick_pass<1, 1, 1>(small, clamp_lo, clamp_hi, zero_point_min)
                              : pick_pass<2, 1, 1>(small, clamp_lo, clamp_hi, zero_point_min);
      } else {
        one = pick_pass<0, 2, 1>(small, clamp_lo, clamp_hi, zero_point_min);
        two = g.stride_h == 1 ? pick_pass<1, 2, 1>(small, clamp_lo, clamp_hi, zero_point_min)
                              : pick_pass<2, 2, 1>(small, clamp_lo, clamp_hi, zero_point_min);
      }
      Plan& plan = plans[plan_count++];
      for (int kw = 0; kw < 3; ++kw) {
        plan.chunk.w[kw] = chunk.w[kw];
        plan.chunk.w_next_row[kw] = chunk.w_next_row[kw];
      }
      for (int i = 0; i < 4; ++i) {
        plan.chunk.bias[i] = chunk.bias[i];
        plan.chunk.multiplier[i] = chunk.multiplier[i];
      }
      plan.ps = ps;
      plan.one = one;
      plan.two = two;
      plan.c0 = c0;
    }
    for (int b = 0; b < g.batch; ++b) {
      const int8_t* image = p.x + static_cast<size_t>(b) * g.in_h * in_row;
      int8_t* y_image = p.y + static_cast<size_t>(b) * g.out_h * out_row;
      for (int oh = oh_begin; oh < oh_end;) {
        const bool pair = oh + 1 < oh_end;
        const int in_rows = !pair ? 3 : g.stride_h == 1 ? 4 : 5;
        const int ih_top = oh * g.stride_h - g.pad_top;
        const int8_t* rows[5];
        for (int t = 0; t < 5; ++t) {
          const int ih = ih_top + t;
          const bool inside = t < in_rows && ih >= 0 && ih < g.in_h;
          rows[t] = inside ? image + static_cast<size_t>(ih) * in_row : padding_row;
        }
        int8_t* y_row = y_image + static_cast<size_t>(oh) * out_row;
        for (int k = 0; k < plan_count; ++k) {
          Plan& plan = plans[k];
          for (int t = 0; t < 5; ++t) plan.ps.rows[t] = rows[t] + plan.c0;
          plan.ps.y[0] = y_row + plan.c0;
          plan.ps.y[1] = y_row + out_row + plan.c0;
          (pair ? plan.two : plan.one)(plan.ps, plan.chunk, e, zp_raw);
        }
        oh += pair ? 2 : 1;
      }
    }
  }
}

void dwconv_qs8_avx512vnni_run(const DwConvQs8Params& p);

// Depth multiplier M != 1 (output channel oc reads input channel oc / M): the input rows
// this call reads are copied to scratch with each input channel repeated M times, and the
// multiplier-1 code runs on that (weights, bias and multipliers are already per output
// channel). The scratch is per thread (DwConvQs8Kernel::scratch_size); without it, scalar.
size_t dwconv_qs8_avx512vnni_scratch(const ref::ConvGeometry& g) {
  if (g.depth_multiplier == 1) return 0;
  return static_cast<size_t>(g.in_h) * g.in_w * g.out_c + kChunk;
}

void run_expanded(const DwConvQs8Params& p) {
  const ref::ConvGeometry& g = p.g;
  const int oh_begin = std::max(p.oh_begin, 0);
  const int oh_end = std::min(p.oh_end, g.out_h);
  if (oh_begin >= oh_end) return;
  // Input rows [lo, hi] hold every tap of output rows [oh_begin, oh_end).
  const int lo = std::max(0, oh_begin * g.stride_h - g.pad_top);
  const int hi =
      std::min(g.in_h - 1, (oh_end - 1) * g.stride_h - g.pad_top + (g.kernel_h - 1) * g.dilation_h);
  const size_t row_bytes = static_cast<size_t>(g.in_w) * g.out_c;
  if (hi < lo || p.scratch == nullptr ||
      p.scratch_size < static_cast<size_t>(hi - lo + 1) * row_bytes) {
    dwconv_qs8_scalar.run(p);
    return;
  }
  const int multiplier = g.depth_multiplier;
  int8_t* expanded = static_cast<int8_t*>(p.scratch);
  DwConvQs8Params q = p;
  q.g.batch = 1;
  q.g.in_c = g.out_c;
  q.g.depth_multiplier = 1;
  q.g.in_h = hi - lo + 1;
  q.g.out_h = oh_end - oh_begin;
  q.g.pad_top = g.pad_top + lo - oh_begin * g.stride_h;  // >= 0 by the choice of lo
  q.x = expanded;
  q.oh_begin = 0;
  q.oh_end = q.g.out_h;
  q.scratch = nullptr;
  q.scratch_size = 0;
  for (int b = 0; b < g.batch; ++b) {
    const int8_t* src = p.x + (static_cast<size_t>(b) * g.in_h + lo) * g.in_w * g.in_c;
    const size_t pixels = static_cast<size_t>(hi - lo + 1) * g.in_w;
    int8_t* dst = expanded;
    for (size_t i = 0; i < pixels * g.in_c; ++i, dst += multiplier) {
      std::memset(dst, src[i], static_cast<size_t>(multiplier));
    }
    q.y = p.y + (static_cast<size_t>(b) * g.out_h + oh_begin) * g.out_w * g.out_c;
    dwconv_qs8_avx512vnni_run(q);
  }
}

void dwconv_qs8_avx512vnni_run(const DwConvQs8Params& p) {
  const ref::ConvGeometry& g = p.g;
  const int row_groups = (g.kernel_h + 3) / 4;
  if (row_groups * g.kernel_w > kMaxSlots || g.kernel_w > kMaxKw || row_groups > kMaxRowGroups) {
    dwconv_qs8_scalar.run(p);
    return;
  }
  if (g.depth_multiplier != 1) {
    run_expanded(p);
    return;
  }
  if (is_fast3x3(g)) {
    dw3x3_run(p);
    return;
  }
  const int oh_begin = std::max(p.oh_begin, 0);
  const int oh_end = std::min(p.oh_end, g.out_h);
  const __m512i padding = _mm512_set1_epi8(static_cast<char>((p.x_zero_point ^ 0x80) & 0xFF));
  const bool sliding = g.stride_w == 1 && g.dilation_w == 1;
  const Epilogue e = make_epilogue(p.rq);
  Chunk chunk;
  for (int c0 = 0; c0 < g.out_c; c0 += kChunk) {
    const int valid = std::min(kChunk, g.out_c - c0);
    const bool full = valid == kChunk;
    const __mmask64 mask = full ? ~__mmask64{0} : (__mmask64{1} << valid) - 1;
    prepare_chunk(g, chunk_source(p, c0), mask, row_groups, &chunk);
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
                ring[slot][rg] = load_column(p, image, ih_top + rg * 4 * g.dilation_h,
                                             g.kernel_h - rg * 4, iw_next, c0, mask, padding);
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
                const Column col = load_column(p, image, ih_top + rg * 4 * g.dilation_h,
                                               g.kernel_h - rg * 4, iw, c0, mask, padding);
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

extern const DwConvQs8Kernel dwconv_qs8_avx512vnni = {Isa::kAvx512Vnni, dwconv_qs8_avx512vnni_run,
                                                      dwconv_qs8_avx512vnni_scratch};

}  // namespace octet
