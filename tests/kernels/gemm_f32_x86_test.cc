// fp32 GEMM (gemm_f32.h) against a double-precision reference, with a relative tolerance
// (float results are not bit-identical across ISAs): tile edges in M and N, any K, strides,
// bias and clamps. Skipped with a message when the CPU lacks the ISA.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/gemm/gemm_f32.h"

namespace octet {
namespace {

struct F32Variant {
  const char* name;
  Isa isa;
  void (*run)(const GemmF32Params&);
};

const F32Variant kVariants[] = {
#ifdef OCTET_HAVE_AVX2
    {"avx2", Isa::kAvx2, gemm_f32_avx2},
#endif
#ifdef OCTET_HAVE_AVX512VNNI
    {"avx512", Isa::kAvx512Vnni, gemm_f32_avx512},
#endif
};

void check(const F32Variant& v, size_t m, size_t n, size_t k, size_t pad, bool bias, float lo,
           float hi) {
  SCOPED_TRACE(std::string(v.name) + " m=" + std::to_string(m) + " n=" + std::to_string(n) +
               " k=" + std::to_string(k) + " pad=" + std::to_string(pad));
  std::mt19937 rng(static_cast<uint32_t>(m * 131 + n * 7 + k));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const size_t as = k + pad, bs = n + pad, cs = n + pad;
  std::vector<float> a(m * as), b(k * bs), bias_v(n), c(m * cs, 12345.0f);
  for (auto& x : a) x = dist(rng);
  for (auto& x : b) x = dist(rng);
  for (auto& x : bias_v) x = dist(rng);
  GemmF32Params p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = a.data();
  p.a_stride = as;
  p.b = b.data();
  p.b_stride = bs;
  p.bias = bias ? bias_v.data() : nullptr;
  p.out_min = lo;
  p.out_max = hi;
  p.c = c.data();
  p.c_stride = cs;
  v.run(p);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double want = bias ? bias_v[j] : 0.0, magnitude = std::fabs(want);
      for (size_t kk = 0; kk < k; ++kk) {
        want += static_cast<double>(a[i * as + kk]) * b[kk * bs + j];
        magnitude += std::fabs(static_cast<double>(a[i * as + kk]) * b[kk * bs + j]);
      }
      want = std::min<double>(std::max<double>(want, lo), hi);
      ASSERT_NEAR(c[i * cs + j], want, 1e-5 * magnitude + 1e-6) << "row " << i << " col " << j;
    }
    for (size_t j = n; j < cs && i + 1 < m; ++j) {
      ASSERT_EQ(c[i * cs + j], 12345.0f) << "stride gap written, row " << i;
    }
  }
}

TEST(GemmF32X86, ShapesStridesBiasClamp) {
  if (sizeof(kVariants) == 0) GTEST_SKIP() << "no x86 float GEMM in this build";
  for (const F32Variant& v : kVariants) {
    if (!isa_available(v.isa)) {
      std::printf("skipping %s: CPU lacks it\n", v.name);
      continue;
    }
    for (size_t m : {1, 5, 6, 7, 8, 9, 17}) {
      for (size_t n : {1, 8, 15, 16, 17, 31, 32, 33, 70}) {
        for (size_t k : {1, 3, 64, 130}) check(v, m, n, k, 0, true, -1e30f, 1e30f);
      }
    }
    check(v, 13, 45, 37, 3, false, -1e30f, 1e30f);
    check(v, 10, 100, 50, 1, true, -0.5f, 0.25f);
    check(v, 3, 5000, 300, 0, true, 0.0f, 6.0f);  // several column panels
  }
}

}  // namespace
}  // namespace octet
