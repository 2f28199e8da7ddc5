// Float kernels with AVX2 + FMA (ymm, 8 lanes; vmaskmovps for tails). Compiled with
// -mavx2 -mfma; used for the avx2 and avxvnni ISAs (their detection requires FMA).
#include <immintrin.h>

#include <cstdint>

#include "kernels/f32/f32.h"
#include "kernels/f32/f32_impl.h"
#include "kernels/f32/f32_x86_quad.h"

namespace octet::f32_impl {
namespace {

// mask(n) = 8 lanes starting at kMaskWindow + 8 - n: n lanes of -1 then zeros.
alignas(64) constexpr int32_t kMaskWindow[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};

struct Avx2 : X86Quad {
  using V = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kMR = 5;   // 5 pixels x 16 channels: 10 ymm accumulators (6 spills)
  static constexpr int kMR1 = 5;  // last tile of <= 8 channels (8 measured slower)
  static __m256i mask(int n) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskWindow + 8 - n));
  }
  static V zero() { return _mm256_setzero_ps(); }
  static V dup(float v) { return _mm256_set1_ps(v); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V load_partial(const float* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
  static V fma(V a, V b, V acc) { return _mm256_fmadd_ps(a, b, acc); }
  static V vmin(V a, V b) { return _mm256_min_ps(a, b); }
  static V vmax(V a, V b) { return _mm256_max_ps(a, b); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void store_partial(float* p, V v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
  static Q reduce4(V a, V b, V c, V d) {
    // [a01 a23 b01 b23 | a45 a67 b45 b67] ... -> [a b c d | a' b' c' d'], then fold halves.
    const V abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
  }
};

}  // namespace
}  // namespace octet::f32_impl

namespace octet {

const F32Kernels* f32_kernels_avx2() {
  static const F32Kernels kernels = {"avx2", f32_impl::conv2d<f32_impl::Avx2>,
                                     f32_impl::dwconv2d<f32_impl::Avx2>,
                                     f32_impl::fully_connected<f32_impl::Avx2>};
  return &kernels;
}

}  // namespace octet
