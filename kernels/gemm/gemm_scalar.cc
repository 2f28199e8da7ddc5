// Portable qs8-qc8w GEMM: reads the row-major weights and folded bias directly
// (RowMajor family, nothing packed), one output at a time. Same arithmetic as
// ref::fully_connected_qs8, plus strides and the [n_begin, n_end) column range.
#include "kernels/common/requantize.h"
#include "kernels/gemm/gemm.h"

namespace octet {
namespace {

void gemm_qs8_scalar_run(const GemmQs8Params& p) {
  for (size_t i = 0; i < p.m; ++i) {
    const int8_t* a_row = p.a + i * p.a_stride;
    int8_t* c_row = p.c + i * p.c_stride;
    for (size_t j = p.n_begin; j < p.n_end; ++j) {
      const int8_t* w_row = p.w + j * p.k;
      int32_t acc = p.bias != nullptr ? p.bias[j] : 0;
      for (size_t kk = 0; kk < p.k; ++kk) {
        acc += static_cast<int32_t>(a_row[kk]) * static_cast<int32_t>(w_row[kk]);
      }
      const float multiplier = p.multiplier[p.per_channel ? j : 0];
      c_row[j] = static_cast<int8_t>(requantize(acc, multiplier, p.zero_point, p.qmin, p.qmax));
    }
  }
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_scalar = {Isa::kScalar, PackFamily::kRowMajor, 1,
                                              gemm_qs8_scalar_run};

}  // namespace octet
