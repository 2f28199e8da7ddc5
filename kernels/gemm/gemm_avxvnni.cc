// qs8-qc8w GEMM with AVX-VNNI (VEX vpdpbusd on ymm; Alder Lake / Sapphire Rapids and later,
// also CPUs with AVX-VNNI but no AVX-512). Compiled with -mavx2 -mfma -mavxvnni.
//
// Reads the X86Vnni packing (pack_x86.h) as two 8-column halves per 16-column block.
// Register tile: MR rows x 2 halves (6 x 2 = 12 ymm accumulators of the 16 registers);
// single-row shapes use 4 blocks x 2 halves. A is broadcast 4 bytes at a time as the signed
// operand of vpdpbusd, the packed weights (w + 128) are the unsigned one, and 128 * (row
// sum of A) comes off the bias (see pack_x86.h). Requantization follows
// requantize() exactly (mulps, maxps/minps clamp, cvtps2dq round-to-nearest-even).
#include <immintrin.h>

#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/pack_x86.h"

namespace octet {
namespace {

using x86_pack::kVnniNr;
constexpr size_t kHalf = 8;

struct Epilogue {
  __m256 lo, hi;
  __m256i zero_point;
};

inline __m256i broadcast_a(const int8_t* a, size_t bytes) {
  int32_t v = 0;
  std::memcpy(&v, a, bytes);
  return _mm256_set1_epi32(v);
}

// 128 * sum_k a[k] (modulo 2^32, like the accumulators), the correction for w + 128.
inline int32_t row_correction(const int8_t* a, size_t k) {
  const __m256i ones = _mm256_set1_epi8(1);
  __m256i sum = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 32 <= k; i += 32) {
    sum = _mm256_dpbusd_avx_epi32(sum, ones,
                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)));
  }
  if (i < k) {
    alignas(32) int8_t tail[32] = {};
    std::memcpy(tail, a + i, k - i);
    sum = _mm256_dpbusd_avx_epi32(sum, ones, _mm256_load_si256(reinterpret_cast<const __m256i*>(tail)));
  }
  const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
  const __m128i s2 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
  const __m128i s1 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, 0xB1));
  return static_cast<int32_t>(128u * static_cast<uint32_t>(_mm_cvtsi128_si32(s1)));
}

inline __m256i requantize8(__m256i acc, __m256 multiplier, const Epilogue& e) {
  __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), multiplier);
  y = _mm256_min_ps(_mm256_max_ps(y, e.lo), e.hi);
  return _mm256_add_epi32(_mm256_cvtps_epi32(y), e.zero_point);
}

// 16 int32 (two halves, already in [qmin, qmax]) -> 16 int8 in column order.
inline __m128i narrow16(__m256i lo, __m256i hi) {
  const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
}

template <int MR, int NB, int KS>
void tile(const GemmQs8Params& p, const int8_t* a, int8_t* c, const uint8_t* block,
          size_t block_bytes, size_t col0, size_t cols, const Epilogue& e,
          const int32_t* correction) {
  constexpr int NH = NB * 2;  // 8-column halves
  const int8_t* w[NB];
  __m256i acc[KS][MR][NH];
  for (int b = 0; b < NB; ++b) {
    const uint8_t* blk = block + b * block_bytes;
    const __m256i bias_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk));
    const __m256i bias_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 32));
    w[b] = reinterpret_cast<const int8_t*>(blk + kVnniNr * sizeof(int32_t));
    for (int r = 0; r < MR; ++r) {
      const __m256i corr = _mm256_set1_epi32(correction[r]);
      acc[0][r][2 * b] = _mm256_sub_epi32(bias_lo, corr);
      acc[0][r][2 * b + 1] = _mm256_sub_epi32(bias_hi, corr);
      for (int s = 1; s < KS; ++s) {
        acc[s][r][2 * b] = _mm256_setzero_si256();
        acc[s][r][2 * b + 1] = _mm256_setzero_si256();
      }
    }
  }
  const size_t k = p.k;
  const size_t groups = (k + 3) / 4;
  const size_t full_groups = k / 4;
  const size_t group_bytes = kVnniNr * 4;
  size_t g = 0;
  for (; g + KS <= full_groups; g += KS) {
#pragma GCC unroll 2
    for (int s = 0; s < KS; ++s) {
      __m256i wv[NH];
#pragma GCC unroll 8
      for (int h = 0; h < NH; ++h) {
        wv[h] = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(w[h / 2] + (g + s) * group_bytes + (h % 2) * 32));
      }
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m256i av = broadcast_a(a + r * p.a_stride + (g + s) * 4, 4);
#pragma GCC unroll 8
        for (int h = 0; h < NH; ++h) acc[s][r][h] = _mm256_dpbusd_avx_epi32(acc[s][r][h], wv[h], av);
      }
    }
  }
  for (; g < groups; ++g) {
    const size_t bytes = g < full_groups ? 4 : k % 4;
    __m256i wv[NH];
    for (int h = 0; h < NH; ++h) {
      wv[h] = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(w[h / 2] + g * group_bytes + (h % 2) * 32));
    }
    for (int r = 0; r < MR; ++r) {
      const __m256i av = broadcast_a(a + r * p.a_stride + g * 4, bytes);
      for (int h = 0; h < NH; ++h) acc[0][r][h] = _mm256_dpbusd_avx_epi32(acc[0][r][h], wv[h], av);
    }
  }
  for (int s = 1; s < KS; ++s) {
    for (int r = 0; r < MR; ++r) {
      for (int h = 0; h < NH; ++h) acc[0][r][h] = _mm256_add_epi32(acc[0][r][h], acc[s][r][h]);
    }
  }
  for (int b = 0; b < NB; ++b) {
    const size_t col = col0 + b * kVnniNr;
    if (b * kVnniNr >= cols) break;
    const size_t valid = cols - b * kVnniNr < kVnniNr ? cols - b * kVnniNr : kVnniNr;
    __m256 mult_lo, mult_hi;
    if (!p.per_channel) {
      mult_lo = mult_hi = _mm256_set1_ps(p.multiplier[0]);
    } else if (valid == kVnniNr) {
      mult_lo = _mm256_loadu_ps(p.multiplier + col);
      mult_hi = _mm256_loadu_ps(p.multiplier + col + kHalf);
    } else {
      float m[kVnniNr] = {};
      std::memcpy(m, p.multiplier + col, valid * sizeof(float));
      mult_lo = _mm256_loadu_ps(m);
      mult_hi = _mm256_loadu_ps(m + kHalf);
    }
    for (int r = 0; r < MR; ++r) {
      const __m128i out = narrow16(requantize8(acc[0][r][2 * b], mult_lo, e),
                                   requantize8(acc[0][r][2 * b + 1], mult_hi, e));
      int8_t* dst = c + r * p.c_stride + col;
      if (valid == kVnniNr) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), out);
      } else {
        alignas(16) int8_t tmp[kVnniNr];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), out);
        std::memcpy(dst, tmp, valid);
      }
    }
  }
}

using TileFn = void (*)(const GemmQs8Params&, const int8_t*, int8_t*, const uint8_t*, size_t,
                        size_t, size_t, const Epilogue&, const int32_t*);

constexpr int kMr = 6;
constexpr TileFn kTiles[kMr] = {tile<1, 1, 2>, tile<2, 1, 2>, tile<3, 1, 1>,
                                tile<4, 1, 1>, tile<5, 1, 1>, tile<6, 1, 1>};
constexpr int kGemvNb = 4;
constexpr TileFn kGemvTiles[kGemvNb] = {tile<1, 1, 2>, tile<1, 2, 2>, tile<1, 3, 1>,
                                        tile<1, 4, 1>};

void gemm_qs8_avxvnni_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  Epilogue e;
  e.lo = _mm256_set1_ps(static_cast<float>(p.qmin - p.zero_point));
  e.hi = _mm256_set1_ps(static_cast<float>(p.qmax - p.zero_point));
  e.zero_point = _mm256_set1_epi32(p.zero_point);
  const size_t block_bytes = x86_pack::vnni_block_bytes(p.k);
  const uint8_t* packed = static_cast<const uint8_t*>(p.packed);
  const size_t block_begin = p.n_begin / kVnniNr;
  const size_t block_end = (p.n_end + kVnniNr - 1) / kVnniNr;
  const size_t nb_max = p.m == 1 ? kGemvNb : 1;
  for (size_t m0 = 0; m0 < p.m; m0 += kMr) {
    const size_t mr = p.m - m0 < kMr ? p.m - m0 : kMr;
    const int8_t* a = p.a + m0 * p.a_stride;
    int8_t* c = p.c + m0 * p.c_stride;
    int32_t correction[kMr];
    for (size_t r = 0; r < mr; ++r) correction[r] = row_correction(a + r * p.a_stride, p.k);
    for (size_t b = block_begin; b < block_end; b += nb_max) {
      const size_t nb = block_end - b < nb_max ? block_end - b : nb_max;
      const size_t col0 = b * kVnniNr;
      const size_t cols = (col0 + nb * kVnniNr < p.n_end ? col0 + nb * kVnniNr : p.n_end) - col0;
      const TileFn fn = p.m == 1 ? kGemvTiles[nb - 1] : kTiles[mr - 1];
      fn(p, a, c, packed + b * block_bytes, block_bytes, col0, cols, e, correction);
    }
  }
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_avxvnni = {Isa::kAvxVnni, PackFamily::kX86Vnni, kVnniNr,
                                               gemm_qs8_avxvnni_run};

}  // namespace octet
