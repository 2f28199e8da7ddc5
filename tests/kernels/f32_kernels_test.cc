// Float kernels (kernels/f32/f32.h) on every ISA this build and CPU have, against the
// reference float kernels: many Conv2D / DepthwiseConv2D / FullyConnected shapes (odd sizes,
// strides, dilation, asymmetric padding, groups, depth multipliers, clamps, null bias), each
// computed as several sub-ranges (the runtime's thread split) that must together equal the
// reference, and never write outside their range. Float results are compared with a relative
// tolerance of 1e-5 * K (another summation order and FMA).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/f32/f32.h"
#include "kernels/reference/reference.h"

namespace octet {
namespace {

using Rng = std::mt19937;
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> random_floats(Rng& rng, size_t n) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& e : v) e = dist(rng);
  return v;
}

int random_int(Rng& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// Cuts [0, total) into up to `pieces` random contiguous ranges.
std::vector<size_t> random_cuts(Rng& rng, size_t total, int pieces) {
  std::vector<size_t> cuts = {0, total};
  for (int i = 1; i < pieces; ++i) {
    cuts.push_back(std::uniform_int_distribution<size_t>(0, total)(rng));
  }
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, size_t k,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  const double tolerance = 1e-5 * static_cast<double>(std::max<size_t>(k, 1));
  int failures = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(err <= tolerance * std::max(1.0, std::fabs(static_cast<double>(want[i]))))) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", reference " << want[i];
      if (++failures == 5) return;
    }
  }
}

// Every ISA except scalar; the fixture skips visibly when the path cannot run here.
class F32KernelsTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    const Isa isa = GetParam();
    if (!isa_compiled(isa)) GTEST_SKIP() << isa_name(isa) << " is not in this build";
    if (!isa_available(isa)) GTEST_SKIP() << isa_name(isa) << ": this CPU lacks it";
    kernels_ = f32_kernels(isa);
    ASSERT_NE(kernels_, nullptr) << "no float kernels for available ISA " << isa_name(isa);
  }
  const F32Kernels* kernels_ = nullptr;
};

struct ConvCase {
  ref::ConvGeometry g;
  bool bias = true;
  float lo = -kInf, hi = kInf;
};

// Fills out_h / out_w from the input, kernel, stride, dilation and padding (bottom/right
// padding given separately, TFLite SAME can be asymmetric). False if no output.
bool finish_geometry(ref::ConvGeometry* g, int pad_bottom, int pad_right) {
  const int eff_h = (g->kernel_h - 1) * g->dilation_h + 1;
  const int eff_w = (g->kernel_w - 1) * g->dilation_w + 1;
  const int span_h = g->in_h + g->pad_top + pad_bottom - eff_h;
  const int span_w = g->in_w + g->pad_left + pad_right - eff_w;
  if (span_h < 0 || span_w < 0) return false;
  g->out_h = span_h / g->stride_h + 1;
  g->out_w = span_w / g->stride_w + 1;
  return true;
}

ref::ConvGeometry conv_geometry(int batch, int h, int w, int ic, int oc, int kh, int kw, int stride,
                                int dilation, int pad, int groups = 1) {
  ref::ConvGeometry g;
  g.batch = batch, g.in_h = h, g.in_w = w, g.in_c = ic, g.out_c = oc;
  g.kernel_h = kh, g.kernel_w = kw, g.stride_h = g.stride_w = stride;
  g.dilation_h = g.dilation_w = dilation, g.pad_top = g.pad_left = pad, g.groups = groups;
  finish_geometry(&g, pad, pad);
  return g;
}

std::string describe(const ref::ConvGeometry& g) {
  return "in " + std::to_string(g.batch) + "x" + std::to_string(g.in_h) + "x" +
         std::to_string(g.in_w) + "x" + std::to_string(g.in_c) + " out " + std::to_string(g.out_h) +
         "x" + std::to_string(g.out_w) + "x" + std::to_string(g.out_c) + " k " +
         std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w) + " s " +
         std::to_string(g.stride_h) + "," + std::to_string(g.stride_w) + " d " +
         std::to_string(g.dilation_h) + "," + std::to_string(g.dilation_w) + " p " +
         std::to_string(g.pad_top) + "," + std::to_string(g.pad_left) + " groups " +
         std::to_string(g.groups) + " mult " + std::to_string(g.depth_multiplier);
}

void check_conv(const F32Kernels& k, const ConvCase& c, bool depthwise, Rng& rng) {
  const ref::ConvGeometry& g = c.g;
  const size_t pixels = static_cast<size_t>(g.batch) * g.out_h * g.out_w;
  const size_t weights =
      depthwise ? static_cast<size_t>(g.kernel_h) * g.kernel_w * g.out_c
                : static_cast<size_t>(g.out_c) * g.kernel_h * g.kernel_w * (g.in_c / g.groups);
  const auto x = random_floats(rng, static_cast<size_t>(g.batch) * g.in_h * g.in_w * g.in_c);
  const auto w = random_floats(rng, weights);
  const auto b = random_floats(rng, g.out_c);
  const float* bias = c.bias ? b.data() : nullptr;
  std::vector<float> want(pixels * g.out_c);
  if (depthwise) {
    ref::dwconv2d_f32(g, x.data(), w.data(), bias, c.lo, c.hi, want.data());
  } else {
    ref::conv2d_f32(g, x.data(), w.data(), bias, c.lo, c.hi, want.data());
  }
  const size_t k_len = depthwise
                           ? static_cast<size_t>(g.kernel_h) * g.kernel_w
                           : static_cast<size_t>(g.kernel_h) * g.kernel_w * (g.in_c / g.groups);
  const std::string what = std::string(k.name) + (depthwise ? " dwconv " : " conv ") + describe(g);

  // Split into random ranges of pixels (and of output channels for Conv2D); each call writes
  // only its own part.
  const auto cuts = random_cuts(rng, pixels, random_int(rng, 1, 4));
  const auto oc_cuts = depthwise ? std::vector<size_t>{0, static_cast<size_t>(g.out_c)}
                                 : random_cuts(rng, g.out_c, random_int(rng, 1, 3));
  std::vector<float> got(want.size(), std::nanf(""));
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    for (size_t j = 0; j + 1 < oc_cuts.size(); ++j) {
      std::vector<float> before = got;
      if (depthwise) {
        k.dwconv2d(g, x.data(), w.data(), bias, c.lo, c.hi, got.data(), cuts[i], cuts[i + 1]);
      } else {
        k.conv2d(g, x.data(), w.data(), bias, c.lo, c.hi, got.data(), cuts[i], cuts[i + 1],
                 static_cast<int>(oc_cuts[j]), static_cast<int>(oc_cuts[j + 1]));
      }
      for (size_t e = 0; e < got.size(); ++e) {
        const size_t pixel = e / g.out_c, oc = e % g.out_c;
        if (pixel >= cuts[i] && pixel < cuts[i + 1] && oc >= oc_cuts[j] && oc < oc_cuts[j + 1])
          continue;
        const bool same = (std::isnan(before[e]) && std::isnan(got[e])) || before[e] == got[e];
        if (!same) {
          ADD_FAILURE() << what << ": range [" << cuts[i] << ", " << cuts[i + 1] << ") x ["
                        << oc_cuts[j] << ", " << oc_cuts[j + 1] << ") wrote element " << e;
          return;
        }
      }
    }
  }
  expect_close(got, want, k_len, what);
}

ConvCase random_conv_case(Rng& rng, bool depthwise) {
  for (;;) {
    ConvCase c;
    ref::ConvGeometry& g = c.g;
    g.batch = random_int(rng, 1, 2);
    g.in_h = random_int(rng, 1, 11);
    g.in_w = random_int(rng, 1, 13);
    g.kernel_h = random_int(rng, 1, 5);
    g.kernel_w = random_int(rng, 1, 5);
    g.stride_h = random_int(rng, 1, 3);
    g.stride_w = random_int(rng, 1, 3);
    g.dilation_h = random_int(rng, 1, 2);
    g.dilation_w = random_int(rng, 1, 2);
    g.pad_top = random_int(rng, 0, 2);
    g.pad_left = random_int(rng, 0, 2);
    if (depthwise) {
      g.in_c = random_int(rng, 1, 70);
      g.depth_multiplier = random_int(rng, 1, 4) == 1 ? random_int(rng, 2, 3) : 1;
      g.out_c = g.in_c * g.depth_multiplier;
    } else {
      g.groups = random_int(rng, 1, 5) == 1 ? random_int(rng, 2, 3) : 1;
      g.in_c = g.groups * random_int(rng, 1, 40);
      g.out_c = g.groups * random_int(rng, 1, 21);
    }
    if (!finish_geometry(&g, random_int(rng, 0, 2), random_int(rng, 0, 2))) continue;
    c.bias = random_int(rng, 0, 3) != 0;
    switch (random_int(rng, 0, 2)) {
      case 0:
        break;
      case 1:
        c.lo = 0.0f, c.hi = 6.0f;
        break;
      default:
        c.lo = -0.5f, c.hi = 0.75f;
        break;
    }
    return c;
  }
}

TEST_P(F32KernelsTest, Conv2DRandomShapes) {
  Rng rng(1234);
  for (int i = 0; i < 400 && !HasFailure(); ++i)
    check_conv(*kernels_, random_conv_case(rng, false), false, rng);
}

TEST_P(F32KernelsTest, Conv2DModelShapes) {
  Rng rng(99);
  const ConvCase cases[] = {
      {conv_geometry(1, 32, 32, 3, 16, 3, 3, 1, 1, 1), true, 0.0f, kInf},     // ResNet-8 stem
      {conv_geometry(1, 32, 32, 16, 16, 3, 3, 1, 1, 1), true, 0.0f, kInf},    // ResNet-8 block
      {conv_geometry(1, 32, 32, 16, 32, 3, 3, 2, 1, 1), true, 0.0f, kInf},    // downsample
      {conv_geometry(1, 16, 16, 16, 32, 1, 1, 2, 1, 0), true, -kInf, kInf},   // shortcut 1x1
      {conv_geometry(1, 14, 14, 96, 24, 1, 1, 1, 1, 0), true, -kInf, kInf},   // MobileNetV2 project
      {conv_geometry(1, 7, 7, 160, 960, 1, 1, 1, 1, 0), true, 0.0f, 6.0f},    // MobileNetV2 expand
      {conv_geometry(1, 49, 10, 1, 64, 10, 4, 2, 1, 4), true, 0.0f, kInf},    // DS-CNN stem
      {conv_geometry(1, 5, 4, 3000, 5, 2, 2, 1, 1, 1), false, -kInf, kInf},   // runs > zero buffer
      {conv_geometry(1, 140, 3, 2, 6, 130, 1, 1, 1, 2), true, -kInf, kInf},   // > 128 fused runs
      {conv_geometry(1, 20, 20, 3, 5, 12, 12, 1, 2, 3), true, -kInf, kInf},   // > 128 taps, dilated
      {conv_geometry(2, 9, 9, 12, 10, 3, 3, 1, 1, 1, 2), true, -1.0f, 1.0f},  // groups
  };
  for (const ConvCase& c : cases) {
    ASSERT_GT(c.g.out_h, 0);
    check_conv(*kernels_, c, false, rng);
  }
}

TEST_P(F32KernelsTest, DepthwiseRandomShapes) {
  Rng rng(4321);
  for (int i = 0; i < 400 && !HasFailure(); ++i)
    check_conv(*kernels_, random_conv_case(rng, true), true, rng);
}

TEST_P(F32KernelsTest, DepthwiseModelShapes) {
  Rng rng(7);
  auto dw = [](int h, int c, int stride, int mult = 1) {
    ref::ConvGeometry g = conv_geometry(1, h, h, c, c * mult, 3, 3, stride, 1, 1);
    g.depth_multiplier = mult;
    return g;
  };
  const ConvCase cases[] = {
      {dw(112, 32, 1), true, 0.0f, 6.0f}, {dw(56, 144, 2), true, 0.0f, 6.0f},
      {dw(14, 576, 1), true, 0.0f, 6.0f}, {dw(7, 960, 1), false, -kInf, kInf},
      {dw(25, 64, 1), true, 0.0f, kInf},  {dw(9, 5, 1, 3), true, -kInf, kInf},
  };
  for (const ConvCase& c : cases) check_conv(*kernels_, c, true, rng);
}

void check_fc(const F32Kernels& k, size_t m, size_t n, size_t kk, bool use_bias, float lo, float hi,
              Rng& rng) {
  const auto x = random_floats(rng, m * kk);
  const auto w = random_floats(rng, n * kk);
  const auto b = random_floats(rng, n);
  const float* bias = use_bias ? b.data() : nullptr;
  std::vector<float> want(m * n);
  ref::fully_connected_f32(m, n, kk, x.data(), w.data(), bias, lo, hi, want.data());
  const std::string what = std::string(k.name) + " fc m=" + std::to_string(m) +
                           " n=" + std::to_string(n) + " k=" + std::to_string(kk);
  // Rows and columns both split, as the runtime splits rows (batches) or N (GEMV).
  const auto row_cuts = random_cuts(rng, m, random_int(rng, 1, 3));
  const auto col_cuts = random_cuts(rng, n, random_int(rng, 1, 3));
  std::vector<float> got(m * n, std::nanf(""));
  for (size_t r = 0; r + 1 < row_cuts.size(); ++r) {
    for (size_t c = 0; c + 1 < col_cuts.size(); ++c) {
      std::vector<float> before = got;
      k.fully_connected(m, n, kk, x.data(), w.data(), bias, lo, hi, got.data(), row_cuts[r],
                        row_cuts[r + 1], col_cuts[c], col_cuts[c + 1]);
      for (size_t e = 0; e < got.size(); ++e) {
        const size_t i = e / n, j = e % n;
        if (i >= row_cuts[r] && i < row_cuts[r + 1] && j >= col_cuts[c] && j < col_cuts[c + 1])
          continue;
        const bool same = (std::isnan(before[e]) && std::isnan(got[e])) || before[e] == got[e];
        if (!same) {
          ADD_FAILURE() << what << ": wrote element " << e << " outside its range";
          return;
        }
      }
    }
  }
  expect_close(got, want, kk, what);
}

TEST_P(F32KernelsTest, FullyConnectedShapes) {
  Rng rng(555);
  for (size_t m : {1, 2, 3, 4, 5, 8, 9}) {
    for (size_t n : {1, 3, 4, 7, 8, 9, 17, 33}) {
      for (size_t kk : {1, 3, 8, 15, 16, 17, 64, 100, 257}) {
        check_fc(*kernels_, m, n, kk, (m + n + kk) % 3 != 0, (kk % 2) ? -kInf : 0.0f,
                 (kk % 4 == 1) ? 0.5f : kInf, rng);
        if (HasFailure()) return;
      }
    }
  }
  // Model classifiers: ResNet-8 (64 -> 10), MobileNetV2 (1280 -> 1000), DS-CNN (64 -> 12).
  check_fc(*kernels_, 1, 10, 64, true, -kInf, kInf, rng);
  check_fc(*kernels_, 1, 1000, 1280, true, -kInf, kInf, rng);
  check_fc(*kernels_, 3, 12, 64, true, -kInf, kInf, rng);
}

TEST_P(F32KernelsTest, EmptyRangesWriteNothing) {
  Rng rng(3);
  const ref::ConvGeometry g = conv_geometry(1, 6, 6, 5, 7, 3, 3, 1, 1, 1);
  const auto x = random_floats(rng, 6 * 6 * 5), w = random_floats(rng, 7 * 9 * 5);
  std::vector<float> y(36 * 7, 42.0f);
  kernels_->conv2d(g, x.data(), w.data(), nullptr, -kInf, kInf, y.data(), 10, 10, 0, 7);
  kernels_->conv2d(g, x.data(), w.data(), nullptr, -kInf, kInf, y.data(), 0, 36, 3, 3);
  kernels_->dwconv2d(g, x.data(), w.data(), nullptr, -kInf, kInf, y.data(), 36, 36);
  kernels_->fully_connected(4, 7, 5, x.data(), w.data(), nullptr, -kInf, kInf, y.data(), 2, 2, 0,
                            7);
  for (float v : y) ASSERT_EQ(v, 42.0f);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, F32KernelsTest,
                         ::testing::Values(Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512Vnni, Isa::kNeon,
                                           Isa::kDotprod, Isa::kI8mm),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

TEST(F32KernelsSelection, ScalarHasNoFastPathAndTheHostIsaHasOne) {
  EXPECT_EQ(f32_kernels(Isa::kScalar), nullptr);
#if defined(__x86_64__)
  if (isa_available(Isa::kAvx2)) EXPECT_NE(f32_kernels(Isa::kAvx2), nullptr);
  if (isa_available(Isa::kAvx512Vnni)) {
    ASSERT_NE(f32_kernels(Isa::kAvx512Vnni), nullptr);
    EXPECT_STREQ(f32_kernels(Isa::kAvx512Vnni)->name, "avx512");
  }
#elif defined(__aarch64__)
  EXPECT_NE(f32_kernels(Isa::kNeon), nullptr);
#endif
  // A path the CPU lacks is never returned.
  for (int i = 0; i < kIsaCount; ++i) {
    if (!isa_available(static_cast<Isa>(i))) EXPECT_EQ(f32_kernels(static_cast<Isa>(i)), nullptr);
  }
}

}  // namespace
}  // namespace octet
