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

}  // namespace

void dwconv_qs8_avx2_run(const DwConvQs8Params& p) {
  const ref::ConvGeometry& g = p.g;
  const int taps = g.kernel_h * g.kernel_w;
  if (g.depth_multiplier != 1 || taps > kMaxTaps) {
    dwconv_qs8_scalar.run(p);
    return;
  }
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
  for (int c0 = 0; c0 < g.out_c; c0 += kChunk) {
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

}  // namespace x86

extern const DwConvQs8Kernel dwconv_qs8_avx2 = {Isa::kAvx2, x86::dwconv_qs8_avx2_run, nullptr};

}  // namespace octet
