// SIMD int8 elementwise kernels: Add / Sub / Mul (same shape, or one operand broadcast
// along the innermost dimension), MaxPool / AveragePool / spatial Mean (NHWC, channels
// vectorized) and 256-entry int8 lookup tables (Logistic, Tanh, HardSwish, ... as Lut ops).
// Every path is byte-identical to its kernels/reference counterpart: the same fp32
// operations in the same order (no FMA), the same clamp, round half to even by the magic
// add of requantize.h.
//
// Per-ISA row/pixel kernels (qs8_vbinary_<isa>.cc, qs8_pool_<isa>.cc, x8_lut_<isa>.cc) are
// collected per Isa by elementwise_qs8_kernels(); the portable drivers below walk the
// broadcast / the pooling windows and call them.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/reference/reference.h"

namespace octet {

enum class BinaryQs8Op : uint8_t { kAdd, kSub, kMul };

// Everything a binary row kernel needs, derived exactly as the reference derives it.
struct BinaryQs8Params {
  int32_t a_zero_point = 0, b_zero_point = 0, y_zero_point = 0;
  float a_multiplier = 1.0f;        // sa / sy (Add, Sub)
  float b_multiplier = 1.0f;        // sb / sy (Add, Sub)
  float product_multiplier = 1.0f;  // sa * sb / sy (Mul)
  float lo = -128.0f, hi = 127.0f;  // qmin - zy, qmax - zy
};
BinaryQs8Params make_binary_qs8_params(ref::QParams qa, ref::QParams qb, ref::QParams qy,
                                       int32_t qmin, int32_t qmax);

// One output pixel of a pooling op: the part of the window inside the input.
struct PoolQs8Pixel {
  const int8_t* x = nullptr;  // top-left valid input pixel of the window (channel 0)
  size_t row_stride = 0;      // bytes between input rows (in_w * channels)
  int rows = 0, cols = 0;     // valid window size (0 = empty window)
  size_t channels = 0;
  // Max: value = (max - x_zero_point) * multiplier.
  // Avg: value = (sum + sum_bias) * multiplier, sum_bias folding padding and zero points.
  int32_t x_zero_point = 0;
  int32_t sum_bias = 0;
  float multiplier = 1.0f;
  int32_t y_zero_point = 0;
  float lo = -128.0f, hi = 127.0f;  // qmin - zy, qmax - zy
  int8_t* y = nullptr;              // channels outputs
};

struct ElementwiseQs8Kernels {
  Isa isa;
  // y[i] = op(a[i * a_step], b[i * b_step]) for i < n; steps are 1, or 0 for a broadcast value.
  void (*binary)(BinaryQs8Op op, size_t n, const int8_t* a, size_t a_step, const int8_t* b,
                 size_t b_step, const BinaryQs8Params& p, int8_t* y);
  void (*max_pool_pixel)(const PoolQs8Pixel& p);
  void (*avg_pool_pixel)(const PoolQs8Pixel& p);
  // y[i] = table[(uint8_t)(x[i] + 128)]
  void (*lut)(size_t n, const int8_t* x, const int8_t* table, int8_t* y);
};

// The kernels of `isa` (ISAs that share a vector width share kernels: AVX-VNNI runs the AVX2
// ones, dotprod/i8mm the NEON ones), or nullptr if this build has none for `isa`.
const ElementwiseQs8Kernels* elementwise_qs8_kernels(Isa isa);

// ---- Drivers: byte-identical to ref::add_qs8 / sub_qs8 / mul_qs8 (any broadcast). ----
void binary_qs8(const ElementwiseQs8Kernels& k, BinaryQs8Op op, const ref::Broadcast& bc,
                const int8_t* a, ref::QParams qa, const int8_t* b, ref::QParams qb, ref::QParams qy,
                int32_t qmin, int32_t qmax, int8_t* y);

// Byte-identical to ref::maxpool_qs8 / ref::avgpool_qs8 for the output pixels
// [pixel_begin, pixel_end) of batch * out_h * out_w (threads split pixels).
void maxpool_qs8(const ElementwiseQs8Kernels& k, const ref::PoolGeometry& g, const int8_t* x,
                 ref::QParams qx, ref::QParams qy, int32_t qmin, int32_t qmax, int8_t* y,
                 size_t pixel_begin, size_t pixel_end);
void avgpool_qs8(const ElementwiseQs8Kernels& k, const ref::PoolGeometry& g, const int8_t* x,
                 ref::QParams qx, ref::QParams qy, int32_t qmin, int32_t qmax, int8_t* y,
                 size_t pixel_begin, size_t pixel_end);

// A Mean that is a global average pool: rank 4 NHWC reducing exactly H and W, with sums that
// fit int32. Then ref::mean_qs8 equals avgpool_qs8 with this geometry (filter = H x W).
bool mean_qs8_as_global_pool(const int32_t* shape, int rank, const bool* reduce,
                             ref::PoolGeometry* g);

}  // namespace octet
