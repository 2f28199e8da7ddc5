// fp32 GEMM with AVX2 + FMA (gemm_f32.h). Register tile 6 rows x 16 columns (12 of the 16
// ymm registers as accumulators); A elements broadcast from memory, B rows read directly
// (K x N). Column panels keep the B panel in L2. Explicit _mm256_fmadd_ps.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/gemm/gemm_f32.h"

namespace octet {
namespace {

constexpr size_t kMr = 6;
constexpr size_t kNr = 16;
constexpr size_t kPanelBytes = 768 * 1024;

inline __m256i lane_mask(size_t valid) {  // lanes [0, valid) set, valid clamped to 0..8
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<size_t>(valid, 8))),
                            index);
}

template <int MR>
void tile(const GemmF32Params& p, const float* a, const float* b, float* c, const float* bias,
          size_t cols) {
  const __m256i m0 = lane_mask(cols);
  const __m256i m1 = lane_mask(cols > 8 ? cols - 8 : 0);
  const __m256 bias0 = bias != nullptr ? _mm256_maskload_ps(bias, m0) : _mm256_setzero_ps();
  const __m256 bias1 = bias != nullptr ? _mm256_maskload_ps(bias + 8, m1) : _mm256_setzero_ps();
  __m256 c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
  __m256 c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
  const size_t as = p.a_stride;
#define OCTET_ROW(r)                                  \
  if constexpr (MR > r) {                             \
    const __m256 v = _mm256_broadcast_ss(a + r * as + kk); \
    c##r##0 = _mm256_fmadd_ps(v, b0, c##r##0);        \
    c##r##1 = _mm256_fmadd_ps(v, b1, c##r##1);        \
  }
  if (cols == kNr) {
    for (size_t kk = 0; kk < p.k; ++kk) {
      const float* brow = b + kk * p.b_stride;
      const __m256 b0 = _mm256_loadu_ps(brow), b1 = _mm256_loadu_ps(brow + 8);
      OCTET_ROW(0) OCTET_ROW(1) OCTET_ROW(2) OCTET_ROW(3) OCTET_ROW(4) OCTET_ROW(5)
    }
  } else {
    for (size_t kk = 0; kk < p.k; ++kk) {
      const float* brow = b + kk * p.b_stride;
      const __m256 b0 = _mm256_maskload_ps(brow, m0), b1 = _mm256_maskload_ps(brow + 8, m1);
      OCTET_ROW(0) OCTET_ROW(1) OCTET_ROW(2) OCTET_ROW(3) OCTET_ROW(4) OCTET_ROW(5)
    }
  }
#undef OCTET_ROW
  const __m256 lo = _mm256_set1_ps(p.out_min), hi = _mm256_set1_ps(p.out_max);
  const auto store = [&](int r, __m256 v0, __m256 v1) {
    float* dst = c + r * p.c_stride;
    _mm256_maskstore_ps(dst, m0, _mm256_min_ps(_mm256_max_ps(v0, lo), hi));
    _mm256_maskstore_ps(dst + 8, m1, _mm256_min_ps(_mm256_max_ps(v1, lo), hi));
  };
  store(0, c00, c01);
  if constexpr (MR > 1) store(1, c10, c11);
  if constexpr (MR > 2) store(2, c20, c21);
  if constexpr (MR > 3) store(3, c30, c31);
  if constexpr (MR > 4) store(4, c40, c41);
  if constexpr (MR > 5) store(5, c50, c51);
}

using TileFn = void (*)(const GemmF32Params&, const float*, const float*, float*, const float*,
                        size_t);
constexpr TileFn kTiles[kMr] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

}  // namespace

void gemm_f32_avx2(const GemmF32Params& p) {
  if (p.m == 0 || p.n == 0) return;
  const size_t panel_cols =
      std::max(kNr, kPanelBytes / (std::max<size_t>(p.k, 1) * sizeof(float)) / kNr * kNr);
  for (size_t n0 = 0; n0 < p.n; n0 += panel_cols) {
    const size_t n_end = std::min(p.n, n0 + panel_cols);
    for (size_t m0 = 0; m0 < p.m; m0 += kMr) {
      const size_t mr = std::min(kMr, p.m - m0);
      for (size_t j = n0; j < n_end; j += kNr) {
        kTiles[mr - 1](p, p.a + m0 * p.a_stride, p.b + j, p.c + m0 * p.c_stride + j,
                       p.bias != nullptr ? p.bias + j : nullptr, std::min(kNr, n_end - j));
      }
    }
  }
}

}  // namespace octet
