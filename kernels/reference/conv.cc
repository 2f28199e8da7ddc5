// Reference Conv2D / DepthwiseConv2D / FullyConnected / BatchMatMul: plain loops,
// one output element at a time. Int8 outputs go through requantize() only.
#include <algorithm>

#include "kernels/common/requantize.h"
#include "kernels/reference/reference.h"

namespace octet::ref {
namespace {

float clamp_f32(float v, float lo, float hi) { return std::min(std::max(v, lo), hi); }

float channel_multiplier(const Requant& rq, int channel) {
  return rq.multiplier[rq.per_channel ? channel : 0];
}

// Input pixel row for output row `oh` and kernel row `kh` (may be out of bounds).
int input_row(const ConvGeometry& g, int oh, int kh) {
  return oh * g.stride_h - g.pad_top + kh * g.dilation_h;
}
int input_col(const ConvGeometry& g, int ow, int kw) {
  return ow * g.stride_w - g.pad_left + kw * g.dilation_w;
}
bool inside(const ConvGeometry& g, int ih, int iw) {
  return ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
}

// Float dot product with 8 independent partial sums, so the compiler can vectorize it
// without -ffast-math. (Float results need not be bit-identical across builds; the int8
// kernels above and below use exact int32 sums.)
float dot_f32(const float* a, const float* b, size_t n) {
  float partial[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) partial[j] += a[i + j] * b[i + j];
  }
  float sum = 0.0f;
  for (; i < n; ++i) sum += a[i] * b[i];
  for (int j = 0; j < 8; ++j) sum += partial[j];
  return sum;
}

constexpr int kDwChannelBlock = 64;

int8_t requantize_channel(int32_t acc, const int32_t* bias, const Requant& rq, int channel) {
  if (bias != nullptr) acc += bias[channel];
  return static_cast<int8_t>(
      requantize(acc, channel_multiplier(rq, channel), rq.zero_point, rq.qmin, rq.qmax));
}

// Wide channels (legacy 9-bit weights) are computed for blocks of pixels, then requantized
// together: a loop the compiler vectorizes.
constexpr int kWideBlock = 64;

// Image and output row/column of output pixel p (of batch * out_h * out_w).
struct Pixel {
  size_t b;
  int oh, ow;
  Pixel(const ConvGeometry& g, size_t p)
      : b(p / g.out_w / g.out_h),
        oh(static_cast<int>(p / g.out_w % g.out_h)),
        ow(static_cast<int>(p % g.out_w)) {}
};

// y[i * stride] = requantize_channel(acc[i]) for i < n: computed into a buffer first, a loop the
// compiler vectorizes, then stored strided.
void requantize_block(const int32_t* acc, int n, const int32_t* bias, const Requant& rq,
                      int channel, int8_t* y, size_t stride) {
  int8_t q[kWideBlock];
  for (int i = 0; i < n; ++i) q[i] = requantize_channel(acc[i], bias, rq, channel);
  for (int i = 0; i < n; ++i) y[i * stride] = q[i];
}

// Sum over the taps of output pixel p (of batch * out_h * out_w) and channel oc, weights w_oc in
// [KH][KW][IC/groups] order (int8, or int16 for wide channels).
template <class Weight>
int32_t conv_accumulate(const ConvGeometry& g, const int8_t* x, int32_t x_zero_point, size_t p,
                        int oc, const Weight* w_oc) {
  const int group_in_c = g.in_c / g.groups;
  const int ic_begin = (oc / (g.out_c / g.groups)) * group_in_c;
  const auto [b, oh, ow] = Pixel(g, p);
  int32_t acc = 0;
  for (int kh = 0; kh < g.kernel_h; ++kh) {
    for (int kw = 0; kw < g.kernel_w; ++kw) {
      const Weight* w_tap = w_oc + (static_cast<size_t>(kh) * g.kernel_w + kw) * group_in_c;
      const int ih = input_row(g, oh, kh);
      const int iw = input_col(g, ow, kw);
      if (!inside(g, ih, iw)) {
        // Padding reads as the input zero point; the folded bias cancels it.
        for (int ic = 0; ic < group_in_c; ++ic)
          acc += x_zero_point * static_cast<int32_t>(w_tap[ic]);
        continue;
      }
      const int8_t* x_pixel = x + ((b * g.in_h + ih) * g.in_w + iw) * g.in_c + ic_begin;
      for (int ic = 0; ic < group_in_c; ++ic)
        acc += static_cast<int32_t>(x_pixel[ic]) * static_cast<int32_t>(w_tap[ic]);
    }
  }
  return acc;
}

// Depthwise: output channel oc reads input channel oc / multiplier; tap t's weight is
// w_oc[t * tap_stride].
template <class Weight>
int32_t dwconv_accumulate(const ConvGeometry& g, const int8_t* x, int32_t x_zero_point, size_t p,
                          int oc, const Weight* w_oc, size_t tap_stride) {
  const int ic = oc / g.depth_multiplier;
  const auto [b, oh, ow] = Pixel(g, p);
  int32_t acc = 0;
  for (int kh = 0; kh < g.kernel_h; ++kh) {
    for (int kw = 0; kw < g.kernel_w; ++kw) {
      const int ih = input_row(g, oh, kh);
      const int iw = input_col(g, ow, kw);
      const int32_t xv =
          inside(g, ih, iw) ? x[((b * g.in_h + ih) * g.in_w + iw) * g.in_c + ic] : x_zero_point;
      acc +=
          xv * static_cast<int32_t>(w_oc[(static_cast<size_t>(kh) * g.kernel_w + kw) * tap_stride]);
    }
  }
  return acc;
}

}  // namespace

void conv2d_qs8(const ConvGeometry& g, const int8_t* x, int32_t x_zero_point, const int8_t* w,
                const int32_t* bias, const Requant& rq, int8_t* y) {
  const size_t per_channel = static_cast<size_t>(g.kernel_h) * g.kernel_w * (g.in_c / g.groups);
  const size_t pixels = static_cast<size_t>(g.batch) * g.out_h * g.out_w;
  for (size_t p = 0; p < pixels; ++p) {
    for (int oc = 0; oc < g.out_c; ++oc) {
      const int32_t acc = conv_accumulate(g, x, x_zero_point, p, oc, w + oc * per_channel);
      y[p * g.out_c + oc] = requantize_channel(acc, bias, rq, oc);
    }
  }
}

void conv2d_qs8_wide(const ConvGeometry& g, size_t pixel_begin, size_t pixel_end, const int8_t* x,
                     int32_t x_zero_point, const WideChannels& wide, const int32_t* bias,
                     const Requant& rq, int8_t* y) {
  const size_t per_channel = static_cast<size_t>(g.kernel_h) * g.kernel_w * (g.in_c / g.groups);
  int32_t acc[kWideBlock];
  for (size_t p0 = pixel_begin; p0 < pixel_end; p0 += kWideBlock) {
    const int n = static_cast<int>(std::min<size_t>(kWideBlock, pixel_end - p0));
    for (int j = 0; j < wide.count; ++j) {
      const int oc = wide.channels[j];
      const int16_t* w = wide.weights + j * per_channel;
      for (int i = 0; i < n; ++i) acc[i] = conv_accumulate(g, x, x_zero_point, p0 + i, oc, w);
      requantize_block(acc, n, bias, rq, oc, y + p0 * g.out_c + oc, g.out_c);
    }
  }
}

void conv2d_f32(const ConvGeometry& g, const float* x, const float* w, const float* bias,
                float act_min, float act_max, float* y) {
  const int group_in_c = g.in_c / g.groups;
  const int group_out_c = g.out_c / g.groups;
  for (int b = 0; b < g.batch; ++b) {
    for (int oh = 0; oh < g.out_h; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        float* y_pixel = y + ((static_cast<size_t>(b) * g.out_h + oh) * g.out_w + ow) * g.out_c;
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int ic_begin = (oc / group_out_c) * group_in_c;
          float acc = bias != nullptr ? bias[oc] : 0.0f;
          for (int kh = 0; kh < g.kernel_h; ++kh) {
            for (int kw = 0; kw < g.kernel_w; ++kw) {
              const int ih = input_row(g, oh, kh);
              const int iw = input_col(g, ow, kw);
              if (!inside(g, ih, iw)) continue;
              const float* x_pixel =
                  x + ((static_cast<size_t>(b) * g.in_h + ih) * g.in_w + iw) * g.in_c + ic_begin;
              const float* w_tap =
                  w + ((static_cast<size_t>(oc) * g.kernel_h + kh) * g.kernel_w + kw) * group_in_c;
              acc += dot_f32(x_pixel, w_tap, group_in_c);
            }
          }
          y_pixel[oc] = clamp_f32(acc, act_min, act_max);
        }
      }
    }
  }
}

void dwconv2d_qs8(const ConvGeometry& g, const int8_t* x, int32_t x_zero_point, const int8_t* w,
                  const int32_t* bias, const Requant& rq, int8_t* y) {
  const size_t pixels = static_cast<size_t>(g.batch) * g.out_h * g.out_w;
  for (size_t p = 0; p < pixels; ++p) {
    for (int oc = 0; oc < g.out_c; ++oc) {
      const int32_t acc = dwconv_accumulate(g, x, x_zero_point, p, oc, w + oc, g.out_c);
      y[p * g.out_c + oc] = requantize_channel(acc, bias, rq, oc);
    }
  }
}

void dwconv2d_qs8_wide(const ConvGeometry& g, size_t pixel_begin, size_t pixel_end, const int8_t* x,
                       int32_t x_zero_point, const WideChannels& wide, const int32_t* bias,
                       const Requant& rq, int8_t* y) {
  const int taps = g.kernel_h * g.kernel_w;
  // Input offsets of the taps from the window's corner; larger kernels take the general path.
  constexpr int kMaxTaps = 64;
  size_t tap_offset[kMaxTaps];
  for (int t = 0; t < taps && t < kMaxTaps; ++t)
    tap_offset[t] = (static_cast<size_t>(t / g.kernel_w) * g.dilation_h * g.in_w +
                     static_cast<size_t>(t % g.kernel_w) * g.dilation_w) *
                    g.in_c;
  int32_t acc[kWideBlock];
  // Runs of up to kWideBlock pixels within one output row.
  for (size_t p0 = pixel_begin; p0 < pixel_end;) {
    const Pixel at(g, p0);
    const int n = static_cast<int>(
        std::min<size_t>({kWideBlock, pixel_end - p0, static_cast<size_t>(g.out_w - at.ow)}));
    const int ih0 = input_row(g, at.oh, 0);
    const bool rows_inside =
        taps <= kMaxTaps && ih0 >= 0 && input_row(g, at.oh, g.kernel_h - 1) < g.in_h;
    const int8_t* x_row = x + (at.b * g.in_h + (rows_inside ? ih0 : 0)) * g.in_w * g.in_c;
    for (int j = 0; j < wide.count; ++j) {
      const int oc = wide.channels[j];
      const int16_t* w = wide.weights + static_cast<size_t>(j) * taps;
      for (int i = 0; i < n; ++i) {
        const int ow = at.ow + i, iw0 = input_col(g, ow, 0);
        if (!rows_inside || iw0 < 0 || input_col(g, ow, g.kernel_w - 1) >= g.in_w) {
          acc[i] = dwconv_accumulate(g, x, x_zero_point, p0 + i, oc, w, 1);
          continue;
        }
        const int8_t* corner = x_row + static_cast<size_t>(iw0) * g.in_c + oc / g.depth_multiplier;
        int32_t sum = 0;
        for (int t = 0; t < taps; ++t)
          sum += static_cast<int32_t>(corner[tap_offset[t]]) * static_cast<int32_t>(w[t]);
        acc[i] = sum;
      }
      requantize_block(acc, n, bias, rq, oc, y + p0 * g.out_c + oc, g.out_c);
    }
    p0 += static_cast<size_t>(n);
  }
}

void dwconv2d_f32(const ConvGeometry& g, const float* x, const float* w, const float* bias,
                  float act_min, float act_max, float* y) {
  // Blocks of output channels accumulate tap by tap: contiguous in NHWC, so it vectorizes.
  const int multiplier = g.depth_multiplier;
  for (int b = 0; b < g.batch; ++b) {
    for (int oh = 0; oh < g.out_h; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        float* y_pixel = y + ((static_cast<size_t>(b) * g.out_h + oh) * g.out_w + ow) * g.out_c;
        for (int c0 = 0; c0 < g.out_c; c0 += kDwChannelBlock) {
          const int block = std::min(kDwChannelBlock, g.out_c - c0);
          float acc[kDwChannelBlock];
          for (int c = 0; c < block; ++c) acc[c] = bias != nullptr ? bias[c0 + c] : 0.0f;
          for (int kh = 0; kh < g.kernel_h; ++kh) {
            for (int kw = 0; kw < g.kernel_w; ++kw) {
              const int ih = input_row(g, oh, kh);
              const int iw = input_col(g, ow, kw);
              if (!inside(g, ih, iw)) continue;
              const float* x_pixel =
                  x + ((static_cast<size_t>(b) * g.in_h + ih) * g.in_w + iw) * g.in_c;
              const float* w_tap = w + (static_cast<size_t>(kh) * g.kernel_w + kw) * g.out_c + c0;
              if (multiplier == 1) {
                for (int c = 0; c < block; ++c) acc[c] += x_pixel[c0 + c] * w_tap[c];
              } else {
                for (int c = 0; c < block; ++c) acc[c] += x_pixel[(c0 + c) / multiplier] * w_tap[c];
              }
            }
          }
          for (int c = 0; c < block; ++c) y_pixel[c0 + c] = clamp_f32(acc[c], act_min, act_max);
        }
      }
    }
  }
}

void fully_connected_qs8(size_t m, size_t n, size_t k, const int8_t* x, const int8_t* w,
                         const int32_t* bias, const Requant& rq, int8_t* y) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      int32_t acc = bias != nullptr ? bias[j] : 0;
      for (size_t kk = 0; kk < k; ++kk) {
        acc += static_cast<int32_t>(x[i * k + kk]) * static_cast<int32_t>(w[j * k + kk]);
      }
      y[i * n + j] = static_cast<int8_t>(requantize(
          acc, channel_multiplier(rq, static_cast<int>(j)), rq.zero_point, rq.qmin, rq.qmax));
    }
  }
}

void fully_connected_f32(size_t m, size_t n, size_t k, const float* x, const float* w,
                         const float* bias, float act_min, float act_max, float* y) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const float acc = (bias != nullptr ? bias[j] : 0.0f) + dot_f32(x + i * k, w + j * k, k);
      y[i * n + j] = clamp_f32(acc, act_min, act_max);
    }
  }
}

void batch_matmul_f32(size_t batch, size_t m, size_t n, size_t k, const float* a,
                      size_t a_batch_stride, const float* b, size_t b_batch_stride, float* y) {
  for (size_t bi = 0; bi < batch; ++bi) {
    const float* a_mat = a + bi * a_batch_stride;
    const float* b_mat = b + bi * b_batch_stride;
    float* y_mat = y + bi * m * n;
    // i-k-j order: the inner loop runs along contiguous rows of b and y.
    for (size_t i = 0; i < m; ++i) {
      float* y_row = y_mat + i * n;
      for (size_t j = 0; j < n; ++j) y_row[j] = 0.0f;
      for (size_t kk = 0; kk < k; ++kk) {
        const float a_value = a_mat[i * k + kk];
        const float* b_row = b_mat + kk * n;
        for (size_t j = 0; j < n; ++j) y_row[j] += a_value * b_row[j];
      }
    }
  }
}

}  // namespace octet::ref
