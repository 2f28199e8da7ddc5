// x86-specific checks of the x86 kernels work:
//  - the X86Vnni / X86Avx2 packers put every weight and bias where pack_x86.h says, with
//    zero (w = 0) padding (portable: runs on every host);
//  - each compiled x86 GEMM / depthwise kernel is byte-identical to ref:: over the edges of
//    its register tiles (M = 1..2*MR+1, N around 8/16/32/64 blocks, K % 4 != 0, N ranges,
//    strides, zero points -128 / 127, saturation) and depthwise geometries (strides,
//    dilation, padding, 5x5 / 7x7, channel tails, row splits). ISAs the CPU lacks are
//    skipped with a message (never run: that would be SIGILL).
// The shared kernel tester (kernel_tester.h) does the comparison with ref::.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_tester.h"
#include "kernels/common/isa.h"
#include "kernels/gemm/pack.h"
#include "kernels/gemm/pack_x86.h"

namespace octet {
namespace {

using test::DwConvTester;
using test::GemmTester;

std::vector<int8_t> counting_weights(size_t n, size_t k) {
  std::vector<int8_t> w(n * k);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(static_cast<int>(i % 255) - 127);
  return w;
}

TEST(PackX86, VnniLayoutUnsignedWeights) {
  for (size_t n : {1, 15, 16, 17, 40}) {
    for (size_t k : {1, 3, 4, 5, 64, 67}) {
      const std::vector<int8_t> w = counting_weights(n, k);
      std::vector<int32_t> bias(n);
      for (size_t j = 0; j < n; ++j) bias[j] = static_cast<int32_t>(j * 1000) - 7;
      const size_t kc = (k + 3) / 4 * 4;
      const size_t blocks = (n + 15) / 16;
      ASSERT_EQ(pack_x86_vnni_size(n, k), blocks * (64 + 16 * kc));
      std::vector<uint8_t> out(pack_x86_vnni_size(n, k), 0xEE);
      pack_x86_vnni(n, k, w.data(), bias.data(), out.data());
      for (size_t j = 0; j < blocks * 16; ++j) {
        const uint8_t* block = out.data() + (j / 16) * (64 + 16 * kc);
        int32_t packed_bias;
        std::memcpy(&packed_bias, block + 4 * (j % 16), 4);
        for (size_t kk = 0; kk < kc; ++kk) {
          // Stored as w + 128 (the unsigned operand of vpdpbusd); padding is w = 0.
          const int want = (j < n && kk < k ? w[j * k + kk] : 0) + 128;
          const int got = block[64 + (kk / 4) * 64 + (j % 16) * 4 + kk % 4];
          ASSERT_EQ(got, want) << "n=" << n << " k=" << k << " col " << j << " k " << kk;
        }
        ASSERT_EQ(packed_bias, j < n ? bias[j] : 0) << "col " << j;
      }
    }
  }
}

TEST(PackX86, Avx2LayoutEvenOddPairs) {
  for (size_t n : {1, 7, 8, 9, 20}) {
    for (size_t k : {1, 2, 3, 4, 6, 33}) {
      const std::vector<int8_t> w = counting_weights(n, k);
      std::vector<int32_t> bias(n);
      for (size_t j = 0; j < n; ++j) bias[j] = -static_cast<int32_t>(j * 77);
      const size_t kc = (k + 3) / 4 * 4;
      const size_t blocks = (n + 7) / 8;
      const size_t block_bytes = 32 + 16 * kc;
      ASSERT_EQ(pack_x86_avx2_size(n, k), blocks * block_bytes);
      std::vector<uint8_t> out(pack_x86_avx2_size(n, k), 0xEE);
      pack_x86_avx2(n, k, w.data(), bias.data(), out.data());
      for (size_t j = 0; j < blocks * 8; ++j) {
        const uint8_t* block = out.data() + (j / 8) * block_bytes;
        int32_t packed_bias;
        std::memcpy(&packed_bias, block + 4 * (j % 8), 4);
        ASSERT_EQ(packed_bias, j < n ? bias[j] : 0);
        for (size_t kk = 0; kk < kc; ++kk) {
          const int8_t want = j < n && kk < k ? w[j * k + kk] : 0;
          const size_t g = kk / 4, parity = kk % 2, slot = (kk % 4) / 2;
          int16_t got;
          std::memcpy(&got, block + 32 + (((g * 2 + parity) * 8 + j % 8) * 2 + slot) * 2, 2);
          ASSERT_EQ(got, want) << "n=" << n << " k=" << k << " col " << j << " k " << kk;
        }
      }
    }
  }
}

const Isa kX86Isas[] = {Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512Vnni};

class X86Kernels : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!isa_compiled(GetParam())) GTEST_SKIP() << isa_name(GetParam()) << " not in this build";
    if (!isa_available(GetParam())) {
      GTEST_SKIP() << "this CPU lacks " << isa_name(GetParam()) << ": not run";
    }
  }
};

TEST_P(X86Kernels, GemmTileEdges) {
  for (size_t m : {1, 2, 3, 5, 6, 7, 8, 9, 13, 17}) {
    for (size_t n : {1, 7, 8, 9, 16, 17, 31, 33, 64, 65, 97}) {
      for (size_t k : {1, 3, 4, 5, 8, 31, 64}) {
        GemmTester().m(m).n(n).k(k).seed(static_cast<uint32_t>(m * 1000 + n * 10 + k)).test(GetParam());
        if (HasFailure()) return;
      }
    }
  }
}

// Row tails of every tile height (AVX-512: 6 rows x 4 blocks, 12 rows x 2 or 1 blocks
// when N <= 32; AVX-VNNI: 6 rows), with N column tails in each tile width.
TEST_P(X86Kernels, GemmRowTailsOfTallTiles) {
  for (size_t m : {11, 12, 13, 18, 23, 24, 25, 37}) {
    for (size_t n : {5, 16, 20, 32, 48, 63, 80}) {
      for (size_t k : {2, 64, 130}) {
        GemmTester().m(m).n(n).k(k).seed(static_cast<uint32_t>(m * 1000 + n * 10 + k)).test(GetParam());
        if (HasFailure()) return;
      }
    }
  }
}

// Multipliers >= 1 that take |acc * multiplier| past 2^31, where cvtps2dq would overflow
// without the float upper clamp (the AVX-512 kernel keeps that clamp only for such
// multipliers), and a mix where a single column has one.
TEST_P(X86Kernels, GemmHugeMultipliers) {
  for (size_t m : {1, 7, 13}) {
    GemmTester().m(m).n(70).k(300).extreme_values(true).saturation(1e6f).test(GetParam());
    GemmTester().m(m).n(33).k(64).saturation(1e6f).per_channel(false).zero_point(-100).test(GetParam());
    GemmTester().m(m).n(40).k(9).extreme_values(true).saturation(3e4f).qmin(-5).qmax(20).test(GetParam());
  }
}

TEST_P(X86Kernels, GemmLargerK) {
  for (size_t k : {255, 256, 257, 1023}) {
    GemmTester().m(11).n(45).k(k).test(GetParam());
    GemmTester().m(1).n(130).k(k).test(GetParam());
  }
}

TEST_P(X86Kernels, GemmStridesSplitsZeroPoints) {
  for (int32_t zp : {-128, 127, 0, 5}) {
    GemmTester().m(10).n(70).k(37).a_stride_pad(3).c_stride_pad(5).zero_point(zp).test(GetParam());
    GemmTester().m(1).n(200).k(40).n_splits(3).zero_point(zp).test(GetParam());
    GemmTester().m(9).n(100).k(19).n_splits(4).per_channel(false).zero_point(zp).test(GetParam());
  }
}

TEST_P(X86Kernels, GemmSaturationTiesAndExtremes) {
  GemmTester().m(9).n(40).k(64).saturation(50.0f).test(GetParam());
  GemmTester().m(9).n(40).k(64).qmin(-20).qmax(90).zero_point(-3).test(GetParam());
  GemmTester().m(5).n(33).k(8).ties(true).test(GetParam());
  GemmTester().m(8).n(32).k(300).extreme_values(true).saturation(100.0f).test(GetParam());
  GemmTester().m(3).n(17).k(1000).extreme_values(true).saturation(0.001f).test(GetParam());
}

TEST_P(X86Kernels, DwConvGeometries) {
  using test::dw_geometry;
  const ref::ConvGeometry shapes[] = {
      // batch, h, w, c, mult, kh, kw, stride, dilation, pads t l b r
      dw_geometry(1, 7, 9, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1),
      dw_geometry(1, 8, 8, 96, 1, 3, 3, 2, 1, 0, 0, 1, 1),
      dw_geometry(2, 6, 5, 17, 1, 3, 3, 1, 1, 1, 1, 1, 1),
      dw_geometry(1, 9, 10, 130, 1, 3, 3, 2, 1, 1, 1, 1, 1),
      dw_geometry(1, 11, 12, 40, 1, 5, 5, 1, 1, 2, 2, 2, 2),
      dw_geometry(1, 13, 13, 24, 1, 7, 7, 2, 1, 3, 3, 3, 3),
      dw_geometry(1, 9, 9, 33, 1, 3, 3, 1, 2, 2, 2, 2, 2),
      dw_geometry(1, 6, 7, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0),
      dw_geometry(1, 5, 6, 16, 1, 2, 4, 1, 1, 0, 1, 1, 2),
      dw_geometry(1, 6, 6, 8, 2, 3, 3, 1, 1, 1, 1, 1, 1),  // multiplier 2: fallback path
      dw_geometry(1, 4, 20, 32, 1, 1, 9, 1, 1, 0, 4, 0, 4),
      dw_geometry(1, 20, 3, 32, 1, 9, 1, 1, 1, 4, 0, 4, 0),
  };
  for (const ref::ConvGeometry& g : shapes) {
    for (int32_t zp : {-128, 127, 3}) {
      EXPECT_TRUE(DwConvTester(g).x_zero_point(zp).y_zero_point(-zp / 2).test(GetParam()));
    }
    DwConvTester(g).per_channel(false).row_splits(3).test(GetParam());
    DwConvTester(g).qmin(-10).qmax(10).x_zero_point(-128).test(GetParam());
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, X86Kernels, ::testing::ValuesIn(kX86Isas),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

}  // namespace
}  // namespace octet
