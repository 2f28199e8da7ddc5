// The one requantization scheme of Octet (see DESIGN.md). Every ISA path must
// reproduce these exact bytes: fp32 multiply (no FMA contraction), clamp in
// float, round half to even, add the zero point.
#pragma once
#include <cmath>
#include <cstdint>

namespace octet {
// Internal linkage on purpose: files built with different -m/-march flags include this header,
// and an out-of-line copy (e.g. at -O0) compiled for AVX-512 must never be shared with the
// scalar path through the linker's choice of one inline definition.
namespace {  // NOLINT(build/namespaces)

// Round half to even for |x| < 2^22 (every caller clamps to the 8-bit output range first):
// adding and subtracting 1.5 * 2^23 leaves x rounded to an integer under the default
// nearest-even mode, the same value std::nearbyint gives, as two float ops that compilers
// inline and vectorize instead of a libm call per element.
inline int32_t round_half_even(float x) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return static_cast<int32_t>((x + kMagic) - kMagic);
}

// acc: int32 accumulator (bias already folded in). Returns a value in [qmin, qmax].
inline int32_t requantize(int32_t acc, float multiplier, int32_t zero_point, int32_t qmin,
                          int32_t qmax) {
  float y = static_cast<float>(acc) * multiplier;
  const float lo = static_cast<float>(qmin - zero_point);
  const float hi = static_cast<float>(qmax - zero_point);
  y = y < lo ? lo : y;
  y = y > hi ? hi : y;
  return round_half_even(y) + zero_point;
}

// Float -> quantized, used by Quantize and by every op that computes in float
// before quantizing (Add, Mul, pooling with rescale, Softmax).
inline int32_t quantize_float(float y_over_scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  const float lo = static_cast<float>(qmin - zero_point);
  const float hi = static_cast<float>(qmax - zero_point);
  float y = y_over_scale;
  y = y < lo ? lo : y;
  y = y > hi ? hi : y;
  y = (y != y) ? 0.0f : y;  // NaN -> zero point
  return round_half_even(y) + zero_point;
}

}  // namespace
}  // namespace octet
