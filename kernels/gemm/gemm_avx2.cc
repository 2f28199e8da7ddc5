// qs8-qc8w GEMM with AVX2 (no VNNI). Compiled with -mavx2 -mfma.
//
// No vpmaddubsw (its int16 saturation would break exactness): the X86Avx2 packing holds the
// weights as int16 even/odd k pairs (pack_x86.h); 4 broadcast A bytes are split into
// sign-extended even/odd int16 pairs with two shifts, and two vpmaddwd per 8 columns and
// 4 k give exact int32 sums. Register tile 4 rows x 2 blocks of 8 columns.
// Requantization follows requantize() exactly.
#include <immintrin.h>

#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/pack_x86.h"

namespace octet {
namespace {

using x86_pack::kAvx2Nr;

struct Epilogue {
  __m256 lo, hi;
  __m256i zero_point;
};

inline __m256i broadcast_a(const int8_t* a, size_t bytes) {
  int32_t v = 0;
  std::memcpy(&v, a, bytes);
  return _mm256_set1_epi32(v);
}

inline __m128i requantize8(__m256i acc, __m256 multiplier, const Epilogue& e) {
  __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), multiplier);
  y = _mm256_min_ps(_mm256_max_ps(y, e.lo), e.hi);
  const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(y), e.zero_point);
  const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  return _mm_packs_epi16(words, words);  // low 8 bytes
}

template <int MR, int NB>
void tile(const GemmQs8Params& p, const int8_t* a, int8_t* c, const uint8_t* block,
          size_t block_bytes, size_t col0, size_t cols, const Epilogue& e) {
  const int16_t* w[NB];
  __m256i acc[MR][NB];
  for (int b = 0; b < NB; ++b) {
    const uint8_t* blk = block + b * block_bytes;
    const __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk));
    w[b] = reinterpret_cast<const int16_t*>(blk + kAvx2Nr * sizeof(int32_t));
    for (int r = 0; r < MR; ++r) acc[r][b] = bias;
  }
  const size_t k = p.k;
  const size_t groups = (k + 3) / 4;
  const size_t full_groups = k / 4;
  constexpr size_t kGroupWords = kAvx2Nr * 2 * 2;  // even + odd, 8 columns, 2 slots
  for (size_t g = 0; g < groups; ++g) {
    const size_t bytes = g < full_groups ? 4 : k % 4;
    __m256i w_even[NB], w_odd[NB];
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b) {
      const int16_t* wg = w[b] + g * kGroupWords;
      w_even[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg));
      w_odd[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg + 16));
    }
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256i x = broadcast_a(a + r * p.a_stride + g * 4, bytes);
      const __m256i a_even = _mm256_srai_epi16(_mm256_slli_epi16(x, 8), 8);  // a0, a2
      const __m256i a_odd = _mm256_srai_epi16(x, 8);                          // a1, a3
#pragma GCC unroll 4
      for (int b = 0; b < NB; ++b) {
        const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(a_even, w_even[b]),
                                             _mm256_madd_epi16(a_odd, w_odd[b]));
        acc[r][b] = _mm256_add_epi32(acc[r][b], sum);
      }
    }
  }
  for (int b = 0; b < NB; ++b) {
    if (b * kAvx2Nr >= cols) break;
    const size_t col = col0 + b * kAvx2Nr;
    const size_t valid = cols - b * kAvx2Nr < kAvx2Nr ? cols - b * kAvx2Nr : kAvx2Nr;
    __m256 multiplier;
    if (!p.per_channel) {
      multiplier = _mm256_set1_ps(p.multiplier[0]);
    } else if (valid == kAvx2Nr) {
      multiplier = _mm256_loadu_ps(p.multiplier + col);
    } else {
      float m[kAvx2Nr] = {};
      std::memcpy(m, p.multiplier + col, valid * sizeof(float));
      multiplier = _mm256_loadu_ps(m);
    }
    for (int r = 0; r < MR; ++r) {
      const __m128i out = requantize8(acc[r][b], multiplier, e);
      int8_t* dst = c + r * p.c_stride + col;
      if (valid == kAvx2Nr) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), out);
      } else {
        alignas(16) int8_t tmp[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), out);
        std::memcpy(dst, tmp, valid);
      }
    }
  }
}

using TileFn = void (*)(const GemmQs8Params&, const int8_t*, int8_t*, const uint8_t*, size_t,
                        size_t, size_t, const Epilogue&);

constexpr int kMr = 4;
constexpr int kNb = 2;
constexpr TileFn kTiles[kMr][kNb] = {{tile<1, 1>, tile<1, 2>},
                                     {tile<2, 1>, tile<2, 2>},
                                     {tile<3, 1>, tile<3, 2>},
                                     {tile<4, 1>, tile<4, 2>}};
constexpr int kGemvNb = 4;
constexpr TileFn kGemvTiles[kGemvNb] = {tile<1, 1>, tile<1, 2>, tile<1, 3>, tile<1, 4>};

void gemm_qs8_avx2_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  Epilogue e;
  e.lo = _mm256_set1_ps(static_cast<float>(p.qmin - p.zero_point));
  e.hi = _mm256_set1_ps(static_cast<float>(p.qmax - p.zero_point));
  e.zero_point = _mm256_set1_epi32(p.zero_point);
  const size_t block_bytes = x86_pack::avx2_block_bytes(p.k);
  const uint8_t* packed = static_cast<const uint8_t*>(p.packed);
  const size_t block_begin = p.n_begin / kAvx2Nr;
  const size_t block_end = (p.n_end + kAvx2Nr - 1) / kAvx2Nr;
  const size_t nb_max = p.m == 1 ? kGemvNb : kNb;
  for (size_t m0 = 0; m0 < p.m; m0 += kMr) {
    const size_t mr = p.m - m0 < kMr ? p.m - m0 : kMr;
    const int8_t* a = p.a + m0 * p.a_stride;
    int8_t* c = p.c + m0 * p.c_stride;
    for (size_t b = block_begin; b < block_end; b += nb_max) {
      const size_t nb = block_end - b < nb_max ? block_end - b : nb_max;
      const size_t col0 = b * kAvx2Nr;
      const size_t cols = (col0 + nb * kAvx2Nr < p.n_end ? col0 + nb * kAvx2Nr : p.n_end) - col0;
      const TileFn fn = p.m == 1 ? kGemvTiles[nb - 1] : kTiles[mr - 1][nb - 1];
      fn(p, a, c, packed + b * block_bytes, block_bytes, col0, cols, e);
    }
  }
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_avx2 = {Isa::kAvx2, PackFamily::kX86Avx2, kAvx2Nr,
                                            gemm_qs8_avx2_run};

}  // namespace octet
