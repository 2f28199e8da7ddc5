// Scalar kernels: the reference formulas, one element at a time (every CPU).
#include "kernels/elementwise/elementwise_impl.h"

namespace octet {

void qs8_vbinary_scalar(BinaryQs8Op op, size_t n, const int8_t* a, size_t a_step, const int8_t* b,
                        size_t b_step, const BinaryQs8Params& p, int8_t* y) {
  elementwise::binary_rows(op, 0, n, a, a_step, b, b_step, p, y);
}

void qs8_maxpool_scalar(const PoolQs8Pixel& p) { elementwise::max_pool_channels(p, 0); }

void qs8_avgpool_scalar(const PoolQs8Pixel& p) { elementwise::avg_pool_channels(p, 0); }

void x8_lut_scalar(size_t n, const int8_t* x, const int8_t* table, int8_t* y) {
  elementwise::lut_range(0, n, x, table, y);
}

}  // namespace octet
