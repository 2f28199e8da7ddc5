// Reference Conv2D / DepthwiseConv2D / FullyConnected / BatchMatMul against an
// independent double-precision model: the int8 kernels are compared with "dequantize,
// compute in double, quantize" (within 1 LSB), the float kernels with the same double
// model. The model pads the input explicitly instead of bounds-checking each tap.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/reference/reference.h"

namespace octet {
namespace {

using test::Rng;

struct ConvCase {
  const char* name;
  ref::ConvGeometry g;  // out_h/out_w computed from pad_bottom/pad_right below
  int pad_bottom = 0, pad_right = 0;
};

ref::ConvGeometry finish_geometry(const ConvCase& c) {
  ref::ConvGeometry g = c.g;
  const int span_h = g.dilation_h * (g.kernel_h - 1) + 1;
  const int span_w = g.dilation_w * (g.kernel_w - 1) + 1;
  g.out_h = (g.in_h + g.pad_top + c.pad_bottom - span_h) / g.stride_h + 1;
  g.out_w = (g.in_w + g.pad_left + c.pad_right - span_w) / g.stride_w + 1;
  return g;
}

ref::ConvGeometry make_geometry(int batch, int in_h, int in_w, int in_c, int out_c, int kh, int kw,
                                int sh, int sw, int dh, int dw, int pad_top, int pad_left,
                                int groups) {
  ref::ConvGeometry g;
  g.batch = batch;
  g.in_h = in_h;
  g.in_w = in_w;
  g.in_c = in_c;
  g.out_c = out_c;
  g.kernel_h = kh;
  g.kernel_w = kw;
  g.stride_h = sh;
  g.stride_w = sw;
  g.dilation_h = dh;
  g.dilation_w = dw;
  g.pad_top = pad_top;
  g.pad_left = pad_left;
  g.groups = groups;
  return g;
}

// Double-precision grouped convolution over an explicitly zero-padded copy of x.
// w: [OC][KH][KW][IC/groups]. Returns [B][OH][OW][OC].
std::vector<double> model_conv(const ref::ConvGeometry& g, const std::vector<double>& x,
                               const std::vector<double>& w, const std::vector<double>& bias) {
  const int padded_h = std::max(g.in_h + g.pad_top,
                                (g.out_h - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1);
  const int padded_w = std::max(g.in_w + g.pad_left,
                                (g.out_w - 1) * g.stride_w + (g.kernel_w - 1) * g.dilation_w + 1);
  std::vector<double> padded(static_cast<size_t>(g.batch) * padded_h * padded_w * g.in_c, 0.0);
  for (int b = 0; b < g.batch; ++b)
    for (int h = 0; h < g.in_h; ++h)
      for (int x_col = 0; x_col < g.in_w; ++x_col)
        for (int c = 0; c < g.in_c; ++c)
          padded[((static_cast<size_t>(b) * padded_h + h + g.pad_top) * padded_w + x_col +
                  g.pad_left) *
                     g.in_c +
                 c] = x[((static_cast<size_t>(b) * g.in_h + h) * g.in_w + x_col) * g.in_c + c];
  const int icg = g.in_c / g.groups;
  const int ocg = g.out_c / g.groups;
  std::vector<double> y(static_cast<size_t>(g.batch) * g.out_h * g.out_w * g.out_c);
  size_t out_index = 0;
  for (int b = 0; b < g.batch; ++b)
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow)
        for (int oc = 0; oc < g.out_c; ++oc) {
          double sum = bias.empty() ? 0.0 : bias[oc];
          const int group = oc / ocg;
          for (int kh = 0; kh < g.kernel_h; ++kh)
            for (int kw = 0; kw < g.kernel_w; ++kw)
              for (int ic = 0; ic < icg; ++ic) {
                const int ph = oh * g.stride_h + kh * g.dilation_h;
                const int pw = ow * g.stride_w + kw * g.dilation_w;
                sum +=
                    padded[((static_cast<size_t>(b) * padded_h + ph) * padded_w + pw) * g.in_c +
                           group * icg + ic] *
                    w[((static_cast<size_t>(oc) * g.kernel_h + kh) * g.kernel_w + kw) * icg + ic];
              }
          y[out_index++] = sum;
        }
  return y;
}

// Quantized problem data shared by the int8 conv and depthwise tests.
struct QuantConvData {
  std::vector<int8_t> x, w;
  std::vector<int32_t> folded_bias;
  std::vector<float> multiplier;
  std::vector<double> x_real, w_real, bias_real;  // w_real in the model's [OC][KH][KW][ICg]
  double y_scale = 1.0;
};

struct QuantOptions {
  int x_zero_point = 0;
  int y_zero_point = 0;
  bool per_channel = true;
  double saturation = 1.0;  // > 1 pushes outputs beyond the int8 range
  int qmin = -128, qmax = 127;
};

// Builds int8 data for a conv whose model weights are [OC][KH][KW][ICg] (w_model_index maps
// the kernel's weight layout index to the model index).
template <typename ModelIndex>
QuantConvData make_quant_data(Rng& rng, const ref::ConvGeometry& g, size_t weight_count,
                              size_t taps_per_output, const QuantOptions& opt,
                              ModelIndex kernel_to_model_index,
                              const std::vector<int>& weight_channel) {
  QuantConvData d;
  const double x_scale = 0.02;
  d.x = test::random_int8(rng, static_cast<size_t>(g.batch) * g.in_h * g.in_w * g.in_c);
  d.w = test::random_int8(rng, weight_count, -127, 127);
  std::vector<double> w_scale(g.out_c);
  for (auto& s : w_scale) s = 0.001 * test::random_int(rng, 5, 40);
  d.x_real.resize(d.x.size());
  for (size_t i = 0; i < d.x.size(); ++i) d.x_real[i] = x_scale * (d.x[i] - opt.x_zero_point);
  d.w_real.assign(weight_count, 0.0);
  std::vector<int64_t> weight_sum(g.out_c, 0);
  for (size_t i = 0; i < weight_count; ++i) {
    const int oc = weight_channel[i];
    d.w_real[kernel_to_model_index(i)] = w_scale[oc] * d.w[i];
    weight_sum[oc] += d.w[i];
  }
  d.bias_real.resize(g.out_c);
  d.folded_bias.resize(g.out_c);
  std::vector<int32_t> bias_q(g.out_c);
  for (int oc = 0; oc < g.out_c; ++oc) {
    bias_q[oc] = test::random_int(rng, -3000, 3000);
    d.bias_real[oc] = bias_q[oc] * x_scale * w_scale[oc];
    d.folded_bias[oc] = static_cast<int32_t>(bias_q[oc] - opt.x_zero_point * weight_sum[oc]);
  }
  // Pick the output scale from the typical magnitude so outputs span the int8 range.
  const double typical =
      74.0 * 74.0 * std::sqrt(static_cast<double>(taps_per_output)) * x_scale * 0.0225;
  d.y_scale = typical / 40.0 / opt.saturation;
  if (!opt.per_channel) {
    // One multiplier: every channel gets the same weight scale.
    for (auto& s : w_scale) s = w_scale[0];
    for (size_t i = 0; i < weight_count; ++i) {
      d.w_real[kernel_to_model_index(i)] = w_scale[weight_channel[i]] * d.w[i];
    }
    for (int oc = 0; oc < g.out_c; ++oc) d.bias_real[oc] = bias_q[oc] * x_scale * w_scale[oc];
  }
  for (int oc = 0; oc < (opt.per_channel ? g.out_c : 1); ++oc) {
    d.multiplier.push_back(static_cast<float>(x_scale * w_scale[oc] / d.y_scale));
  }
  return d;
}

std::vector<int> quantize_model(const std::vector<double>& y_real, double y_scale,
                                const QuantOptions& opt) {
  std::vector<int> q(y_real.size());
  for (size_t i = 0; i < y_real.size(); ++i) {
    q[i] = test::quantize_exact(y_real[i], y_scale, opt.y_zero_point, opt.qmin, opt.qmax);
  }
  return q;
}

ref::Requant make_requant(const QuantConvData& d, const QuantOptions& opt) {
  ref::Requant rq;
  rq.multiplier = d.multiplier.data();
  rq.per_channel = opt.per_channel;
  rq.zero_point = opt.y_zero_point;
  rq.qmin = opt.qmin;
  rq.qmax = opt.qmax;
  return rq;
}

const ConvCase kConvCases[] = {
    {"pointwise", make_geometry(1, 5, 7, 3, 4, 1, 1, 1, 1, 1, 1, 0, 0, 1)},
    {"same3x3", make_geometry(1, 6, 6, 8, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1), 1, 1},
    {"stride2_asymmetric_pad", make_geometry(1, 7, 9, 3, 6, 3, 3, 2, 2, 1, 1, 0, 1, 1), 1, 0},
    {"dilation2", make_geometry(1, 9, 8, 4, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1), 2, 2},
    {"dilation_mixed", make_geometry(1, 8, 10, 2, 3, 3, 2, 1, 2, 3, 1, 1, 0, 1), 2, 1},
    {"groups2", make_geometry(1, 5, 5, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2), 1, 1},
    {"groups_depthwise", make_geometry(1, 6, 5, 5, 10, 3, 3, 1, 1, 1, 1, 1, 1, 5), 1, 1},
    {"batch2_rect_kernel", make_geometry(2, 6, 7, 3, 5, 2, 3, 2, 1, 1, 1, 1, 1, 1), 0, 1},
    {"kernel_larger_than_input", make_geometry(1, 2, 2, 3, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1), 1, 1},
    {"valid_full_window", make_geometry(1, 4, 4, 7, 9, 4, 4, 1, 1, 1, 1, 0, 0, 1)},
    {"one_channel", make_geometry(1, 5, 4, 1, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1), 1, 1},
};

const QuantOptions kQuantOptions[] = {
    {0, 0, true, 1.0, -128, 127},     {-128, 5, true, 1.0, -128, 127},
    {127, -7, false, 1.0, -128, 127}, {-3, -128, true, 1.0, -128, 127},
    {12, 127, true, 1.0, -128, 127},  {0, 0, true, 8.0, -128, 127},
    {-20, -10, true, 1.0, -10, 127},  {5, 3, false, 4.0, -60, 70},
};

TEST(ReferenceConvTest, Conv2dQs8MatchesDoubleModel) {
  Rng rng(1);
  for (const ConvCase& c : kConvCases) {
    const ref::ConvGeometry g = finish_geometry(c);
    const int icg = g.in_c / g.groups;
    const size_t weight_count = static_cast<size_t>(g.out_c) * g.kernel_h * g.kernel_w * icg;
    std::vector<int> channel(weight_count);
    for (size_t i = 0; i < weight_count; ++i)
      channel[i] = static_cast<int>(i / (weight_count / g.out_c));
    for (const QuantOptions& opt : kQuantOptions) {
      const QuantConvData d = make_quant_data(
          rng, g, weight_count, static_cast<size_t>(g.kernel_h) * g.kernel_w * icg, opt,
          [](size_t i) { return i; }, channel);
      std::vector<int8_t> y(static_cast<size_t>(g.batch) * g.out_h * g.out_w * g.out_c);
      ref::conv2d_qs8(g, d.x.data(), opt.x_zero_point, d.w.data(), d.folded_bias.data(),
                      make_requant(d, opt), y.data());
      const auto want =
          quantize_model(model_conv(g, d.x_real, d.w_real, d.bias_real), d.y_scale, opt);
      test::expect_within_one_lsb(y, want,
                                  std::string(c.name) + " zx=" + std::to_string(opt.x_zero_point) +
                                      " zy=" + std::to_string(opt.y_zero_point));
    }
  }
}

TEST(ReferenceConvTest, Conv2dQs8OutputsCoverTheRangeAndSaturate) {
  // Guards the test data itself: saturating options must actually hit qmin and qmax.
  Rng rng(2);
  const ConvCase& c = kConvCases[1];
  const ref::ConvGeometry g = finish_geometry(c);
  const size_t weight_count = static_cast<size_t>(g.out_c) * 9 * g.in_c;
  std::vector<int> channel(weight_count);
  for (size_t i = 0; i < weight_count; ++i) channel[i] = static_cast<int>(i / (9 * g.in_c));
  const QuantOptions opt = {-128, 0, true, 8.0, -128, 127};
  const QuantConvData d = make_quant_data(
      rng, g, weight_count, 9 * g.in_c, opt, [](size_t i) { return i; }, channel);
  std::vector<int8_t> y(static_cast<size_t>(g.out_h) * g.out_w * g.out_c);
  ref::conv2d_qs8(g, d.x.data(), opt.x_zero_point, d.w.data(), d.folded_bias.data(),
                  make_requant(d, opt), y.data());
  EXPECT_NE(std::find(y.begin(), y.end(), int8_t{-128}), y.end());
  EXPECT_NE(std::find(y.begin(), y.end(), int8_t{127}), y.end());
}

TEST(ReferenceConvTest, Conv2dF32MatchesDoubleModel) {
  Rng rng(3);
  for (const ConvCase& c : kConvCases) {
    const ref::ConvGeometry g = finish_geometry(c);
    const int icg = g.in_c / g.groups;
    const size_t weight_count = static_cast<size_t>(g.out_c) * g.kernel_h * g.kernel_w * icg;
    const auto x = test::random_float(rng, static_cast<size_t>(g.batch) * g.in_h * g.in_w * g.in_c,
                                      -1.0f, 1.0f);
    const auto w = test::random_float(rng, weight_count, -1.0f, 1.0f);
    const auto bias = test::random_float(rng, g.out_c, -1.0f, 1.0f);
    for (const bool clamp : {false, true}) {
      const float act_min = clamp ? 0.0f : -INFINITY;
      const float act_max = clamp ? 1.5f : INFINITY;
      std::vector<float> y(static_cast<size_t>(g.batch) * g.out_h * g.out_w * g.out_c);
      ref::conv2d_f32(g, x.data(), w.data(), bias.data(), act_min, act_max, y.data());
      const auto want = model_conv(g, std::vector<double>(x.begin(), x.end()),
                                   std::vector<double>(w.begin(), w.end()),
                                   std::vector<double>(bias.begin(), bias.end()));
      for (size_t i = 0; i < y.size(); ++i) {
        const double expected = std::min<double>(std::max<double>(want[i], act_min), act_max);
        ASSERT_NEAR(y[i], expected, 1e-4) << c.name << " element " << i;
      }
    }
  }
}

// Depthwise geometries: groups is ignored, out_c = in_c * depth_multiplier.
struct DwCase {
  const char* name;
  ref::ConvGeometry g;
  int pad_bottom = 0, pad_right = 0;
};

ref::ConvGeometry with_multiplier(ref::ConvGeometry g, int multiplier) {
  g.depth_multiplier = multiplier;
  g.out_c = g.in_c * multiplier;
  return g;
}

const DwCase kDwCases[] = {
    {"dw3x3_same", with_multiplier(make_geometry(1, 6, 7, 8, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1), 1), 1,
     1},
    {"dw3x3_stride2", with_multiplier(make_geometry(1, 9, 8, 5, 0, 3, 3, 2, 2, 1, 1, 0, 1, 1), 1),
     1, 1},
    {"dw_multiplier2", with_multiplier(make_geometry(1, 5, 5, 3, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1), 2),
     1, 1},
    {"dw_multiplier3_stride2",
     with_multiplier(make_geometry(2, 7, 6, 2, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1), 3), 1, 0},
    {"dw5x5_dilation2",
     with_multiplier(make_geometry(1, 11, 9, 4, 0, 5, 5, 1, 1, 2, 2, 4, 3, 1), 1), 4, 5},
    {"dw_rect_kernel", with_multiplier(make_geometry(1, 6, 6, 7, 0, 1, 3, 1, 2, 1, 1, 0, 1, 1), 1),
     0, 1},
    {"dw_tiny_input", with_multiplier(make_geometry(1, 2, 1, 3, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1), 1),
     1, 1},
};

// Maps depthwise weight index ([KH][KW][OC]) to the model's grouped layout [OC][KH][KW][1].
struct DwIndex {
  ref::ConvGeometry g;
  size_t operator()(size_t i) const {
    const size_t oc = i % g.out_c;
    const size_t tap = i / g.out_c;
    return oc * g.kernel_h * g.kernel_w + tap;
  }
};

ref::ConvGeometry as_grouped(ref::ConvGeometry g) {
  g.groups = g.in_c;
  return g;
}

TEST(ReferenceConvTest, DwConv2dQs8MatchesDoubleModel) {
  Rng rng(4);
  for (const DwCase& c : kDwCases) {
    const ref::ConvGeometry g = finish_geometry({c.name, c.g, c.pad_bottom, c.pad_right});
    const size_t weight_count = static_cast<size_t>(g.kernel_h) * g.kernel_w * g.out_c;
    std::vector<int> channel(weight_count);
    for (size_t i = 0; i < weight_count; ++i) channel[i] = static_cast<int>(i % g.out_c);
    for (const QuantOptions& opt : kQuantOptions) {
      const QuantConvData d =
          make_quant_data(rng, g, weight_count, static_cast<size_t>(g.kernel_h) * g.kernel_w, opt,
                          DwIndex{g}, channel);
      std::vector<int8_t> y(static_cast<size_t>(g.batch) * g.out_h * g.out_w * g.out_c);
      ref::dwconv2d_qs8(g, d.x.data(), opt.x_zero_point, d.w.data(), d.folded_bias.data(),
                        make_requant(d, opt), y.data());
      const auto want = quantize_model(model_conv(as_grouped(g), d.x_real, d.w_real, d.bias_real),
                                       d.y_scale, opt);
      test::expect_within_one_lsb(y, want,
                                  std::string(c.name) + " zx=" + std::to_string(opt.x_zero_point) +
                                      " zy=" + std::to_string(opt.y_zero_point));
    }
  }
}

TEST(ReferenceConvTest, DwConv2dF32MatchesDoubleModel) {
  Rng rng(5);
  for (const DwCase& c : kDwCases) {
    const ref::ConvGeometry g = finish_geometry({c.name, c.g, c.pad_bottom, c.pad_right});
    const size_t weight_count = static_cast<size_t>(g.kernel_h) * g.kernel_w * g.out_c;
    const auto x = test::random_float(rng, static_cast<size_t>(g.batch) * g.in_h * g.in_w * g.in_c,
                                      -2.0f, 2.0f);
    const auto w = test::random_float(rng, weight_count, -1.0f, 1.0f);
    const auto bias = test::random_float(rng, g.out_c, -1.0f, 1.0f);
    std::vector<double> w_model(weight_count);
    const DwIndex index{g};
    for (size_t i = 0; i < weight_count; ++i) w_model[index(i)] = w[i];
    std::vector<float> y(static_cast<size_t>(g.batch) * g.out_h * g.out_w * g.out_c);
    ref::dwconv2d_f32(g, x.data(), w.data(), bias.data(), -6.0f, 6.0f, y.data());
    const auto want = model_conv(as_grouped(g), std::vector<double>(x.begin(), x.end()), w_model,
                                 std::vector<double>(bias.begin(), bias.end()));
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], std::min(std::max(want[i], -6.0), 6.0), 1e-4) << c.name << " " << i;
    }
  }
}

TEST(ReferenceConvTest, FullyConnectedQs8MatchesDoubleModel) {
  Rng rng(6);
  const size_t shapes[][3] = {{1, 1, 1}, {1, 10, 33}, {3, 7, 64}, {5, 16, 3}, {2, 31, 257}};
  for (const auto& shape : shapes) {
    const size_t m = shape[0], n = shape[1], k = shape[2];
    for (const QuantOptions& opt : kQuantOptions) {
      // A fully connected layer is a 1x1 conv over m pixels.
      const ref::ConvGeometry g = make_geometry(1, 1, static_cast<int>(m), static_cast<int>(k),
                                                static_cast<int>(n), 1, 1, 1, 1, 1, 1, 0, 0, 1);
      std::vector<int> channel(n * k);
      for (size_t i = 0; i < n * k; ++i) channel[i] = static_cast<int>(i / k);
      ref::ConvGeometry gm = g;
      gm.out_h = 1;
      gm.out_w = static_cast<int>(m);
      const QuantConvData d = make_quant_data(
          rng, gm, n * k, k, opt, [](size_t i) { return i; }, channel);
      std::vector<int8_t> y(m * n);
      ref::fully_connected_qs8(m, n, k, d.x.data(), d.w.data(), d.folded_bias.data(),
                               make_requant(d, opt), y.data());
      // Independent double model: plain dot products.
      std::vector<double> y_real(m * n);
      for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
          double sum = d.bias_real[j];
          for (size_t kk = 0; kk < k; ++kk) sum += d.x_real[i * k + kk] * d.w_real[j * k + kk];
          y_real[i * n + j] = sum;
        }
      test::expect_within_one_lsb(
          y, quantize_model(y_real, d.y_scale, opt),
          "fc " + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k));
    }
  }
}

TEST(ReferenceConvTest, FullyConnectedF32AndBatchMatMul) {
  Rng rng(7);
  // k = 7 stays in the scalar tail of the float dot product; 37 uses the 8-lane body too.
  for (const size_t k : {size_t{7}, size_t{37}}) {
    const size_t m = 3, n = 5;
    const auto x = test::random_float(rng, m * k, -1.0f, 1.0f);
    const auto w = test::random_float(rng, n * k, -1.0f, 1.0f);
    const auto bias = test::random_float(rng, n, -1.0f, 1.0f);
    std::vector<float> y(m * n);
    ref::fully_connected_f32(m, n, k, x.data(), w.data(), bias.data(), -0.5f, 0.5f, y.data());
    for (size_t i = 0; i < m; ++i)
      for (size_t j = 0; j < n; ++j) {
        double sum = bias[j];
        for (size_t kk = 0; kk < k; ++kk) sum += double(x[i * k + kk]) * w[j * k + kk];
        EXPECT_NEAR(y[i * n + j], std::min(std::max(sum, -0.5), 0.5), 1e-5);
      }
    // Null bias means zero.
    ref::fully_connected_f32(1, 1, k, x.data(), w.data(), nullptr, -INFINITY, INFINITY, y.data());
    double dot = 0;
    for (size_t kk = 0; kk < k; ++kk) dot += double(x[kk]) * w[kk];
    EXPECT_NEAR(y[0], dot, 1e-5);

    // Batch matmul with the second operand shared across the batch (stride 0).
    const size_t batch = 3;
    const auto a = test::random_float(rng, batch * m * k, -1.0f, 1.0f);
    const auto b = test::random_float(rng, k * n, -1.0f, 1.0f);
    std::vector<float> out(batch * m * n);
    ref::batch_matmul_f32(batch, m, n, k, a.data(), m * k, b.data(), 0, out.data());
    for (size_t bi = 0; bi < batch; ++bi)
      for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
          double sum = 0;
          for (size_t kk = 0; kk < k; ++kk) sum += double(a[(bi * m + i) * k + kk]) * b[kk * n + j];
          EXPECT_NEAR(out[(bi * m + i) * n + j], sum, 1e-5);
        }
    // And with both operands batched.
    const auto b2 = test::random_float(rng, batch * k * n, -1.0f, 1.0f);
    ref::batch_matmul_f32(batch, m, n, k, a.data(), m * k, b2.data(), k * n, out.data());
    for (size_t bi = 0; bi < batch; ++bi) {
      double sum = 0;
      for (size_t kk = 0; kk < k; ++kk)
        sum += double(a[(bi * m + 2) * k + kk]) * b2[(bi * k + kk) * n + 4];
      EXPECT_NEAR(out[(bi * m + 2) * n + 4], sum, 1e-5);
    }
  }
}

}  // namespace
}  // namespace octet
