// The 4-float (SSE) half of the x86 float-kernel traits: epilogue of a tile (bias, clamp,
// store of up to 4 output channels). Included by f32_avx2.cc and f32_avx512.cc only.
#pragma once
#include <immintrin.h>

namespace octet::f32_impl {

struct X86Quad {
  using Q = __m128;
  static Q qload(const float* p) { return _mm_loadu_ps(p); }
  static Q qadd(Q a, Q b) { return _mm_add_ps(a, b); }
  static Q qmin(Q a, Q b) { return _mm_min_ps(a, b); }
  static Q qmax(Q a, Q b) { return _mm_max_ps(a, b); }
  static Q qdup(float v) { return _mm_set1_ps(v); }
  static void qstore(float* p, Q v) { _mm_storeu_ps(p, v); }
  static void transpose4(Q& a, Q& b, Q& c, Q& d) { _MM_TRANSPOSE4_PS(a, b, c, d); }
  static void qstore_partial(float* p, Q v, int n) {
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, v);
    for (int i = 0; i < n; ++i) p[i] = lanes[i];
  }
};

}  // namespace octet::f32_impl
