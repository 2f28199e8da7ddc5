// Depthwise 3x3 fast paths of the x86 kernels against ref::dwconv2d_qs8, byte for byte:
//  - the MobileNet geometries (stride 1 / 2, SAME padding on even and odd inputs, channel
//    counts 32 / 96 / 144 / 192 whose chunks end in tails), at small spatial sizes;
//  - 32-channel layers (the AVX512 kernel puts two pixels in one vector) at odd widths, so
//    the last vector holds one pixel and the padding column is half inside the row;
//  - one-row and two-row passes (odd row counts, row splits as threads use them), and a row
//    too wide for the AVX512 kernel's stack row of zero points (general path);
//  - requantization variants: clamps at qmin / qmax inside (-128, 127), zero points at both
//    ends, and multipliers large enough that products pass 2^31 (the float-clamp path).
// ISAs this build or CPU lacks are skipped with a message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel_tester.h"
#include "kernels/common/isa.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/reference/reference.h"

namespace octet {
namespace {

using test::dw_geometry;
using test::DwConvTester;

const Isa kX86Isas[] = {Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512Vnni};

class X86DwConv3x3 : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!isa_compiled(GetParam())) GTEST_SKIP() << isa_name(GetParam()) << " not in this build";
    if (!isa_available(GetParam())) {
      GTEST_SKIP() << "this CPU lacks " << isa_name(GetParam()) << ": not run";
    }
  }
};

// SAME padding as TensorFlow computes it (stride 2 on an even input pads bottom/right only).
ref::ConvGeometry same_3x3(int batch, int h, int w, int c, int stride) {
  const int out_h = (h + stride - 1) / stride, out_w = (w + stride - 1) / stride;
  const int pad_h = std::max(0, (out_h - 1) * stride + 3 - h);
  const int pad_w = std::max(0, (out_w - 1) * stride + 3 - w);
  return dw_geometry(batch, h, w, c, 1, 3, 3, stride, 1, pad_h / 2, pad_w / 2, pad_h - pad_h / 2,
                     pad_w - pad_w / 2);
}

TEST_P(X86DwConv3x3, MobileNetGeometries) {
  uint32_t seed = 900;
  for (int c : {32, 96, 144, 192, 16, 48, 64, 100}) {
    for (int stride : {1, 2}) {
      for (int hw : {1, 2, 5, 8, 9}) {
        const ref::ConvGeometry g = same_3x3(1, hw, hw + (c % 3), c, stride);
        const int32_t x_zero_point = -128 + static_cast<int32_t>(seed % 7);
        EXPECT_TRUE(DwConvTester(g)
                        .seed(seed++)
                        .x_zero_point(x_zero_point)
                        .y_zero_point(-5)
                        .test(GetParam()));
        if (HasFailure()) return;
      }
    }
  }
}

TEST_P(X86DwConv3x3, PaddingRowsSplitsAndBatches) {
  const ref::ConvGeometry shapes[] = {
      // batch, h, w, c, mult, kh, kw, stride, dilation, pads t l b r
      dw_geometry(2, 7, 7, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1),   // odd width, two pixels a vector
      dw_geometry(1, 6, 11, 32, 1, 3, 3, 1, 1, 0, 0, 0, 0),  // no padding (valid)
      dw_geometry(1, 6, 10, 32, 1, 3, 3, 1, 1, 2, 2, 0, 2),  // more padding than the kernel's
      dw_geometry(1, 9, 9, 96, 1, 3, 3, 2, 1, 1, 1, 1, 1),   // stride 2, odd input, pad 1 all round
      dw_geometry(1, 10, 7, 144, 1, 3, 3, 2, 1, 0, 1, 1, 1),
      dw_geometry(1, 9, 8, 40, 1, 3, 3, 1, 1, 1, 0, 1, 2),
      dw_geometry(1, 3, 260, 130, 1, 3, 3, 1, 1, 1, 1, 1, 1),  // row wider than 32 KiB
      dw_geometry(1, 5, 4, 600, 1, 3, 3, 1, 1, 1, 1, 1, 1),    // 10 chunks of 64 (groups of 8)
      dw_geometry(1, 6, 5, 1100, 1, 3, 3, 2, 1, 0, 0, 1, 1),   // 18 chunks, tail of 12
  };
  for (const ref::ConvGeometry& g : shapes) {
    for (int splits : {1, 2, 3, 5}) {
      EXPECT_TRUE(DwConvTester(g).row_splits(splits).x_zero_point(7).test(GetParam()));
    }
    DwConvTester(g).x_zero_point(127).y_zero_point(-128).per_channel(false).test(GetParam());
    DwConvTester(g).x_zero_point(-128).y_zero_point(127).test(GetParam());
    DwConvTester(g).y_zero_point(-128).qmin(-128).qmax(40).test(GetParam());  // ReLU6-like
    DwConvTester(g).y_zero_point(-20).qmin(-20).qmax(127).test(GetParam());   // ReLU-like
    DwConvTester(g).y_zero_point(3).qmin(-60).qmax(61).test(GetParam());
    if (HasFailure()) return;
  }
}

// Multipliers large enough that |acc * multiplier| passes 2^31 in some lanes (cvtps2dq
// would overflow without the float clamp), with extreme inputs and weights.
TEST_P(X86DwConv3x3, SaturatingProducts) {
  const Isa isa = GetParam();
  const DwConvQs8Kernel* kernel = dwconv_qs8_kernel(isa);
  ASSERT_NE(kernel, nullptr);
  test::Rng rng(77);
  for (int c : {32, 64, 80}) {
    for (int stride : {1, 2}) {
      const ref::ConvGeometry g = same_3x3(1, 7, 9, c, stride);
      std::vector<int8_t> x = test::random_int8(rng, static_cast<size_t>(g.in_h) * g.in_w * c);
      for (size_t i = 0; i < x.size(); i += 3) x[i] = static_cast<int8_t>(i % 2 ? 127 : -128);
      std::vector<int8_t> w = test::random_int8(rng, 9 * static_cast<size_t>(c), -127, 127);
      std::vector<int32_t> bias(c);
      std::vector<float> multiplier(c);
      for (int ch = 0; ch < c; ++ch) {
        bias[ch] = test::random_int(rng, -100000, 100000);
        // Small multipliers for some channels, huge (and negative) for others.
        multiplier[ch] =
            ch % 4 == 0 ? 0.001f : (ch % 4 == 1 ? 3.0e4f : (ch % 4 == 2 ? -7.5e5f : 1.5f));
      }
      for (const int32_t zp : {-128, 0, 100}) {
        ref::Requant rq;
        rq.multiplier = multiplier.data();
        rq.zero_point = zp;
        rq.qmin = zp == 0 ? -50 : -128;
        rq.qmax = zp == 0 ? 50 : 127;
        const size_t out_size = static_cast<size_t>(g.out_h) * g.out_w * c;
        std::vector<int8_t> want(out_size), got(out_size, 0x55);
        ref::dwconv2d_qs8(g, x.data(), 9, w.data(), bias.data(), rq, want.data());
        DwConvQs8Params p;
        p.g = g;
        p.x = x.data();
        p.x_zero_point = 9;
        p.w = w.data();
        p.bias = bias.data();
        p.rq = rq;
        p.y = got.data();
        p.oh_begin = 0;
        p.oh_end = g.out_h;
        kernel->run(p);
        size_t mismatches = 0;
        for (size_t i = 0; i < out_size; ++i) mismatches += got[i] != want[i];
        EXPECT_EQ(mismatches, 0u) << isa_name(isa) << " c=" << c << " stride " << stride << " zp "
                                  << zp;
      }
    }
  }
}

// Depth multiplier != 1 (the AVX512 kernel repeats the input channels into its scratch):
// micro_speech's 1 -> 8 channel 10x8 stride-2 layer, and small multiplier-2/3 shapes, with
// row splits as threads run them (each split expands only the rows it reads).
TEST_P(X86DwConv3x3, DepthMultiplier) {
  const ref::ConvGeometry shapes[] = {
      // batch, h, w, c, mult, kh, kw, stride, dilation, pads t l b r
      dw_geometry(1, 49, 40, 1, 8, 10, 8, 2, 1, 4, 3, 5, 3),
      dw_geometry(2, 7, 6, 24, 2, 3, 3, 1, 1, 1, 1, 1, 1),
      dw_geometry(1, 9, 8, 5, 3, 3, 3, 2, 1, 0, 0, 1, 1),
      dw_geometry(1, 6, 7, 40, 2, 5, 5, 1, 1, 2, 2, 2, 2),
  };
  for (const ref::ConvGeometry& g : shapes) {
    for (int splits : {1, 3}) {
      EXPECT_TRUE(DwConvTester(g).row_splits(splits).x_zero_point(-9).test(GetParam()));
    }
    DwConvTester(g).x_zero_point(127).y_zero_point(-128).qmin(-128).qmax(30).test(GetParam());
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, X86DwConv3x3, ::testing::ValuesIn(kX86Isas),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

}  // namespace
}  // namespace octet
