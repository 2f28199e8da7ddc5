// fp32 GEMM for layers kept in float (x86 only for now):
//
//   c[i][j] = clamp(bias[j] + sum_k a[i][k] * b[k][j], out_min, out_max)
//
// b is K x N row-major (ONNX MatMul's B, or a transposed Gemm weight), read as it is: no
// packing. Float results are not bit-identical across ISAs (explicit FMA, different sum
// order); callers compare with a tolerance. Each function exists when OCTET_HAVE_<ISA> is
// defined and must only be called when isa_available() says so.
#pragma once
#include <cstddef>

namespace octet {

struct GemmF32Params {
  size_t m = 0, n = 0, k = 0;
  const float* a = nullptr;  // m rows of k, a_stride floats apart
  size_t a_stride = 0;
  const float* b = nullptr;  // k rows of n, b_stride floats apart
  size_t b_stride = 0;
  const float* bias = nullptr;  // [n] or null
  float out_min = -3.402823466e+38f, out_max = 3.402823466e+38f;
  float* c = nullptr;  // m rows of n, c_stride floats apart
  size_t c_stride = 0;
};

void gemm_f32_avx2(const GemmF32Params& p);    // OCTET_HAVE_AVX2 (AVX2 + FMA)
void gemm_f32_avx512(const GemmF32Params& p);  // OCTET_HAVE_AVX512VNNI builds (AVX-512F)

}  // namespace octet
