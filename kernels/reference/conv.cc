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

}  // namespace

void conv2d_qs8(const ConvGeometry& g, const int8_t* x, int32_t x_zero_point, const int8_t* w,
                const int32_t* bias, const Requant& rq, int8_t* y) {
  const int group_in_c = g.in_c / g.groups;
  const int group_out_c = g.out_c / g.groups;
  for (int b = 0; b < g.batch; ++b) {
    for (int oh = 0; oh < g.out_h; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        int8_t* y_pixel = y + ((static_cast<size_t>(b) * g.out_h + oh) * g.out_w + ow) * g.out_c;
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int ic_begin = (oc / group_out_c) * group_in_c;
          int32_t acc = bias != nullptr ? bias[oc] : 0;
          for (int kh = 0; kh < g.kernel_h; ++kh) {
            for (int kw = 0; kw < g.kernel_w; ++kw) {
              const int ih = input_row(g, oh, kh);
              const int iw = input_col(g, ow, kw);
              const bool in_bounds = inside(g, ih, iw);
              const int8_t* x_pixel =
                  in_bounds ? x + ((static_cast<size_t>(b) * g.in_h + ih) * g.in_w + iw) * g.in_c
                            : nullptr;
              const int8_t* w_tap =
                  w + ((static_cast<size_t>(oc) * g.kernel_h + kh) * g.kernel_w + kw) * group_in_c;
              for (int ic = 0; ic < group_in_c; ++ic) {
                // Padding reads as the input zero point; the folded bias cancels it.
                const int32_t xv = in_bounds ? x_pixel[ic_begin + ic] : x_zero_point;
                acc += xv * static_cast<int32_t>(w_tap[ic]);
              }
            }
          }
          y_pixel[oc] = static_cast<int8_t>(
              requantize(acc, channel_multiplier(rq, oc), rq.zero_point, rq.qmin, rq.qmax));
        }
      }
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
  const int multiplier = g.depth_multiplier;
  for (int b = 0; b < g.batch; ++b) {
    for (int oh = 0; oh < g.out_h; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        int8_t* y_pixel = y + ((static_cast<size_t>(b) * g.out_h + oh) * g.out_w + ow) * g.out_c;
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int ic = oc / multiplier;
          int32_t acc = bias != nullptr ? bias[oc] : 0;
          for (int kh = 0; kh < g.kernel_h; ++kh) {
            for (int kw = 0; kw < g.kernel_w; ++kw) {
              const int ih = input_row(g, oh, kh);
              const int iw = input_col(g, ow, kw);
              const int32_t xv =
                  inside(g, ih, iw)
                      ? x[((static_cast<size_t>(b) * g.in_h + ih) * g.in_w + iw) * g.in_c + ic]
                      : x_zero_point;
              const int32_t wv = w[(static_cast<size_t>(kh) * g.kernel_w + kw) * g.out_c + oc];
              acc += xv * wv;
            }
          }
          y_pixel[oc] = static_cast<int8_t>(
              requantize(acc, channel_multiplier(rq, oc), rq.zero_point, rq.qmin, rq.qmax));
        }
      }
    }
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
