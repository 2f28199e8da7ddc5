// ONNX importer, one op family at a time: hand-built ONNX models (protobuf API) are imported,
// the resulting NHWC float graph is evaluated, and the outputs are compared with ONNX (NCHW)
// semantics computed directly in the test.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/tools/onnx_test_util.h"

namespace octet::onnx_test {
namespace {

using MB = ModelBuilder;

// Direct NCHW convolution (ONNX semantics) for expected values.
struct ConvParams {
  int64_t n = 1, c = 3, h = 7, w = 6, oc = 4, kh = 3, kw = 3, group = 1;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
};
std::vector<float> conv_nchw(const ConvParams& p, const std::vector<float>& x,
                             const std::vector<float>& w, const std::vector<float>& b,
                             int64_t* oh_out, int64_t* ow_out) {
  const int64_t oh = (p.h + p.pt + p.pb - ((p.kh - 1) * p.dh + 1)) / p.sh + 1;
  const int64_t ow = (p.w + p.pl + p.pr - ((p.kw - 1) * p.dw + 1)) / p.sw + 1;
  const int64_t icg = p.c / p.group, ocg = p.oc / p.group;
  std::vector<float> y(static_cast<size_t>(p.n * p.oc * oh * ow));
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t o = 0; o < p.oc; ++o)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          float acc = b.empty() ? 0.0f : b[o];
          const int64_t g = o / ocg;
          for (int64_t ci = 0; ci < icg; ++ci)
            for (int64_t ky = 0; ky < p.kh; ++ky)
              for (int64_t kx = 0; kx < p.kw; ++kx) {
                const int64_t iy = oy * p.sh - p.pt + ky * p.dh, ix = ox * p.sw - p.pl + kx * p.dw;
                if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                acc += x[((n * p.c + g * icg + ci) * p.h + iy) * p.w + ix] *
                       w[((o * icg + ci) * p.kh + ky) * p.kw + kx];
              }
          y[((n * p.oc + o) * oh + oy) * ow + ox] = acc;
        }
  *oh_out = oh;
  *ow_out = ow;
  return y;
}

MB conv_model(const ConvParams& p, const std::vector<float>& w, const std::vector<float>& b,
              const std::string& auto_pad = "") {
  MB m(13);
  m.input("x", {p.n, p.c, p.h, p.w});
  m.init("w", {p.oc, p.c / p.group, p.kh, p.kw}, w);
  if (!b.empty()) m.init("b", {p.oc}, b);
  auto* n = m.node(
      "Conv",
      b.empty() ? std::vector<std::string>{"x", "w"} : std::vector<std::string>{"x", "w", "b"},
      {"y"}, "conv");
  MB::attr_ints(n, "strides", {p.sh, p.sw});
  MB::attr_ints(n, "dilations", {p.dh, p.dw});
  MB::attr_i(n, "group", p.group);
  if (auto_pad.empty()) {
    MB::attr_ints(n, "pads", {p.pt, p.pl, p.pb, p.pr});
  } else {
    MB::attr_s(n, "auto_pad", auto_pad);
  }
  m.output("y");
  return m;
}

struct ConvCase {
  const char* name;
  ConvParams p;
};

class OnnxConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(OnnxConvTest, MatchesNchwConvolution) {
  const ConvParams p = GetParam().p;
  const auto x = random_values(p.n * p.c * p.h * p.w, 1);
  const auto w = random_values(p.oc * (p.c / p.group) * p.kh * p.kw, 2);
  const auto b = random_values(p.oc, 3);
  int64_t oh, ow;
  const auto expected = conv_nchw(p, x, w, b, &oh, &ow);
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(conv_model(p, w, b), {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
  ASSERT_EQ(g.ops.size(), 1u);
  const bool depthwise = p.group > 1 && p.group == p.c;
  EXPECT_EQ(g.ops[0].type, depthwise ? ir::OpType::DepthwiseConv2D : ir::OpType::Conv2D);
  // NHWC output shape.
  EXPECT_EQ(g.tensors[g.outputs[0]].shape,
            (std::vector<int32_t>{int32_t(p.n), int32_t(oh), int32_t(ow), int32_t(p.oc)}));
}

ConvParams make(int64_t c, int64_t oc, int64_t group, int64_t k, int64_t s, int64_t d,
                int64_t pad_t, int64_t pad_l, int64_t pad_b, int64_t pad_r) {
  ConvParams p;
  p.c = c;
  p.oc = oc;
  p.group = group;
  p.kh = p.kw = k;
  p.sh = p.sw = s;
  p.dh = p.dw = d;
  p.pt = pad_t;
  p.pl = pad_l;
  p.pb = pad_b;
  p.pr = pad_r;
  return p;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, OnnxConvTest,
    ::testing::Values(ConvCase{"k3_pad1", make(3, 4, 1, 3, 1, 1, 1, 1, 1, 1)},
                      ConvCase{"k1", make(5, 2, 1, 1, 1, 1, 0, 0, 0, 0)},
                      ConvCase{"stride2_asym_pad", make(3, 4, 1, 3, 2, 1, 0, 1, 1, 0)},
                      ConvCase{"dilation2", make(2, 3, 1, 3, 1, 2, 2, 2, 2, 2)},
                      ConvCase{"grouped", make(4, 6, 2, 3, 1, 1, 1, 1, 1, 1)},
                      ConvCase{"depthwise", make(4, 4, 4, 3, 1, 1, 1, 1, 1, 1)},
                      ConvCase{"depthwise_mult2_stride2", make(3, 6, 3, 3, 2, 1, 1, 1, 1, 1)}),
    [](const auto& info) { return std::string(info.param.name); });

// 1-D convolution ([N, C, L], as in audio models) is the 2-D one with H = 1.
TEST(OnnxImporter, Conv1dRegularAndDepthwise) {
  for (int64_t group : {1, 4}) {
    ConvParams p = make(4, 8, group, 1, 2, 1, 0, 1, 0, 2);  // stride 2, pads [1, 2]
    p.h = 1;
    p.w = 11;
    p.kh = 1;
    p.kw = 3;
    const auto x = random_values(p.c * p.w, 60), w = random_values(p.oc * (p.c / group) * 3, 61),
               b = random_values(p.oc, 62);
    int64_t oh, ow;
    const auto expected = conv_nchw(p, x, w, b, &oh, &ow);
    MB m(13);
    m.input("x", {1, p.c, p.w});
    m.init("w", {p.oc, p.c / group, 3}, w);
    m.init("b", {p.oc}, b);
    auto* n = m.node("Conv", {"x", "w", "b"}, {"y"});
    MB::attr_ints(n, "strides", {2});
    MB::attr_ints(n, "pads", {1, 2});
    MB::attr_i(n, "group", group);
    m.output("y");
    std::vector<std::vector<float>> out;
    ir::Graph g;
    ASSERT_TRUE(run_model(m, {x}, &out, &g)) << "group " << group;
    EXPECT_TRUE(all_near(out[0], expected, 1e-5f)) << "group " << group;
    EXPECT_EQ(g.tensors[g.outputs[0]].shape,
              (std::vector<int32_t>{1, static_cast<int32_t>(p.oc), static_cast<int32_t>(ow)}));
    EXPECT_EQ(count_ops(g, group == 1 ? ir::OpType::Conv2D : ir::OpType::DepthwiseConv2D), 1);
  }
}

// Conv1d + BN + Relu fuse into one op behind the 1-D views; MaxPool1d, GlobalAveragePool on
// [N, C, L] and Flatten follow ONNX semantics.
TEST(OnnxImporter, Conv1dBnReluPoolGapFlatten) {
  MB m(13);
  m.input("x", {1, 2, 8});
  const auto w = random_values(3 * 2 * 3, 63);
  m.init("w", {3, 2, 3}, w);
  auto* conv = m.node("Conv", {"x", "w"}, {"c"});
  MB::attr_ints(conv, "pads", {1, 1});
  m.init("s", {3}, {1.0f, 2.0f, 0.5f});
  m.init("t", {3}, {0.1f, -0.2f, 0.3f});
  m.init("mu", {3}, {0.0f, 0.5f, -0.5f});
  m.init("var", {3}, {1.0f, 1.0f, 1.0f});
  auto* bn = m.node("BatchNormalization", {"c", "s", "t", "mu", "var"}, {"bn"});
  MB::attr_f(bn, "epsilon", 0.0f);
  m.node("Relu", {"bn"}, {"r"});
  auto* mp = m.node("MaxPool", {"r"}, {"mp"});
  MB::attr_ints(mp, "kernel_shape", {2});
  MB::attr_ints(mp, "strides", {2});
  m.node("GlobalAveragePool", {"mp"}, {"gap"});
  m.node("Flatten", {"gap"}, {"y"});
  m.output("mp");
  m.output("y");
  const auto x = random_values(16, 64);
  ConvParams p = make(2, 3, 1, 1, 1, 1, 0, 1, 0, 1);
  p.h = 1;
  p.w = 8;
  p.kh = 1;
  p.kw = 3;
  int64_t oh, ow;
  auto conv_out = conv_nchw(p, x, w, {}, &oh, &ow);  // [3][8]
  const float scale[3] = {1.0f, 2.0f, 0.5f}, shift[3] = {0.1f, -0.2f, 0.3f},
              mean[3] = {0, 0.5f, -0.5f};
  std::vector<float> pooled, gap(3, 0.0f);
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 4; ++i) {
      float v = -INFINITY;
      for (int k = 0; k < 2; ++k)
        v = std::max(v,
                     std::max((conv_out[c * 8 + 2 * i + k] - mean[c]) * scale[c] + shift[c], 0.0f));
      pooled.push_back(v);
      gap[c] += v / 4;
    }
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], pooled, 1e-5f));
  EXPECT_TRUE(all_near(out[1], gap, 1e-5f));
  EXPECT_EQ(count_ops(g, ir::OpType::Conv2D), 1);
  EXPECT_EQ(count_ops(g, ir::OpType::Relu) + count_ops(g, ir::OpType::Mul), 0);
  EXPECT_EQ(count_ops(g, ir::OpType::Transpose), 2);  // NCL input -> NLC, pooled NLC -> NCL output
}

TEST(OnnxImporter, ConvAutoPadSameUpperAndLower) {
  for (const std::string mode : {"SAME_UPPER", "SAME_LOWER"}) {
    ConvParams p = make(2, 3, 1, 4, 2, 1, 0, 0, 0, 0);  // even kernel: asymmetric padding
    p.h = 7;
    p.w = 8;
    // Expected padding per ONNX: total = (ceil(in/s)-1)*s + k - in.
    auto pads = [&](int64_t in, int64_t* before, int64_t* after) {
      const int64_t total = std::max<int64_t>(0, ((in + 1) / 2 - 1) * 2 + 4 - in);
      *before = mode == "SAME_UPPER" ? total / 2 : total - total / 2;
      *after = total - *before;
    };
    pads(p.h, &p.pt, &p.pb);
    pads(p.w, &p.pl, &p.pr);
    const auto x = random_values(p.c * p.h * p.w, 4), w = random_values(p.oc * p.c * 16, 5),
               b = random_values(3, 6);
    int64_t oh, ow;
    const auto expected = conv_nchw(p, x, w, b, &oh, &ow);
    EXPECT_EQ(oh, 4);
    EXPECT_EQ(ow, 4);
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(conv_model(p, w, b, mode), {x}, &out)) << mode;
    EXPECT_TRUE(all_near(out[0], expected, 1e-5f)) << mode;
  }
}

TEST(OnnxImporter, ConvBatchNormReluFoldIntoOneOp) {
  ConvParams p = make(3, 4, 1, 3, 1, 1, 1, 1, 1, 1);
  const auto x = random_values(p.c * p.h * p.w, 7), w = random_values(4 * 3 * 9, 8),
             b = random_values(4, 9);
  MB m = conv_model(p, w, b);
  const std::vector<float> scale = {1.5f, -0.5f, 2.0f, 0.25f}, shift = {0.1f, 0.2f, -0.3f, 0.0f},
                           mean = {0.5f, -0.2f, 0.0f, 1.0f}, var = {1.0f, 0.25f, 4.0f, 0.5f};
  m.init("scale", {4}, scale);
  m.init("shift", {4}, shift);
  m.init("mean", {4}, mean);
  m.init("var", {4}, var);
  // conv writes "y"; rename graph flow: y -> bn -> relu -> out
  m.model().mutable_graph()->clear_output();
  auto* bn = m.node("BatchNormalization", {"y", "scale", "shift", "mean", "var"}, {"bn"}, "bn");
  MB::attr_f(bn, "epsilon", 1e-3f);
  m.node("Relu", {"bn"}, {"out"}, "relu");
  m.output("out");
  int64_t oh, ow;
  auto expected = conv_nchw(p, x, w, b, &oh, &ow);
  for (size_t i = 0; i < expected.size(); ++i) {
    const size_t c = (i / (oh * ow)) % 4;
    const float v = (expected[i] - mean[c]) / std::sqrt(var[c] + 1e-3f) * scale[c] + shift[c];
    expected[i] = std::max(v, 0.0f);
  }
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], expected, 1e-4f));
  ASSERT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(g.ops[0].activation, ir::Activation::Relu);
  EXPECT_EQ(g.ops[0].act_min, 0.0f);
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "out");
}

TEST(OnnxImporter, BatchNormWithoutConvBecomesMulAdd) {
  MB m(13);
  m.input("x", {1, 2, 3, 3});
  m.init("s", {2}, {2.0f, -1.0f});
  m.init("b", {2}, {0.5f, 1.0f});
  m.init("m", {2}, {1.0f, 0.0f});
  m.init("v", {2}, {4.0f, 1.0f});
  auto* bn = m.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"});
  MB::attr_f(bn, "epsilon", 0.0f);
  m.output("y");
  const auto x = random_values(18, 10);
  std::vector<float> expected(18);
  for (int i = 0; i < 18; ++i) {
    const int c = i / 9;
    expected[i] = c == 0 ? (x[i] - 1.0f) / 2.0f * 2.0f + 0.5f : (x[i] - 0.0f) * -1.0f + 1.0f;
  }
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], expected, 1e-6f));
  EXPECT_EQ(count_ops(g, ir::OpType::Mul), 1);
  EXPECT_EQ(count_ops(g, ir::OpType::Add), 1);
}

TEST(OnnxImporter, ConvClipFusesAsRelu6AndGeneralClipAsClamp) {
  ConvParams p = make(2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
  p.h = p.w = 2;
  const std::vector<float> w = {4.0f, 0.0f, 0.0f, -4.0f}, b = {0.0f, 0.0f};
  const std::vector<float> x = {-2, -1, 1, 2, -2, -1, 1, 2};
  // Clip opset 13 with min/max inputs -> Relu6 fused.
  MB m = conv_model(p, w, b);
  m.model().mutable_graph()->clear_output();
  m.init("lo", {}, {0.0f});
  m.init("hi", {}, {6.0f});
  m.node("Clip", {"y", "lo", "hi"}, {"out"});
  m.output("out");
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], {0, 0, 4, 6, 6, 4, 0, 0}, 0.0f));
  ASSERT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(g.ops[0].activation, ir::Activation::Relu6);

  // Clip(-0.5, 0.5) on a graph input (no producer to fuse into), opset 8 attribute form.
  MB c(8);
  c.input("x", {2, 3});
  auto* clip = c.node("Clip", {"x"}, {"y"});
  MB::attr_f(clip, "min", -0.5f);
  MB::attr_f(clip, "max", 0.5f);
  c.output("y");
  ASSERT_TRUE(run_model(c, {{-1.0f, -0.25f, 0.0f, 0.3f, 0.5f, 2.0f}}, &out));
  EXPECT_TRUE(all_near(out[0], {-0.5f, -0.25f, 0.0f, 0.3f, 0.5f, 0.5f}, 0.0f));
}

// A tensor read under two names (x, and y = Identity(x)) must not be fused into.
TEST(OnnxImporter, NoFusionIntoTensorsWithOtherReaders) {
  MB m(13);
  m.input("x", {1, 2, 1, 2});
  m.init("w", {2, 2, 1, 1}, {1.0f, 0.0f, 0.0f, -1.0f});
  m.init("b", {2}, {0.0f, 0.0f});
  m.node("Conv", {"x", "w", "b"}, {"c"});
  m.node("Identity", {"c"}, {"alias"});
  m.init("one", {2, 1, 1}, {1.0f, 1.0f});
  m.node("Add", {"alias", "one"}, {"plus"});  // must not fold into the bias: "c" is an output
  m.node("Relu", {"plus"}, {"y"});
  m.output("c");
  m.output("y");
  const std::vector<float> x = {-2, 3, 4, -5};  // c = [x0, -x1] per pixel
  std::vector<std::vector<float>> out;
  ASSERT_TRUE(run_model(m, {x}, &out));
  EXPECT_TRUE(all_near(out[0], {-2, 3, -4, 5}, 0.0f));
  EXPECT_TRUE(all_near(out[1], {0, 4, 0, 6}, 0.0f));
}

TEST(OnnxImporter, GemmFoldsTransposeAlphaBeta) {
  MB m(13);
  m.input("a", {2, 3});
  const std::vector<float> b = random_values(4 * 3, 11), c = {0.5f, -1.0f, 2.0f, 0.0f};
  m.init("B", {4, 3}, b);  // transB = 1: B is [N, K]
  m.init("C", {4}, c);
  auto* n = m.node("Gemm", {"a", "B", "C"}, {"y"}, "gemm");
  MB::attr_i(n, "transB", 1);
  MB::attr_f(n, "alpha", 0.5f);
  MB::attr_f(n, "beta", 2.0f);
  m.output("y");
  const auto a = random_values(6, 12);
  std::vector<float> expected(8);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      float acc = 0;
      for (int k = 0; k < 3; ++k) acc += a[i * 3 + k] * b[j * 3 + k];
      expected[i * 4 + j] = 0.5f * acc + 2.0f * c[j];
    }
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {a}, &out, &g));
  EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
  ASSERT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(g.ops[0].type, ir::OpType::FullyConnected);
  EXPECT_EQ(g.tensors[g.ops[0].inputs[1]].shape, (std::vector<int32_t>{4, 3}));
}

TEST(OnnxImporter, GemmTransAAndRowVaryingC) {
  MB m(11);
  m.input("a", {3, 2});  // transA: A^T is [2, 3]
  const std::vector<float> b = random_values(3 * 4, 13), c = random_values(8, 14);
  m.init("B", {3, 4}, b);
  m.init("C", {2, 4}, c);
  auto* n = m.node("Gemm", {"a", "B", "C"}, {"y"});
  MB::attr_i(n, "transA", 1);
  m.output("y");
  const auto a = random_values(6, 15);
  std::vector<float> expected(8);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      float acc = c[i * 4 + j];
      for (int k = 0; k < 3; ++k) acc += a[k * 2 + i] * b[k * 4 + j];
      expected[i * 4 + j] = acc;
    }
  std::vector<std::vector<float>> out;
  ASSERT_TRUE(run_model(m, {a}, &out));
  EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
}

TEST(OnnxImporter, MatMulConstantBecomesFullyConnectedWithFoldedBias) {
  MB m(13);
  m.input("x", {2, 5, 3});
  const auto w = random_values(3 * 4, 16);
  m.init("W", {3, 4}, w);
  m.init("bias", {4}, {1, 2, 3, 4});
  m.node("MatMul", {"x", "W"}, {"mm"});
  m.node("Add", {"mm", "bias"}, {"y"});
  m.output("y");
  const auto x = random_values(30, 17);
  std::vector<float> expected(40);
  for (int r = 0; r < 10; ++r)
    for (int j = 0; j < 4; ++j) {
      float acc = static_cast<float>(j + 1);
      for (int k = 0; k < 3; ++k) acc += x[r * 3 + k] * w[k * 4 + j];
      expected[r * 4 + j] = acc;
    }
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
  ASSERT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(g.ops[0].type, ir::OpType::FullyConnected);
}

TEST(OnnxImporter, MatMulOfTwoActivationsBecomesBatchMatMul) {
  MB m(13);
  m.input("a", {2, 3, 4});
  m.input("b", {4, 2});
  m.node("MatMul", {"a", "b"}, {"y"});
  m.output("y");
  const auto a = random_values(24, 18), b = random_values(8, 19);
  std::vector<float> expected(12);
  for (int bb = 0; bb < 2; ++bb)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 2; ++j) {
        float acc = 0;
        for (int k = 0; k < 4; ++k) acc += a[(bb * 3 + i) * 4 + k] * b[k * 2 + j];
        expected[(bb * 3 + i) * 2 + j] = acc;
      }
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {a, b}, &out, &g));
  EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
  EXPECT_EQ(count_ops(g, ir::OpType::BatchMatMul), 1);
}

TEST(OnnxImporter, ElementwiseWithPerChannelAndScalarConstants) {
  const Dims shape = {1, 3, 2, 2};
  const std::vector<float> per_channel = {1.0f, -2.0f, 4.0f};
  for (const std::string op : {"Add", "Sub", "Mul", "Div"}) {
    for (bool constant_first : {false, true}) {
      MB m(13);
      m.input("x", shape);
      m.init("c", {3, 1, 1}, per_channel);
      m.node(
          op,
          constant_first ? std::vector<std::string>{"c", "x"} : std::vector<std::string>{"x", "c"},
          {"y"});
      m.output("y");
      const auto x = random_values(12, 20, 0.5f, 2.0f);
      std::vector<float> expected(12);
      for (int i = 0; i < 12; ++i) {
        const float a = constant_first ? per_channel[i / 4] : x[i],
                    b = constant_first ? x[i] : per_channel[i / 4];
        expected[i] = op == "Add" ? a + b : op == "Sub" ? a - b : op == "Mul" ? a * b : a / b;
      }
      std::vector<std::vector<float>> out;
      ASSERT_TRUE(run_model(m, {x}, &out)) << op;
      EXPECT_TRUE(all_near(out[0], expected, 1e-6f)) << op << " constant_first=" << constant_first;
    }
  }
}

TEST(OnnxImporter, ElementwiseOfTwoActivationsBroadcasts) {
  MB m(13);
  m.input("a", {1, 2, 2, 3});
  m.input("b", {1, 2, 1, 3});
  m.node("Mul", {"a", "b"}, {"y"});
  m.output("y");
  const auto a = random_values(12, 21), b = random_values(6, 22);
  std::vector<float> expected(12);
  for (int c = 0; c < 2; ++c)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 3; ++w)
        expected[(c * 2 + h) * 3 + w] = a[(c * 2 + h) * 3 + w] * b[c * 3 + w];
  std::vector<std::vector<float>> out;
  ASSERT_TRUE(run_model(m, {a, b}, &out));
  EXPECT_TRUE(all_near(out[0], expected, 1e-6f));
}

TEST(OnnxImporter, UnaryActivations) {
  const std::vector<float> x = {-4.0f, -1.0f, -0.25f, 0.0f, 0.5f, 2.0f, 3.5f, 8.0f};
  struct Case {
    std::string op;
    float (*f)(float);
  };
  const Case cases[] = {
      {"Relu", [](float v) { return std::max(v, 0.0f); }},
      {"Sigmoid", [](float v) { return 1.0f / (1.0f + std::exp(-v)); }},
      {"Tanh", [](float v) { return std::tanh(v); }},
      {"HardSwish", [](float v) { return v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f; }},
      {"HardSigmoid", [](float v) { return std::min(std::max(0.2f * v + 0.5f, 0.0f), 1.0f); }},
      {"Neg", [](float v) { return -v; }},
  };
  for (const Case& c : cases) {
    MB m(14);
    m.input("x", {2, 4});
    m.node(c.op, {"x"}, {"y"});
    m.output("y");
    std::vector<float> expected;
    for (float v : x) expected.push_back(c.f(v));
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out)) << c.op;
    EXPECT_TRUE(all_near(out[0], expected, 1e-6f)) << c.op;
  }
  MB m(13);
  m.input("x", {4});
  m.node("Sqrt", {"x"}, {"s"});
  m.init("two", {}, {2.0f});
  m.node("Pow", {"s", "two"}, {"y"});  // (sqrt x)^2 == x
  m.output("y");
  std::vector<std::vector<float>> out;
  ASSERT_TRUE(run_model(m, {{0.25f, 1.0f, 4.0f, 9.0f}}, &out));
  EXPECT_TRUE(all_near(out[0], {0.25f, 1.0f, 4.0f, 9.0f}, 1e-6f));
}

TEST(OnnxImporter, PoolingAndMeans) {
  const Dims shape = {1, 2, 4, 4};
  const auto x = random_values(32, 23);
  auto at = [&](int c, int h, int w) { return x[(c * 4 + h) * 4 + w]; };
  {  // MaxPool 2x2 stride 2
    MB m(13);
    m.input("x", shape);
    auto* n = m.node("MaxPool", {"x"}, {"y"});
    MB::attr_ints(n, "kernel_shape", {2, 2});
    MB::attr_ints(n, "strides", {2, 2});
    m.output("y");
    std::vector<float> expected;
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 2; ++h)
        for (int w = 0; w < 2; ++w)
          expected.push_back(
              std::max(std::max(at(c, 2 * h, 2 * w), at(c, 2 * h, 2 * w + 1)),
                       std::max(at(c, 2 * h + 1, 2 * w), at(c, 2 * h + 1, 2 * w + 1))));
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out));
    EXPECT_TRUE(all_near(out[0], expected, 0.0f));
  }
  for (int include_pad : {0, 1}) {  // AveragePool 3x3 stride 1 pad 1
    MB m(13);
    m.input("x", shape);
    auto* n = m.node("AveragePool", {"x"}, {"y"});
    MB::attr_ints(n, "kernel_shape", {3, 3});
    MB::attr_ints(n, "pads", {1, 1, 1, 1});
    MB::attr_i(n, "count_include_pad", include_pad);
    m.output("y");
    std::vector<float> expected;
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 4; ++h)
        for (int w = 0; w < 4; ++w) {
          float sum = 0;
          int cnt = 0;
          for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx)
              if (h + dy >= 0 && h + dy < 4 && w + dx >= 0 && w + dx < 4) {
                sum += at(c, h + dy, w + dx);
                ++cnt;
              }
          expected.push_back(sum / (include_pad ? 9 : cnt));
        }
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out));
    EXPECT_TRUE(all_near(out[0], expected, 1e-5f)) << "count_include_pad=" << include_pad;
  }
  std::vector<float> channel_mean(2, 0.0f);
  for (int i = 0; i < 32; ++i) channel_mean[i / 16] += x[i] / 16;
  {  // GlobalAveragePool -> [1,2,1,1]
    MB m(13);
    m.input("x", shape);
    m.node("GlobalAveragePool", {"x"}, {"y"});
    m.output("y");
    std::vector<std::vector<float>> out;
    ir::Graph g;
    ASSERT_TRUE(run_model(m, {x}, &out, &g));
    EXPECT_TRUE(all_near(out[0], channel_mean, 1e-5f));
    EXPECT_EQ(count_ops(g, ir::OpType::Mean), 1);
  }
  {  // ReduceMean over H, W without keepdims -> [1,2]
    MB m(13);
    m.input("x", shape);
    auto* n = m.node("ReduceMean", {"x"}, {"y"});
    MB::attr_ints(n, "axes", {2, 3});
    MB::attr_i(n, "keepdims", 0);
    m.output("y");
    std::vector<std::vector<float>> out;
    ir::Graph g;
    ASSERT_TRUE(run_model(m, {x}, &out, &g));
    EXPECT_TRUE(all_near(out[0], channel_mean, 1e-5f));
    EXPECT_EQ(g.tensors[g.outputs[0]].shape, (std::vector<int32_t>{1, 2}));
  }
  {  // ReduceMean over C, keepdims -> [1,1,4,4]
    MB m(13);
    m.input("x", shape);
    auto* n = m.node("ReduceMean", {"x"}, {"y"});
    MB::attr_ints(n, "axes", {1});
    m.output("y");
    std::vector<float> expected(16);
    for (int i = 0; i < 16; ++i) expected[i] = (x[i] + x[16 + i]) / 2;
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out));
    EXPECT_TRUE(all_near(out[0], expected, 1e-6f));
  }
}

// ceil_mode adds the partial last window (as extra end padding that pooling ignores).
TEST(OnnxImporter, PoolingCeilMode) {
  const auto x = random_values(36, 42);  // [1,1,6,6]
  for (const std::string op : {"MaxPool", "AveragePool"}) {
    MB m(13);
    m.input("x", {1, 1, 6, 6});
    auto* n = m.node(op, {"x"}, {"y"});
    MB::attr_ints(n, "kernel_shape", {3, 3});
    MB::attr_ints(n, "strides", {2, 2});
    MB::attr_i(n, "ceil_mode", 1);
    m.output("y");
    std::vector<float> expected;
    for (int oy = 0; oy < 3; ++oy)
      for (int ox = 0; ox < 3; ++ox) {
        float mx = -INFINITY, sum = 0;
        int cnt = 0;
        for (int y = 2 * oy; y < std::min(2 * oy + 3, 6); ++y)
          for (int xx = 2 * ox; xx < std::min(2 * ox + 3, 6); ++xx) {
            mx = std::max(mx, x[y * 6 + xx]);
            sum += x[y * 6 + xx];
            ++cnt;
          }
        expected.push_back(op == "MaxPool" ? mx : sum / cnt);
      }
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out)) << op;
    EXPECT_TRUE(all_near(out[0], expected, 1e-6f)) << op;
  }
}

// Conv output -> Flatten / Reshape must see NCHW element order (the classic layout bug).
TEST(OnnxImporter, FlattenAndReshapeAfterConvKeepOnnxOrder) {
  const Dims shape = {1, 3, 2, 2};
  const auto x = random_values(12, 24);
  for (const std::string op : {"Flatten", "Reshape"}) {
    MB m(13);
    m.input("x", shape);
    m.init("w", {3, 3, 1, 1}, {1, 0, 0, 0, 1, 0, 0, 0, 1});  // identity 1x1 conv
    m.node("Conv", {"x", "w"}, {"c"});
    if (op == "Flatten") {
      m.node("Flatten", {"c"}, {"y"});
    } else {
      m.init_i64("shape", {3}, {1, 6, -1});
      m.node("Reshape", {"c", "shape"}, {"y"});
    }
    m.output("y");
    std::vector<std::vector<float>> out;
    ir::Graph g;
    ASSERT_TRUE(run_model(m, {x}, &out, &g)) << op;
    EXPECT_TRUE(all_near(out[0], x, 1e-6f)) << op;  // NCHW order preserved
    EXPECT_EQ(count_ops(g, ir::OpType::Transpose), 1) << op;
  }
}

TEST(OnnxImporter, ReshapeToFourDimsFeedsConv) {
  MB m(13);
  m.input("x", {1, 12});
  m.init_i64("shape", {4}, {1, 3, 2, 2});
  m.node("Reshape", {"x", "shape"}, {"r"});
  m.init("w", {1, 3, 1, 1}, {1.0f, 10.0f, 100.0f});
  m.node("Conv", {"r", "w"}, {"y"});
  m.output("y");
  const auto x = random_values(12, 25);
  std::vector<float> expected(4);
  for (int i = 0; i < 4; ++i) expected[i] = x[i] + 10 * x[4 + i] + 100 * x[8 + i];
  std::vector<std::vector<float>> out;
  ASSERT_TRUE(run_model(m, {x}, &out));
  EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
}

TEST(OnnxImporter, ConcatTransposeSoftmaxOnFourDims) {
  MB m(13);
  m.input("a", {1, 2, 2, 3});
  m.input("b", {1, 1, 2, 3});
  auto* cat = m.node("Concat", {"a", "b"}, {"cat"});
  MB::attr_i(cat, "axis", 1);
  auto* t = m.node("Transpose", {"cat"}, {"t"});
  MB::attr_ints(t, "perm", {0, 3, 1, 2});  // [1,3,3,2]
  auto* s = m.node("Softmax", {"t"}, {"y"});
  MB::attr_i(s, "axis", 1);
  m.output("y");
  const auto a = random_values(12, 26), b = random_values(6, 27);
  // cat[c][h][w] (3x2x3), t[w][c][h] (3x3x2); softmax over t's axis 1 (w).
  std::vector<float> cat_v(a);
  cat_v.insert(cat_v.end(), b.begin(), b.end());
  std::vector<float> expected(18);
  for (int c = 0; c < 3; ++c)
    for (int h = 0; h < 2; ++h) {
      float sum = 0;
      for (int w = 0; w < 3; ++w) sum += std::exp(cat_v[(c * 2 + h) * 3 + w]);
      for (int w = 0; w < 3; ++w)
        expected[(w * 3 + c) * 2 + h] = std::exp(cat_v[(c * 2 + h) * 3 + w]) / sum;
    }
  std::vector<std::vector<float>> out;
  ASSERT_TRUE(run_model(m, {a, b}, &out));
  EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
}

TEST(OnnxImporter, SoftmaxOpset11CoercesToTwoDims) {
  MB m(11);
  m.input("x", {2, 2, 3});
  auto* s = m.node("Softmax", {"x"}, {"y"});
  MB::attr_i(s, "axis", 1);  // normalises over the last 6 elements of each batch row
  m.output("y");
  const auto x = random_values(12, 28);
  std::vector<float> expected(12);
  for (int r = 0; r < 2; ++r) {
    float sum = 0;
    for (int i = 0; i < 6; ++i) sum += std::exp(x[r * 6 + i]);
    for (int i = 0; i < 6; ++i) expected[r * 6 + i] = std::exp(x[r * 6 + i]) / sum;
  }
  std::vector<std::vector<float>> out;
  ASSERT_TRUE(run_model(m, {x}, &out));
  EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
}

TEST(OnnxImporter, PadSliceSplitSqueezeUnsqueeze) {
  const auto x = random_values(2 * 3 * 3, 29);  // [1,2,3,3]
  auto at = [&](int c, int h, int w) { return x[(c * 3 + h) * 3 + w]; };
  {
    MB m(13);
    m.input("x", {1, 2, 3, 3});
    m.init_i64("pads", {8}, {0, 1, 1, 0, 0, 0, 0, 2});  // C before 1, H before 1, W after 2
    m.node("Pad", {"x", "pads"}, {"y"});
    m.output("y");
    std::vector<float> expected(3 * 4 * 5, 0.0f);
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 3; ++h)
        for (int w = 0; w < 3; ++w) expected[((c + 1) * 4 + h + 1) * 5 + w] = at(c, h, w);
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out));
    EXPECT_TRUE(all_near(out[0], expected, 0.0f));
  }
  {
    MB m(13);
    m.input("x", {1, 2, 3, 3});
    m.init_i64("starts", {2}, {1, -2});
    m.init_i64("ends", {2}, {2, 100});
    m.init_i64("axes", {2}, {1, 3});
    m.node("Slice", {"x", "starts", "ends", "axes"}, {"y"});
    m.output("y");
    std::vector<float> expected;
    for (int h = 0; h < 3; ++h)
      for (int w = 1; w < 3; ++w) expected.push_back(at(1, h, w));
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out));
    EXPECT_TRUE(all_near(out[0], expected, 0.0f));
  }
  {
    MB m(13);
    m.input("x", {1, 2, 3, 3});
    m.init_i64("split", {2}, {1, 2});
    auto* s = m.node("Split", {"x", "split"}, {"a", "b"});
    MB::attr_i(s, "axis", 2);
    m.output("a");
    m.output("b");
    std::vector<float> ea, eb;
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 3; ++h)
        for (int w = 0; w < 3; ++w) (h < 1 ? ea : eb).push_back(at(c, h, w));
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(all_near(out[0], ea, 0.0f));
    EXPECT_TRUE(all_near(out[1], eb, 0.0f));
  }
  {  // GlobalAveragePool -> Squeeze(2,3) -> Unsqueeze(1) : [1,2,1,1] -> [1,2] -> [1,1,2]
    MB m(13);
    m.input("x", {1, 2, 3, 3});
    m.node("GlobalAveragePool", {"x"}, {"g"});
    m.init_i64("sq", {2}, {2, 3});
    m.node("Squeeze", {"g", "sq"}, {"s"});
    m.init_i64("un", {1}, {1});
    m.node("Unsqueeze", {"s", "un"}, {"y"});
    m.output("y");
    std::vector<float> expected(2, 0.0f);
    for (int i = 0; i < 18; ++i) expected[i / 9] += x[i] / 9;
    std::vector<std::vector<float>> out;
    ir::Graph g;
    ASSERT_TRUE(run_model(m, {x}, &out, &g));
    EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
    EXPECT_EQ(g.tensors[g.outputs[0]].shape, (std::vector<int32_t>{1, 1, 2}));
    EXPECT_EQ(count_ops(g, ir::OpType::Transpose), 0);  // H = W = 1: no data movement needed
  }
}

// Shape -> Gather -> Unsqueeze -> Concat -> Reshape (the PyTorch export flatten pattern) folds
// into a constant reshape target; Identity and Dropout disappear; Gather on an activation slices.
TEST(OnnxImporter, ConstantSubgraphsFoldAndIdentityDropoutVanish) {
  MB m(13);
  m.input("x", {2, 3, 2, 2});
  m.node("Identity", {"x"}, {"xi"});
  m.node("Shape", {"xi"}, {"shape"});
  m.init_i64("zero", {}, {0});
  auto* gather = m.node("Gather", {"shape", "zero"}, {"batch"});
  MB::attr_i(gather, "axis", 0);
  m.init_i64("axes0", {1}, {0});
  m.node("Unsqueeze", {"batch", "axes0"}, {"batch1"});
  m.init_i64("minus1", {1}, {-1});
  auto* cat = m.node("Concat", {"batch1", "minus1"}, {"target"});
  MB::attr_i(cat, "axis", 0);
  auto* cast = m.node("Cast", {"target"}, {"target64"});
  MB::attr_i(cast, "to", 7);  // INT64
  m.node("Reshape", {"xi", "target64"}, {"flat"});
  m.node("Dropout", {"flat"}, {"d"});
  m.init_i64("idx", {}, {1});
  auto* g2 = m.node("Gather", {"d", "idx"}, {"y"});  // column 1 of [2,12] -> [2]
  MB::attr_i(g2, "axis", 1);
  m.output("y");
  const auto x = random_values(24, 30);
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], {x[1], x[13]}, 0.0f));
  EXPECT_EQ(g.tensors[g.outputs[0]].shape, (std::vector<int32_t>{2}));
}

TEST(OnnxImporter, SoftmaxOverSpatialAxisMovesTheAxisLast) {
  MB m(13);
  m.input("x", {1, 2, 3, 2});
  auto* s = m.node("Softmax", {"x"}, {"y"});
  MB::attr_i(s, "axis", 2);  // H: stored NHWC axis 1, not the last
  m.output("y");
  const auto x = random_values(12, 40);
  std::vector<float> expected(12);
  for (int c = 0; c < 2; ++c)
    for (int w = 0; w < 2; ++w) {
      float sum = 0;
      for (int h = 0; h < 3; ++h) sum += std::exp(x[(c * 3 + h) * 2 + w]);
      for (int h = 0; h < 3; ++h)
        expected[(c * 3 + h) * 2 + w] = std::exp(x[(c * 3 + h) * 2 + w]) / sum;
    }
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], expected, 1e-5f));
  EXPECT_EQ(count_ops(g, ir::OpType::Transpose), 2);
}

// Nearest Resize by integer factors (default half_pixel / round_prefer_floor, opset 13 sizes,
// opset 9 Upsample) replicates pixels; linear and fractional factors are refused by name.
TEST(OnnxImporter, NearestResizeAndUpsample) {
  const auto x = random_values(2 * 2 * 3, 41);  // [1,2,2,3]
  auto expect_repeat = [&](int64_t kh, int64_t kw) {
    std::vector<float> e;
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 2 * kh; ++h)
        for (int w = 0; w < 3 * kw; ++w) e.push_back(x[(c * 2 + h / kh) * 3 + w / kw]);
    return e;
  };
  {
    MB m(13);
    m.input("x", {1, 2, 2, 3});
    m.init("scales", {4}, {1.0f, 1.0f, 2.0f, 3.0f});
    m.node("Resize", {"x", "", "scales"}, {"y"});
    m.output("y");
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out));
    EXPECT_TRUE(all_near(out[0], expect_repeat(2, 3), 0.0f));
  }
  {
    MB m(13);
    m.input("x", {1, 2, 2, 3});
    m.init_i64("sizes", {4}, {1, 2, 6, 3});
    auto* n = m.node("Resize", {"x", "", "", "sizes"}, {"y"});
    MB::attr_s(n, "coordinate_transformation_mode", "asymmetric");
    MB::attr_s(n, "nearest_mode", "floor");
    m.output("y");
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out));
    EXPECT_TRUE(all_near(out[0], expect_repeat(3, 1), 0.0f));
  }
  {
    MB m(9);
    m.input("x", {1, 2, 2, 3});
    m.init("scales", {4}, {1.0f, 1.0f, 2.0f, 2.0f});
    m.node("Upsample", {"x", "scales"}, {"y"});
    m.output("y");
    std::vector<std::vector<float>> out;
    ASSERT_TRUE(run_model(m, {x}, &out));
    EXPECT_TRUE(all_near(out[0], expect_repeat(2, 2), 0.0f));
  }
  for (const std::string mode : {"linear", "cubic"}) {
    MB m(13);
    m.input("x", {1, 2, 2, 3});
    m.init("scales", {4}, {1.0f, 1.0f, 2.0f, 2.0f});
    auto* n = m.node("Resize", {"x", "", "scales"}, {"y"}, "resize_node");
    MB::attr_s(n, "mode", mode);
    m.output("y");
    const std::string bytes = m.bytes();
    ir::Graph g;
    std::string error;
    EXPECT_FALSE(convert::import_onnx_buffer(bytes.data(), bytes.size(), {}, &g, &error));
    EXPECT_NE(error.find("resize_node"), std::string::npos) << error;
    EXPECT_NE(error.find("'" + mode + "'"), std::string::npos) << error;
  }
}

// MobileNetV3-style exports before opset 14 spell HardSwish as x * HardSigmoid(x).
TEST(OnnxImporter, MulByHardSigmoidBecomesHardSwish) {
  MB m(13);
  m.input("x", {1, 8});
  auto* hs = m.node("HardSigmoid", {"x"}, {"gate"});
  MB::attr_f(hs, "alpha", 1.0f / 6.0f);
  MB::attr_f(hs, "beta", 0.5f);
  m.node("Mul", {"x", "gate"}, {"y"});
  m.output("y");
  const std::vector<float> x = {-5, -3, -1, -0.5f, 0, 1, 3, 5};
  std::vector<float> expected;
  for (float v : x) expected.push_back(v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f);
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], expected, 1e-6f));
  ASSERT_EQ(g.ops.size(), 1u);  // the HardSigmoid's Mul + Add are gone
  EXPECT_EQ(g.ops[0].type, ir::OpType::HardSwish);
}

// Constant nodes, ConstantOfShape, Range, Size, Equal/Not and Cast fold to constants that then
// act as ordinary operands; GlobalMaxPool becomes a whole-plane MaxPool2D.
TEST(OnnxImporter, ConstantNodesFoldAndGlobalMaxPool) {
  MB m(13);
  m.input("x", {1, 2, 2, 2});
  m.node("GlobalMaxPool", {"x"}, {"gmp"});  // [1,2,1,1]
  auto* target = m.node("Constant", {}, {"target"});
  MB::attr_ints(target, "value_ints", {1, -1});
  m.node("Reshape", {"gmp", "target"}, {"flat"});  // [1,2]
  auto* shape = m.node("Constant", {}, {"shape"});
  MB::attr_ints(shape, "value_ints", {1, 2});
  auto* fill = m.node("ConstantOfShape", {"shape"}, {"twos"});
  auto* value = fill->add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  value->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  value->mutable_t()->add_dims(1);
  value->mutable_t()->add_float_data(2.0f);
  m.node("Mul", {"flat", "twos"}, {"doubled"});
  auto* start = m.node("Constant", {}, {"start"});
  MB::attr_i(start, "value_int", 10);
  m.node("Size", {"x"}, {"size"});  // 8
  auto* step = m.node("Constant", {}, {"step"});
  MB::attr_i(step, "value_int", -4);
  m.node("Range", {"start", "size", "step"}, {"range"});  // [10, 6] -> limit 8: {10}
  auto* eq_to = m.node("Constant", {}, {"ten"});
  MB::attr_i(eq_to, "value_int", 10);
  m.node("Equal", {"range", "ten"}, {"is_ten"});  // {true}
  m.node("Not", {"is_ten"}, {"not_ten"});         // {false}
  MB::attr_i(m.node("Cast", {"range"}, {"range_f"}), "to", onnx::TensorProto::FLOAT);
  MB::attr_i(m.node("Cast", {"not_ten"}, {"zero_f"}), "to", onnx::TensorProto::FLOAT);
  m.node("Add", {"range_f", "zero_f"}, {"offset"});  // {10.0}
  m.node("Add", {"doubled", "offset"}, {"y"});
  m.output("y");
  const std::vector<float> x = {1, -3, 2, 0.5f, -1, -2, -0.5f, -4};
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {x}, &out, &g));
  EXPECT_TRUE(all_near(out[0], {2 * 2.0f + 10, 2 * -0.5f + 10}, 1e-6f));
  EXPECT_EQ(count_ops(g, ir::OpType::MaxPool2D), 1);
}

TEST(OnnxImporter, DynamicDimensionsNeedShapes) {
  MB m(13);
  m.input("pixels", {1, 3, -1, -1});
  m.node("Relu", {"pixels"}, {"y"});
  m.output("y");
  const std::string bytes = m.bytes();
  ir::Graph g;
  std::string error;
  convert::ImportOptions options;
  EXPECT_FALSE(convert::import_onnx_buffer(bytes.data(), bytes.size(), options, &g, &error));
  EXPECT_NE(error.find("'pixels'"), std::string::npos) << error;
  EXPECT_NE(error.find("dynamic"), std::string::npos) << error;
  options.input_shapes["pixels"] = {1, 3, 5, 4};
  ASSERT_TRUE(convert::import_onnx_buffer(bytes.data(), bytes.size(), options, &g, &error))
      << error;
  EXPECT_EQ(g.tensors[g.inputs[0]].shape, (std::vector<int32_t>{1, 5, 4, 3}));  // NHWC
  EXPECT_EQ(g.metadata["input_layout"], "NHWC");
  EXPECT_EQ(g.metadata["source_layout"], "NCHW");

  // A dynamic batch dimension takes default_dynamic_dim.
  MB b(13);
  b.input("x", {-1, 4});
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  const std::string b_bytes = b.bytes();
  options = {};
  options.default_dynamic_dim = 3;
  ASSERT_TRUE(convert::import_onnx_buffer(b_bytes.data(), b_bytes.size(), options, &g, &error))
      << error;
  EXPECT_EQ(g.tensors[g.inputs[0]].shape, (std::vector<int32_t>{3, 4}));
}

TEST(OnnxImporter, UnsupportedOpIsNamedWithNodeAndSupportedList) {
  MB m(13);
  m.input("x", {1, 4});
  m.node("Relu", {"x"}, {"r"});
  m.node("Erf", {"r"}, {"y"}, "my_erf_node");
  m.output("y");
  const std::string bytes = m.bytes();
  ir::Graph g;
  std::string error;
  EXPECT_FALSE(convert::import_onnx_buffer(bytes.data(), bytes.size(), {}, &g, &error));
  EXPECT_NE(error.find("'Erf'"), std::string::npos) << error;
  EXPECT_NE(error.find("my_erf_node"), std::string::npos) << error;
  EXPECT_NE(error.find("supported ops: "), std::string::npos) << error;
  EXPECT_NE(error.find("Conv"), std::string::npos) << error;
}

TEST(OnnxImporter, MalformedBytesGiveCleanErrors) {
  ir::Graph g;
  std::string error;
  std::mt19937 rng(31);
  for (int trial = 0; trial < 200; ++trial) {
    std::string junk(1 + rng() % 512, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    error.clear();
    EXPECT_FALSE(convert::import_onnx_buffer(junk.data(), junk.size(), {}, &g, &error));
    EXPECT_FALSE(error.empty());
  }
  // Every truncation of a valid model either fails cleanly or (cut at a message boundary)
  // still imports; it never crashes.
  MB m(13);
  m.input("x", {1, 2, 3, 3});
  m.init("w", {2, 2, 1, 1}, {1, 2, 3, 4});
  m.node("Conv", {"x", "w"}, {"y"});
  m.output("y");
  const std::string bytes = m.bytes();
  int failures = 0;
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    error.clear();
    if (!convert::import_onnx_buffer(bytes.data(), cut, {}, &g, &error)) {
      EXPECT_FALSE(error.empty());
      ++failures;
    }
  }
  EXPECT_GT(failures, static_cast<int>(bytes.size()) / 2);

  // Byte flips in a model with many op kinds mostly still parse, with corrupted shapes,
  // attributes and data: the importer must answer (graph or error), never crash.
  MB big(13);
  big.input("x", {1, 2, 4, 4});
  big.init("w", {4, 2, 3, 3}, random_values(72, 50));
  big.init("b", {4}, random_values(4, 51));
  auto* conv = big.node("Conv", {"x", "w", "b"}, {"c"});
  MB::attr_ints(conv, "pads", {1, 1, 1, 1});
  MB::attr_ints(conv, "strides", {1, 1});
  big.init("scales", {4}, {1.0f, 1.0f, 2.0f, 2.0f});
  big.node("Resize", {"c", "", "scales"}, {"r"});
  big.init_i64("starts", {1}, {1});
  big.init_i64("ends", {1}, {3});
  big.init_i64("axes", {1}, {1});
  big.node("Slice", {"r", "starts", "ends", "axes"}, {"s"});
  auto* cat = big.node("Concat", {"s", "s"}, {"cat"});
  MB::attr_i(cat, "axis", 1);
  big.init_i64("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
  big.node("Pad", {"cat", "pads"}, {"p"});
  auto* mp = big.node("MaxPool", {"p"}, {"mp"});
  MB::attr_ints(mp, "kernel_shape", {2, 2});
  MB::attr_ints(mp, "strides", {2, 2});
  big.node("Flatten", {"mp"}, {"f"});
  big.init("fc", {100, 3}, random_values(300, 52));
  big.node("MatMul", {"f", "fc"}, {"y"});
  big.output("y");
  const std::string big_bytes = big.bytes();
  ASSERT_TRUE(convert::import_onnx_buffer(big_bytes.data(), big_bytes.size(), {}, &g, &error))
      << error;
  int imported = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string mutated = big_bytes;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) mutated[rng() % mutated.size()] = static_cast<char>(rng());
    error.clear();
    if (convert::import_onnx_buffer(mutated.data(), mutated.size(), {}, &g, &error)) {
      ++imported;
    } else {
      EXPECT_FALSE(error.empty());
    }
  }
  std::printf("byte-flipped models: %d of 3000 still imported\n", imported);
  EXPECT_FALSE(convert::import_onnx("/nonexistent/model.onnx", {}, &g, &error));
  EXPECT_NE(error.find("/nonexistent/model.onnx"), std::string::npos);
}

}  // namespace
}  // namespace octet::onnx_test
