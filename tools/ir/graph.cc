#include "tools/ir/graph.h"

namespace octet::ir {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return 4;
    case DType::Int8:
      return 1;
    case DType::UInt8:
      return 1;
    case DType::Int32:
      return 4;
  }
  return 0;
}

size_t Tensor::num_elements() const {
  size_t n = 1;
  for (int32_t d : shape) n *= d > 0 ? static_cast<size_t>(d) : 0;
  return n;
}

}  // namespace octet::ir
