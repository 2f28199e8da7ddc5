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

// Scratch bytes one thread needs for conv2d_qs8 with geometry g and extra_count extra
// columns (0 for a direct 1x1).
size_t conv2d_qs8_scratch_size(const ref::ConvGeometry& g, int extra_count = 0);

struct Conv2DQs8Params {
  ref::ConvGeometry g;  // groups must be 1
  const int8_t* x = nullptr;
  int32_t x_zero_point = 0;
  const int8_t* w = nullptr;      // [OC][KH][KW][IC] (RowMajor family)
  const int32_t* bias = nullptr;  // folded (RowMajor family)
  const void* packed = nullptr;   // kernel family layout of w/bias (other families)
  ref::Requant rq;
  int8_t* y = nullptr;
  int8_t* scratch = nullptr;  // conv2d_qs8_scratch_size(g) bytes
  // Output pixels (over batch*out_h*out_w, row-major) to compute: threads split these.
  size_t pixel_begin = 0, pixel_end = 0;
  // Extra GEMM columns appended to every im2col row: copies of its entries extra_columns[i]
  // (< KH*KW*IC), so K = KH*KW*IC + extra_count and w/packed hold that many columns. This is
  // how weights that need 9 bits run exactly in an int8 GEMM: w = main + rest, each int8, the
  // rest meeting the same input value again in its extra column.
  const int32_t* extra_columns = nullptr;
  int extra_count = 0;
};

void conv2d_qs8(const GemmQs8Kernel& kernel, const Conv2DQs8Params& p);

}  // namespace octet
