// qs8 depthwise conv2d (NHWC, depth multiplier 1) with AVX2.
//
// Taps are taken in pairs (kh, kw flattened); the two input vectors of a pair are
// interleaved byte-wise and sign-extended to int16, so one vpmaddwd adds 2 taps for 8
// channels, exactly (no vpmaddubsw saturation). The weights are interleaved the same way
// once per 32-channel chunk. Requantization follows requantize() exactly. Depth multiplier
// != 1 and kernels with more than kMaxTaps taps go to the scalar kernel.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/dwconv/dwconv.h"
#include "kernels/dwconv/dwconv_x86.h"

namespace octet {

extern const DwConvQs8Kernel dwconv_qs8_scalar;

namespace x86 {
namespace {

constexpr int kChunk = 32;  // channels per pass: 4 ymm of 8 int32
constexpr int kMaxTaps = 26;
constexpr int kMaxPairs = kMaxTaps / 2;

struct Chunk {
  __m256i w[kMaxPairs][4];  // (w_t0, w_t1) int16 pairs, channels 8s .. 8s+7 in w[pair][s]
  __m256i bias[4];
  __m256 multiplier[4];
};

// 16 bytes at src (only `valid` of them readable; the rest read as `fill`).
inline __m128i load16(const int8_t* src, int valid, int8_t fill) {
  if (valid >= 16) return _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
  alignas(16) int8_t tmp[16];
  std::memset(tmp, fill, sizeof(tmp));
  if (valid > 0) std::memcpy(tmp, src, static_cast<size_t>(valid));
  return _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
}

// Two 16-channel vectors of taps t0, t1 -> 2 ymm of (t0, t1) int16 pairs, channels 0-7, 8-15.
inline void pair16(__m128i v0, __m128i v1, __m256i* lo, __m256i* hi) {
  *lo = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(v0, v1));
  *hi = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(v0, v1));
}

void prepare_chunk(const DwConvQs8Params& p, int c0, int taps, Chunk* chunk) {
  const ref::ConvGeometry& g = p.g;
  const int valid = std::min(kChunk, g.out_c - c0);
  alignas(32) int32_t bias[kChunk];
  alignas(32) float mult[kChunk];
  for (int c = 0; c < kChunk; ++c) {
    const bool inside = c < valid;
    bias[c] = inside && p.bias != nullptr ? p.bias[c0 + c] : 0;
    mult[c] = inside ? p.rq.multiplier[p.rq.per_channel ? c0 + c : 0] : 0.0f;
  }
  for (int s = 0; s < 4; ++s) {
    chunk->bias[s] = _mm256_load_si256(reinterpret_cast<const __m256i*>(bias + 8 * s));
    chunk->multiplier[s] = _mm256_load_ps(mult + 8 * s);
  }
  for (int pair = 0; pair < (taps + 1) / 2; ++pair) {
    for (int half = 0; half < 2; ++half) {
      const int c = c0 + 16 * half;
      const int left = g.out_c - c;
      const int t0 = 2 * pair, t1 = 2 * pair + 1;
      const __m128i w0 = load16(p.w + static_cast<size_t>(t0) * g.out_c + c, left, 0);
      const __m128i w1 =
          t1 < taps ? load16(p.w + static_cast<size_t>(t1) * g.out_c + c, left, 0)
                    : _mm_setzero_si128();
      pair16(w0, w1, &chunk->w[pair][2 * half], &chunk->w[pair][2 * half + 1]);
    }
  }
}

inline __m128i requantize8(__m256i acc, __m256 multiplier, __m256 lo, __m256 hi, __m256i zp) {
  __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), multiplier);
  y = _mm256_min_ps(_mm256_max_ps(y, lo), hi);
  const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(y), zp);
  return _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
}

// 3x3 fast path (dilation_w 1, stride_w 1 or 2), 8 channels at a time. A prepared column
// of input column iw is two ymm of int16 pairs: (row 0, row 1) and (row 2, 0), so a column
// meets each kw's weights with 2 vpmaddwd; at stride_w 1 each column is prepared once per
// output row and reused by the 3 outputs over it. Weights, bias and multipliers stay in
// registers for the whole 8-channel slice.
struct Column8 {
  __m256i p01, p2;
};

struct Slice8 {
  __m256i w01[3], w2[3];
  __m256i bias;
  __m256 multiplier;
};

inline Column8 make_column(__m128i r0, __m128i r1, __m128i r2) {
  Column8 col;
  col.p01 = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, r1));
  col.p2 = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r2, _mm_setzero_si128()));
  return col;
}

template <int kStrideW>
void dw3x3_row8(const DwConvQs8Params& p, const Slice8& s, const int8_t* const rows[3],
                const size_t steps[3], int8_t* y_row, const Column8& padding_column, __m256 lo,
                __m256 hi, __m256i zp) {
  const ref::ConvGeometry& g = p.g;
  const auto column = [&](int iw) -> Column8 {
    if (iw < 0 || iw >= g.in_w) return padding_column;
    const size_t at = static_cast<size_t>(iw);
    return make_column(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[0] + at * steps[0])),
                       _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[1] + at * steps[1])),
                       _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[2] + at * steps[2])));
  };
  int iw0 = -g.pad_left;
  Column8 c0 = column(iw0), c1 = column(iw0 + 1), c2 = column(iw0 + 2);
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
    __m256i acc = _mm256_add_epi32(s.bias, _mm256_madd_epi16(c0.p01, s.w01[0]));
    __m256i acc2 = _mm256_madd_epi16(c0.p2, s.w2[0]);
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(c1.p01, s.w01[1]));
    acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(c1.p2, s.w2[1]));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(c2.p01, s.w01[2]));
    acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(c2.p2, s.w2[2]));
    const __m128i words = requantize8(_mm256_add_epi32(acc, acc2), s.multiplier, lo, hi, zp);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y_row + static_cast<size_t>(ow) * g.out_c),
                     _mm_packs_epi16(words, words));
  }
}

// Channels [c_begin, channels8) (multiples of 8) of a 3x3 depthwise with dilation_w 1.
void dw3x3_avx2(const DwConvQs8Params& p, int c_begin, int channels8) {
  const ref::ConvGeometry& g = p.g;
  const int oh_begin = std::max(p.oh_begin, 0);
  const int oh_end = std::min(p.oh_end, g.out_h);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(p.rq.qmin - p.rq.zero_point));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(p.rq.qmax - p.rq.zero_point));
  const __m256i zp = _mm256_set1_epi32(p.rq.zero_point);
  alignas(16) int8_t padding_row[16];
  std::memset(padding_row, static_cast<int8_t>(p.x_zero_point), sizeof(padding_row));
  const __m128i pad = _mm_loadu_si128(reinterpret_cast<const __m128i*>(padding_row));
  const Column8 padding_column = make_column(pad, pad, pad);
  const size_t c_stride = static_cast<size_t>(g.out_c);
  for (int c0 = c_begin; c0 < channels8; c0 += 8) {
    Slice8 s;
    for (int kw = 0; kw < 3; ++kw) {
      const auto w8 = [&](int kh) {
        return _mm_loadl_epi64(
            reinterpret_cast<const __m128i*>(p.w + (kh * 3 + kw) * c_stride + c0));
      };
      const Column8 w = make_column(w8(0), w8(1), w8(2));
      s.w01[kw] = w.p01;
      s.w2[kw] = w.p2;
    }
    s.bias = p.bias != nullptr
                 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.bias + c0))
                 : _mm256_setzero_si256();
    s.multiplier = p.rq.per_channel ? _mm256_loadu_ps(p.rq.multiplier + c0)
                                    : _mm256_set1_ps(p.rq.multiplier[0]);
    for (int b = 0; b < g.batch; ++b) {
      const int8_t* image = p.x + static_cast<size_t>(b) * g.in_h * g.in_w * g.in_c + c0;
      for (int oh = oh_begin; oh < oh_end; ++oh) {
        int8_t* y_row = p.y + (static_cast<size_t>(b) * g.out_h + oh) * g.out_w * c_stride + c0;
        const int8_t* rows[3];
        size_t steps[3];
        for (int t = 0; t < 3; ++t) {
          const int ih = oh * g.stride_h - g.pad_top + t * g.dilation_h;
          const bool inside = ih >= 0 && ih < g.in_h;
          rows[t] = inside ? image + static_cast<size_t>(ih) * g.in_w * g.in_c : padding_row;
          steps[t] = inside ? static_cast<size_t>(g.in_c) : 0;
        }
        if (g.stride_w == 1) {
          dw3x3_row8<1>(p, s, rows, steps, y_row, padding_column, lo, hi, zp);
        } else {
          dw3x3_row8<2>(p, s, rows, steps, y_row, padding_column, lo, hi, zp);
        }
      }
    }
  }
}

// The generic path for channels [c_begin, out_c).
void dwconv_generic(const DwConvQs8Params& p, int c_begin);

}  // namespace

void dwconv_qs8_avx2_channels(const DwConvQs8Params& p, int c_begin) {
  const ref::ConvGeometry& g = p.g;
  if (g.kernel_h == 3 && g.kernel_w == 3 && g.dilation_w == 1 &&
      (g.stride_w == 1 || g.stride_w == 2) && c_begin % 8 == 0) {
    const int channels8 = g.out_c / 8 * 8;
    dw3x3_avx2(p, c_begin, channels8);
    c_begin = std::max(c_begin, channels8);
  }
  if (c_begin < g.out_c) dwconv_generic(p, c_begin);
}

void dwconv_qs8_avx2_run(const DwConvQs8Params& p) {
  const ref::ConvGeometry& g = p.g;
  if (g.depth_multiplier != 1 || g.kernel_h * g.kernel_w > kMaxTaps) {
    dwconv_qs8_scalar.run(p);
    return;
  }
  dwconv_qs8_avx2_channels(p, 0);
}

namespace {

void dwconv_generic(const DwConvQs8Params& p, int c_begin) {
  const ref::ConvGeometry& g = p.g;
  const int taps = g.kernel_h * g.kernel_w;
  const int oh_begin = std::max(p.oh_begin, 0);
  const int oh_end = std::min(p.oh_end, g.out_h);
  const int8_t zp_in = static_cast<int8_t>(p.x_zero_point);
  const __m128i padding = _mm_set1_epi8(zp_in);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(p.rq.qmin - p.rq.zero_point));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(p.rq.qmax - p.rq.zero_point));
  const __m256i zp = _mm256_set1_epi32(p.rq.zero_point);
  const int pairs = (taps + 1) / 2;
  Chunk chunk;
  // Input pointer (or null = padding) of every tap of the current output pixel.
  const int8_t* tap_src[kMaxTaps + 1];
  for (int c0 = c_begin; c0 < g.out_c; c0 += kChunk) {
    const int valid = std::min(kChunk, g.out_c - c0);
    prepare_chunk(p, c0, taps, &chunk);
    for (int b = 0; b < g.batch; ++b) {
      const int8_t* image = p.x + static_cast<size_t>(b) * g.in_h * g.in_w * g.in_c;
      for (int oh = oh_begin; oh < oh_end; ++oh) {
        int8_t* y_row = p.y + (static_cast<size_t>(b) * g.out_h + oh) * g.out_w * g.out_c + c0;
        for (int ow = 0; ow < g.out_w; ++ow) {
          for (int kh = 0; kh < g.kernel_h; ++kh) {
            const int ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
            for (int kw = 0; kw < g.kernel_w; ++kw) {
              const int iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
              const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
              tap_src[kh * g.kernel_w + kw] =
                  inside ? image + (static_cast<size_t>(ih) * g.in_w + iw) * g.in_c + c0 : nullptr;
            }
          }
          tap_src[taps] = nullptr;  // odd tap count: the pair's second tap has zero weights
          __m256i acc[4] = {chunk.bias[0], chunk.bias[1], chunk.bias[2], chunk.bias[3]};
          for (int pair = 0; pair < pairs; ++pair) {
            for (int half = 0; half < 2; ++half) {
              const int left = valid - 16 * half;
              if (left <= 0) break;
              const int8_t* s0 = tap_src[2 * pair];
              const int8_t* s1 = tap_src[2 * pair + 1];
              const __m128i v0 = s0 != nullptr ? load16(s0 + 16 * half, left, 0) : padding;
              const __m128i v1 = s1 != nullptr ? load16(s1 + 16 * half, left, 0) : padding;
              __m256i x_lo, x_hi;
              pair16(v0, v1, &x_lo, &x_hi);
              acc[2 * half] =
                  _mm256_add_epi32(acc[2 * half], _mm256_madd_epi16(x_lo, chunk.w[pair][2 * half]));
              acc[2 * half + 1] = _mm256_add_epi32(
                  acc[2 * half + 1], _mm256_madd_epi16(x_hi, chunk.w[pair][2 * half + 1]));
            }
          }
          int8_t* dst = y_row + static_cast<size_t>(ow) * g.out_c;
          for (int half = 0; half < 2; ++half) {
            const int left = valid - 16 * half;
            if (left <= 0) break;
            const __m128i words_lo =
                requantize8(acc[2 * half], chunk.multiplier[2 * half], lo, hi, zp);
            const __m128i words_hi =
                requantize8(acc[2 * half + 1], chunk.multiplier[2 * half + 1], lo, hi, zp);
            const __m128i bytes = _mm_packs_epi16(words_lo, words_hi);
            if (left >= 16) {
              _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16 * half), bytes);
            } else {
              alignas(16) int8_t tmp[16];
              _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
              std::memcpy(dst + 16 * half, tmp, static_cast<size_t>(left));
            }
          }
        }
      }
    }
  }
}

}  // namespace

}  // namespace x86

extern const DwConvQs8Kernel dwconv_qs8_avx2 = {Isa::kAvx2, x86::dwconv_qs8_avx2_run, nullptr};

}  // namespace octet
