// Int8 Conv2D (groups == 1) through a GEMM kernel. A 1x1, stride-1, unpadded conv reads
// the input rows directly; any other conv gathers im2col rows, kIm2colTileRows output
// pixels at a time, into caller scratch (planned in the arena: never allocates).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/gemm/gemm.h"
#include "kernels/reference/reference.h"

namespace octet {

// A multiple of the AVX-512 GEMM's 6- and 12-row register tiles (no partial tile per chunk).
constexpr size_t kIm2colTileRows = 96;

// Scratch bytes one thread needs for conv2d_qs8 with geometry g (0 for direct 1x1).
size_t conv2d_qs8_scratch_size(const ref::ConvGeometry& g);

struct Conv2DQs8Params {
  ref::ConvGeometry g;  // groups must be 1
  const int8_t* x = nullptr;
  int32_t x_zero_point = 0;
  const int8_t* w = nullptr;       // [OC][KH][KW][IC] (RowMajor family)
  const int32_t* bias = nullptr;   // folded (RowMajor family)
  const void* packed = nullptr;    // kernel family layout of w/bias (other families)
  ref::Requant rq;
  int8_t* y = nullptr;
  int8_t* scratch = nullptr;  // conv2d_qs8_scratch_size(g) bytes
  // Output pixels (over batch*out_h*out_w, row-major) to compute: threads split these.
  size_t pixel_begin = 0, pixel_end = 0;
};

void conv2d_qs8(const GemmQs8Kernel& kernel, const Conv2DQs8Params& p);

}  // namespace octet
