// Every GEMM / Conv2D / depthwise kernel variant, one test instance per Isa, byte-identical
// to the scalar reference (kernel_tester.h). An ISA that is not compiled in or not supported
// by this CPU is reported as SKIPPED, never run.
#include <gtest/gtest.h>

#include <cstdio>

#include "kernel_test_util.h"
#include "kernel_tester.h"

namespace octet {
namespace {

using test::ConvTester;
using test::DwConvTester;
using test::GemmTester;

class KernelVariantTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    const Isa isa = GetParam();
    if (!isa_compiled(isa)) GTEST_SKIP() << isa_name(isa) << ": not compiled into this build";
    if (!isa_available(isa)) GTEST_SKIP() << isa_name(isa) << ": not supported by this CPU";
  }
  Isa isa() const { return GetParam(); }
};

using GemmVariantTest = KernelVariantTest;
using Conv2dVariantTest = KernelVariantTest;
using DwConvVariantTest = KernelVariantTest;

TEST_P(GemmVariantTest, SmallShapes) {
  // Every remainder of typical register tiles (mr up to 8+, nr up to 64, k groups of 4/8).
  uint32_t seed = 1;
  for (size_t m : {1, 2, 3, 4, 5, 7, 8, 9})
    for (size_t n : {1, 3, 4, 8, 15, 16, 17, 33})
      for (size_t k : {1, 3, 4, 7, 8, 9, 16, 17, 31}) {
        GemmTester().m(m).n(n).k(k).seed(seed++).test(isa());
        if (HasFailure()) return;
      }
}

TEST_P(GemmVariantTest, LargerShapes) {
  const size_t shapes[][3] = {{1, 256, 300},  {17, 33, 257}, {64, 64, 64},  {29, 97, 130},
                              {13, 200, 77},  {4, 512, 96},  {150, 24, 32}, {3, 1000, 16},
                              {12, 65, 1024}, {31, 129, 63}, {2, 48, 513},  {100, 10, 10}};
  uint32_t seed = 100;
  for (const auto& s : shapes) {
    GemmTester().m(s[0]).n(s[1]).k(s[2]).seed(seed++).test(isa());
    if (HasFailure()) return;
  }
}

TEST_P(GemmVariantTest, PerTensorMultiplier) {
  for (size_t n : {1, 7, 16, 45, 128}) {
    GemmTester().m(9).n(n).k(37).per_channel(false).seed(static_cast<uint32_t>(n)).test(isa());
  }
}

TEST_P(GemmVariantTest, OutputZeroPointsAndClampRanges) {
  const struct {
    int32_t zero_point, qmin, qmax;
  } cases[] = {{-128, -128, 127}, {127, -128, 127}, {0, 0, 127}, {-128, -128, -128},
               {-5, -5, 40},      {100, -128, 127}, {7, 7, 7},   {-128, -100, 100}};
  uint32_t seed = 200;
  for (const auto& c : cases) {
    GemmTester()
        .m(6)
        .n(35)
        .k(48)
        .zero_point(c.zero_point)
        .qmin(c.qmin)
        .qmax(c.qmax)
        .seed(seed++)
        .test(isa());
  }
}

TEST_P(GemmVariantTest, SaturationAndExtremeOperands) {
  GemmTester().m(7).n(40).k(64).saturation(30.0f).test(isa());
  GemmTester().m(5).n(19).k(200).saturation(1000.0f).per_channel(false).test(isa());
  // |accumulator| up to 128 * 127 * K.
  for (size_t k : {1, 5, 64, 300, 1027}) {
    GemmTester().m(3).n(18).k(k).extreme_values(true).saturation(0.002f).seed(7).test(isa());
    GemmTester().m(3).n(18).k(k).extreme_values(true).test(isa());
  }
}

TEST_P(GemmVariantTest, RoundHalfToEvenTies) {
  for (size_t k : {1, 4, 9, 16, 33}) {
    GemmTester().m(8).n(37).k(k).ties(true).seed(static_cast<uint32_t>(k)).test(isa());
  }
}

TEST_P(GemmVariantTest, StridedRows) {
  GemmTester().m(9).n(21).k(30).a_stride_pad(5).c_stride_pad(3).test(isa());
  GemmTester().m(4).n(64).k(64).a_stride_pad(64).c_stride_pad(64).test(isa());
  GemmTester().m(11).n(1).k(3).a_stride_pad(1).c_stride_pad(1).test(isa());
}

TEST_P(GemmVariantTest, ColumnRangeSplits) {
  for (int splits : {2, 3, 5}) {
    GemmTester().m(5).n(200).k(40).n_splits(splits).seed(static_cast<uint32_t>(splits)).test(isa());
    GemmTester().m(1).n(515).k(64).n_splits(splits).c_stride_pad(7).test(isa());  // GEMV
    GemmTester().m(3).n(9).k(17).n_splits(splits).test(isa());
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, GemmVariantTest, ::testing::ValuesIn(test::all_isas()),
                         test::IsaName());

TEST_P(Conv2dVariantTest, Shapes) {
  using test::conv_geometry;
  const ref::ConvGeometry geometries[] = {
      // batch, in h/w/c, out c, kernel, stride, dilation, pad top/left/bottom/right
      conv_geometry(1, 7, 5, 17, 23, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),   // direct 1x1
      conv_geometry(2, 6, 6, 8, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),    // direct, batch 2
      conv_geometry(1, 9, 9, 5, 7, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0),     // 1x1 stride 2: im2col
      conv_geometry(1, 8, 8, 3, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),    // 3x3 same
      conv_geometry(1, 15, 14, 3, 24, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1),  // stride 2, asymmetric
      conv_geometry(1, 10, 9, 6, 5, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2),    // dilation 2
      conv_geometry(2, 7, 8, 4, 9, 5, 3, 1, 2, 1, 1, 2, 1, 2, 1),     // rect kernel, batch 2
      conv_geometry(1, 14, 14, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),   // 196 pixels: 3 tiles
      conv_geometry(1, 7, 7, 12, 10, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0),   // window = input
      conv_geometry(1, 2, 3, 1, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),     // kernel > input, 1 ch
  };
  uint32_t seed = 300;
  for (const ref::ConvGeometry& g : geometries) {
    ConvTester(g).seed(seed++).test(isa());
    if (HasFailure()) return;
  }
}

TEST_P(Conv2dVariantTest, ZeroPointsPerTensorAndPixelSplits) {
  const ref::ConvGeometry g = test::conv_geometry(1, 13, 11, 6, 20, 3, 3, 2, 1, 1, 1, 1, 0, 1, 2);
  ConvTester(g).x_zero_point(-128).y_zero_point(127).test(isa());
  ConvTester(g).x_zero_point(127).y_zero_point(-128).per_channel(false).test(isa());
  for (int splits : {2, 3, 7}) {
    ConvTester(g)
        .x_zero_point(-3)
        .pixel_splits(splits)
        .seed(static_cast<uint32_t>(splits))
        .test(isa());
  }
  // Splits crossing im2col tile boundaries, and on the direct 1x1 path.
  ConvTester(test::conv_geometry(1, 16, 16, 3, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1))
      .pixel_splits(3)
      .test(isa());
  ConvTester(test::conv_geometry(1, 9, 9, 16, 11, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0))
      .pixel_splits(4)
      .test(isa());
}

// Extra columns (how 9-bit weights run in the int8 GEMM): on the im2col and the pointwise path,
// across tile boundaries and pixel splits, with padding taps among the repeated columns.
TEST_P(Conv2dVariantTest, ExtraColumns) {
  using test::conv_geometry;
  ConvTester(conv_geometry(1, 8, 8, 3, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1))
      .extra_columns({0, 13, 13, 26})
      .x_zero_point(-128)
      .test(isa());
  ConvTester(conv_geometry(1, 14, 14, 16, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0))
      .extra_columns({5})
      .pixel_splits(3)
      .test(isa());
  ConvTester(conv_geometry(2, 9, 7, 5, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1))
      .extra_columns({2, 44, 44, 3})
      .x_zero_point(127)
      .pixel_splits(2)
      .test(isa());
  ConvTester(conv_geometry(1, 1, 1, 72, 100, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0))
      .extra_columns({0, 71})
      .test(isa());
}

INSTANTIATE_TEST_SUITE_P(AllIsas, Conv2dVariantTest, ::testing::ValuesIn(test::all_isas()),
                         test::IsaName());

TEST_P(DwConvVariantTest, Shapes) {
  using test::dw_geometry;
  const ref::ConvGeometry geometries[] = {
      // batch, in h/w, channels, multiplier, kernel, stride, dilation, pad t/l/b/r
      dw_geometry(1, 8, 8, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1),
      dw_geometry(1, 9, 10, 17, 1, 3, 3, 2, 1, 0, 0, 1, 1),
      dw_geometry(1, 7, 7, 24, 1, 3, 3, 2, 1, 1, 1, 1, 1),
      dw_geometry(1, 6, 9, 8, 1, 5, 5, 1, 1, 2, 2, 2, 2),
      dw_geometry(1, 5, 5, 3, 2, 3, 3, 1, 1, 1, 1, 1, 1),    // depth multiplier 2
      dw_geometry(2, 6, 5, 5, 4, 3, 3, 2, 1, 1, 1, 1, 1),    // multiplier 4, batch 2
      dw_geometry(1, 11, 10, 9, 1, 3, 3, 1, 2, 2, 2, 2, 2),  // dilation 2
      dw_geometry(1, 5, 6, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1),    // one channel
      dw_geometry(1, 6, 4, 100, 1, 3, 3, 1, 1, 1, 1, 1, 1),  // odd channel count
      dw_geometry(1, 2, 1, 70, 1, 3, 3, 1, 1, 1, 1, 1, 1),   // kernel larger than input
      dw_geometry(1, 4, 7, 67, 1, 1, 1, 1, 1, 0, 0, 0, 0),   // 1x1 taps
      dw_geometry(1, 7, 8, 48, 1, 7, 7, 1, 1, 3, 3, 3, 3),   // 7x7
  };
  uint32_t seed = 400;
  for (const ref::ConvGeometry& g : geometries) {
    if (!DwConvTester(g).seed(seed++).test(isa())) {
      GTEST_SKIP() << isa_name(isa()) << ": no depthwise kernel in this build";
    }
    if (HasFailure()) return;
  }
}

TEST_P(DwConvVariantTest, ZeroPointsClampsAndRowSplits) {
  const ref::ConvGeometry g = test::dw_geometry(2, 9, 8, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1);
  if (!DwConvTester(g).x_zero_point(-128).y_zero_point(127).test(isa())) {
    GTEST_SKIP() << isa_name(isa()) << ": no depthwise kernel in this build";
  }
  DwConvTester(g).x_zero_point(127).y_zero_point(-128).per_channel(false).test(isa());
  DwConvTester(g).y_zero_point(-20).qmin(-20).qmax(90).test(isa());  // fused ReLU-like range
  for (int splits : {2, 3, 9}) {
    DwConvTester(g)
        .x_zero_point(5)
        .row_splits(splits)
        .seed(static_cast<uint32_t>(splits))
        .test(isa());
  }
  DwConvTester(test::dw_geometry(1, 15, 15, 19, 1, 3, 3, 2, 1, 0, 0, 1, 1))
      .row_splits(4)
      .test(isa());
}

INSTANTIATE_TEST_SUITE_P(AllIsas, DwConvVariantTest, ::testing::ValuesIn(test::all_isas()),
                         test::IsaName());

// The scalar GEMM is the fallback every CPU runs: it must be registered and exact, whatever
// else the build has.
TEST(KernelVariantSummary, ListsTestedAndSkippedIsas) {
  std::string tested, skipped;
  for (Isa isa : test::all_isas()) {
    (isa_available(isa) ? tested : skipped) += std::string(" ") + isa_name(isa);
  }
  std::printf("kernel variants tested:%s; skipped (not compiled or not supported):%s\n",
              tested.c_str(), skipped.empty() ? " none" : skipped.c_str());
  ASSERT_NE(gemm_qs8_kernel(Isa::kScalar), nullptr);
  ASSERT_NE(dwconv_qs8_kernel(Isa::kScalar), nullptr);
  EXPECT_EQ(gemm_qs8_kernel(Isa::kScalar)->family, PackFamily::kRowMajor);
  EXPECT_EQ(gemm_qs8_packed_size(PackFamily::kRowMajor, 64, 64), 0u);
}

}  // namespace
}  // namespace octet
