// Reference unary activations, lookup tables and softmax against double math.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/reference/reference.h"

namespace octet {
namespace {

using test::Rng;

double model_unary(ref::UnaryOp op, double x) {
  switch (op) {
    case ref::UnaryOp::kRelu:
      return x < 0 ? 0 : x;
    case ref::UnaryOp::kRelu6:
      return x < 0 ? 0 : x > 6 ? 6 : x;
    case ref::UnaryOp::kLogistic:
      return 1.0 / (1.0 + std::exp(-x));
    case ref::UnaryOp::kTanh:
      return std::tanh(x);
    case ref::UnaryOp::kHardSwish: {
      const double r = x + 3 < 0 ? 0 : x + 3 > 6 ? 6 : x + 3;
      return x * r / 6;
    }
    case ref::UnaryOp::kSqrt:
    default:
      return std::sqrt(x);
  }
}

const ref::UnaryOp kOps[] = {ref::UnaryOp::kRelu, ref::UnaryOp::kRelu6,     ref::UnaryOp::kLogistic,
                             ref::UnaryOp::kTanh, ref::UnaryOp::kHardSwish, ref::UnaryOp::kSqrt};

TEST(ReferenceActivationTest, UnaryF32MatchesDoubleMath) {
  Rng rng(41);
  auto x = test::random_float(rng, 200, -10.0f, 10.0f);
  x.insert(x.end(), {-3.0f, 3.0f, 0.0f, 6.0f, 7.5f, -0.5f, 1.0f});
  std::vector<float> y(x.size());
  for (ref::UnaryOp op : kOps) {
    std::vector<float> input = x;
    if (op == ref::UnaryOp::kSqrt) {
      for (auto& v : input) v = std::fabs(v);
    }
    ref::unary_f32(op, input.size(), input.data(), y.data());
    for (size_t i = 0; i < input.size(); ++i) {
      const double want = model_unary(op, input[i]);
      ASSERT_NEAR(y[i], want, 1e-6 * (1 + std::fabs(want)))
          << "op " << int(op) << " x=" << input[i];
      EXPECT_EQ(y[i], ref::unary_f32_scalar(op, input[i]));
    }
  }
  EXPECT_EQ(ref::unary_f32_scalar(ref::UnaryOp::kHardSwish, -3.0f), 0.0f);
  EXPECT_FLOAT_EQ(ref::unary_f32_scalar(ref::UnaryOp::kHardSwish, 1.0f), 4.0f / 6.0f);
  EXPECT_EQ(ref::unary_f32_scalar(ref::UnaryOp::kRelu6, 7.0f), 6.0f);
}

float logistic(float x) { return 1.0f / (1.0f + std::exp(-x)); }
float hard_swish(float x) { return ref::unary_f32_scalar(ref::UnaryOp::kHardSwish, x); }

TEST(ReferenceActivationTest, BuildLutMatchesDoubleModel) {
  const struct {
    float (*f)(float);
    ref::UnaryOp op;
    ref::QParams qx, qy;
    int qmin, qmax;
  } cases[] = {
      {logistic, ref::UnaryOp::kLogistic, {0.05f, -3}, {1.0f / 256, -128}, -128, 127},
      {hard_swish, ref::UnaryOp::kHardSwish, {0.04f, 127}, {0.03f, -20}, -128, 127},
      {hard_swish, ref::UnaryOp::kHardSwish, {0.1f, -128}, {0.02f, 0}, -128, 127},  // saturates
  };
  for (const auto& c : cases) {
    std::vector<int8_t> table(256);
    ref::build_lut_s8(c.f, c.qx, c.qy, c.qmin, c.qmax, table.data());
    std::vector<int> want(256);
    for (int q = -128; q <= 127; ++q) {
      const double real = model_unary(c.op, (q - c.qx.zero_point) * double(c.qx.scale));
      want[q + 128] = test::quantize_exact(real, c.qy.scale, c.qy.zero_point, c.qmin, c.qmax);
    }
    test::expect_within_one_lsb(table, want, "lut op " + std::to_string(int(c.op)));
  }
}

TEST(ReferenceActivationTest, LutIndexesByOffsetBinary) {
  std::vector<int8_t> table(256);
  for (int i = 0; i < 256; ++i) table[i] = static_cast<int8_t>(127 - i);  // y = -1 - x
  Rng rng(42);
  const auto x = test::random_int8(rng, 300);
  std::vector<int8_t> y(x.size());
  ref::lut_s8(x.size(), x.data(), table.data(), y.data());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], -1 - x[i]) << int(x[i]);
}

TEST(ReferenceActivationTest, SoftmaxF32MatchesDoubleModel) {
  Rng rng(43);
  const size_t outer = 5, depth = 37;
  const auto x = test::random_float(rng, outer * depth, -20.0f, 20.0f);
  std::vector<float> y(x.size());
  for (const float beta : {1.0f, 0.3f}) {
    ref::softmax_f32(outer, depth, beta, x.data(), y.data());
    for (size_t o = 0; o < outer; ++o) {
      double sum = 0;
      for (size_t i = 0; i < depth; ++i) sum += std::exp(beta * double(x[o * depth + i]));
      for (size_t i = 0; i < depth; ++i) {
        ASSERT_NEAR(y[o * depth + i], std::exp(beta * double(x[o * depth + i])) / sum, 1e-6);
      }
    }
  }
}

TEST(ReferenceActivationTest, SoftmaxQs8MatchesDoubleModel) {
  Rng rng(44);
  const size_t outer = 8, depth = 20;
  const ref::QParams qx{0.1f, 5}, qy{1.0f / 256, -128};
  for (const float beta : {1.0f, 2.5f}) {
    float table[256];
    ref::build_softmax_table(beta, qx.scale, table);
    EXPECT_EQ(table[0], 1.0f);
    EXPECT_NEAR(table[10], std::exp(-beta * 0.1 * 10), 1e-6);
    // Rows with a clear winner and flat rows (every value equal).
    auto x = test::random_int8(rng, outer * depth, -60, 60);
    for (size_t i = 0; i < depth; ++i) x[i] = 9;
    for (size_t o = 1; o < outer; o += 2) x[o * depth] = 70;  // a leading winner
    std::vector<int8_t> y(x.size());
    ref::softmax_qs8(outer, depth, x.data(), table, qy, y.data());
    std::vector<int> want(x.size());
    for (size_t o = 0; o < outer; ++o) {
      double sum = 0;
      for (size_t i = 0; i < depth; ++i)
        sum += std::exp(beta * qx.scale * double(x[o * depth + i]));
      for (size_t i = 0; i < depth; ++i) {
        const double p = std::exp(beta * qx.scale * double(x[o * depth + i])) / sum;
        want[o * depth + i] = test::quantize_exact(p, qy.scale, qy.zero_point, -128, 127);
      }
    }
    for (size_t i = 0; i < depth; ++i) ASSERT_EQ(y[i], y[0]);  // flat row stays flat
    test::expect_within_one_lsb(y, want, "softmax_qs8 beta " + std::to_string(beta));
  }
}

}  // namespace
}  // namespace octet
