// Every int8 elementwise kernel variant (kernels/elementwise: Add/Sub/Mul with broadcasts,
// MaxPool/AveragePool, spatial Mean, 256-entry LUT), one test instance per Isa, byte-identical
// to the scalar reference (kernels/reference). An ISA that is not compiled in or not supported
// by this CPU is reported as SKIPPED, never run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/reference/reference.h"

namespace octet {
namespace {

using test::random_int;
using test::random_int8;
using test::Rng;

class ElementwiseVariantTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    const Isa isa = GetParam();
    if (!isa_compiled(isa)) GTEST_SKIP() << isa_name(isa) << ": not compiled into this build";
    if (!isa_available(isa)) GTEST_SKIP() << isa_name(isa) << ": not supported by this CPU";
    kernels_ = elementwise_qs8_kernels(isa);
    ASSERT_NE(kernels_, nullptr) << isa_name(isa)
                                 << " is compiled in but has no elementwise kernels";
  }
  const ElementwiseQs8Kernels& kernels() const { return *kernels_; }

 private:
  const ElementwiseQs8Kernels* kernels_ = nullptr;
};

const char* op_name(BinaryQs8Op op) {
  return op == BinaryQs8Op::kAdd ? "add" : op == BinaryQs8Op::kSub ? "sub" : "mul";
}

// Quantization of one binary-op case: random, or the extremes the caller asks for.
struct BinaryQuant {
  ref::QParams qa, qb, qy;
  int32_t qmin = -128, qmax = 127;
};

BinaryQuant random_binary_quant(Rng& rng, BinaryQs8Op op) {
  BinaryQuant q;
  const int extremes[] = {-128, 127, 0, -1};
  auto zero_point = [&] {
    return random_int(rng, 0, 3) == 0 ? extremes[random_int(rng, 0, 3)]
                                      : random_int(rng, -128, 127);
  };
  q.qa = {std::ldexp(1.0f, random_int(rng, -9, -3)) * (1.0f + random_int(rng, 0, 999) / 1000.0f),
          zero_point()};
  q.qb = {std::ldexp(1.0f, random_int(rng, -9, -3)) * (1.0f + random_int(rng, 0, 999) / 1000.0f),
          zero_point()};
  // Output scale: from comfortable (few saturated values) to heavily saturating (x8).
  const float input_range = op == BinaryQs8Op::kMul ? q.qa.scale * q.qb.scale * 128.0f * 128.0f
                                                    : (q.qa.scale + q.qb.scale) * 128.0f;
  const float saturation = random_int(rng, 0, 3) == 0 ? 8.0f : 1.0f;
  q.qy = {input_range / (128.0f * saturation) * (0.5f + random_int(rng, 0, 999) / 1000.0f),
          zero_point()};
  if (random_int(rng, 0, 4) == 0) {  // a fused ReLU-like clamp
    q.qmin = std::max(-128, q.qy.zero_point);
    q.qmax = random_int(rng, q.qmin, 127);
  }
  return q;
}

// Runs one broadcast case through the reference and the kernels, expects the same bytes.
void check_binary(const ElementwiseQs8Kernels& k, BinaryQs8Op op,
                  const std::vector<int32_t>& a_shape, const std::vector<int32_t>& b_shape,
                  const BinaryQuant& q, Rng& rng, const std::string& what) {
  ref::Broadcast bc;
  ASSERT_TRUE(ref::make_broadcast(a_shape.data(), static_cast<int>(a_shape.size()), b_shape.data(),
                                  static_cast<int>(b_shape.size()), &bc));
  auto elements = [](const std::vector<int32_t>& shape) {
    size_t n = 1;
    for (int32_t d : shape) n *= static_cast<size_t>(d);
    return n;
  };
  size_t out_count = 1;
  for (int d = 0; d < bc.rank; ++d) out_count *= static_cast<size_t>(bc.out[d]);
  const std::vector<int8_t> a = random_int8(rng, elements(a_shape));
  const std::vector<int8_t> b = random_int8(rng, elements(b_shape));
  std::vector<int8_t> want(out_count), got(out_count, 0x55);
  switch (op) {
    case BinaryQs8Op::kAdd:
      ref::add_qs8(bc, a.data(), q.qa, b.data(), q.qb, q.qy, q.qmin, q.qmax, want.data());
      break;
    case BinaryQs8Op::kSub:
      ref::sub_qs8(bc, a.data(), q.qa, b.data(), q.qb, q.qy, q.qmin, q.qmax, want.data());
      break;
    case BinaryQs8Op::kMul:
      ref::mul_qs8(bc, a.data(), q.qa, b.data(), q.qb, q.qy, q.qmin, q.qmax, want.data());
      break;
  }
  binary_qs8(k, op, bc, a.data(), q.qa, b.data(), q.qb, q.qy, q.qmin, q.qmax, got.data());
  for (size_t i = 0; i < out_count; ++i) {
    if (got[i] != want[i]) {
      ADD_FAILURE() << what << " " << op_name(op) << ": element " << i << " of " << out_count
                    << " is " << int{got[i]} << ", reference " << int{want[i]} << " (sa "
                    << q.qa.scale << " za " << q.qa.zero_point << ", sb " << q.qb.scale << " zb "
                    << q.qb.zero_point << ", sy " << q.qy.scale << " zy " << q.qy.zero_point
                    << ", clamp " << q.qmin << ".." << q.qmax << ")";
      return;
    }
  }
}

std::string shape_string(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

constexpr BinaryQs8Op kBinaryOps[] = {BinaryQs8Op::kAdd, BinaryQs8Op::kSub, BinaryQs8Op::kMul};

TEST_P(ElementwiseVariantTest, BinarySameShapeEverySize) {
  Rng rng(11);
  for (BinaryQs8Op op : kBinaryOps) {
    for (int32_t n = 1; n <= 300; ++n) {
      check_binary(kernels(), op, {n}, {n}, random_binary_quant(rng, op), rng,
                   "n=" + std::to_string(n));
      if (HasFailure()) return;
    }
  }
}

TEST_P(ElementwiseVariantTest, BinaryLargeResidualShapes) {
  Rng rng(12);
  const std::vector<int32_t> shapes[] = {{1, 32, 32, 16}, {1, 16, 16, 32}, {1, 8, 8, 64},
                                         {1, 56, 56, 24}, {1, 7, 7, 160},  {2, 5, 7, 33}};
  for (BinaryQs8Op op : kBinaryOps) {
    for (const auto& shape : shapes) {
      check_binary(kernels(), op, shape, shape, random_binary_quant(rng, op), rng,
                   shape_string(shape));
      if (HasFailure()) return;
    }
  }
}

TEST_P(ElementwiseVariantTest, BinaryBroadcasts) {
  Rng rng(13);
  struct Case {
    std::vector<int32_t> a, b;
  };
  std::vector<Case> cases;
  for (int32_t c : {1, 3, 15, 16, 17, 31, 64, 65, 100, 257}) {
    cases.push_back({{1, 5, 3, c}, {c}});           // per-channel operand
    cases.push_back({{c}, {1, 3, 5, c}});           // ... on the left
    cases.push_back({{1, 4, 3, c}, {1, 1, 1, c}});  // squeeze-excite style
    cases.push_back({{1, 4, 3, c}, {1, 4, 3, 1}});  // per-pixel scalar
    cases.push_back({{2, 3, c}, {}});               // scalar
    cases.push_back({{1}, {2, c, 3}});              // scalar on the left
    cases.push_back({{2, 1, c}, {1, 3, 1}});        // both broadcast
    cases.push_back({{3, 1, 2, c}, {3, 4, 1, c}});
    cases.push_back({{c, 1}, {1, 7}});  // outer product
  }
  cases.push_back({{}, {}});
  cases.push_back({{1, 1}, {1}});
  for (BinaryQs8Op op : kBinaryOps) {
    for (const Case& c : cases) {
      check_binary(kernels(), op, c.a, c.b, random_binary_quant(rng, op), rng,
                   shape_string(c.a) + " op " + shape_string(c.b));
      if (HasFailure()) return;
    }
  }
}

TEST_P(ElementwiseVariantTest, BinaryExtremeQuantization) {
  Rng rng(14);
  std::vector<BinaryQuant> quants;
  for (int32_t za : {-128, 127})
    for (int32_t zy : {-128, 127}) {
      BinaryQuant q;
      q.qa = {0.05f, za};
      q.qb = {0.02f, -za - 1};
      q.qy = {0.004f, zy};  // saturates most results
      quants.push_back(q);
      q.qy = {1.0f, zy};  // rounds to a few values, many .5 ties for Add
      quants.push_back(q);
    }
  BinaryQuant tie;  // integer multipliers of 0.5: every other Add result is a .5 tie
  tie.qa = {0.5f, 3}, tie.qb = {1.5f, -7}, tie.qy = {1.0f, 0};
  quants.push_back(tie);
  BinaryQuant infinite;  // sa / sy overflows to inf: inf * 0 = NaN must give the zero point
  infinite.qa = {3e38f, 0}, infinite.qb = {3e38f, 5}, infinite.qy = {1e-3f, 9};
  quants.push_back(infinite);
  for (BinaryQs8Op op : kBinaryOps) {
    for (const BinaryQuant& q : quants) {
      for (int32_t n : {1, 17, 64, 203}) {
        check_binary(kernels(), op, {n}, {n}, q, rng, "extreme n=" + std::to_string(n));
        check_binary(kernels(), op, {2, n}, {n}, q, rng,
                     "extreme broadcast n=" + std::to_string(n));
        if (HasFailure()) return;
      }
    }
  }
}

TEST_P(ElementwiseVariantTest, BinaryUnalignedRows) {
  // The row kernel on pointers at every offset within a vector, without the driver.
  Rng rng(15);
  const std::vector<int8_t> a = random_int8(rng, 400), b = random_int8(rng, 400);
  for (BinaryQs8Op op : kBinaryOps) {
    const BinaryQuant q = random_binary_quant(rng, op);
    const BinaryQs8Params p = make_binary_qs8_params(q.qa, q.qb, q.qy, q.qmin, q.qmax);
    const ElementwiseQs8Kernels* scalar = elementwise_qs8_kernels(Isa::kScalar);
    for (size_t offset = 0; offset < 64; offset += 5) {
      for (size_t a_step : {0, 1})
        for (size_t b_step : {0, 1}) {
          const size_t n = 300 - offset;
          std::vector<int8_t> want(n), got(n);
          scalar->binary(op, n, a.data() + offset, a_step, b.data() + 63 - offset, b_step, p,
                         want.data());
          kernels().binary(op, n, a.data() + offset, a_step, b.data() + 63 - offset, b_step, p,
                           got.data());
          ASSERT_EQ(got, want) << op_name(op) << " offset " << offset << " steps " << a_step << ","
                               << b_step;
        }
    }
  }
}

// ---- Pooling ----

struct PoolCase {
  ref::PoolGeometry g;
  ref::QParams qx, qy;
  int32_t qmin = -128, qmax = 127;
};

PoolCase random_pool_case(Rng& rng, int channels) {
  PoolCase c;
  ref::PoolGeometry& g = c.g;
  g.batch = random_int(rng, 1, 2);
  g.in_h = random_int(rng, 1, 9);
  g.in_w = random_int(rng, 1, 9);
  g.channels = channels;
  g.filter_h = random_int(rng, 1, 4);
  g.filter_w = random_int(rng, 1, 4);
  g.stride_h = random_int(rng, 1, 3);
  g.stride_w = random_int(rng, 1, 3);
  const bool same = random_int(rng, 0, 1) == 1;
  if (same) {  // SAME padding: out = ceil(in / stride)
    g.out_h = (g.in_h + g.stride_h - 1) / g.stride_h;
    g.out_w = (g.in_w + g.stride_w - 1) / g.stride_w;
    g.pad_top = std::max(0, ((g.out_h - 1) * g.stride_h + g.filter_h - g.in_h) / 2);
    g.pad_left = std::max(0, ((g.out_w - 1) * g.stride_w + g.filter_w - g.in_w) / 2);
  } else {  // VALID (a filter larger than the input shrinks to it)
    g.filter_h = std::min(g.filter_h, g.in_h);
    g.filter_w = std::min(g.filter_w, g.in_w);
    g.out_h = (g.in_h - g.filter_h) / g.stride_h + 1;
    g.out_w = (g.in_w - g.filter_w) / g.stride_w + 1;
  }
  g.count_include_pad = random_int(rng, 0, 2) == 0;
  const int32_t extremes[] = {-128, 127};
  c.qx = {0.01f + random_int(rng, 0, 100) / 1000.0f, random_int(rng, 0, 2) == 0
                                                         ? extremes[random_int(rng, 0, 1)]
                                                         : random_int(rng, -128, 127)};
  switch (random_int(rng, 0, 3)) {
    case 0:  // same quantization (multiplier exactly 1: TFLite MaxPool)
      c.qy = c.qx;
      break;
    case 1:  // saturating: the output scale is 4x finer
      c.qy = {c.qx.scale / 4.0f, random_int(rng, -128, 127)};
      break;
    default:
      c.qy = {c.qx.scale * (0.5f + random_int(rng, 0, 1000) / 1000.0f),
              random_int(rng, 0, 2) == 0 ? extremes[random_int(rng, 0, 1)]
                                         : random_int(rng, -128, 127)};
  }
  if (random_int(rng, 0, 4) == 0) {
    c.qmin = std::max(-128, c.qy.zero_point);
    c.qmax = random_int(rng, c.qmin, 127);
  }
  return c;
}

std::string pool_string(const PoolCase& c) {
  const ref::PoolGeometry& g = c.g;
  return "in " + std::to_string(g.batch) + "x" + std::to_string(g.in_h) + "x" +
         std::to_string(g.in_w) + "x" + std::to_string(g.channels) + " filter " +
         std::to_string(g.filter_h) + "x" + std::to_string(g.filter_w) + " stride " +
         std::to_string(g.stride_h) + "x" + std::to_string(g.stride_w) + " pad " +
         std::to_string(g.pad_top) + "," + std::to_string(g.pad_left) + " out " +
         std::to_string(g.out_h) + "x" + std::to_string(g.out_w) +
         (g.count_include_pad ? " count_include_pad" : "") + " zx " +
         std::to_string(c.qx.zero_point) + " zy " + std::to_string(c.qy.zero_point);
}

void check_pool(const ElementwiseQs8Kernels& k, bool average, const PoolCase& c, Rng& rng) {
  const ref::PoolGeometry& g = c.g;
  const size_t in_count = static_cast<size_t>(g.batch) * g.in_h * g.in_w * g.channels;
  const size_t pixels = static_cast<size_t>(g.batch) * g.out_h * g.out_w;
  const std::vector<int8_t> x = random_int8(rng, in_count);
  std::vector<int8_t> want(pixels * g.channels), got(pixels * g.channels, 0x55);
  if (average) {
    ref::avgpool_qs8(g, x.data(), c.qx, c.qy, c.qmin, c.qmax, want.data());
  } else {
    ref::maxpool_qs8(g, x.data(), c.qx, c.qy, c.qmin, c.qmax, want.data());
  }
  // Two calls over a split of the pixels, as two threads would make them.
  const size_t split = pixels / 2;
  for (auto range : {std::make_pair(size_t{0}, split), std::make_pair(split, pixels)}) {
    if (average) {
      avgpool_qs8(k, g, x.data(), c.qx, c.qy, c.qmin, c.qmax, got.data(), range.first,
                  range.second);
    } else {
      maxpool_qs8(k, g, x.data(), c.qx, c.qy, c.qmin, c.qmax, got.data(), range.first,
                  range.second);
    }
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (got[i] != want[i]) {
      ADD_FAILURE() << (average ? "avgpool " : "maxpool ") << pool_string(c) << ": element " << i
                    << " is " << int{got[i]} << ", reference " << int{want[i]};
      return;
    }
  }
}

TEST_P(ElementwiseVariantTest, MaxPoolShapes) {
  Rng rng(21);
  for (int channels = 1; channels <= 300; channels += (channels < 70 ? 1 : 23)) {
    check_pool(kernels(), false, random_pool_case(rng, channels), rng);
    if (HasFailure()) return;
  }
}

TEST_P(ElementwiseVariantTest, AvgPoolShapes) {
  Rng rng(22);
  for (int channels = 1; channels <= 300; channels += (channels < 70 ? 1 : 23)) {
    check_pool(kernels(), true, random_pool_case(rng, channels), rng);
    if (HasFailure()) return;
  }
}

TEST_P(ElementwiseVariantTest, PoolEmptyWindowsAndGlobal) {
  Rng rng(23);
  for (int channels : {1, 16, 33, 64, 100}) {
    for (bool average : {false, true}) {
      PoolCase c;
      c.qx = {0.05f, -128};
      c.qy = {0.03f, 127};
      // Padding so large that corner windows hold no input pixel at all.
      c.g.batch = 1, c.g.in_h = 2, c.g.in_w = 2, c.g.channels = channels;
      c.g.filter_h = c.g.filter_w = 2, c.g.stride_h = c.g.stride_w = 3;
      c.g.pad_top = c.g.pad_left = 2, c.g.out_h = c.g.out_w = 2;
      check_pool(kernels(), average, c, rng);
      c.g.count_include_pad = true;
      check_pool(kernels(), average, c, rng);
      // MobileNet's global average pool: 7x7 window over 7x7 input.
      c.g = ref::PoolGeometry();
      c.g.in_h = c.g.in_w = c.g.filter_h = c.g.filter_w = 7;
      c.g.channels = channels, c.g.out_h = c.g.out_w = 1;
      c.qx = {0.02f, random_int(rng, -128, 127)};
      c.qy = {0.01f, random_int(rng, -128, 127)};
      check_pool(kernels(), average, c, rng);
      if (HasFailure()) return;
    }
  }
}

TEST_P(ElementwiseVariantTest, MeanAsGlobalPool) {
  Rng rng(24);
  for (const auto& shape : std::vector<std::vector<int32_t>>{
           {1, 7, 7, 1280}, {2, 3, 5, 17}, {1, 1, 1, 3}, {1, 10, 10, 100}, {3, 2, 1, 64}}) {
    const bool reduce[4] = {false, true, true, false};
    ref::PoolGeometry g;
    ASSERT_TRUE(mean_qs8_as_global_pool(shape.data(), 4, reduce, &g));
    const size_t n = static_cast<size_t>(shape[0]) * shape[1] * shape[2] * shape[3];
    const std::vector<int8_t> x = random_int8(rng, n);
    const ref::QParams qx{0.03f, random_int(rng, -128, 127)};
    const ref::QParams qy{0.011f, random_int(rng, -128, 127)};
    std::vector<int8_t> want(static_cast<size_t>(shape[0]) * shape[3]), got(want.size(), 0x55);
    ref::mean_qs8(shape.data(), 4, reduce, x.data(), qx, qy, -128, 127, want.data());
    avgpool_qs8(kernels(), g, x.data(), qx, qy, -128, 127, got.data(), 0,
                static_cast<size_t>(shape[0]));
    ASSERT_EQ(got, want) << shape_string(shape);
  }
  // Not a global spatial pool: refused.
  const int32_t shape[4] = {1, 4, 4, 8};
  const bool over_channels[4] = {false, false, true, true};
  ref::PoolGeometry g;
  EXPECT_FALSE(mean_qs8_as_global_pool(shape, 4, over_channels, &g));
  const bool spatial[3] = {false, true, true};
  EXPECT_FALSE(mean_qs8_as_global_pool(shape, 3, spatial, &g));
}

// ---- Lookup tables ----

TEST_P(ElementwiseVariantTest, LutEverySizeAndEveryIndex) {
  Rng rng(31);
  std::vector<int8_t> table = random_int8(rng, 256);
  for (size_t n = 0; n <= 300; ++n) {
    const std::vector<int8_t> x = random_int8(rng, n);
    std::vector<int8_t> want(n), got(n, 0x55);
    ref::lut_s8(n, x.data(), table.data(), want.data());
    kernels().lut(n, x.data(), table.data(), got.data());
    ASSERT_EQ(got, want) << "n=" << n;
  }
  // Every index, with tables that make each table entry distinguishable, then real ones.
  std::vector<int8_t> x(256 * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int8_t>(i * 7 + i / 256);
  std::vector<std::vector<int8_t>> tables;
  std::vector<int8_t> identity(256), reversed(256);
  for (int i = 0; i < 256; ++i) {
    identity[i] = static_cast<int8_t>(i - 128);
    reversed[i] = static_cast<int8_t>(127 - i);
  }
  tables.push_back(identity);
  tables.push_back(reversed);
  std::vector<int8_t> logistic(256);
  ref::build_lut_s8([](float v) { return 1.0f / (1.0f + std::exp(-v)); }, {0.1f, -3},
                    {1.0f / 256.0f, -128}, -128, 127, logistic.data());
  tables.push_back(logistic);
  for (const auto& t : tables) {
    std::vector<int8_t> want(x.size()), got(x.size(), 0x55);
    ref::lut_s8(x.size(), x.data(), t.data(), want.data());
    kernels().lut(x.size(), x.data(), t.data(), got.data());
    ASSERT_EQ(got, want);
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, ElementwiseVariantTest, ::testing::ValuesIn(test::all_isas()),
                         test::IsaName());

}  // namespace
}  // namespace octet
