// Session/executor tests: every op family against the reference kernels, thread and ISA
// invariance, ISA forcing, arenas, observer, the C++ wrapper.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/common/requantize.h"
#include "octet/octet.h"
#include "octet/octet.hpp"
#include "tests/runtime/test_models.h"

namespace octet::test {
namespace {

// Opens the bytes of `tm` in place.
struct Loaded {
  AlignedBytes bytes;
  Model model;
  explicit Loaded(TestModel& tm) : bytes(tm.serialize()) {
    const octet_status s = model.open_buffer(bytes.data(), bytes.size());
    EXPECT_EQ(s, OCTET_OK) << last_error();
  }
};

std::vector<octet_isa> available_isas() {
  std::vector<octet_isa> out;
  for (int i = 0; i < kIsaCount; ++i)
    if (isa_available(static_cast<Isa>(i))) out.push_back(static_cast<octet_isa>(i));
  return out;
}

template <class T>
std::vector<T> run_once(Model& model, octet_isa isa, int threads, const void* input,
                        size_t input_bytes, int output = 0, bool* repacked = nullptr) {
  Session session;
  EXPECT_EQ(session.create(model, SessionOptions(isa, threads)), OCTET_OK) << last_error();
  if (!session) return {};
  memcpy(session.input(0), input, input_bytes);
  EXPECT_EQ(session.invoke(), OCTET_OK) << last_error();
  octet_tensor_info info;
  model.output_info(output, &info);
  const T* y = session.output<T>(output);
  if (repacked) *repacked = session.repacked();
  return std::vector<T>(y, y + info.size_bytes / sizeof(T));
}

ref::ConvGeometry geometry(const ConvSpec& s) {
  ref::ConvGeometry g;
  g.batch = s.batch, g.in_h = s.in_h, g.in_w = s.in_w, g.in_c = s.in_c;
  g.out_h = s.out_h(), g.out_w = s.out_w(), g.out_c = s.out_c;
  g.kernel_h = g.kernel_w = s.kernel;
  g.stride_h = g.stride_w = s.stride;
  g.pad_top = g.pad_left = s.pad;
  g.groups = s.groups;
  return g;
}

void expect_conv_matches_reference(const ConvSpec& spec) {
  QLayer layer;
  TestModel tm = conv_model(spec, &layer);
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto x =
      random_s8(static_cast<size_t>(spec.batch) * spec.in_h * spec.in_w * spec.in_c, 5, -128, 127);
  const ref::ConvGeometry g = geometry(spec);
  std::vector<int8_t> expected(static_cast<size_t>(spec.batch) * g.out_h * g.out_w * g.out_c);
  ref::Requant rq;
  rq.multiplier = layer.multiplier.data();
  rq.zero_point = spec.zy;
  rq.qmin = spec.qmin;
  rq.qmax = spec.qmax;
  ref::conv2d_qs8(g, x.data(), spec.zx, layer.w.data(), layer.bias.data(), rq, expected.data());
  for (octet_isa isa : available_isas()) {
    for (int threads : {1, 2, 3}) {
      EXPECT_EQ(run_once<int8_t>(loaded.model, isa, threads, x.data(), x.size()), expected)
          << "isa " << octet_isa_name(isa) << " threads " << threads;
    }
  }
}

TEST(RuntimeConv, MatchesReferenceStride2Pad1) { expect_conv_matches_reference(ConvSpec()); }

TEST(RuntimeConv, MatchesReferenceWithoutPlannedScratchAndBatch2) {
  ConvSpec spec;
  spec.plan_scratch = false;
  spec.batch = 2;
  spec.qmin = -20;  // fused relu-like clamp
  expect_conv_matches_reference(spec);
}

TEST(RuntimeConv, Pointwise1x1) {
  ConvSpec spec;
  spec.kernel = 1, spec.stride = 1, spec.pad = 0, spec.in_c = 24, spec.out_c = 40;
  expect_conv_matches_reference(spec);
}

TEST(RuntimeConv, Pointwise1x1OnOnePixelSplitsByN) {
  ConvSpec spec;
  spec.in_h = spec.in_w = 1, spec.kernel = 1, spec.stride = 1, spec.pad = 0;
  spec.in_c = 72, spec.out_c = 100;
  expect_conv_matches_reference(spec);
}

TEST(RuntimeConv, GroupedUsesReference) {
  ConvSpec spec;
  spec.groups = 2;
  expect_conv_matches_reference(spec);
}

TEST(RuntimeConv, StoredPackingIsUsedAndMissingOneIsRepacked) {
  const Isa best = best_isa();
  const PackFamily family = pack_family_for(best);
  const GemmQs8Kernel* kernel = gemm_qs8_kernel(best);
  if (family == PackFamily::kRowMajor || !kernel || kernel->family == PackFamily::kRowMajor)
    GTEST_SKIP() << "best ISA " << isa_name(best) << " reads row-major weights: nothing to repack";
  ConvSpec spec;
  TestModel plain = conv_model(spec);
  spec.pack = static_cast<fb::PackFamily>(kernel->family);
  TestModel packed = conv_model(spec);
  Loaded a(plain), b(packed);
  const auto x = random_s8(9 * 9 * 8, 7);
  bool repacked_a = false, repacked_b = true;
  const auto ya = run_once<int8_t>(a.model, static_cast<octet_isa>(best), 1, x.data(), x.size(), 0,
                                   &repacked_a);
  const auto yb = run_once<int8_t>(b.model, static_cast<octet_isa>(best), 1, x.data(), x.size(), 0,
                                   &repacked_b);
  EXPECT_TRUE(repacked_a);
  EXPECT_FALSE(repacked_b);
  EXPECT_EQ(ya, yb);
}

// Depthwise 3x3, stride 2, pad 1, multiplier 2: 12 -> 24 channels on 11x7 -> 6x4. Returns the
// model (not yet planned), the layer ([C][taps] weights) and its geometry.
constexpr int kDwC = 12, kDwH = 11, kDwW = 7, kDwOC = kDwC * 2;
TestModel depthwise_model(int32_t zx, int32_t zy, QLayer* l, ref::ConvGeometry* g) {
  TestModel tm;
  const float sx = 0.03f, sy = 0.05f;
  const int x = tm.add_tensor("x", DType::Int8, {1, kDwH, kDwW, kDwC}, {sx}, {zx});
  *l = make_qlayer(kDwOC, 9, sx, zx, sy, 3);
  std::vector<int8_t> wt(9 * kDwOC);  // [KH][KW][OC]
  for (int c = 0; c < kDwOC; ++c)
    for (int t = 0; t < 9; ++t) wt[t * kDwOC + c] = l->w[c * 9 + t];
  const int w = tm.add_constant("w", DType::Int8, {3, 3, kDwOC}, wt, l->w_scale, {}, 2);
  const int b = tm.add_constant("b", DType::Int32, {kDwOC}, l->bias);
  const int y = tm.add_tensor("y", DType::Int8, {1, 6, 4, kDwOC}, {sy}, {zy});
  auto& op = tm.add_op(OpType::DepthwiseConv2D, {x, w, b}, {y});
  fb::Conv2DOptionsT o;
  o.stride_h = o.stride_w = 2;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = 1;
  o.depth_multiplier = 2;
  op.options.Set(o);
  tm.set_multiplier(op, l->multiplier);
  tm.model.inputs = {x};
  tm.model.outputs = {y};
  *g = ref::ConvGeometry();
  g->in_h = kDwH, g->in_w = kDwW, g->in_c = kDwC, g->out_h = 6, g->out_w = 4, g->out_c = kDwOC;
  g->kernel_h = g->kernel_w = 3, g->stride_h = g->stride_w = 2, g->pad_top = g->pad_left = 1;
  g->depth_multiplier = 2;
  return tm;
}

TEST(RuntimeDepthwise, MatchesReference) {
  QLayer l;
  ref::ConvGeometry g;
  TestModel tm = depthwise_model(-4, 6, &l, &g);
  tm.plan();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto xs = random_s8(kDwH * kDwW * kDwC, 9, -128, 127);
  ref::Requant rq;
  rq.multiplier = l.multiplier.data();
  rq.zero_point = 6;
  std::vector<int8_t> wt(9 * kDwOC);
  for (int c = 0; c < kDwOC; ++c)
    for (int t = 0; t < 9; ++t) wt[t * kDwOC + c] = l.w[c * 9 + t];
  std::vector<int8_t> expected(6 * 4 * kDwOC);
  ref::dwconv2d_qs8(g, xs.data(), -4, wt.data(), l.bias.data(), rq, expected.data());
  for (octet_isa isa : available_isas())
    for (int threads : {1, 2})
      EXPECT_EQ(run_once<int8_t>(loaded.model, isa, threads, xs.data(), xs.size()), expected)
          << octet_isa_name(isa) << " x" << threads;
}

// int8 FullyConnected x [rows][k] -> y [rows][n] (not yet planned); tensor 2 is the bias.
TestModel fc_model(int rows, int n, int k, int32_t zx, int32_t zy, QLayer* l) {
  TestModel tm;
  const float sx = 0.02f, sy = 0.2f;
  const int x = tm.add_tensor("x", DType::Int8, {rows, k}, {sx}, {zx});
  *l = make_qlayer(n, k, sx, zx, sy, 13);
  const int w = tm.add_constant("w", DType::Int8, {n, k}, l->w, l->w_scale, {}, 0);
  const int b = tm.add_constant("b", DType::Int32, {n}, l->bias);
  const int y = tm.add_tensor("y", DType::Int8, {rows, n}, {sy}, {zy});
  auto& op = tm.add_op(OpType::FullyConnected, {x, w, b}, {y});
  tm.set_multiplier(op, l->multiplier);
  tm.model.inputs = {x};
  tm.model.outputs = {y};
  return tm;
}

void expect_fc_matches_reference(int rows, int n, int k) {
  QLayer l;
  TestModel tm = fc_model(rows, n, k, 5, -1, &l);
  tm.plan();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto xs = random_s8(static_cast<size_t>(rows) * k, 17, -128, 127);
  ref::Requant rq;
  rq.multiplier = l.multiplier.data();
  rq.zero_point = -1;
  std::vector<int8_t> expected(static_cast<size_t>(rows) * n);
  ref::fully_connected_qs8(rows, n, k, xs.data(), l.w.data(), l.bias.data(), rq, expected.data());
  for (octet_isa isa : available_isas())
    for (int threads : {1, 2, 4})
      EXPECT_EQ(run_once<int8_t>(loaded.model, isa, threads, xs.data(), xs.size()), expected)
          << octet_isa_name(isa) << " x" << threads;
}

TEST(RuntimeFullyConnected, GemvSplitsN) { expect_fc_matches_reference(1, 70, 100); }
TEST(RuntimeFullyConnected, RowsSplit) { expect_fc_matches_reference(9, 33, 64); }

// ---- Wide channels (legacy uint8 weights: w - zp needs 9 bits) ----

// Naive int32 conv (Conv2D with groups, or depthwise), weights [out_c][taps * in_c/groups] in
// tap order: the test's own statement of what every path must compute.
std::vector<int8_t> naive_conv(const ref::ConvGeometry& g, bool depthwise,
                               const std::vector<int8_t>& x, int32_t zx,
                               const std::vector<int32_t>& w, const std::vector<int32_t>& bias,
                               const ref::Requant& rq) {
  const int group_in = depthwise ? 1 : g.in_c / g.groups;
  const int group_out = depthwise ? g.depth_multiplier : g.out_c / g.groups;
  std::vector<int8_t> y(static_cast<size_t>(g.batch) * g.out_h * g.out_w * g.out_c);
  size_t i = 0;
  for (int b = 0; b < g.batch; ++b)
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow)
        for (int oc = 0; oc < g.out_c; ++oc) {
          int64_t acc = bias[oc];
          const int32_t* wc = &w[static_cast<size_t>(oc) * g.kernel_h * g.kernel_w * group_in];
          for (int kh = 0; kh < g.kernel_h; ++kh)
            for (int kw = 0; kw < g.kernel_w; ++kw)
              for (int ic = 0; ic < group_in; ++ic) {
                const int ih = oh * g.stride_h - g.pad_top + kh;
                const int iw = ow * g.stride_w - g.pad_left + kw;
                const int channel = oc / group_out * group_in + ic;
                const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
                const int32_t xv =
                    inside ? x[((static_cast<size_t>(b) * g.in_h + ih) * g.in_w + iw) * g.in_c +
                               channel]
                           : zx;
                acc += xv * wc[(kh * g.kernel_w + kw) * group_in + ic];
              }
          y[i++] = static_cast<int8_t>(requantize(static_cast<int32_t>(acc),
                                                  rq.multiplier[rq.per_channel ? oc : 0],
                                                  rq.zero_point, rq.qmin, rq.qmax));
        }
  return y;
}

// Makes output channels `channels` of the last op of `tm` wide: their weights become values in
// [-255, 255] stored as int16 (the int8 weights stay as placeholders) and their folded bias is
// recomputed. *w holds every channel's weights [out_c][per_channel] for naive_conv; *bias the
// folded bias (also written into the model's bias tensor).
void make_wide(TestModel& tm, int bias_tensor, const std::vector<int32_t>& channels,
               size_t per_channel, int32_t zx, std::vector<int32_t>* w,
               std::vector<int32_t>* bias) {
  std::mt19937 rng(77);
  std::uniform_int_distribution<int> value(-255, 255);
  std::vector<int16_t> w16;
  for (int32_t c : channels) {
    int32_t sum = 0;
    for (size_t k = 0; k < per_channel; ++k) {
      const int v = k == 0 ? 255 - 2 * (c & 1) * 255 : value(rng);  // hit both extremes
      w16.push_back(static_cast<int16_t>(v));
      (*w)[c * per_channel + k] = v;
      sum += v;
    }
    (*bias)[c] = 1234 - c - zx * sum;
  }
  const fb::Buffer& b = *tm.model.tensors[bias_tensor]->data;
  std::memcpy(tm.data.data() + b.offset(), bias->data(), bias->size() * sizeof(int32_t));
  auto wide = std::make_unique<fb::WideChannelsT>();
  wide->channels = channels;
  wide->weights = std::make_unique<fb::Buffer>(tm.add_data(w16.data(), w16.size() * 2));
  tm.model.operators.back()->wide = std::move(wide);
}

void expect_wide_conv_exact(const ConvSpec& spec) {
  QLayer layer;
  TestModel tm = conv_model(spec, &layer);
  const size_t k = static_cast<size_t>(spec.kernel) * spec.kernel * (spec.in_c / spec.groups);
  std::vector<int32_t> w(layer.w.begin(), layer.w.end()), bias = layer.bias;
  make_wide(tm, 2, {0, spec.out_c / 2, spec.out_c - 1}, k, spec.zx, &w, &bias);
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto x =
      random_s8(static_cast<size_t>(spec.batch) * spec.in_h * spec.in_w * spec.in_c, 5, -128, 127);
  ref::Requant rq;
  rq.multiplier = layer.multiplier.data();
  rq.zero_point = spec.zy;
  const auto expected = naive_conv(geometry(spec), false, x, spec.zx, w, bias, rq);
  for (octet_isa isa : available_isas())
    for (int threads : {1, 2, 3})
      EXPECT_EQ(run_once<int8_t>(loaded.model, isa, threads, x.data(), x.size()), expected)
          << "isa " << octet_isa_name(isa) << " threads " << threads;
}

TEST(RuntimeWideChannels, ConvThroughIm2colGemm) {
  ConvSpec spec;
  spec.batch = 2, spec.zx = -128;
  expect_wide_conv_exact(spec);
}

TEST(RuntimeWideChannels, PointwiseConvByRowsAndByN) {
  ConvSpec spec;
  spec.kernel = 1, spec.stride = 1, spec.pad = 0, spec.in_c = 24, spec.out_c = 40;
  expect_wide_conv_exact(spec);
  spec.in_h = spec.in_w = 1, spec.in_c = 72, spec.out_c = 100;  // one pixel: split by N
  expect_wide_conv_exact(spec);
}

TEST(RuntimeWideChannels, GroupedConv) {
  ConvSpec spec;
  spec.groups = 2, spec.zx = 127;
  expect_wide_conv_exact(spec);
}

TEST(RuntimeWideChannels, DepthwiseAndFullyConnected) {
  {
    QLayer l;
    ref::ConvGeometry g;
    TestModel tm = depthwise_model(-128, 6, &l, &g);
    std::vector<int32_t> w32(l.w.begin(), l.w.end()), bias = l.bias;
    make_wide(tm, 2, {1, 2, 17, kDwOC - 1}, 9, -128, &w32, &bias);
    tm.plan();
    Loaded loaded(tm);
    ASSERT_TRUE(loaded.model);
    ref::Requant rq;
    rq.multiplier = l.multiplier.data();
    rq.zero_point = 6;
    const auto xs = random_s8(kDwH * kDwW * kDwC, 9, -128, 127);
    const auto expected = naive_conv(g, true, xs, -128, w32, bias, rq);
    for (octet_isa isa : available_isas())
      for (int threads : {1, 2, 3})
        EXPECT_EQ(run_once<int8_t>(loaded.model, isa, threads, xs.data(), xs.size()), expected)
            << "depthwise " << octet_isa_name(isa) << " x" << threads;
  }
  // FullyConnected: one row (split by N) and 9 rows (split by rows).
  for (int rows : {1, 9}) {
    const int n = 70, k = 100;
    QLayer l;
    TestModel tm = fc_model(rows, n, k, 5, -1, &l);
    std::vector<int32_t> w32(l.w.begin(), l.w.end()), bias = l.bias;
    make_wide(tm, 2, {0, 15, 16, 33, 69}, k, 5, &w32, &bias);
    tm.plan();
    Loaded loaded(tm);
    ASSERT_TRUE(loaded.model);
    ref::ConvGeometry g;  // FullyConnected = 1x1 conv over `rows` pixels
    g.batch = rows, g.in_h = g.in_w = g.out_h = g.out_w = 1, g.in_c = k, g.out_c = n;
    ref::Requant rq;
    rq.multiplier = l.multiplier.data();
    rq.zero_point = -1;
    const auto xs = random_s8(static_cast<size_t>(rows) * k, 17, -128, 127);
    const auto expected = naive_conv(g, false, xs, 5, w32, bias, rq);
    for (octet_isa isa : available_isas())
      for (int threads : {1, 2, 4})
        EXPECT_EQ(run_once<int8_t>(loaded.model, isa, threads, xs.data(), xs.size()), expected)
            << "fc rows " << rows << " " << octet_isa_name(isa) << " x" << threads;
  }
}

TEST(RuntimeElementwise, AddBroadcastMatchesReference) {
  TestModel tm;
  const int a = tm.add_tensor("a", DType::Int8, {1, 4, 4, 8}, {0.1f}, {2});
  const auto bvals = random_s8(8, 3);
  const int b = tm.add_constant("b", DType::Int8, {8}, bvals, {0.05f}, {-1});
  const int y = tm.add_tensor("y", DType::Int8, {1, 4, 4, 8}, {0.12f}, {0});
  auto& op = tm.add_op(OpType::Add, {a, b}, {y});
  op.q_min = -100;
  tm.model.inputs = {a};
  tm.model.outputs = {y};
  tm.plan();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto xs = random_s8(128, 4, -128, 127);
  const int32_t as[] = {1, 4, 4, 8}, bs[] = {8};
  ref::Broadcast bc;
  ASSERT_TRUE(ref::make_broadcast(as, 4, bs, 1, &bc));
  std::vector<int8_t> expected(128);
  ref::add_qs8(bc, xs.data(), {0.1f, 2}, bvals.data(), {0.05f, -1}, {0.12f, 0}, -100, 127,
               expected.data());
  EXPECT_EQ(run_once<int8_t>(loaded.model, OCTET_ISA_SCALAR, 1, xs.data(), xs.size()), expected);
}

TEST(RuntimeElementwise, ScalarOperandsAndFloatDivMul) {
  // x[3] / scalar, then * x[3]: rank-0 operands broadcast like numpy.
  TestModel tm;
  const int x = tm.add_tensor("x", DType::Float32, {3});
  const int two = tm.add_constant("two", DType::Float32, {}, std::vector<float>{2.0f});
  const int h = tm.add_tensor("h", DType::Float32, {3});
  const int y = tm.add_tensor("y", DType::Float32, {3});
  tm.add_op(OpType::Div, {x, two}, {h});
  auto& mul = tm.add_op(OpType::Mul, {h, x}, {y});
  mul.act_max = 10.0f;
  tm.model.inputs = {x};
  tm.model.outputs = {y};
  tm.plan();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const std::vector<float> xs = {1.0f, -3.0f, 6.0f};
  EXPECT_EQ(run_once<float>(loaded.model, OCTET_ISA_SCALAR, 1, xs.data(), 12),
            (std::vector<float>{0.5f, 4.5f, 10.0f}));
}

TEST(RuntimeElementwise, LargeOpsSplitAcrossThreadsMatchReference) {
  // Big enough for the executor to split them: float -> Quantize -> Add(broadcast) ->
  // Mul(same shape) -> Lut.
  TestModel tm;
  const int32_t H = 48, W = 48, C = 16;
  const size_t n = static_cast<size_t>(H) * W * C;
  const int x = tm.add_tensor("x", DType::Float32, {1, H, W, C});
  const int q = tm.add_tensor("q", DType::Int8, {1, H, W, C}, {0.03f}, {-3});
  tm.add_op(OpType::Quantize, {x}, {q});
  const auto bias = random_s8(C, 4);
  const int b = tm.add_constant("b", DType::Int8, {1, 1, C}, bias, {0.02f}, {1});
  const int a = tm.add_tensor("a", DType::Int8, {1, H, W, C}, {0.05f}, {2});
  tm.add_op(OpType::Add, {q, b}, {a});
  const int m = tm.add_tensor("m", DType::Int8, {1, H, W, C}, {0.07f}, {0});
  tm.add_op(OpType::Mul, {a, q}, {m});
  const int y = tm.add_tensor("y", DType::Int8, {1, H, W, C}, {0.01f}, {5});
  auto& lut = tm.add_op(OpType::Lut, {m}, {y});
  int8_t table[256];
  ref::build_lut_s8([](float v) { return 1.0f / (1.0f + std::exp(-v)); }, {0.07f, 0}, {0.01f, 5},
                    -128, 127, table);
  tm.set_lut(lut, table, sizeof(table));
  tm.model.inputs = {x};
  tm.model.outputs = {y};
  tm.plan();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto xs = random_f32(n, 31, -4.0f, 4.0f);
  std::vector<int8_t> qv(n), av(n), mv(n), expected(n);
  ref::quantize_f32_s8(n, xs.data(), {0.03f, -3}, qv.data());
  const int32_t xshape[] = {1, H, W, C}, bshape[] = {1, 1, C};
  ref::Broadcast bc;
  ASSERT_TRUE(ref::make_broadcast(xshape, 4, bshape, 3, &bc));
  ref::add_qs8(bc, qv.data(), {0.03f, -3}, bias.data(), {0.02f, 1}, {0.05f, 2}, -128, 127,
               av.data());
  ASSERT_TRUE(ref::make_broadcast(xshape, 4, xshape, 4, &bc));
  ref::mul_qs8(bc, av.data(), {0.05f, 2}, qv.data(), {0.03f, -3}, {0.07f, 0}, -128, 127, mv.data());
  ref::lut_s8(n, mv.data(), table, expected.data());
  for (int threads : {1, 2, 3})
    EXPECT_EQ(run_once<int8_t>(loaded.model, OCTET_ISA_AUTO, threads, xs.data(), n * 4), expected)
        << threads << " threads";
}

TEST(RuntimePool, AverageAndMaxMatchReference) {
  for (OpType type : {OpType::AveragePool2D, OpType::MaxPool2D}) {
    TestModel tm;
    const int x = tm.add_tensor("x", DType::Int8, {1, 7, 7, 5}, {0.1f}, {3});
    const int y = tm.add_tensor("y", DType::Int8, {1, 4, 4, 5}, {0.08f}, {-2});
    auto& op = tm.add_op(type, {x}, {y});
    fb::Pool2DOptionsT o;
    o.filter_h = o.filter_w = 3;
    o.stride_h = o.stride_w = 2;
    o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = 1;
    op.options.Set(o);
    tm.model.inputs = {x};
    tm.model.outputs = {y};
    tm.plan();
    Loaded loaded(tm);
    ASSERT_TRUE(loaded.model);
    const auto xs = random_s8(7 * 7 * 5, 8, -128, 127);
    ref::PoolGeometry g;
    g.in_h = g.in_w = 7, g.channels = 5, g.out_h = g.out_w = 4;
    g.filter_h = g.filter_w = 3, g.stride_h = g.stride_w = 2, g.pad_top = g.pad_left = 1;
    std::vector<int8_t> expected(4 * 4 * 5);
    if (type == OpType::AveragePool2D)
      ref::avgpool_qs8(g, xs.data(), {0.1f, 3}, {0.08f, -2}, -128, 127, expected.data());
    else
      ref::maxpool_qs8(g, xs.data(), {0.1f, 3}, {0.08f, -2}, -128, 127, expected.data());
    EXPECT_EQ(run_once<int8_t>(loaded.model, OCTET_ISA_AUTO, 1, xs.data(), xs.size()), expected)
        << fb::EnumNameOpType(type);
  }
}

TEST(RuntimePool, LargePoolsAndMeanOnEveryIsaAndThreadCount) {
  // Big enough for the executor to split pooling by output pixels; the spatial Mean runs as
  // a global average pool. Every ISA's elementwise kernels, 1-3 threads, same bytes.
  const int32_t H = 30, W = 30, C = 40;
  for (OpType type : {OpType::AveragePool2D, OpType::MaxPool2D, OpType::Mean}) {
    TestModel tm;
    const int x = tm.add_tensor("x", DType::Int8, {1, H, W, C}, {0.1f}, {-7});
    const bool mean = type == OpType::Mean;
    const int out_hw = mean ? 1 : H / 2;
    const int y = mean ? tm.add_tensor("y", DType::Int8, {1, C}, {0.03f}, {4})
                       : tm.add_tensor("y", DType::Int8, {1, out_hw, out_hw, C}, {0.08f}, {-2});
    auto& op = tm.add_op(type, {x}, {y});
    if (mean) {
      fb::MeanOptionsT o;
      o.axes = {1, 2};
      op.options.Set(o);
    } else {
      fb::Pool2DOptionsT o;
      o.filter_h = o.filter_w = 3;
      o.stride_h = o.stride_w = 2;
      o.pad_bottom = o.pad_right = 1;
      op.options.Set(o);
    }
    tm.model.inputs = {x};
    tm.model.outputs = {y};
    tm.plan();
    Loaded loaded(tm);
    ASSERT_TRUE(loaded.model);
    const auto xs = random_s8(static_cast<size_t>(H) * W * C, 9, -128, 127);
    ref::PoolGeometry g;
    g.in_h = H, g.in_w = W, g.channels = C, g.out_h = g.out_w = out_hw;
    g.filter_h = g.filter_w = 3, g.stride_h = g.stride_w = 2;
    std::vector<int8_t> expected(static_cast<size_t>(out_hw) * out_hw * C);
    const int32_t shape[] = {1, H, W, C};
    const bool reduce[] = {false, true, true, false};
    if (type == OpType::AveragePool2D)
      ref::avgpool_qs8(g, xs.data(), {0.1f, -7}, {0.08f, -2}, -128, 127, expected.data());
    else if (type == OpType::MaxPool2D)
      ref::maxpool_qs8(g, xs.data(), {0.1f, -7}, {0.08f, -2}, -128, 127, expected.data());
    else
      ref::mean_qs8(shape, 4, reduce, xs.data(), {0.1f, -7}, {0.03f, 4}, -128, 127,
                    expected.data());
    for (octet_isa isa : available_isas())
      for (int threads : {1, 2, 3})
        EXPECT_EQ(run_once<int8_t>(loaded.model, isa, threads, xs.data(), xs.size()), expected)
            << fb::EnumNameOpType(type) << " " << octet_isa_name(isa) << " x" << threads;
  }
}

TEST(RuntimeSoftmaxLut, Int8SoftmaxAndLutMatchReference) {
  TestModel tm;
  const int x = tm.add_tensor("x", DType::Int8, {3, 20}, {0.1f}, {0});
  const int h = tm.add_tensor("h", DType::Int8, {3, 20}, {0.05f}, {-10});
  const int y = tm.add_tensor("y", DType::Int8, {3, 20}, {1.0f / 256}, {-128});
  auto& lut_op = tm.add_op(OpType::Lut, {x}, {h});
  int8_t table[256];
  ref::build_lut_s8([](float v) { return std::tanh(v); }, {0.1f, 0}, {0.05f, -10}, -128, 127,
                    table);
  tm.set_lut(lut_op, table, sizeof(table));
  auto& sm = tm.add_op(OpType::Softmax, {h}, {y});
  float exp_table[256];
  ref::build_softmax_table(1.0f, 0.05f, exp_table);
  tm.set_lut(sm, exp_table, sizeof(exp_table));
  tm.model.inputs = {x};
  tm.model.outputs = {y};
  tm.plan();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto xs = random_s8(60, 10, -128, 127);
  std::vector<int8_t> hidden(60), expected(60);
  ref::lut_s8(60, xs.data(), table, hidden.data());
  ref::softmax_qs8(3, 20, hidden.data(), exp_table, {1.0f / 256, -128}, expected.data());
  EXPECT_EQ(run_once<int8_t>(loaded.model, OCTET_ISA_AUTO, 1, xs.data(), xs.size()), expected);
}

TEST(RuntimeQuantize, FloatRoundTripAndFloatOps) {
  // float x -> Quantize -> Dequantize -> Relu6 -> Softmax(float), plus a float Conv2D.
  TestModel tm;
  const int x = tm.add_tensor("x", DType::Float32, {1, 4, 4, 2});
  const int q = tm.add_tensor("q", DType::Int8, {1, 4, 4, 2}, {0.05f}, {4});
  const int d = tm.add_tensor("d", DType::Float32, {1, 4, 4, 2});
  const int r = tm.add_tensor("r", DType::Float32, {1, 4, 4, 2});
  tm.add_op(OpType::Quantize, {x}, {q});
  tm.add_op(OpType::Dequantize, {q}, {d});
  tm.add_op(OpType::Relu6, {d}, {r});
  const auto wf = random_f32(3 * 3 * 3 * 2, 5);
  const auto bf = random_f32(3, 6);
  const int w = tm.add_constant("w", DType::Float32, {3, 3, 3, 2}, wf);
  const int b = tm.add_constant("b", DType::Float32, {3}, bf);
  const int c = tm.add_tensor("c", DType::Float32, {1, 2, 2, 3});
  auto& conv = tm.add_op(OpType::Conv2D, {r, w, b}, {c});
  fb::Conv2DOptionsT o;
  o.stride_h = o.stride_w = 2;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = 1;
  conv.options.Set(o);
  conv.act_min = 0.0f;
  const int s = tm.add_tensor("s", DType::Float32, {1, 2, 2, 3});
  tm.add_op(OpType::Softmax, {c}, {s});
  tm.model.inputs = {x};
  tm.model.outputs = {s};
  tm.plan();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto xs = random_f32(32, 12, -3.0f, 8.0f);
  std::vector<int8_t> qv(32);
  std::vector<float> dv(32), rv(32), cv(12), expected(12);
  ref::quantize_f32_s8(32, xs.data(), {0.05f, 4}, qv.data());
  ref::dequantize_s8_f32(32, qv.data(), {0.05f, 4}, dv.data());
  ref::unary_f32(ref::UnaryOp::kRelu6, 32, dv.data(), rv.data());
  ref::ConvGeometry g;
  g.in_h = g.in_w = 4, g.in_c = 2, g.out_h = g.out_w = 2, g.out_c = 3;
  g.kernel_h = g.kernel_w = 3, g.stride_h = g.stride_w = 2, g.pad_top = g.pad_left = 1;
  ref::conv2d_f32(g, rv.data(), wf.data(), bf.data(), 0.0f, INFINITY, cv.data());
  ref::softmax_f32(4, 3, 1.0f, cv.data(), expected.data());
  EXPECT_EQ(run_once<float>(loaded.model, OCTET_ISA_SCALAR, 1, xs.data(), xs.size() * 4), expected);
}

// Float Conv3x3 -> DwConv3x3 s2 -> Conv (1x1 output: channel split) -> FC, with the fast
// float kernels where the ISA has them: close to the reference, identical for any thread count.
TEST(RuntimeFloat, FastKernelsMatchReferenceAndAreThreadInvariant) {
  TestModel tm;
  const int x = tm.add_tensor("x", DType::Float32, {1, 9, 9, 6});
  auto conv = [&](int in, std::vector<int32_t> w_shape, std::vector<int32_t> out_shape, int stride,
                  int pad, bool depthwise, uint32_t seed) {
    size_t count = 1;
    for (int32_t d : w_shape) count *= static_cast<size_t>(d);
    const int oc = out_shape[3];
    const int w = tm.add_constant("w", DType::Float32, w_shape, random_f32(count, seed));
    const int b = tm.add_constant("b", DType::Float32, {oc}, random_f32(oc, seed + 1));
    const int y = tm.add_tensor("y", DType::Float32, out_shape);
    auto& op = tm.add_op(depthwise ? OpType::DepthwiseConv2D : OpType::Conv2D, {in, w, b}, {y});
    fb::Conv2DOptionsT o;
    o.stride_h = o.stride_w = stride;
    o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = pad;
    op.options.Set(o);
    op.act_min = -2.0f;
    op.act_max = 6.0f;
    return y;
  };
  const int c1 = conv(x, {20, 3, 3, 6}, {1, 9, 9, 20}, 1, 1, false, 1);
  const int d1 = conv(c1, {3, 3, 20}, {1, 5, 5, 20}, 2, 1, true, 3);
  const int c2 = conv(d1, {37, 5, 5, 20}, {1, 1, 1, 37}, 1, 0, false, 5);
  const int fw = tm.add_constant("fw", DType::Float32, {11, 37}, random_f32(11 * 37, 7));
  const int y = tm.add_tensor("out", DType::Float32, {1, 11});
  tm.add_op(OpType::FullyConnected, {c2, fw, -1}, {y});
  tm.model.inputs = {x};
  tm.model.outputs = {y};
  tm.plan();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto xs = random_f32(9 * 9 * 6, 8);
  const auto reference =
      run_once<float>(loaded.model, OCTET_ISA_SCALAR, 1, xs.data(), xs.size() * 4);
  ASSERT_EQ(reference.size(), 11u);
  for (octet_isa isa : available_isas()) {
    const auto one = run_once<float>(loaded.model, isa, 1, xs.data(), xs.size() * 4);
    for (size_t i = 0; i < one.size(); ++i)
      EXPECT_NEAR(one[i], reference[i], 1e-4f * (1.0f + std::fabs(reference[i])))
          << octet_isa_name(isa) << " output " << i;
    for (int threads : {2, 3})
      EXPECT_EQ(run_once<float>(loaded.model, isa, threads, xs.data(), xs.size() * 4), one)
          << octet_isa_name(isa) << " x" << threads;
  }
}

TEST(RuntimeDataMovement, PadTransposeSliceReshapeConcat) {
  TestModel tm;
  const int x = tm.add_tensor("x", DType::Int8, {2, 3, 4}, {0.1f}, {-7});
  const int p = tm.add_tensor("p", DType::Int8, {2, 5, 5}, {0.1f}, {-7});
  auto& pad = tm.add_op(OpType::Pad, {x}, {p});
  fb::PadOptionsT po;
  po.paddings = {0, 0, 1, 1, 0, 1};
  pad.options.Set(po);
  const int t = tm.add_tensor("t", DType::Int8, {5, 2, 5}, {0.1f}, {-7});
  auto& tr = tm.add_op(OpType::Transpose, {p}, {t});
  fb::TransposeOptionsT to;
  to.perm = {1, 0, 2};
  tr.options.Set(to);
  const int s = tm.add_tensor("s", DType::Int8, {3, 2, 4}, {0.1f}, {-7});
  auto& sl = tm.add_op(OpType::Slice, {t}, {s});
  fb::SliceOptionsT so;
  so.begin = {1, 0, 1};
  so.size = {3, -1, 4};
  sl.options.Set(so);
  const int r = tm.add_tensor("r", DType::Int8, {6, 4}, {0.1f}, {-7});
  tm.add_op(OpType::Reshape, {s}, {r});
  const int y = tm.add_tensor("y", DType::Int8, {6, 8}, {0.2f}, {0});
  auto& cat = tm.add_op(OpType::Concat, {r, r}, {y});
  fb::ConcatOptionsT co;
  co.axis = -1;
  cat.options.Set(co);
  tm.model.inputs = {x};
  tm.model.outputs = {y};
  tm.plan();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const auto xs = random_s8(24, 2, -128, 127);
  std::vector<int8_t> pv(50), tv(50), sv(24), expected(48);
  const int8_t zp = -7;
  const int32_t xshape[] = {2, 3, 4}, before[] = {0, 1, 0}, after[] = {0, 1, 1};
  ref::pad(xshape, 3, before, after, 1, xs.data(), &zp, pv.data());
  const int32_t pshape[] = {2, 5, 5}, perm[] = {1, 0, 2};
  ref::transpose(pshape, 3, perm, 1, pv.data(), tv.data());
  const int32_t tshape[] = {5, 2, 5}, begin[] = {1, 0, 1}, size[] = {3, 2, 4};
  ref::slice(tshape, 3, begin, size, 1, tv.data(), sv.data());
  const int8_t* parts[] = {sv.data(), sv.data()};
  const ref::QParams qs[] = {{0.1f, -7}, {0.1f, -7}};
  const int64_t sizes[] = {4, 4};
  ref::concat_qs8(2, parts, qs, sizes, 6, 1, {0.2f, 0}, expected.data());
  EXPECT_EQ(run_once<int8_t>(loaded.model, OCTET_ISA_SCALAR, 1, xs.data(), xs.size()), expected);
}

TEST(RuntimeNetwork, SameOutputForEveryIsaAndThreadCount) {
  for (bool packed : {false, true}) {
    TestModel tm = network_model(packed);
    Loaded loaded(tm);
    ASSERT_TRUE(loaded.model);
    const auto xs = random_f32(300, 99, -1.0f, 1.5f);
    const auto reference =
        run_once<int8_t>(loaded.model, OCTET_ISA_SCALAR, 1, xs.data(), xs.size() * 4, 1);
    ASSERT_EQ(reference.size(), 10u);
    // The logits must not be constant (the test would be blind otherwise).
    bool varied = false;
    for (int8_t v : reference) varied |= v != reference[0];
    EXPECT_TRUE(varied);
    for (octet_isa isa : available_isas()) {
      for (int threads : {1, 2, 3}) {
        EXPECT_EQ(run_once<int8_t>(loaded.model, isa, threads, xs.data(), xs.size() * 4, 1),
                  reference)
            << octet_isa_name(isa) << " x" << threads << (packed ? " packed" : "");
        const auto probs = run_once<float>(loaded.model, isa, threads, xs.data(), xs.size() * 4, 0);
        float sum = 0;
        for (float p : probs) sum += p;
        EXPECT_NEAR(sum, 1.0f, 0.05f);
      }
    }
  }
}

TEST(RuntimeSession, RepeatedInvokeIsDeterministicAndObserverSeesEveryOp) {
  TestModel tm = network_model();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  Session session;
  ASSERT_EQ(session.create(loaded.model, SessionOptions(OCTET_ISA_AUTO, 2)), OCTET_OK);
  const auto xs = random_f32(300, 1);
  memcpy(session.input(0), xs.data(), xs.size() * 4);
  struct Seen {
    std::vector<int> ops;
    int stop_at = -1;
  } seen;
  session.set_observer(
      [](void* user, int op) {
        auto* s = static_cast<Seen*>(user);
        s->ops.push_back(op);
        return op == s->stop_at ? 1 : 0;
      },
      &seen);
  ASSERT_EQ(session.invoke(), OCTET_OK);
  ASSERT_EQ(static_cast<int>(seen.ops.size()), loaded.model.num_operators());
  for (size_t i = 0; i < seen.ops.size(); ++i) EXPECT_EQ(seen.ops[i], static_cast<int>(i));
  const std::vector<int8_t> first(session.output<int8_t>(1), session.output<int8_t>(1) + 10);
  seen.ops.clear();
  seen.stop_at = 3;
  EXPECT_EQ(session.invoke(), OCTET_ERROR_RUNTIME);
  EXPECT_EQ(seen.ops.size(), 4u);
  EXPECT_NE(std::string(last_error()).find("observer"), std::string::npos);
  seen.stop_at = -1;
  ASSERT_EQ(session.invoke(), OCTET_OK);
  EXPECT_EQ(std::vector<int8_t>(session.output<int8_t>(1), session.output<int8_t>(1) + 10), first);
}

TEST(RuntimeSession, CallerArenaChecks) {
  TestModel tm = network_model();
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  SessionOptions options(OCTET_ISA_SCALAR, 1);
  size_t need = 0;
  ASSERT_EQ(Session::arena_size(loaded.model, options, &need), OCTET_OK);
  EXPECT_GE(need, tm.model.arena_size);
  AlignedBytes arena;
  std::vector<uint8_t> zeros(need + 64, 0);
  arena.assign(zeros.data(), zeros.size());
  Session session;
  EXPECT_EQ(session.create(loaded.model, options, arena.data(), need - 1),
            OCTET_ERROR_ARENA_TOO_SMALL);
  EXPECT_EQ(session.create(loaded.model, options, arena.data() + 1, need),
            OCTET_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(session.create(loaded.model, options, arena.data(), need), OCTET_OK) << last_error();
  // Input/output pointers are inside the caller's arena.
  auto* in = static_cast<uint8_t*>(session.input(0));
  EXPECT_GE(in, arena.data());
  EXPECT_LT(in, arena.data() + need);
  EXPECT_EQ(session.invoke(), OCTET_OK);
}

TEST(RuntimeIsa, ForcedUnavailableIsaIsACleanError) {
  TestModel tm = conv_model(ConvSpec());
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  int unavailable = 0;
  for (int i = 0; i < kIsaCount; ++i) {
    if (isa_available(static_cast<Isa>(i))) continue;
    ++unavailable;
    Session session;
    EXPECT_EQ(session.create(loaded.model, SessionOptions(static_cast<octet_isa>(i), 1)),
              OCTET_ERROR_ISA_UNAVAILABLE)
        << isa_name(static_cast<Isa>(i));
    EXPECT_NE(std::string(last_error()).find(isa_name(static_cast<Isa>(i))), std::string::npos);
    size_t size = 0;
    const SessionOptions forced(static_cast<octet_isa>(i), 1);
    EXPECT_EQ(octet_session_arena_size(loaded.model.get(), &forced, &size),
              OCTET_ERROR_ISA_UNAVAILABLE);
  }
  // Every build lacks at least the other architecture's paths.
  EXPECT_GT(unavailable, 0);
  SessionOptions bogus;
  const int out_of_range = 42;  // what a C caller can store in the enum
  memcpy(&bogus.isa, &out_of_range, sizeof(out_of_range));
  EXPECT_EQ(Session().create(loaded.model, bogus), OCTET_ERROR_INVALID_ARGUMENT);
}

TEST(RuntimeIsa, EnvironmentVariableForcesIsa) {
  TestModel tm = conv_model(ConvSpec());
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    setenv("OCTET_ISA", isa_name(isa), 1);
    Session session;
    const octet_status s = session.create(loaded.model);
    if (isa_available(isa)) {
      EXPECT_EQ(s, OCTET_OK) << isa_name(isa) << ": " << last_error();
      EXPECT_EQ(session.isa(), static_cast<octet_isa>(i));
    } else {
      EXPECT_EQ(s, OCTET_ERROR_ISA_UNAVAILABLE) << isa_name(isa);
      EXPECT_NE(std::string(last_error()).find("OCTET_ISA"), std::string::npos);
    }
  }
  setenv("OCTET_ISA", "pentium", 1);
  EXPECT_EQ(Session().create(loaded.model), OCTET_ERROR_INVALID_ARGUMENT);
  // options.isa wins over the environment.
  Session scalar;
  EXPECT_EQ(scalar.create(loaded.model, SessionOptions(OCTET_ISA_SCALAR, 1)), OCTET_OK);
  unsetenv("OCTET_ISA");
  Session automatic;
  ASSERT_EQ(automatic.create(loaded.model), OCTET_OK);
  EXPECT_EQ(automatic.isa(), static_cast<octet_isa>(best_isa()));
}

TEST(RuntimeApi, IntrospectionAndMetadata) {
  TestModel tm = network_model();
  auto kv = std::make_unique<fb::KeyValueT>();
  kv->key = "labels";
  kv->value = "a,b,c";
  tm.model.metadata.push_back(std::move(kv));
  Loaded loaded(tm);
  ASSERT_TRUE(loaded.model);
  const octet_model* m = loaded.model.get();
  EXPECT_STREQ(octet_model_metadata(m, "labels"), "a,b,c");
  EXPECT_EQ(octet_model_metadata(m, "missing"), nullptr);
  EXPECT_EQ(octet_model_num_inputs(m), 1);
  EXPECT_EQ(octet_model_num_outputs(m), 2);
  octet_tensor_info info;
  ASSERT_EQ(octet_model_input_info(m, 0, &info), OCTET_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, OCTET_FLOAT32);
  EXPECT_EQ(info.rank, 4);
  EXPECT_EQ(info.size_bytes, 300u * 4);
  ASSERT_EQ(octet_model_output_info(m, 1, &info), OCTET_OK);
  EXPECT_EQ(info.quantized, 1);
  EXPECT_FLOAT_EQ(info.scale, 0.1f);
  EXPECT_EQ(octet_model_input_info(m, 1, &info), OCTET_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(octet_model_operator_type(m, 0), "Quantize");
  EXPECT_STREQ(octet_model_operator_type(m, 1), "Conv2D");
  EXPECT_EQ(octet_model_operator_num_outputs(m, 1), 1);
  EXPECT_EQ(octet_model_operator_output(m, 0, 0), 1);
  EXPECT_EQ(octet_model_operator_type(m, 1000), nullptr);
  EXPECT_STREQ(octet_isa_name(OCTET_ISA_AVX512VNNI), "avx512vnni");
  EXPECT_STREQ(octet_status_string(OCTET_ERROR_ISA_UNAVAILABLE), "ISA unavailable");
}

TEST(RuntimeApi, OpenFromFileAndStaticExample) {
  TestModel tm = network_model();
  const std::vector<uint8_t> bytes = tm.serialize();
  char path[] = "/tmp/octet_runtime_test_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  close(fd);
  Model model;
  ASSERT_EQ(model.open(path), OCTET_OK) << last_error();
  Session session;
  ASSERT_EQ(session.create(model), OCTET_OK);
  EXPECT_EQ(session.invoke(), OCTET_OK);
#ifdef OCTET_STATIC_EXAMPLE
  // The plain C example program (what static/firmware users write) runs the same file.
  // Cross builds run it through qemu-user (no binfmt_misc): OCTET_TEST_EMULATOR prefixes it.
  const char* emulator = getenv("OCTET_TEST_EMULATOR");
  const std::string command = std::string(emulator ? emulator : "") + " " + OCTET_STATIC_EXAMPLE +
                              " " + path + " > /dev/null";
  EXPECT_EQ(std::system(command.c_str()), 0);
#endif
  unlink(path);
  Model missing;
  EXPECT_EQ(missing.open("/nonexistent/model.octet"), OCTET_ERROR_IO);
  EXPECT_NE(std::string(last_error()).find("/nonexistent/model.octet"), std::string::npos);
}

}  // namespace
}  // namespace octet::test
