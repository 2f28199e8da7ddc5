// fp32 GEMM with AVX-512F FMA (gemm_f32.h). Register tile 8 rows x 32 columns (16 zmm
// accumulators, 2 FMA per cycle need >= 8 chains); A elements are broadcast from memory.
// B (K x N, rows N floats apart) is copied strip by strip (32 columns x up to 256 k) into
// a 32 KiB stack buffer, contiguous, so the K loop reads one stream instead of touching a
// new B row (and often the same L1 set) per k; C holds the partial sums between k blocks.
// Explicit _mm512_fmadd_ps (the build has -ffp-contract=off).
#include <immintrin.h>

#include <algorithm>

#include "kernels/gemm/gemm_f32.h"

namespace octet {
namespace {

constexpr size_t kMr = 8;
constexpr size_t kNr = 32;
constexpr size_t kKc = 256;  // k per packed strip: kKc x kNr floats = 32 KiB

// One MR x 32 tile, columns [0, cols) valid (cols <= 32). Named accumulators: GCC 12
// copies arrays of vector accumulators every loop iteration.
// b: packed strip, kc rows of 32 floats. first: start from the bias (else from C's partial
// sums); last: clamp (else store partial sums).
template <int MR>
void tile(const GemmF32Params& p, const float* a, const float* b, size_t kc, float* c,
          const float* bias, size_t cols, bool first, bool last) {
  const __mmask16 m0 = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
  const __mmask16 m1 =
      static_cast<__mmask16>(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
  const __m512 bias0 = bias != nullptr ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
  const __m512 bias1 =
      bias != nullptr ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
  const auto start = [&](int r, int half) {
    if (first || r >= MR) return half == 0 ? bias0 : bias1;
    return _mm512_maskz_loadu_ps(half == 0 ? m0 : m1, c + r * p.c_stride + 16 * half);
  };
  __m512 c00 = start(0, 0), c01 = start(0, 1), c10 = start(1, 0), c11 = start(1, 1);
  __m512 c20 = start(2, 0), c21 = start(2, 1), c30 = start(3, 0), c31 = start(3, 1);
  __m512 c40 = start(4, 0), c41 = start(4, 1), c50 = start(5, 0), c51 = start(5, 1);
  __m512 c60 = start(6, 0), c61 = start(6, 1), c70 = start(7, 0), c71 = start(7, 1);
  const size_t as = p.a_stride;
#define OCTET_ROW(r)                                           \
  if constexpr (MR > r) {                                      \
    const __m512 v = _mm512_set1_ps(a[r * as + kk]);           \
    c##r##0 = _mm512_fmadd_ps(v, b0, c##r##0);                 \
    c##r##1 = _mm512_fmadd_ps(v, b1, c##r##1);                 \
  }
  // The strip is zero-padded to 32 columns: no masks in the K loop.
  for (size_t kk = 0; kk < kc; ++kk) {
    const __m512 b0 = _mm512_load_ps(b + kk * kNr), b1 = _mm512_load_ps(b + kk * kNr + 16);
    OCTET_ROW(0) OCTET_ROW(1) OCTET_ROW(2) OCTET_ROW(3)
    OCTET_ROW(4) OCTET_ROW(5) OCTET_ROW(6) OCTET_ROW(7)
  }
#undef OCTET_ROW
  const __m512 lo = _mm512_set1_ps(p.out_min), hi = _mm512_set1_ps(p.out_max);
  const auto store = [&](int r, __m512 v0, __m512 v1) {
    float* dst = c + r * p.c_stride;
    if (last) {
      v0 = _mm512_min_ps(_mm512_max_ps(v0, lo), hi);
      v1 = _mm512_min_ps(_mm512_max_ps(v1, lo), hi);
    }
    _mm512_mask_storeu_ps(dst, m0, v0);
    _mm512_mask_storeu_ps(dst + 16, m1, v1);
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

using TileFn = void (*)(const GemmF32Params&, const float*, const float*, size_t, float*,
                        const float*, size_t, bool, bool);
constexpr TileFn kTiles[kMr] = {tile<1>, tile<2>, tile<3>, tile<4>,
                                tile<5>, tile<6>, tile<7>, tile<8>};

}  // namespace

void gemm_f32_avx512(const GemmF32Params& p) {
  if (p.m == 0 || p.n == 0) return;
  alignas(64) float strip[kKc * kNr];
  for (size_t j = 0; j < p.n; j += kNr) {
    const size_t cols = std::min(kNr, p.n - j);
    const __mmask16 m0 = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
    const __mmask16 m1 =
        static_cast<__mmask16>(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
    const float* bias = p.bias != nullptr ? p.bias + j : nullptr;
    // K == 0: one empty block still writes bias (clamped).
    for (size_t k0 = 0; k0 < p.k || k0 == 0; k0 += kKc) {
      const size_t kc = std::min(kKc, p.k - k0);
      for (size_t kk = 0; kk < kc; ++kk) {
        const float* brow = p.b + (k0 + kk) * p.b_stride + j;
        _mm512_store_ps(strip + kk * kNr, _mm512_maskz_loadu_ps(m0, brow));
        _mm512_store_ps(strip + kk * kNr + 16, _mm512_maskz_loadu_ps(m1, brow + 16));
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
