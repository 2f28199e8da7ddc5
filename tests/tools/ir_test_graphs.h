// Small graphs built with the host IR for the CLI and end-to-end tests, with their expected
// outputs computed independently by the scalar reference kernels.
#pragma once
#include <cstring>
#include <random>
#include <vector>

#include "kernels/reference/reference.h"
#include "tools/ir/graph.h"

namespace octet::ir::testing {

template <class T>
Tensor make_constant(const std::string& name, DType dtype, std::vector<int32_t> shape,
                     const std::vector<T>& values) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.is_constant = true;
  t.data.resize(values.size() * sizeof(T));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

inline Tensor make_activation(const std::string& name, DType dtype, std::vector<int32_t> shape,
                              Quant quant = {}) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.quant = std::move(quant);
  return t;
}

// ---- float: y = relu(x · Wᵀ + b), x [1,8], y [1,4] ----
struct FloatFc {
  Graph graph;
  std::vector<float> w, b;  // [4][8], [4]
  std::vector<float> expected(const std::vector<float>& x) const {
    std::vector<float> y(4);
    for (int n = 0; n < 4; ++n) {
      float acc = b[n];
      for (int k = 0; k < 8; ++k) acc += x[k] * w[n * 8 + k];
      y[n] = acc > 0 ? acc : 0;
    }
    return y;
  }
};

inline FloatFc float_fc() {
  FloatFc net;
  for (int i = 0; i < 32; ++i) net.w.push_back(static_cast<float>((i * 7) % 11 - 5) * 0.25f);
  net.b = {0.5f, -1.0f, 0.25f, 2.0f};
  Graph& g = net.graph;
  const int x = g.add_tensor(make_activation("x", DType::Float32, {1, 8}));
  const int w = g.add_tensor(make_constant("w", DType::Float32, {4, 8}, net.w));
  const int b = g.add_tensor(make_constant("b", DType::Float32, {4}, net.b));
  const int y = g.add_tensor(make_activation("y", DType::Float32, {1, 4}));
  Op fc;
  fc.type = OpType::FullyConnected;
  fc.name = "fc";
  fc.inputs = {x, w, b};
  fc.outputs = {y};
  fc.activation = Activation::Relu;
  fc.act_min = 0.0f;
  g.add_op(std::move(fc));
  g.inputs = {x};
  g.outputs = {y};
  g.metadata["description"] = "float fc test model";
  return net;
}

// ---- float in, int8 inside, float out:
// x f32 [1,6,6,3] -Quantize-> int8 -Conv2D 3x3 pad 1 (8 ch, per-channel)-> int8 [1,6,6,8]
// -Reshape-> [1,288] -FullyConnected (10)-> int8 [1,10] -Dequantize-> y f32 [1,10]
struct MixedNet {
  Graph graph;
  ref::QParams qx{1.0f / 32, 2}, qc{0.05f, -10}, qf{0.1f, 5};
  std::vector<int8_t> conv_w, fc_w;
  std::vector<int32_t> conv_b, fc_b;
  std::vector<float> conv_m, fc_m;

  std::vector<float> expected(const std::vector<float>& x) const {
    std::vector<int8_t> xq(x.size()), c(288), f(10);
    ref::quantize_f32_s8(x.size(), x.data(), qx, xq.data());
    ref::ConvGeometry g;
    g.in_h = g.in_w = g.out_h = g.out_w = 6;
    g.in_c = 3;
    g.out_c = 8;
    g.kernel_h = g.kernel_w = 3;
    g.pad_top = g.pad_left = 1;
    ref::Requant conv_rq{conv_m.data(), true, qc.zero_point, -128, 127};
    ref::conv2d_qs8(g, xq.data(), qx.zero_point, conv_w.data(), conv_b.data(), conv_rq, c.data());
    ref::Requant fc_rq{fc_m.data(), false, qf.zero_point, 0 + qf.zero_point, 127};  // fused relu
    ref::fully_connected_qs8(1, 10, 288, c.data(), fc_w.data(), fc_b.data(), fc_rq, f.data());
    std::vector<float> y(10);
    ref::dequantize_s8_f32(10, f.data(), qf, y.data());
    return y;
  }
};

inline MixedNet mixed_net() {
  MixedNet net;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> weight(-127, 127), bias(-2000, 2000);
  net.conv_w.resize(8 * 3 * 3 * 3);
  for (auto& v : net.conv_w) v = static_cast<int8_t>(weight(rng));
  net.fc_w.resize(10 * 288);
  for (auto& v : net.fc_w) v = static_cast<int8_t>(weight(rng));
  for (int i = 0; i < 8; ++i) net.conv_b.push_back(bias(rng));
  for (int i = 0; i < 10; ++i) net.fc_b.push_back(bias(rng));
  for (int i = 0; i < 8; ++i) net.conv_m.push_back(0.004f + 0.001f * i);
  net.fc_m = {0.0007f};

  Graph& g = net.graph;
  auto q = [](ref::QParams p) { return Quant::per_tensor(p.scale, p.zero_point); };
  const int x = g.add_tensor(make_activation("x", DType::Float32, {1, 6, 6, 3}));
  const int xq = g.add_tensor(make_activation("x_q", DType::Int8, {1, 6, 6, 3}, q(net.qx)));
  Tensor cw = make_constant("conv_w", DType::Int8, {8, 3, 3, 3}, net.conv_w);
  cw.quant = Quant{std::vector<float>(8, 0.01f), std::vector<int32_t>(8, 0), 0};
  const int cwt = g.add_tensor(cw);
  const int cbt = g.add_tensor(make_constant("conv_b", DType::Int32, {8}, net.conv_b));
  const int c = g.add_tensor(make_activation("conv", DType::Int8, {1, 6, 6, 8}, q(net.qc)));
  const int flat = g.add_tensor(make_activation("flat", DType::Int8, {1, 288}, q(net.qc)));
  Tensor fw = make_constant("fc_w", DType::Int8, {10, 288}, net.fc_w);
  fw.quant = Quant::per_tensor(0.02f, 0);
  const int fwt = g.add_tensor(fw);
  const int fbt = g.add_tensor(make_constant("fc_b", DType::Int32, {10}, net.fc_b));
  const int f = g.add_tensor(make_activation("fc", DType::Int8, {1, 10}, q(net.qf)));
  const int y = g.add_tensor(make_activation("y", DType::Float32, {1, 10}));

  Op quantize;
  quantize.type = OpType::Quantize;
  quantize.name = "quantize";
  quantize.inputs = {x};
  quantize.outputs = {xq};
  g.add_op(std::move(quantize));

  Op conv;
  conv.type = OpType::Conv2D;
  conv.name = "conv";
  conv.inputs = {xq, cwt, cbt};
  conv.outputs = {c};
  fb::Conv2DOptionsT options;
  options.pad_top = options.pad_left = options.pad_bottom = options.pad_right = 1;
  conv.options.Set(options);
  conv.multiplier = net.conv_m;
  g.add_op(std::move(conv));

  Op reshape;
  reshape.type = OpType::Reshape;
  reshape.name = "flatten";
  reshape.inputs = {c};
  reshape.outputs = {flat};
  reshape.options.Set(fb::ReshapeOptionsT());
  g.add_op(std::move(reshape));

  Op fc;
  fc.type = OpType::FullyConnected;
  fc.name = "fc";
  fc.inputs = {flat, fwt, fbt};
  fc.outputs = {f};
  fc.activation = Activation::Relu;
  fc.q_min = net.qf.zero_point;  // relu in the quantized domain
  fc.multiplier = net.fc_m;
  g.add_op(std::move(fc));

  Op dequantize;
  dequantize.type = OpType::Dequantize;
  dequantize.name = "dequantize";
  dequantize.inputs = {f};
  dequantize.outputs = {y};
  g.add_op(std::move(dequantize));

  g.inputs = {x};
  g.outputs = {y};
  g.metadata["description"] = "mixed float/int8 test model";
  return net;
}

inline std::vector<float> test_input(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = dist(rng);
  return x;
}

}  // namespace octet::ir::testing
