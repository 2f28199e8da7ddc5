// Reference broadcasting binary ops and quantize/dequantize/requantize against an
// independent double model (broadcast indices recomputed from unravelled coordinates).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/reference/reference.h"

namespace octet {
namespace {

using test::Rng;

int64_t count_of(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

// Offset into an operand of shape `shape` (right-aligned to `out_shape`) for the output
// element with flat index `flat`.
int64_t operand_offset(const std::vector<int32_t>& shape, const std::vector<int64_t>& out_shape,
                       int64_t flat) {
  const size_t rank = out_shape.size();
  std::vector<int64_t> coord(rank);
  for (size_t d = rank; d-- > 0;) {
    coord[d] = flat % out_shape[d];
    flat /= out_shape[d];
  }
  int64_t offset = 0;
  const size_t lead = rank - shape.size();
  for (size_t d = 0; d < shape.size(); ++d) {
    const int64_t c = shape[d] == 1 ? 0 : coord[lead + d];
    offset = offset * shape[d] + c;
  }
  return offset;
}

struct ShapePair {
  std::vector<int32_t> a, b;
};

const ShapePair kShapePairs[] = {
    {{7}, {7}},
    {{2, 3, 4}, {3, 1}},
    {{1}, {5, 2}},
    {{4, 1, 3}, {1, 5, 1}},
    {{2, 1, 3, 1}, {2, 5, 1, 4}},
    {{}, {3, 2}},
    {{1, 2, 1, 2, 1, 3}, {2, 1, 2, 1, 3, 1}},
    {{33, 17}, {33, 17}},
};

TEST(ReferenceElementwiseTest, MakeBroadcastShapesAndStrides) {
  ref::Broadcast bc;
  const int32_t a[] = {4, 1, 3};
  const int32_t b[] = {5, 1};
  ASSERT_TRUE(ref::make_broadcast(a, 3, b, 2, &bc));
  ASSERT_EQ(bc.rank, 3);
  EXPECT_EQ(bc.out[0], 4);
  EXPECT_EQ(bc.out[1], 5);
  EXPECT_EQ(bc.out[2], 3);
  EXPECT_EQ(bc.a_stride[0], 3);
  EXPECT_EQ(bc.a_stride[1], 0);
  EXPECT_EQ(bc.a_stride[2], 1);
  EXPECT_EQ(bc.b_stride[0], 0);
  EXPECT_EQ(bc.b_stride[1], 1);
  EXPECT_EQ(bc.b_stride[2], 0);
  const int32_t c[] = {2, 3};
  const int32_t d[] = {4, 3};
  EXPECT_FALSE(ref::make_broadcast(c, 2, d, 2, &bc));
  const int32_t too_long[] = {1, 1, 1, 1, 1, 1, 1};
  EXPECT_FALSE(ref::make_broadcast(too_long, 7, c, 2, &bc));
}

enum class Op { kAdd, kSub, kMul };

void check_qs8_binary(Op op, Rng& rng, const ShapePair& shapes, ref::QParams qa, ref::QParams qb,
                      ref::QParams qy, int qmin, int qmax) {
  ref::Broadcast bc;
  ASSERT_TRUE(ref::make_broadcast(shapes.a.data(), static_cast<int>(shapes.a.size()),
                                  shapes.b.data(), static_cast<int>(shapes.b.size()), &bc));
  const auto a = test::random_int8(rng, count_of(shapes.a));
  const auto b = test::random_int8(rng, count_of(shapes.b));
  std::vector<int64_t> out_shape(bc.out, bc.out + bc.rank);
  int64_t total = 1;
  for (int64_t d : out_shape) total *= d;
  std::vector<int8_t> y(total);
  switch (op) {
    case Op::kAdd:
      ref::add_qs8(bc, a.data(), qa, b.data(), qb, qy, qmin, qmax, y.data());
      break;
    case Op::kSub:
      ref::sub_qs8(bc, a.data(), qa, b.data(), qb, qy, qmin, qmax, y.data());
      break;
    case Op::kMul:
      ref::mul_qs8(bc, a.data(), qa, b.data(), qb, qy, qmin, qmax, y.data());
      break;
  }
  std::vector<int> want(total);
  for (int64_t i = 0; i < total; ++i) {
    const double av =
        (a[operand_offset(shapes.a, out_shape, i)] - qa.zero_point) * double(qa.scale);
    const double bv =
        (b[operand_offset(shapes.b, out_shape, i)] - qb.zero_point) * double(qb.scale);
    const double real = op == Op::kAdd ? av + bv : op == Op::kSub ? av - bv : av * bv;
    want[i] = test::quantize_exact(real, qy.scale, qy.zero_point, qmin, qmax);
  }
  if (total >= 32) {
    test::expect_within_one_lsb(y, want, "binary op " + std::to_string(int(op)));
  } else {
    // Small outputs: only the 1-LSB bound (too few elements for statistics).
    for (int64_t i = 0; i < total; ++i) EXPECT_LE(std::abs(y[i] - want[i]), 1) << i;
  }
}

TEST(ReferenceElementwiseTest, Qs8BinaryOpsMatchDoubleModel) {
  Rng rng(11);
  const ref::QParams qa{0.05f, -128}, qb{0.03f, 127}, qsum{0.08f, 3}, qprod{0.6f, -20};
  const ref::QParams qc{0.011f, 10}, qd{0.013f, -5}, qe{0.02f, -128};
  for (const ShapePair& shapes : kShapePairs) {
    check_qs8_binary(Op::kAdd, rng, shapes, qa, qb, qsum, -128, 127);
    check_qs8_binary(Op::kSub, rng, shapes, qa, qb, qsum, -128, 127);
    check_qs8_binary(Op::kMul, rng, shapes, qa, qb, qprod, -128, 127);
    // Saturating output scale and a fused ReLU range.
    check_qs8_binary(Op::kAdd, rng, shapes, qc, qd, qe, -128, 127);
    check_qs8_binary(Op::kSub, rng, shapes, qc, qd, ref::QParams{0.01f, 127}, -128, 127);
    check_qs8_binary(Op::kMul, rng, shapes, qc, qd, ref::QParams{0.05f, 0}, 0, 127);
  }
}

TEST(ReferenceElementwiseTest, Qs8AddSaturatesAndRoundsHalfToEven) {
  ref::Broadcast bc;
  const int32_t shape[] = {4};
  ASSERT_TRUE(ref::make_broadcast(shape, 1, shape, 1, &bc));
  const int8_t a[] = {127, -128, 1, 3};
  const int8_t b[] = {127, -128, 0, 0};
  const ref::QParams q1{1.0f, 0}, half{2.0f, 0};
  int8_t y[4];
  // y = (a + b) / 2 exactly: 127 -> 127, -128 -> -128, 0.5 -> 0, 1.5 -> 2.
  ref::add_qs8(bc, a, q1, b, q1, half, -128, 127, y);
  EXPECT_EQ(y[0], 127);
  EXPECT_EQ(y[1], -128);
  EXPECT_EQ(y[2], 0);
  EXPECT_EQ(y[3], 2);
  ref::add_qs8(bc, a, q1, b, q1, q1, -128, 127, y);  // 254 and -256 saturate
  EXPECT_EQ(y[0], 127);
  EXPECT_EQ(y[1], -128);
}

TEST(ReferenceElementwiseTest, F32BinaryOpsMatchDoubleModel) {
  Rng rng(12);
  for (const ShapePair& shapes : kShapePairs) {
    ref::Broadcast bc;
    ASSERT_TRUE(ref::make_broadcast(shapes.a.data(), static_cast<int>(shapes.a.size()),
                                    shapes.b.data(), static_cast<int>(shapes.b.size()), &bc));
    const auto a = test::random_float(rng, count_of(shapes.a), -3.0f, 3.0f);
    const auto b = test::random_float(rng, count_of(shapes.b), 0.5f, 2.0f);
    std::vector<int64_t> out_shape(bc.out, bc.out + bc.rank);
    int64_t total = 1;
    for (int64_t d : out_shape) total *= d;
    for (ref::BinaryOp op :
         {ref::BinaryOp::kAdd, ref::BinaryOp::kSub, ref::BinaryOp::kMul, ref::BinaryOp::kDiv}) {
      std::vector<float> y(total);
      ref::binary_f32(op, bc, a.data(), b.data(), -2.5f, 2.5f, y.data());
      for (int64_t i = 0; i < total; ++i) {
        const double av = a[operand_offset(shapes.a, out_shape, i)];
        const double bv = b[operand_offset(shapes.b, out_shape, i)];
        double v = op == ref::BinaryOp::kAdd   ? av + bv
                   : op == ref::BinaryOp::kSub ? av - bv
                   : op == ref::BinaryOp::kMul ? av * bv
                                               : av / bv;
        v = std::min(std::max(v, -2.5), 2.5);
        ASSERT_NEAR(y[i], v, 1e-5) << "op " << int(op) << " element " << i;
      }
    }
  }
}

TEST(ReferenceElementwiseTest, QuantizeRoundsHalfToEvenAndSaturates) {
  const ref::QParams q{0.5f, 3};
  const float x[] = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 1000.0f, -1000.0f, NAN, 0.0f};
  int8_t y[9];
  ref::quantize_f32_s8(9, x, q, y);
  // x / 0.5 = 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> 0, -1.5 -> -2; then + 3.
  const int8_t want[] = {3, 5, 5, 3, 1, 127, -128, 3, 3};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(y[i], want[i]) << i;
  uint8_t u[9];
  ref::quantize_f32_u8(9, x, ref::QParams{0.5f, 128}, u);
  const uint8_t want_u[] = {128, 130, 129 + 1, 128, 126, 255, 0, 128, 128};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(u[i], want_u[i]) << i;
}

TEST(ReferenceElementwiseTest, DequantizeIsExact) {
  const int8_t x[] = {-128, -1, 0, 5, 127};
  float y[5];
  ref::dequantize_s8_f32(5, x, ref::QParams{0.25f, -3}, y);
  const float want[] = {-31.25f, 0.5f, 0.75f, 2.0f, 32.5f};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(y[i], want[i]) << i;
  const uint8_t u[] = {0, 128, 255};
  float yu[3];
  ref::dequantize_u8_f32(3, u, ref::QParams{0.5f, 128}, yu);
  EXPECT_EQ(yu[0], -64.0f);
  EXPECT_EQ(yu[1], 0.0f);
  EXPECT_EQ(yu[2], 63.5f);
}

TEST(ReferenceElementwiseTest, RequantizeBetween8BitTypes) {
  Rng rng(13);
  const auto x = test::random_int8(rng, 512);
  std::vector<uint8_t> xu(x.size());
  for (size_t i = 0; i < x.size(); ++i) xu[i] = static_cast<uint8_t>(x[i] + 128);
  // Same scale, zero point shifted by 128: s8 <-> u8 is an exact offset.
  std::vector<int8_t> y(x.size());
  std::vector<uint8_t> yu(x.size());
  ref::requantize_u8_s8(xu.size(), xu.data(), ref::QParams{0.1f, 128}, ref::QParams{0.1f, 0},
                        y.data());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], x[i]);
  ref::requantize_s8_u8(x.size(), x.data(), ref::QParams{0.1f, 0}, ref::QParams{0.1f, 128},
                        yu.data());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(yu[i], xu[i]);
  ref::requantize_s8_s8(x.size(), x.data(), ref::QParams{0.3f, 7}, ref::QParams{0.3f, 7}, y.data());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], x[i]);
  // A real rescale, saturating at both ends, against the double model.
  const ref::QParams qx{0.05f, -10}, qy{0.031f, 20};
  ref::requantize_s8_s8(x.size(), x.data(), qx, qy, y.data());
  std::vector<int> want(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    want[i] = test::quantize_exact((x[i] - qx.zero_point) * double(qx.scale), qy.scale,
                                   qy.zero_point, -128, 127);
  }
  test::expect_within_one_lsb(y, want, "requantize_s8_s8");
  EXPECT_NE(std::find(y.begin(), y.end(), int8_t{127}), y.end());
  ref::requantize_s8_u8(x.size(), x.data(), qx, ref::QParams{0.031f, 100}, yu.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const int w =
        test::quantize_exact((x[i] - qx.zero_point) * double(qx.scale), 0.031, 100, 0, 255);
    ASSERT_LE(std::abs(int(yu[i]) - w), 1) << i;
  }
}

// Long tensors go through a 256-entry table: same bytes as one element at a time.
TEST(ReferenceElementwiseTest, RequantizeTableMatchesElementByElement) {
  Rng rng(17);
  const auto x = test::random_int8(rng, 5000);
  std::vector<uint8_t> xu(x.size());
  for (size_t i = 0; i < x.size(); ++i) xu[i] = static_cast<uint8_t>(x[i] + 128);
  const ref::QParams qx{0.0473f, -3}, qy{0.0291f, 11}, qyu{0.0291f, 139}, qxu{0.0473f, 125};
  std::vector<int8_t> y(x.size()), y_u8_in(x.size());
  std::vector<uint8_t> yu(x.size());
  ref::requantize_s8_s8(x.size(), x.data(), qx, qy, y.data());
  ref::requantize_u8_s8(xu.size(), xu.data(), qxu, qy, y_u8_in.data());
  ref::requantize_s8_u8(x.size(), x.data(), qx, qyu, yu.data());
  for (size_t i = 0; i < x.size(); ++i) {
    int8_t one = 0, one_u8_in = 0;
    uint8_t one_u = 0;
    ref::requantize_s8_s8(1, &x[i], qx, qy, &one);
    ref::requantize_u8_s8(1, &xu[i], qxu, qy, &one_u8_in);
    ref::requantize_s8_u8(1, &x[i], qx, qyu, &one_u);
    ASSERT_EQ(y[i], one) << i;
    ASSERT_EQ(y_u8_in[i], one_u8_in) << i;
    ASSERT_EQ(yu[i], one_u) << i;
  }
}

}  // namespace
}  // namespace octet
