// Float kernels with AVX-512F + FMA (zmm, 16 lanes; masked loads for tails). Compiled with
// -mavx512f -mfma; used for the avx512vnni ISA, whose detection implies AVX-512F.
#include <immintrin.h>

#include "kernels/f32/f32.h"
#include "kernels/f32/f32_impl.h"
#include "kernels/f32/f32_x86_quad.h"

namespace octet::f32_impl {
namespace {

struct Avx512 : X86Quad {
  using V = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kMR = 8;  // 8 pixels x 32 channels: 16 zmm accumulators (12 run out of GPRs)
  static constexpr int kMR1 = 8;  // last tile of <= 16 channels (12 measured slower)
  static __mmask16 mask(int n) { return static_cast<__mmask16>((1u << n) - 1); }
  static V zero() { return _mm512_setzero_ps(); }
  static V dup(float v) { return _mm512_set1_ps(v); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V load_partial(const float* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static V fma(V a, V b, V acc) { return _mm512_fmadd_ps(a, b, acc); }
  static V vmin(V a, V b) { return _mm512_min_ps(a, b); }
  static V vmax(V a, V b) { return _mm512_max_ps(a, b); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void store_partial(float* p, V v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
  // Horizontal sums of a, b, c, d: fold 512 -> 128 bits while interleaving, then hadd.
  static Q reduce4(V a, V b, V c, V d) {
    // 128-bit chunks: [a0+a2, a1+a3, b0+b2, b1+b3] and the same for c, d.
    const V ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    const V cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
    // [a, b, c, d] partials of 4 lanes each.
    const V abcd =
        _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
    const Q qa = _mm512_castps512_ps128(abcd);
    const Q qb = _mm512_extractf32x4_ps(abcd, 1);
    const Q qc = _mm512_extractf32x4_ps(abcd, 2);
    const Q qd = _mm512_extractf32x4_ps(abcd, 3);
    return _mm_hadd_ps(_mm_hadd_ps(qa, qb), _mm_hadd_ps(qc, qd));
  }
};

}  // namespace
}  // namespace octet::f32_impl

namespace octet {

const F32Kernels* f32_kernels_avx512() {
  static const F32Kernels kernels = {"avx512", f32_impl::conv2d<f32_impl::Avx512>,
                                     f32_impl::dwconv2d<f32_impl::Avx512>,
                                     f32_impl::fully_connected<f32_impl::Avx512>};
  return &kernels;
}

}  // namespace octet
