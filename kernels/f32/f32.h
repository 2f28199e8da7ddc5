// Fast float32 Conv2D / DepthwiseConv2D / FullyConnected for layers kept in float and for the
// float baseline (DESIGN.md: the float path must be fast, never the scalar reference).
//
// Semantics are those of the reference float kernels (kernels/reference/reference.h): NHWC
// activations, Conv2D weights [OC][KH][KW][IC/groups], depthwise weights [KH][KW][C*multiplier],
// FullyConnected weights [N][K], optional bias, act_min/act_max clamp. Results are not
// bit-identical to the reference (explicit FMA, another summation order): compare with a
// relative tolerance.
//
// Every entry computes only a range of its output so the runtime can split work across
// threads. They never allocate, need no caller scratch and read the model's own row-major
// weights (nothing pre-packed). FullyConnected and grouped Conv2D use the dot-product form
// (accumulate along the contiguous K / input-channel run of each tap, reduce horizontally at
// the end); Conv2D with groups == 1 transposes a block of weights at a time into a 16 KiB
// stack buffer and broadcasts inputs against vectors of output channels (outer product);
// depthwise vectorizes over channels (contiguous in NHWC).
#pragma once
#include <cstddef>

#include "kernels/common/isa.h"
#include "kernels/reference/reference.h"

namespace octet {

struct F32Kernels {
  const char* name;  // "avx512", "avx2", "neon"
  // Output pixels [pixel_begin, pixel_end) of the flattened (batch, out_h, out_w) index and
  // output channels [oc_begin, oc_end) (split channels when there are few pixels: each call
  // transposes the weights of its channels once into a 16 KiB stack buffer, see f32_impl.h).
  // Any groups (each group reads in_c/groups channels).
  void (*conv2d)(const ref::ConvGeometry& g, const float* x, const float* w, const float* bias,
                 float act_min, float act_max, float* y, size_t pixel_begin, size_t pixel_end,
                 int oc_begin, int oc_end);
  // Output pixels [pixel_begin, pixel_end) of the flattened (batch, out_h, out_w) index.
  void (*dwconv2d)(const ref::ConvGeometry& g, const float* x, const float* w, const float* bias,
                   float act_min, float act_max, float* y, size_t pixel_begin, size_t pixel_end);
  // y[i][j] = clamp(bias[j] + sum_k x[i][k] * w[j][k]) for rows i in [m_begin, m_end) and
  // columns j in [n_begin, n_end); x is m x k, y is m x n (row strides k and n).
  void (*fully_connected)(size_t m, size_t n, size_t k, const float* x, const float* w,
                          const float* bias, float act_min, float act_max, float* y, size_t m_begin,
                          size_t m_end, size_t n_begin, size_t n_end);
};

// The float kernels used by `isa` (AVX-512F for avx512vnni, AVX2+FMA for avx2/avxvnni, NEON
// for neon/dotprod/i8mm), or nullptr when this build or this CPU has none for it: the caller
// then uses the reference kernels.
const F32Kernels* f32_kernels(Isa isa);

}  // namespace octet
