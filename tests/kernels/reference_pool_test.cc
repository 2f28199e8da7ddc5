// Reference pooling and Mean against a double model that walks every filter tap and
// classifies it as input, padding, or outside the padded input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/reference/reference.h"

namespace octet {
namespace {

using test::Rng;

struct PoolCase {
  const char* name;
  int batch, in_h, in_w, channels, filter_h, filter_w, stride_h, stride_w, pad_top, pad_left,
      pad_bottom, pad_right;
};

const PoolCase kPoolCases[] = {
    {"2x2_stride2", 1, 8, 6, 5, 2, 2, 2, 2, 0, 0, 0, 0},
    {"3x3_same", 1, 5, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1},
    {"3x3_stride2_asymmetric", 2, 7, 8, 4, 3, 3, 2, 2, 0, 1, 1, 0},
    {"global", 1, 7, 7, 16, 7, 7, 1, 1, 0, 0, 0, 0},
    {"rect_pad2", 1, 4, 9, 2, 3, 5, 2, 3, 2, 2, 1, 2},
};

ref::PoolGeometry geometry_of(const PoolCase& c, bool include_pad) {
  ref::PoolGeometry g;
  g.batch = c.batch;
  g.in_h = c.in_h;
  g.in_w = c.in_w;
  g.channels = c.channels;
  g.filter_h = c.filter_h;
  g.filter_w = c.filter_w;
  g.stride_h = c.stride_h;
  g.stride_w = c.stride_w;
  g.pad_top = c.pad_top;
  g.pad_left = c.pad_left;
  g.out_h = (c.in_h + c.pad_top + c.pad_bottom - c.filter_h) / c.stride_h + 1;
  g.out_w = (c.in_w + c.pad_left + c.pad_right - c.filter_w) / c.stride_w + 1;
  g.count_include_pad = include_pad;
  return g;
}

// Double model: average (or max) over one window. Returns false for an empty window.
struct WindowStats {
  double sum = 0, max = -std::numeric_limits<double>::infinity();
  int count_valid = 0, count_padded = 0;
};

template <typename Value>
WindowStats window_stats(const PoolCase& c, const ref::PoolGeometry& g, Value value, int b, int oh,
                         int ow, int ch) {
  WindowStats s;
  for (int fh = 0; fh < g.filter_h; ++fh)
    for (int fw = 0; fw < g.filter_w; ++fw) {
      const int h = oh * g.stride_h + fh - g.pad_top;
      const int w = ow * g.stride_w + fw - g.pad_left;
      const bool in_padded = h >= -c.pad_top && h < c.in_h + c.pad_bottom && w >= -c.pad_left &&
                             w < c.in_w + c.pad_right;
      if (!in_padded) continue;
      ++s.count_padded;
      if (h < 0 || h >= c.in_h || w < 0 || w >= c.in_w) continue;
      const double v =
          value(((static_cast<size_t>(b) * c.in_h + h) * c.in_w + w) * c.channels + ch);
      s.sum += v;
      s.max = std::max(s.max, v);
      ++s.count_valid;
    }
  return s;
}

TEST(ReferencePoolTest, Qs8PoolingMatchesDoubleModel) {
  Rng rng(21);
  for (const PoolCase& c : kPoolCases) {
    for (const bool include_pad : {false, true}) {
      const ref::PoolGeometry g = geometry_of(c, include_pad);
      const auto x =
          test::random_int8(rng, static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.channels);
      const size_t out_count = static_cast<size_t>(c.batch) * g.out_h * g.out_w * c.channels;
      const ref::QParams qx{0.04f, -128}, qy{0.035f, -128}, qy_max{0.05f, -100}, qy_same = qx;
      auto real = [&](size_t i) { return (x[i] - qx.zero_point) * double(qx.scale); };
      std::vector<int8_t> avg(out_count), max_same(out_count), max_rescaled(out_count);
      ref::avgpool_qs8(g, x.data(), qx, qy, -128, 127, avg.data());
      ref::maxpool_qs8(g, x.data(), qx, qy_same, -128, 127, max_same.data());
      ref::maxpool_qs8(g, x.data(), qx, qy_max, -100, 127, max_rescaled.data());
      std::vector<int> want_avg(out_count), want_max_rescaled(out_count);
      size_t i = 0;
      for (int b = 0; b < c.batch; ++b)
        for (int oh = 0; oh < g.out_h; ++oh)
          for (int ow = 0; ow < g.out_w; ++ow)
            for (int ch = 0; ch < c.channels; ++ch, ++i) {
              const WindowStats s = window_stats(c, g, real, b, oh, ow, ch);
              const int count = include_pad ? s.count_padded : s.count_valid;
              want_avg[i] = test::quantize_exact(s.sum / count, qy.scale, qy.zero_point, -128, 127);
              want_max_rescaled[i] =
                  test::quantize_exact(s.max, qy_max.scale, qy_max.zero_point, -100, 127);
              // Same scale: max pooling is a pure byte max.
              int byte_max = -129;
              for (int fh = 0; fh < g.filter_h; ++fh)
                for (int fw = 0; fw < g.filter_w; ++fw) {
                  const int h = oh * g.stride_h + fh - g.pad_top;
                  const int w = ow * g.stride_w + fw - g.pad_left;
                  if (h >= 0 && h < c.in_h && w >= 0 && w < c.in_w) {
                    byte_max = std::max<int>(
                        byte_max,
                        x[((static_cast<size_t>(b) * c.in_h + h) * c.in_w + w) * c.channels + ch]);
                  }
                }
              ASSERT_EQ(max_same[i], byte_max) << c.name << " element " << i;
            }
      const std::string what = std::string(c.name) + (include_pad ? " include_pad" : "");
      test::expect_within_one_lsb(avg, want_avg, "avg " + what);
      test::expect_within_one_lsb(max_rescaled, want_max_rescaled, "max " + what);
    }
  }
}

TEST(ReferencePoolTest, CountIncludePadChangesEdgeAverages) {
  // 1x3 input, 1x3 filter with pad 1 each side: edge windows hold 2 real values.
  ref::PoolGeometry g;
  g.in_h = 1;
  g.in_w = 3;
  g.channels = 1;
  g.out_h = 1;
  g.out_w = 3;
  g.filter_h = 1;
  g.filter_w = 3;
  g.pad_left = 1;
  const float x[] = {3, 6, 9};
  float y[3];
  ref::avgpool_f32(g, x, -INFINITY, INFINITY, y);
  EXPECT_FLOAT_EQ(y[0], 4.5f);
  EXPECT_FLOAT_EQ(y[1], 6.0f);
  EXPECT_FLOAT_EQ(y[2], 7.5f);
  g.count_include_pad = true;
  ref::avgpool_f32(g, x, -INFINITY, INFINITY, y);
  EXPECT_FLOAT_EQ(y[0], 3.0f);
  EXPECT_FLOAT_EQ(y[1], 6.0f);
  EXPECT_FLOAT_EQ(y[2], 5.0f);
}

TEST(ReferencePoolTest, F32PoolingMatchesDoubleModel) {
  Rng rng(22);
  for (const PoolCase& c : kPoolCases) {
    for (const bool include_pad : {false, true}) {
      const ref::PoolGeometry g = geometry_of(c, include_pad);
      const auto x = test::random_float(
          rng, static_cast<size_t>(c.batch) * c.in_h * c.in_w * c.channels, -4.0f, 4.0f);
      const size_t out_count = static_cast<size_t>(c.batch) * g.out_h * g.out_w * c.channels;
      std::vector<float> avg(out_count), mx(out_count);
      ref::avgpool_f32(g, x.data(), -1.0f, 3.0f, avg.data());
      ref::maxpool_f32(g, x.data(), -INFINITY, 2.0f, mx.data());
      auto value = [&](size_t i) { return double(x[i]); };
      size_t i = 0;
      for (int b = 0; b < c.batch; ++b)
        for (int oh = 0; oh < g.out_h; ++oh)
          for (int ow = 0; ow < g.out_w; ++ow)
            for (int ch = 0; ch < c.channels; ++ch, ++i) {
              const WindowStats s = window_stats(c, g, value, b, oh, ow, ch);
              const int count = include_pad ? s.count_padded : s.count_valid;
              ASSERT_NEAR(avg[i], std::min(std::max(s.sum / count, -1.0), 3.0), 1e-5) << c.name;
              ASSERT_NEAR(mx[i], std::min(s.max, 2.0), 1e-6) << c.name;
            }
    }
  }
}

TEST(ReferencePoolTest, MeanMatchesDoubleModel) {
  Rng rng(23);
  const std::vector<int32_t> shape = {2, 3, 4, 5};
  const bool reductions[][4] = {{false, true, true, false},
                                {false, false, false, true},
                                {true, true, true, true},
                                {true, false, true, false},
                                {false, false, false, false}};
  const size_t total = 2 * 3 * 4 * 5;
  const auto x = test::random_int8(rng, total);
  const auto xf = test::random_float(rng, total, -1.0f, 1.0f);
  const ref::QParams qx{0.05f, 17}, qy{0.01f, -3};
  for (const auto& reduce : reductions) {
    std::vector<int32_t> out_shape(4);
    size_t out_total = 1;
    for (int d = 0; d < 4; ++d) {
      out_shape[d] = reduce[d] ? 1 : shape[d];
      out_total *= out_shape[d];
    }
    std::vector<double> sum(out_total, 0.0), sum_f(out_total, 0.0);
    std::vector<int> count(out_total, 0);
    // Scatter every input element into its output cell.
    for (size_t flat = 0; flat < total; ++flat) {
      size_t rest = flat, out_flat = 0, out_stride = 1;
      for (int d = 3; d >= 0; --d) {
        const size_t coord = rest % shape[d];
        rest /= shape[d];
        out_flat += (reduce[d] ? 0 : coord) * out_stride;
        out_stride *= out_shape[d];
      }
      sum[out_flat] += (x[flat] - qx.zero_point) * double(qx.scale);
      sum_f[out_flat] += xf[flat];
      ++count[out_flat];
    }
    std::vector<int8_t> y(out_total);
    std::vector<float> yf(out_total);
    ref::mean_qs8(shape.data(), 4, reduce, x.data(), qx, qy, -128, 127, y.data());
    ref::mean_f32(shape.data(), 4, reduce, xf.data(), yf.data());
    for (size_t i = 0; i < out_total; ++i) {
      const int want = test::quantize_exact(sum[i] / count[i], qy.scale, qy.zero_point, -128, 127);
      ASSERT_LE(std::abs(y[i] - want), 1) << "mean element " << i;
      ASSERT_NEAR(yf[i], sum_f[i] / count[i], 1e-5) << "mean_f32 element " << i;
    }
  }
}

}  // namespace
}  // namespace octet
