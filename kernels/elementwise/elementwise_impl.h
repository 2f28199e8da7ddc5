// Internal to kernels/elementwise: the per-ISA kernel entry points and the scalar forms of
// the reference formulas, which the scalar kernels use and the SIMD kernels use for the
// elements that do not fill a vector. Every file including this one is compiled with
// -ffp-contract=off, so these are the reference's fp32 operations exactly.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common/requantize.h"
#include "kernels/elementwise/elementwise.h"

namespace octet {

#define OCTET_DECLARE_ELEMENTWISE_KERNELS(isa)                                                 \
  void qs8_vbinary_##isa(BinaryQs8Op op, size_t n, const int8_t* a, size_t a_step,             \
                         const int8_t* b, size_t b_step, const BinaryQs8Params& p, int8_t* y); \
  void qs8_maxpool_##isa(const PoolQs8Pixel& p);                                               \
  void qs8_avgpool_##isa(const PoolQs8Pixel& p);                                               \
  void x8_lut_##isa(size_t n, const int8_t* x, const int8_t* table, int8_t* y);

OCTET_DECLARE_ELEMENTWISE_KERNELS(scalar)
#ifdef OCTET_HAVE_AVX2
OCTET_DECLARE_ELEMENTWISE_KERNELS(avx2)
#endif
#ifdef OCTET_HAVE_AVX512VNNI
OCTET_DECLARE_ELEMENTWISE_KERNELS(avx512)
#endif
#ifdef OCTET_HAVE_NEON
OCTET_DECLARE_ELEMENTWISE_KERNELS(neon)
#endif

namespace elementwise {
// Internal linkage on purpose (as kernels/gemm/requantize_neon.h): these are compiled into
// files with different -m flags, and a shared out-of-line `inline` copy emitted by an AVX
// file could be the one the linker keeps for the scalar kernels too.
namespace {  // NOLINT(build/namespaces): see above

// quantize_float() with the bounds precomputed: clamp, NaN -> 0, round half even, + zy.
inline int8_t quantize_value(float value, float lo, float hi, int32_t y_zero_point) {
  value = value < lo ? lo : value;
  value = value > hi ? hi : value;
  value = (value != value) ? 0.0f : value;
  return static_cast<int8_t>(round_half_even(value) + y_zero_point);
}

inline int8_t binary_value(BinaryQs8Op op, int8_t a, int8_t b, const BinaryQs8Params& p) {
  const int32_t a_centered = static_cast<int32_t>(a) - p.a_zero_point;
  const int32_t b_centered = static_cast<int32_t>(b) - p.b_zero_point;
  float value;
  if (op == BinaryQs8Op::kAdd) {
    value = static_cast<float>(a_centered) * p.a_multiplier +
            static_cast<float>(b_centered) * p.b_multiplier;
  } else if (op == BinaryQs8Op::kSub) {
    value = static_cast<float>(a_centered) * p.a_multiplier -
            static_cast<float>(b_centered) * p.b_multiplier;
  } else {
    value = static_cast<float>(a_centered * b_centered) * p.product_multiplier;
  }
  return quantize_value(value, p.lo, p.hi, p.y_zero_point);
}

inline void binary_rows(BinaryQs8Op op, size_t begin, size_t n, const int8_t* a, size_t a_step,
                        const int8_t* b, size_t b_step, const BinaryQs8Params& p, int8_t* y) {
  for (size_t i = begin; i < n; ++i) y[i] = binary_value(op, a[i * a_step], b[i * b_step], p);
}

// Channels [c_begin, channels) of one max-pool pixel.
inline void max_pool_channels(const PoolQs8Pixel& p, size_t c_begin) {
  for (size_t c = c_begin; c < p.channels; ++c) {
    int32_t max_value = p.x_zero_point;  // empty window: the real value 0
    bool any = false;
    for (int r = 0; r < p.rows; ++r) {
      const int8_t* row = p.x + r * p.row_stride;
      for (int col = 0; col < p.cols; ++col) {
        const int32_t v = row[col * p.channels + c];
        max_value = any ? (v > max_value ? v : max_value) : v;
        any = true;
      }
    }
    const float value = static_cast<float>(max_value - p.x_zero_point) * p.multiplier;
    p.y[c] = quantize_value(value, p.lo, p.hi, p.y_zero_point);
  }
}

// Channels [c_begin, channels) of one average-pool pixel.
inline void avg_pool_channels(const PoolQs8Pixel& p, size_t c_begin) {
  for (size_t c = c_begin; c < p.channels; ++c) {
    int32_t sum = 0;
    for (int r = 0; r < p.rows; ++r) {
      const int8_t* row = p.x + r * p.row_stride;
      for (int col = 0; col < p.cols; ++col) sum += row[col * p.channels + c];
    }
    const float value = static_cast<float>(sum + p.sum_bias) * p.multiplier;
    p.y[c] = quantize_value(value, p.lo, p.hi, p.y_zero_point);
  }
}

inline void lut_range(size_t begin, size_t n, const int8_t* x, const int8_t* table, int8_t* y) {
  for (size_t i = begin; i < n; ++i) {
    y[i] = table[static_cast<uint8_t>(static_cast<int32_t>(x[i]) + 128)];
  }
}

}  // namespace
}  // namespace elementwise
}  // namespace octet
