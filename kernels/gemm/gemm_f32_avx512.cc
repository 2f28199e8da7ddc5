// fp32 GEMM with AVX-512F FMA (gemm_f32.h). Register tile 8 rows x 32 columns (16 zmm
// accumulators, 2 FMA per cycle need >= 8 chains); A elements are broadcast from memory,
// B rows are read directly (K x N, no packing). Column panels keep the B panel in L2
// while all rows pass over it. Explicit _mm512_fmadd_ps (the build has -ffp-contract=off).
#include <immintrin.h>

#include <algorithm>

#include "kernels/gemm/gemm_f32.h"

namespace octet {
namespace {

constexpr size_t kMr = 8;
constexpr size_t kNr = 32;
constexpr size_t kPanelBytes = 768 * 1024;

// One MR x 32 tile, columns [0, cols) valid (cols <= 32). Named accumulators: GCC 12
// copies arrays of vector accumulators every loop iteration.
template <int MR>
void tile(const GemmF32Params& p, const float* a, const float* b, float* c, const float* bias,
          size_t cols) {
  const __mmask16 m0 = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
  const __mmask16 m1 =
      static_cast<__mmask16>(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
  const __m512 bias0 = bias != nullptr ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
  const __m512 bias1 =
      bias != nullptr ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
  __m512 c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
  __m512 c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
  __m512 c60 = bias0, c61 = bias1, c70 = bias0, c71 = bias1;
  const size_t as = p.a_stride;
#define OCTET_ROW(r)                                           \
  if constexpr (MR > r) {                                      \
    const __m512 v = _mm512_set1_ps(a[r * as + kk]);           \
    c##r##0 = _mm512_fmadd_ps(v, b0, c##r##0);                 \
    c##r##1 = _mm512_fmadd_ps(v, b1, c##r##1);                 \
  }
  if (cols == kNr) {
    for (size_t kk = 0; kk < p.k; ++kk) {
      const float* brow = b + kk * p.b_stride;
      const __m512 b0 = _mm512_loadu_ps(brow), b1 = _mm512_loadu_ps(brow + 16);
      OCTET_ROW(0) OCTET_ROW(1) OCTET_ROW(2) OCTET_ROW(3)
      OCTET_ROW(4) OCTET_ROW(5) OCTET_ROW(6) OCTET_ROW(7)
    }
  } else {
    for (size_t kk = 0; kk < p.k; ++kk) {
      const float* brow = b + kk * p.b_stride;
      const __m512 b0 = _mm512_maskz_loadu_ps(m0, brow);
      const __m512 b1 = _mm512_maskz_loadu_ps(m1, brow + 16);
      OCTET_ROW(0) OCTET_ROW(1) OCTET_ROW(2) OCTET_ROW(3)
      OCTET_ROW(4) OCTET_ROW(5) OCTET_ROW(6) OCTET_ROW(7)
    }
  }
#undef OCTET_ROW
  const __m512 lo = _mm512_set1_ps(p.out_min), hi = _mm512_set1_ps(p.out_max);
  const auto store = [&](int r, __m512 v0, __m512 v1) {
    float* dst = c + r * p.c_stride;
    _mm512_mask_storeu_ps(dst, m0, _mm512_min_ps(_mm512_max_ps(v0, lo), hi));
    _mm512_mask_storeu_ps(dst + 16, m1, _mm512_min_ps(_mm512_max_ps(v1, lo), hi));
  };
  store(0, c00, c01);
  if constexpr (MR > 1) store(1, c10, c11);
  if constexpr (MR > 2) store(2, c20, c21);
  if constexpr (MR > 3) store(3, c30, c31);
  if constexpr (MR > 4) store(4, c40, c41);
  if constexpr (MR > 5) store(5, c50, c51);
  if constexpr (MR > 6) store(6, c60, c61);
  if constexpr (MR > 7) store(7, c70, c71);
}

using TileFn = void (*)(const GemmF32Params&, const float*, const float*, float*, const float*,
                        size_t);
constexpr TileFn kTiles[kMr] = {tile<1>, tile<2>, tile<3>, tile<4>,
                                tile<5>, tile<6>, tile<7>, tile<8>};

}  // namespace

void gemm_f32_avx512(const GemmF32Params& p) {
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
