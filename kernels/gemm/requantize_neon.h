// NEON form of common/requantize.h, byte-identical to the scalar reference:
//   y = clamp(float(acc) * m, qmin - zp, qmax - zp); round half to even; + zp.
// aarch64 rounds with vcvtnq_s32_f32. ARMv7 NEON has no rounding convert, so it adds and
// removes 1.5 * 2^23: after the clamp |y| <= 255, the add rounds y to an integer with the
// NEON fixed round-to-nearest-even mode, and the low mantissa bits of the sum are that
// integer. ARMv7 NEON flushes denormals to zero; a denormal y rounds to 0 either way.
// Only for files compiled with NEON enabled.
//
// The helpers have internal linkage (unnamed namespace) on purpose: the dotprod/i8mm files are
// compiled with a higher -march, and an out-of-line copy of a shared `inline` function emitted
// there could be the one the linker keeps for the NEON files too (SIGILL on NEON-only CPUs).
#pragma once
#include <arm_neon.h>

#include <cstdint>

namespace octet::neon {
namespace {  // NOLINT(build/namespaces): see above

struct RequantBounds {
  float32x4_t lo, hi;
  int32x4_t zero_point;
};

inline RequantBounds requant_bounds(int32_t zero_point, int32_t qmin, int32_t qmax) {
  return {vdupq_n_f32(static_cast<float>(qmin - zero_point)),
          vdupq_n_f32(static_cast<float>(qmax - zero_point)), vdupq_n_s32(zero_point)};
}

inline int32x4_t requantize(int32x4_t acc, float32x4_t multiplier, const RequantBounds& b) {
  float32x4_t y = vmulq_f32(vcvtq_f32_s32(acc), multiplier);
  y = vmaxq_f32(y, b.lo);
  y = vminq_f32(y, b.hi);
#if defined(__aarch64__)
  const int32x4_t rounded = vcvtnq_s32_f32(y);
#else
  const float32x4_t magic = vdupq_n_f32(12582912.0f);  // 1.5 * 2^23
  const int32x4_t rounded =
      vsubq_s32(vreinterpretq_s32_f32(vaddq_f32(y, magic)), vreinterpretq_s32_f32(magic));
#endif
  return vaddq_s32(rounded, b.zero_point);
}

// 8 requantized int32 (already within [qmin, qmax] ⊆ int8) -> 8 int8.
inline int8x8_t narrow_to_s8(int32x4_t lo, int32x4_t hi) {
  return vqmovn_s16(vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi)));
}

// Sums of each of 4 vectors: {sum(a), sum(b), sum(c), sum(d)}.
inline int32x4_t horizontal_sums(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
#if defined(__aarch64__)
  return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
#else
  const int32x2_t ab = vpadd_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                                 vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
  const int32x2_t cd = vpadd_s32(vpadd_s32(vget_low_s32(c), vget_high_s32(c)),
                                 vpadd_s32(vget_low_s32(d), vget_high_s32(d)));
  return vcombine_s32(ab, cd);
#endif
}

}  // namespace
}  // namespace octet::neon
