// Small models shared by the runtime tests, the malloc-counting test and the fuzz seeds.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/conv2d/conv2d.h"
#include "kernels/gemm/gemm.h"
#include "kernels/reference/reference.h"
#include "tests/runtime/model_writer.h"

namespace octet::test {

using fb::DType;
using fb::OpType;

inline std::vector<int8_t> random_s8(size_t n, uint32_t seed, int lo = -127, int hi = 127) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}
inline std::vector<float> random_f32(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Int8 weights + folded bias + multipliers of a GEMM-like layer with n outputs, k inputs.
struct QLayer {
  std::vector<int8_t> w;
  std::vector<int32_t> bias;  // folded: b - zx * sum(w)
  std::vector<float> w_scale;
  std::vector<float> multiplier;
};
inline QLayer make_qlayer(size_t n, size_t k, float sx, int32_t zx, float sy, uint32_t seed) {
  QLayer l;
  l.w = random_s8(n * k, seed);
  std::mt19937 rng(seed + 1);
  std::uniform_int_distribution<int> bias_dist(-2000, 2000);
  std::uniform_real_distribution<float> scale_dist(0.002f, 0.01f);
  for (size_t c = 0; c < n; ++c) {
    int32_t sum = 0;
    for (size_t i = 0; i < k; ++i) sum += l.w[c * k + i];
    l.bias.push_back(bias_dist(rng) - zx * sum);
    l.w_scale.push_back(scale_dist(rng));
    l.multiplier.push_back(sx * l.w_scale.back() / sy);
  }
  return l;
}

struct ConvSpec {
  int batch = 1, in_h = 9, in_w = 9, in_c = 8, out_c = 16, kernel = 3, stride = 2, pad = 1;
  int groups = 1;
  float sx = 0.05f, sy = 0.1f;
  int32_t zx = 3, zy = -2;
  int32_t qmin = -128, qmax = 127;
  bool plan_scratch = true;
  fb::PackFamily pack = fb::PackFamily::RowMajor;  // RowMajor: no extra packing stored
  int out_h() const { return (in_h + 2 * pad - kernel) / stride + 1; }
  int out_w() const { return (in_w + 2 * pad - kernel) / stride + 1; }
};

// x [N,H,W,C] int8 -> Conv2D -> y, returns the TestModel plus the layer for the reference.
inline TestModel conv_model(const ConvSpec& s, QLayer* layer_out = nullptr) {
  TestModel tm;
  const int x = tm.add_tensor("x", DType::Int8, {s.batch, s.in_h, s.in_w, s.in_c}, {s.sx}, {s.zx});
  const size_t k = static_cast<size_t>(s.kernel) * s.kernel * (s.in_c / s.groups);
  QLayer layer = make_qlayer(s.out_c, k, s.sx, s.zx, s.sy, 11);
  const int w = tm.add_constant("w", DType::Int8, {s.out_c, s.kernel, s.kernel, s.in_c / s.groups},
                                layer.w, layer.w_scale, {}, 0);
  std::vector<int32_t> zeros(s.out_c, 0);
  tm.model.tensors[w]->quant->zero_point = zeros;
  const int b = tm.add_constant("b", DType::Int32, {s.out_c}, layer.bias);
  const int y =
      tm.add_tensor("y", DType::Int8, {s.batch, s.out_h(), s.out_w(), s.out_c}, {s.sy}, {s.zy});
  auto& op = tm.add_op(OpType::Conv2D, {x, w, b}, {y});
  fb::Conv2DOptionsT o;
  o.stride_h = o.stride_w = s.stride;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = s.pad;
  o.groups = s.groups;
  op.options.Set(o);
  op.q_min = s.qmin;
  op.q_max = s.qmax;
  tm.set_multiplier(op, layer.multiplier);
  if (s.groups == 1 && s.pack != fb::PackFamily::RowMajor) {
    const auto family = static_cast<PackFamily>(s.pack);
    std::vector<uint8_t> packed(gemm_qs8_packed_size(family, s.out_c, k));
    gemm_qs8_pack(family, s.out_c, k, layer.w.data(), layer.bias.data(), packed.data());
    tm.add_packed(op, s.pack, packed.data(), packed.size());
  }
  if (s.plan_scratch && s.groups == 1) {
    ref::ConvGeometry g;
    g.batch = s.batch, g.in_h = s.in_h, g.in_w = s.in_w, g.in_c = s.in_c;
    g.out_h = s.out_h(), g.out_w = s.out_w(), g.out_c = s.out_c;
    g.kernel_h = g.kernel_w = s.kernel;
    g.stride_h = g.stride_w = s.stride;
    g.pad_top = g.pad_left = s.pad;
    op.scratch_size = conv2d_qs8_scratch_size(g);
  }
  tm.model.inputs = {x};
  tm.model.outputs = {y};
  tm.plan();
  if (layer_out) *layer_out = std::move(layer);
  return tm;
}

// A small int8 network touching most op kinds:
// float x[1,10,10,3] -> Quantize -> Conv3x3 (relu) -> DwConv3x3 s2 -> Conv1x1 -> Add(residual of
// a 1x1 conv branch) -> MaxPool 2x2 -> Concat(with AvgPool branch) -> Mean -> FC(10) -> Softmax
// -> Dequantize -> float y[1,10].
inline TestModel network_model(bool pack_all_families = false) {
  TestModel tm;
  const float s0 = 0.02f, s1 = 0.05f, s2 = 0.06f, s3 = 0.07f, s4 = 0.08f;
  const int xf = tm.add_tensor("x", DType::Float32, {1, 10, 10, 3});
  const int xq = tm.add_tensor("xq", DType::Int8, {1, 10, 10, 3}, {s0}, {1});
  tm.add_op(OpType::Quantize, {xf}, {xq});

  auto add_conv = [&](int in, int in_c, int out_c, int kernel, int stride, int pad, float sx,
                      int32_t zx, float sy, int32_t zy, int hw_in, bool depthwise, uint32_t seed,
                      int32_t qmin) {
    const int hw = (hw_in + 2 * pad - kernel) / stride + 1;
    const size_t k = depthwise ? static_cast<size_t>(kernel * kernel)
                               : static_cast<size_t>(kernel) * kernel * in_c;
    QLayer l = make_qlayer(out_c, k, sx, zx, sy, seed);
    int w;
    if (depthwise) {
      // Depthwise weights are [KH][KW][C]; make_qlayer made [C][KH*KW]: transpose.
      std::vector<int8_t> wt(l.w.size());
      for (int c = 0; c < out_c; ++c)
        for (size_t t = 0; t < k; ++t) wt[t * out_c + c] = l.w[c * k + t];
      w = tm.add_constant("dw_w", DType::Int8, {kernel, kernel, out_c}, wt, l.w_scale,
                          std::vector<int32_t>(out_c, 0), 2);
    } else {
      w = tm.add_constant("w", DType::Int8, {out_c, kernel, kernel, in_c}, l.w, l.w_scale,
                          std::vector<int32_t>(out_c, 0), 0);
    }
    const int b = tm.add_constant("b", DType::Int32, {out_c}, l.bias);
    const int y = tm.add_tensor("conv", DType::Int8, {1, hw, hw, out_c}, {sy}, {zy});
    auto& op = tm.add_op(depthwise ? OpType::DepthwiseConv2D : OpType::Conv2D, {in, w, b}, {y});
    fb::Conv2DOptionsT o;
    o.stride_h = o.stride_w = stride;
    o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = pad;
    op.options.Set(o);
    op.q_min = qmin;
    tm.set_multiplier(op, l.multiplier);
    if (pack_all_families && !depthwise) {
      for (int f = 1; f < kPackFamilyCount; ++f) {
        const auto family = static_cast<PackFamily>(f);
        std::vector<uint8_t> packed(gemm_qs8_packed_size(family, out_c, k));
        gemm_qs8_pack(family, out_c, k, l.w.data(), l.bias.data(), packed.data());
        tm.add_packed(op, static_cast<fb::PackFamily>(f), packed.data(), packed.size());
      }
    }
    return y;
  };
  const int c1 = add_conv(xq, 3, 8, 3, 1, 1, s0, 1, s1, -5, 10, false, 21, -5);   // relu
  const int d1 = add_conv(c1, 8, 8, 3, 2, 1, s1, -5, s2, 2, 10, true, 22, -128);  // 5x5
  const int c2 = add_conv(d1, 8, 16, 1, 1, 0, s2, 2, s3, 0, 5, false, 23, -128);
  const int c3 = add_conv(d1, 8, 16, 1, 1, 0, s2, 2, s3, 4, 5, false, 24, -128);
  const int sum = tm.add_tensor("sum", DType::Int8, {1, 5, 5, 16}, {s4}, {-3});
  tm.add_op(OpType::Add, {c2, c3}, {sum});
  auto add_pool = [&](OpType type, int in, float s, int32_t z) {
    const int y = tm.add_tensor("pool", DType::Int8, {1, 2, 2, 16}, {s}, {z});
    auto& op = tm.add_op(type, {in}, {y});
    fb::Pool2DOptionsT o;
    o.filter_h = o.filter_w = 2;
    o.stride_h = o.stride_w = 2;
    op.options.Set(o);
    return y;
  };
  const int mp = add_pool(OpType::MaxPool2D, sum, s4, -3);
  const int ap = add_pool(OpType::AveragePool2D, sum, 0.05f, 1);
  const int cat = tm.add_tensor("cat", DType::Int8, {1, 2, 2, 32}, {s4}, {-3});
  auto& cat_op = tm.add_op(OpType::Concat, {mp, ap}, {cat});
  fb::ConcatOptionsT co;
  co.axis = 3;
  cat_op.options.Set(co);
  const int mean = tm.add_tensor("mean", DType::Int8, {1, 32}, {0.04f}, {0});
  auto& mean_op = tm.add_op(OpType::Mean, {cat}, {mean});
  fb::MeanOptionsT mo;
  mo.axes = {1, 2};
  mean_op.options.Set(mo);
  QLayer fc = make_qlayer(10, 32, 0.04f, 0, 0.1f, 25);
  const int fw = tm.add_constant("fc_w", DType::Int8, {10, 32}, fc.w, fc.w_scale,
                                 std::vector<int32_t>(10, 0), 0);
  const int fbias = tm.add_constant("fc_b", DType::Int32, {10}, fc.bias);
  const int logits = tm.add_tensor("logits", DType::Int8, {1, 10}, {0.1f}, {0});
  auto& fc_op = tm.add_op(OpType::FullyConnected, {mean, fw, fbias}, {logits});
  tm.set_multiplier(fc_op, fc.multiplier);
  const int prob = tm.add_tensor("prob", DType::Int8, {1, 10}, {1.0f / 256}, {-128});
  auto& sm = tm.add_op(OpType::Softmax, {logits}, {prob});
  float table[256];
  ref::build_softmax_table(1.0f, 0.1f, table);
  tm.set_lut(sm, table, sizeof(table));
  const int yf = tm.add_tensor("y", DType::Float32, {1, 10});
  tm.add_op(OpType::Dequantize, {prob}, {yf});
  tm.model.inputs = {xf};
  tm.model.outputs = {yf, logits};
  tm.plan();
  return tm;
}

}  // namespace octet::test
