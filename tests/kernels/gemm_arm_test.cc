// ARM-specific checks of the ARM kernels work:
//  - the ArmNeon / ArmDotprod / ArmI8mm packers put every weight and bias where pack_arm.h says,
//    with zero padding (runs on every host: the converter packs for ARM on x86);
//  - on ARM builds, the NEON requantization (vcvtnq on aarch64, the 1.5*2^23 add on ARMv7) gives
//    the bytes of common/requantize.h, including every tie (x.5) and the clamp edges;
//  - each compiled ARM GEMM / depthwise kernel matches a plain scalar loop over edge shapes
//    (M, N, K remainders, strides, N splits, full int8 range including -128) when the CPU has
//    the ISA, and is skipped with a message otherwise (never run: that would be SIGILL);
//  - on Linux, isa_available() agrees with the kernel's HWCAP bits for dotprod / i8mm.
// The shared kernel tester additionally compares every registered variant with ref::.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/common/requantize.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/gemm/gemm.h"
#include "kernels/gemm/pack.h"
#include "kernels/gemm/pack_arm.h"

#if defined(OCTET_HAVE_NEON)
#include "kernels/gemm/requantize_neon.h"
#endif
#if defined(__linux__) && (defined(__aarch64__) || defined(__arm__))
#include <sys/auxv.h>
#endif

namespace octet {
#if defined(OCTET_HAVE_NEON)
extern const GemmQs8Kernel gemm_qs8_neon;
extern const DwConvQs8Kernel dwconv_qs8_neon;
#endif
#if defined(OCTET_HAVE_DOTPROD)
extern const GemmQs8Kernel gemm_qs8_dotprod;
#endif
#if defined(OCTET_HAVE_I8MM)
extern const GemmQs8Kernel gemm_qs8_i8mm;
#endif

namespace {

struct FamilyLayout {
  PackFamily family;
  size_t (*size)(size_t n, size_t k);
  void (*pack)(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out);
  size_t nr, kg;
};

const FamilyLayout kLayouts[] = {
    {PackFamily::kArmNeon, pack_arm_neon_size, pack_arm_neon, 8, 8},
    {PackFamily::kArmDotprod, pack_arm_dotprod_size, pack_arm_dotprod, 16, 4},
    {PackFamily::kArmI8mm, pack_arm_i8mm_size, pack_arm_i8mm, 8, 8},
};

std::vector<int8_t> random_s8(size_t count, std::mt19937& rng) {
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<int8_t> v(count);
  for (auto& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

TEST(ArmPack, EveryWeightAndBiasAtItsDocumentedPlace) {
  std::mt19937 rng(7);
  for (const FamilyLayout& layout : kLayouts) {
    for (size_t n : {1, 3, 8, 9, 16, 17, 40}) {
      for (size_t k : {1, 3, 4, 5, 8, 9, 16, 27}) {
        SCOPED_TRACE(std::string(pack_family_name(layout.family)) + " n=" + std::to_string(n) +
                     " k=" + std::to_string(k));
        const std::vector<int8_t> w = random_s8(n * k, rng);
        std::vector<int32_t> bias(n);
        for (size_t j = 0; j < n; ++j) bias[j] = static_cast<int32_t>(rng());
        const size_t kc = (k + layout.kg - 1) / layout.kg * layout.kg;
        const size_t blocks = (n + layout.nr - 1) / layout.nr;
        const size_t block_bytes = layout.nr * 4 + layout.nr * kc;
        ASSERT_EQ(layout.size(n, k), blocks * block_bytes);
        ASSERT_EQ(gemm_qs8_packed_size(layout.family, n, k), layout.size(n, k));
        std::vector<uint8_t> packed(layout.size(n, k), 0xAB);  // poison: every byte is written
        layout.pack(n, k, w.data(), bias.data(), packed.data());
        for (size_t b = 0; b < blocks; ++b) {
          const uint8_t* block = packed.data() + b * block_bytes;
          for (size_t j = 0; j < layout.nr; ++j) {
            const size_t col = b * layout.nr + j;
            int32_t stored_bias;
            std::memcpy(&stored_bias, block + 4 * j, 4);
            ASSERT_EQ(stored_bias, col < n ? bias[col] : 0) << "bias of column " << col;
            for (size_t kk = 0; kk < kc; ++kk) {
              const size_t offset = layout.nr * 4 + (kk / layout.kg) * layout.nr * layout.kg +
                                    j * layout.kg + kk % layout.kg;
              const int8_t expected = (col < n && kk < k) ? w[col * k + kk] : 0;
              ASSERT_EQ(static_cast<int8_t>(block[offset]), expected)
                  << "column " << col << " k " << kk;
            }
          }
        }
        // Null bias packs as zero.
        layout.pack(n, k, w.data(), nullptr, packed.data());
        for (size_t j = 0; j < layout.nr; ++j) {
          int32_t stored_bias;
          std::memcpy(&stored_bias, packed.data() + 4 * j, 4);
          ASSERT_EQ(stored_bias, 0);
        }
      }
    }
  }
}

#if defined(OCTET_HAVE_NEON)
// Compares lanes of neon::requantize with the scalar definition.
void expect_requant_matches(const std::vector<int32_t>& accs, float multiplier, int32_t zp,
                            int32_t qmin, int32_t qmax) {
  const neon::RequantBounds bounds = neon::requant_bounds(zp, qmin, qmax);
  const float32x4_t m = vdupq_n_f32(multiplier);
  for (size_t i = 0; i + 4 <= accs.size(); i += 4) {
    int32_t out[4];
    vst1q_s32(out, neon::requantize(vld1q_s32(accs.data() + i), m, bounds));
    for (int l = 0; l < 4; ++l) {
      ASSERT_EQ(out[l], requantize(accs[i + l], multiplier, zp, qmin, qmax))
          << "acc=" << accs[i + l] << " m=" << multiplier << " zp=" << zp << " [" << qmin << ","
          << qmax << "]";
    }
  }
}

TEST(ArmRequantize, NeonMatchesScalarOnTiesClampsAndRandomValues) {
  // Every half-integer result in range: acc * 0.5 = x.5 ties, and acc * 0.25 quarter steps.
  std::vector<int32_t> small;
  for (int32_t a = -1100; a < 1100; ++a) small.push_back(a);
  for (float m : {0.5f, 0.25f, 0.125f, 1.0f, 0.1f, 0.3333333f}) {
    for (int32_t zp : {0, -128, 127, 5, -3}) {
      expect_requant_matches(small, m, zp, -128, 127);
      expect_requant_matches(small, m, zp, 0, 127);      // ReLU-like
      expect_requant_matches(small, m, zp, -128, -100);  // tight clamp
    }
  }
  // Extremes, denormal products and multipliers, random values.
  std::vector<int32_t> extreme = {INT32_MIN, INT32_MIN + 1, -16777217, -16777216, -1,  0,
                                  1,         16777216,      16777217,  INT32_MAX, 123, -123};
  for (float m : {1e-40f, 1e-30f, 1.17549435e-38f, 3e-10f, 1.0f, 1e10f})
    expect_requant_matches(extreme, m, 7, -128, 127);
  std::mt19937 rng(11);
  std::vector<int32_t> random(1 << 16);
  for (auto& a : random) a = static_cast<int32_t>(rng()) >> (rng() % 31);
  std::uniform_real_distribution<float> log_m(-24.0f, 2.0f);
  for (int trial = 0; trial < 24; ++trial)
    expect_requant_matches(random, std::exp2(log_m(rng)), static_cast<int32_t>(rng() % 256) - 128,
                           -128, 127);
}
#endif

#if defined(OCTET_HAVE_NEON)  // every ARM GEMM build has NEON
// Scalar ground truth written out from the contract in gemm.h.
void gemm_expected(const GemmQs8Params& p, const std::vector<int8_t>& w,
                   const std::vector<int32_t>& bias, std::vector<int8_t>* c) {
  for (size_t i = 0; i < p.m; ++i) {
    for (size_t j = p.n_begin; j < p.n_end; ++j) {
      int32_t acc = bias[j];
      for (size_t kk = 0; kk < p.k; ++kk) acc += p.a[i * p.a_stride + kk] * w[j * p.k + kk];
      (*c)[i * p.c_stride + j] = static_cast<int8_t>(requantize(
          acc, p.per_channel ? p.multiplier[j] : p.multiplier[0], p.zero_point, p.qmin, p.qmax));
    }
  }
}

void check_gemm_kernel(const GemmQs8Kernel& kernel) {
  if (!isa_available(kernel.isa)) {
    GTEST_SKIP() << isa_name(kernel.isa) << " kernel compiled but this CPU lacks it: skipped";
  }
  std::mt19937 rng(1234);
  const size_t ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 13};
  const size_t ns[] = {1, 5, 8, 9, 16, 17, 31, 40};
  const size_t ks[] = {1, 3, 4, 7, 8, 9, 16, 17, 33, 64, 100};
  int cases = 0;
  for (size_t m : ms) {
    for (size_t n : ns) {
      for (size_t k : ks) {
        SCOPED_TRACE(std::string(isa_name(kernel.isa)) + " m=" + std::to_string(m) +
                     " n=" + std::to_string(n) + " k=" + std::to_string(k));
        const size_t a_stride = k + (cases % 3);
        const size_t c_stride = n + (cases % 2) * 5;
        // A exactly as long as its last row: an over-read past it is caught by ASan builds.
        std::vector<int8_t> a = random_s8((m - 1) * a_stride + k, rng);
        const std::vector<int8_t> w = random_s8(n * k, rng);
        std::vector<int32_t> bias(n);
        for (auto& b : bias) b = static_cast<int32_t>(rng() % 200001) - 100000;
        std::vector<float> mult(n);
        // Scale so that outputs spread over the int8 range (and clamp at both ends).
        const float base = 1.0f / (128.0f * std::sqrt(static_cast<float>(k)) + 400.0f);
        for (auto& x : mult) x = base * (0.5f + (rng() % 1000) / 400.0f);
        std::vector<uint8_t> packed(gemm_qs8_packed_size(kernel.family, n, k) + 64);
        void* packed_aligned =
            packed.data() + (64 - reinterpret_cast<uintptr_t>(packed.data()) % 64) % 64;
        gemm_qs8_pack(kernel.family, n, k, w.data(), bias.data(), packed_aligned);

        GemmQs8Params p;
        p.m = m, p.n = n, p.k = k;
        p.a = a.data(), p.a_stride = a_stride;
        p.w = w.data(), p.bias = bias.data(), p.packed = packed_aligned;
        p.multiplier = mult.data();
        p.per_channel = cases % 4 != 3;
        p.zero_point = static_cast<int32_t>(rng() % 21) - 10;
        p.qmin = cases % 5 == 0 ? p.zero_point : -128;  // fused ReLU on some cases
        p.qmax = cases % 7 == 0 ? 100 : 127;
        std::vector<int8_t> got(m * c_stride, 0x5A), want(m * c_stride, 0x5A);
        p.c = got.data(), p.c_stride = c_stride;
        // Whole N, then split at a multiple of nr (two "threads").
        p.n_begin = 0, p.n_end = n;
        kernel.run(p);
        GemmQs8Params ref = p;
        ref.c = want.data();
        gemm_expected(ref, w, bias, &want);
        ASSERT_EQ(got, want);
        if (n > kernel.nr) {
          std::fill(got.begin(), got.end(), 0x5A);
          const size_t split = kernel.nr * ((n / kernel.nr + 1) / 2);
          p.n_begin = 0, p.n_end = split;
          kernel.run(p);
          p.n_begin = split, p.n_end = n;
          kernel.run(p);
          ASSERT_EQ(got, want) << "split at " << split;
        }
        ++cases;
      }
    }
  }
}

TEST(ArmGemm, NeonMatchesScalar) { check_gemm_kernel(gemm_qs8_neon); }
#endif
#if defined(OCTET_HAVE_DOTPROD)
TEST(ArmGemm, DotprodMatchesScalar) { check_gemm_kernel(gemm_qs8_dotprod); }
#endif
#if defined(OCTET_HAVE_I8MM)
TEST(ArmGemm, I8mmMatchesScalar) { check_gemm_kernel(gemm_qs8_i8mm); }
#endif

#if defined(OCTET_HAVE_NEON)
void dwconv_expected(const DwConvQs8Params& p, std::vector<int8_t>* y) {
  const ref::ConvGeometry& g = p.g;
  for (int b = 0; b < g.batch; ++b)
    for (int oh = p.oh_begin; oh < p.oh_end; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow)
        for (int oc = 0; oc < g.out_c; ++oc) {
          int32_t acc = p.bias[oc];
          for (int kh = 0; kh < g.kernel_h; ++kh)
            for (int kw = 0; kw < g.kernel_w; ++kw) {
              const int ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
              const int iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
              const int32_t x =
                  (ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w)
                      ? p.x[((b * g.in_h + ih) * g.in_w + iw) * g.in_c + oc / g.depth_multiplier]
                      : p.x_zero_point;
              acc += x * p.w[(kh * g.kernel_w + kw) * g.out_c + oc];
            }
          const float m = p.rq.per_channel ? p.rq.multiplier[oc] : p.rq.multiplier[0];
          (*y)[((b * g.out_h + oh) * g.out_w + ow) * g.out_c + oc] =
              static_cast<int8_t>(requantize(acc, m, p.rq.zero_point, p.rq.qmin, p.rq.qmax));
        }
}

TEST(ArmDwConv, NeonMatchesScalar) {
  if (!isa_available(Isa::kNeon)) GTEST_SKIP() << "no NEON on this CPU";
  struct Case {
    int batch, in_h, in_w, in_c, mult, kernel, stride, dilation, pad;
  };
  const Case cases[] = {
      {1, 7, 7, 32, 1, 3, 1, 1, 1}, {1, 8, 9, 16, 1, 3, 2, 1, 1}, {2, 5, 6, 24, 1, 3, 1, 1, 0},
      {1, 6, 6, 3, 1, 3, 1, 1, 1},  {1, 9, 9, 48, 1, 5, 2, 1, 2}, {1, 7, 8, 8, 2, 3, 1, 1, 1},
      {1, 9, 9, 17, 1, 3, 1, 2, 2}, {1, 4, 4, 64, 1, 1, 1, 1, 0}, {1, 3, 3, 16, 1, 3, 1, 1, 2},
  };
  std::mt19937 rng(99);
  int index = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE("case " + std::to_string(index));
    ref::ConvGeometry g;
    g.batch = c.batch, g.in_h = c.in_h, g.in_w = c.in_w, g.in_c = c.in_c;
    g.depth_multiplier = c.mult, g.out_c = c.in_c * c.mult;
    g.kernel_h = g.kernel_w = c.kernel, g.stride_h = g.stride_w = c.stride;
    g.dilation_h = g.dilation_w = c.dilation, g.pad_top = g.pad_left = c.pad;
    const int span = (c.kernel - 1) * c.dilation + 1;
    g.out_h = (c.in_h + 2 * c.pad - span) / c.stride + 1;
    g.out_w = (c.in_w + 2 * c.pad - span) / c.stride + 1;
    const std::vector<int8_t> x =
        random_s8(static_cast<size_t>(g.batch) * g.in_h * g.in_w * g.in_c, rng);
    const std::vector<int8_t> w =
        random_s8(static_cast<size_t>(c.kernel) * c.kernel * g.out_c, rng);
    std::vector<int32_t> bias(g.out_c);
    for (auto& b : bias) b = static_cast<int32_t>(rng() % 20001) - 10000;
    std::vector<float> mult(g.out_c);
    for (auto& m : mult) m = (0.5f + (rng() % 1000) / 500.0f) / (64.0f * c.kernel * c.kernel);
    DwConvQs8Params p;
    p.g = g;
    p.x = x.data(), p.x_zero_point = static_cast<int32_t>(rng() % 256) - 128;
    p.w = w.data(), p.bias = bias.data();
    p.rq.multiplier = mult.data(), p.rq.per_channel = index % 3 != 2;
    p.rq.zero_point = static_cast<int32_t>(rng() % 41) - 20;
    p.rq.qmin = index % 2 ? p.rq.zero_point : -128;
    p.rq.qmax = 127;
    const size_t y_size = static_cast<size_t>(g.batch) * g.out_h * g.out_w * g.out_c;
    std::vector<int8_t> got(y_size, 0x5A), want(y_size, 0x5A);
    p.oh_begin = 0, p.oh_end = g.out_h;
    DwConvQs8Params ref = p;
    ref.y = want.data();
    dwconv_expected(ref, &want);
    p.y = got.data();
    // Two row ranges, as two threads would split them.
    const int split = g.out_h / 2;
    p.oh_begin = 0, p.oh_end = split;
    dwconv_qs8_neon.run(p);
    p.oh_begin = split, p.oh_end = g.out_h;
    dwconv_qs8_neon.run(p);
    ASSERT_EQ(got, want);
    ++index;
  }
}
#endif

#if defined(__linux__) && defined(__aarch64__)
// A wrong answer here is what turns a forced OCTET_ISA into SIGILL.
TEST(ArmIsa, AvailabilityFollowsHwcap) {
  const unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
  const bool dotprod = hwcap & (1UL << 20);  // HWCAP_ASIMDDP
  const bool i8mm = hwcap2 & (1UL << 13);    // HWCAP2_I8MM
  EXPECT_TRUE(isa_available(Isa::kNeon));
  EXPECT_EQ(isa_available(Isa::kDotprod), dotprod && isa_compiled(Isa::kDotprod));
  EXPECT_EQ(isa_available(Isa::kI8mm), i8mm && isa_compiled(Isa::kI8mm));
  std::printf("cpu: dotprod=%d i8mm=%d best=%s\n", dotprod, i8mm, isa_name(best_isa()));
}
#endif

}  // namespace
}  // namespace octet
