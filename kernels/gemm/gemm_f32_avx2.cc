// fp32 GEMM with AVX2 + FMA (gemm_f32.h). Register tile 6 rows x 16 columns (12 of the 16
// ymm registers as accumulators); A elements broadcast from memory. B (K x N) is copied
// strip by strip (16 columns x up to 256 k, 16 KiB on the stack) so the K loop reads one
// contiguous stream; C holds the partial sums between k blocks. Explicit _mm256_fmadd_ps.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/gemm/gemm_f32.h"

namespace octet {
namespace {

constexpr size_t kMr = 6;
constexpr size_t kNr = 16;
constexpr size_t kKc = 256;

inline __m256i lane_mask(size_t valid) {  // lanes [0, valid) set, valid clamped to 0..8
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<size_t>(valid, 8))),
                            index);
}

// b: packed strip, kc rows of 16 floats. first: start from the bias (else from C's partial
// sums); last: clamp (else store partial sums).
template <int MR>
void tile(const GemmF32Params& p, const float* a, const float* b, size_t kc, float* c,
          const float* bias, size_t cols, bool first, bool last) {
  const __m256i m0 = lane_mask(cols);
  const __m256i m1 = lane_mask(cols > 8 ? cols - 8 : 0);
  const __m256 bias0 = bias != nullptr ? _mm256_maskload_ps(bias, m0) : _mm256_setzero_ps();
  const __m256 bias1 = bias != nullptr ? _mm256_maskload_ps(bias + 8, m1) : _mm256_setzero_ps();
  const auto start = [&](int r, int half) {
    if (first || r >= MR) return half == 0 ? bias0 : bias1;
    return _mm256_maskload_ps(c + r * p.c_stride + 8 * half, half == 0 ? m0 : m1);
  };
  __m256 c00 = start(0, 0), c01 = start(0, 1), c10 = start(1, 0), c11 = start(1, 1);
  __m256 c20 = start(2, 0), c21 = start(2, 1), c30 = start(3, 0), c31 = start(3, 1);
  __m256 c40 = start(4, 0), c41 = start(4, 1), c50 = start(5, 0), c51 = start(5, 1);
  const size_t as = p.a_stride;
#define OCTET_ROW(r)                                  \
  if constexpr (MR > r) {                             \
    const __m256 v = _mm256_broadcast_ss(a + r * as + kk); \
    c##r##0 = _mm256_fmadd_ps(v, b0, c##r##0);        \
    c##r##1 = _mm256_fmadd_ps(v, b1, c##r##1);        \
  }
  // The strip is zero-padded to 16 columns: no masks in the K loop.
  for (size_t kk = 0; kk < kc; ++kk) {
    const __m256 b0 = _mm256_load_ps(b + kk * kNr), b1 = _mm256_load_ps(b + kk * kNr + 8);
    OCTET_ROW(0) OCTET_ROW(1) OCTET_ROW(2) OCTET_ROW(3) OCTET_ROW(4) OCTET_ROW(5)
  }
#undef OCTET_ROW
  const __m256 lo = _mm256_set1_ps(p.out_min), hi = _mm256_set1_ps(p.out_max);
  const auto store = [&](int r, __m256 v0, __m256 v1) {
    float* dst = c + r * p.c_stride;
    if (last) {
      v0 = _mm256_min_ps(_mm256_max_ps(v0, lo), hi);
      v1 = _mm256_min_ps(_mm256_max_ps(v1, lo), hi);
    }
    _mm256_maskstore_ps(dst, m0, v0);
    _mm256_maskstore_ps(dst + 8, m1, v1);
  };
  store(0, c00, c01);
  if constexpr (MR > 1) store(1, c10, c11);
  if constexpr (MR > 2) store(2, c20, c21);
  if constexpr (MR > 3) store(3, c30, c31);
  if constexpr (MR > 4) store(4, c40, c41);
  if constexpr (MR > 5) store(5, c50, c51);
}

using TileFn = void (*)(const GemmF32Params&, const float*, const float*, size_t, float*,
                        const float*, size_t, bool, bool);
constexpr TileFn kTiles[kMr] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

}  // namespace

void gemm_f32_avx2(const GemmF32Params& p) {
  if (p.m == 0 || p.n == 0) return;
  alignas(32) float strip[kKc * kNr];
  for (size_t j = 0; j < p.n; j += kNr) {
    const size_t cols = std::min(kNr, p.n - j);
    const __m256i m0 = lane_mask(cols);
    const __m256i m1 = lane_mask(cols > 8 ? cols - 8 : 0);
    const float* bias = p.bias != nullptr ? p.bias + j : nullptr;
    // K == 0: one empty block still writes bias (clamped).
    for (size_t k0 = 0; k0 < p.k || k0 == 0; k0 += kKc) {
      const size_t kc = std::min(kKc, p.k - k0);
      for (size_t kk = 0; kk < kc; ++kk) {
        const float* brow = p.b + (k0 + kk) * p.b_stride + j;
        _mm256_store_ps(strip + kk * kNr, _mm256_maskload_ps(brow, m0));
        _mm256_store_ps(strip + kk * kNr + 8, _mm256_maskload_ps(brow + 8, m1));
      }
      const bool first = k0 == 0, last = k0 + kKc >= p.k;
      for (size_t m0_row = 0; m0_row < p.m; m0_row += kMr) {
        const size_t mr = std::min(kMr, p.m - m0_row);
        kTiles[mr - 1](p, p.a + m0_row * p.a_stride + k0, strip, kc,
                       p.c + m0_row * p.c_stride + j, bias, cols, first, last);
      }
      if (p.k == 0) break;
    }
  }
}

}  // namespace octet
