// qs8-qc8w depthwise conv2d (NHWC), weights [KH][KW][C] (depth multiplier folded into C),
// folded int32 bias [C], per-channel fp32 requantization. Byte-identical to
// ref::dwconv2d_qs8 on every path.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/reference/reference.h"

namespace octet {

struct DwConvQs8Params {
  ref::ConvGeometry g;
  const int8_t* x = nullptr;
  int32_t x_zero_point = 0;
  const int8_t* w = nullptr;
  const int32_t* bias = nullptr;
  ref::Requant rq;
  int8_t* y = nullptr;
  // Output rows to compute: [oh_begin, oh_end) of every batch image (threads split rows).
  int oh_begin = 0, oh_end = 0;
  // Optional per-call scratch (arena memory planned by the converter), may be null.
  void* scratch = nullptr;
  size_t scratch_size = 0;
};

struct DwConvQs8Kernel {
  Isa isa;
  void (*run)(const DwConvQs8Params& p);
  // Scratch bytes this kernel can use for geometry g; nullptr = needs none.
  size_t (*scratch_size)(const ref::ConvGeometry& g) = nullptr;
};

// The depthwise kernel for `isa`, or nullptr if this build has none.
const DwConvQs8Kernel* dwconv_qs8_kernel(Isa isa);
// Scratch bytes the kernel of `isa` needs for geometry g (0 if none).
size_t dwconv_qs8_scratch_size(Isa isa, const ref::ConvGeometry& g);

}  // namespace octet
