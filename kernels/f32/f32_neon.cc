// Float kernels with NEON (q registers, 4 lanes) for aarch64 and armhf (NEON + VFPv4: fused
// vfmaq_f32; without VFPv4 the separate multiply-add vmlaq_f32).
#include <arm_neon.h>

#include "kernels/f32/f32.h"
#include "kernels/f32/f32_impl.h"

namespace octet::f32_impl {
namespace {

struct Neon {
  using V = float32x4_t;
  using Q = float32x4_t;
  static constexpr int kLanes = 4;
#if defined(__aarch64__)
  static constexpr int kMR = 8;  // 8 pixels x 8 channels: 16 of the 32 q registers
  static constexpr int kMR1 = 8;
#else
  static constexpr int kMR = 4;  // armhf has 16 q registers
  static constexpr int kMR1 = 4;
#endif
  static V zero() { return vdupq_n_f32(0.0f); }
  static V dup(float v) { return vdupq_n_f32(v); }
  static V load(const float* p) { return vld1q_f32(p); }
  // No masked loads: only the n valid floats are read (n < 4).
  static V load_partial(const float* p, int n) {
    V v = vdupq_n_f32(0.0f);
    v = vld1q_lane_f32(p, v, 0);
    if (n > 1) v = vld1q_lane_f32(p + 1, v, 1);
    if (n > 2) v = vld1q_lane_f32(p + 2, v, 2);
    return v;
  }
  static V fma(V a, V b, V acc) {
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
    return vfmaq_f32(acc, a, b);
#else
    return vmlaq_f32(acc, a, b);
#endif
  }
  static V vmin(V a, V b) { return vminq_f32(a, b); }
  static V vmax(V a, V b) { return vmaxq_f32(a, b); }
  static void store(float* p, V v) { vst1q_f32(p, v); }
  static void store_partial(float* p, V v, int n) {
    vst1q_lane_f32(p, v, 0);
    if (n > 1) vst1q_lane_f32(p + 1, v, 1);
    if (n > 2) vst1q_lane_f32(p + 2, v, 2);
  }
  static Q reduce4(V a, V b, V c, V d) {
#if defined(__aarch64__)
    return vpaddq_f32(vpaddq_f32(a, b), vpaddq_f32(c, d));
#else
    const float32x2_t ha = vadd_f32(vget_low_f32(a), vget_high_f32(a));
    const float32x2_t hb = vadd_f32(vget_low_f32(b), vget_high_f32(b));
    const float32x2_t hc = vadd_f32(vget_low_f32(c), vget_high_f32(c));
    const float32x2_t hd = vadd_f32(vget_low_f32(d), vget_high_f32(d));
    return vcombine_f32(vpadd_f32(ha, hb), vpadd_f32(hc, hd));
#endif
  }
  static Q qload(const float* p) { return vld1q_f32(p); }
  static Q qadd(Q a, Q b) { return vaddq_f32(a, b); }
  static Q qmin(Q a, Q b) { return vminq_f32(a, b); }
  static Q qmax(Q a, Q b) { return vmaxq_f32(a, b); }
  static Q qdup(float v) { return vdupq_n_f32(v); }
  static void qstore(float* p, Q v) { vst1q_f32(p, v); }
  static void transpose4(Q& a, Q& b, Q& c, Q& d) {
    const float32x4x2_t ab = vtrnq_f32(a, b);  // [a0 b0 a2 b2], [a1 b1 a3 b3]
    const float32x4x2_t cd = vtrnq_f32(c, d);  // [c0 d0 c2 d2], [c1 d1 c3 d3]
    a = vcombine_f32(vget_low_f32(ab.val[0]), vget_low_f32(cd.val[0]));
    b = vcombine_f32(vget_low_f32(ab.val[1]), vget_low_f32(cd.val[1]));
    c = vcombine_f32(vget_high_f32(ab.val[0]), vget_high_f32(cd.val[0]));
    d = vcombine_f32(vget_high_f32(ab.val[1]), vget_high_f32(cd.val[1]));
  }
  static void qstore_partial(float* p, Q v, int n) { store_partial(p, v, n); }
};

}  // namespace
}  // namespace octet::f32_impl

namespace octet {

const F32Kernels* f32_kernels_neon() {
  static const F32Kernels kernels = {"neon", f32_impl::conv2d<f32_impl::Neon>,
                                     f32_impl::dwconv2d<f32_impl::Neon>,
                                     f32_impl::fully_connected<f32_impl::Neon>};
  return &kernels;
}

}  // namespace octet
