// Reference pooling and Mean. PoolWindows are clipped to the input; padded positions are
// skipped except in the average count when count_include_pad is set (they then act as
// real zeros, i.e. the zero point in the quantized domain).
#include <algorithm>
#include <limits>

#include "kernels/common/requantize.h"
#include "kernels/reference/reference.h"

namespace octet::ref {
namespace {

// Input positions inside one pooling window.
int valid_count(const PoolWindow& win) {
  return std::max(0, win.h_end - win.h_begin) * std::max(0, win.w_end - win.w_begin);
}

size_t pixel_offset(const PoolGeometry& g, int b, int h, int w, int height, int width) {
  return ((static_cast<size_t>(b) * height + h) * width + w) * g.channels;
}

// Calls visit(multi_index) for every index of `shape` where only the dimensions with
// iterate[d] vary; the others stay at start[d].
template <typename Visit>
void for_each_index(const int32_t* shape, int rank, const bool* iterate, const int64_t* start,
                    Visit visit) {
  int64_t index[kMaxRank] = {};
  for (int d = 0; d < rank; ++d) {
    index[d] = start[d];
    if (iterate[d] && shape[d] == 0) return;
  }
  for (;;) {
    visit(index);
    int d = rank - 1;
    for (; d >= 0; --d) {
      if (!iterate[d]) continue;
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// Row-major element offset of a multi-index.
int64_t flat_offset(const int32_t* shape, int rank, const int64_t* index) {
  int64_t offset = 0;
  for (int d = 0; d < rank; ++d) offset = offset * shape[d] + index[d];
  return offset;
}

}  // namespace

PoolWindow pool_window(const PoolGeometry& g, int oh, int ow) {
  const int h0 = oh * g.stride_h - g.pad_top;
  const int w0 = ow * g.stride_w - g.pad_left;
  // Bottom/right padding is implied by the output size.
  const int pad_bottom = std::max(0, (g.out_h - 1) * g.stride_h + g.filter_h - g.in_h - g.pad_top);
  const int pad_right = std::max(0, (g.out_w - 1) * g.stride_w + g.filter_w - g.in_w - g.pad_left);
  PoolWindow win;
  win.h_begin = std::max(h0, 0);
  win.h_end = std::min(h0 + g.filter_h, g.in_h);
  win.w_begin = std::max(w0, 0);
  win.w_end = std::min(w0 + g.filter_w, g.in_w);
  const int padded_h =
      std::max(0, std::min(h0 + g.filter_h, g.in_h + pad_bottom) - std::max(h0, -g.pad_top));
  const int padded_w =
      std::max(0, std::min(w0 + g.filter_w, g.in_w + pad_right) - std::max(w0, -g.pad_left));
  win.padded_count = padded_h * padded_w;
  return win;
}

void avgpool_qs8(const PoolGeometry& g, const int8_t* x, QParams qx, QParams qy, int32_t qmin,
                 int32_t qmax, int8_t* y) {
  for (int b = 0; b < g.batch; ++b) {
    for (int oh = 0; oh < g.out_h; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        const PoolWindow win = pool_window(g, oh, ow);
        const int count = g.count_include_pad ? win.padded_count : valid_count(win);
        int8_t* y_pixel = y + pixel_offset(g, b, oh, ow, g.out_h, g.out_w);
        for (int c = 0; c < g.channels; ++c) {
          int32_t sum = 0;
          for (int ih = win.h_begin; ih < win.h_end; ++ih) {
            for (int iw = win.w_begin; iw < win.w_end; ++iw) {
              sum += x[pixel_offset(g, b, ih, iw, g.in_h, g.in_w) + c];
            }
          }
          // Padded positions counted in `count` hold the zero point, so they add zx to sum.
          sum += (count - valid_count(win)) * qx.zero_point;
          float value = 0.0f;
          if (count > 0) {
            const float multiplier = qx.scale / (qy.scale * static_cast<float>(count));
            value = static_cast<float>(sum - count * qx.zero_point) * multiplier;
          }
          y_pixel[c] = static_cast<int8_t>(quantize_float(value, qy.zero_point, qmin, qmax));
        }
      }
    }
  }
}

void maxpool_qs8(const PoolGeometry& g, const int8_t* x, QParams qx, QParams qy, int32_t qmin,
                 int32_t qmax, int8_t* y) {
  const float multiplier = qx.scale / qy.scale;
  for (int b = 0; b < g.batch; ++b) {
    for (int oh = 0; oh < g.out_h; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        const PoolWindow win = pool_window(g, oh, ow);
        int8_t* y_pixel = y + pixel_offset(g, b, oh, ow, g.out_h, g.out_w);
        for (int c = 0; c < g.channels; ++c) {
          // An empty window (only padding) yields the real value 0.
          int32_t max_value = qx.zero_point;
          bool any = false;
          for (int ih = win.h_begin; ih < win.h_end; ++ih) {
            for (int iw = win.w_begin; iw < win.w_end; ++iw) {
              const int32_t v = x[pixel_offset(g, b, ih, iw, g.in_h, g.in_w) + c];
              max_value = any ? std::max(max_value, v) : v;
              any = true;
            }
          }
          // Identical scales give multiplier 1 exactly: a plain copy plus zero-point shift.
          const float value = static_cast<float>(max_value - qx.zero_point) * multiplier;
          y_pixel[c] = static_cast<int8_t>(quantize_float(value, qy.zero_point, qmin, qmax));
        }
      }
    }
  }
}

void avgpool_f32(const PoolGeometry& g, const float* x, float act_min, float act_max, float* y) {
  for (int b = 0; b < g.batch; ++b) {
    for (int oh = 0; oh < g.out_h; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        const PoolWindow win = pool_window(g, oh, ow);
        const int count = g.count_include_pad ? win.padded_count : valid_count(win);
        float* y_pixel = y + pixel_offset(g, b, oh, ow, g.out_h, g.out_w);
        for (int c = 0; c < g.channels; ++c) {
          float sum = 0.0f;
          for (int ih = win.h_begin; ih < win.h_end; ++ih) {
            for (int iw = win.w_begin; iw < win.w_end; ++iw) {
              sum += x[pixel_offset(g, b, ih, iw, g.in_h, g.in_w) + c];
            }
          }
          const float value = count > 0 ? sum / static_cast<float>(count) : 0.0f;
          y_pixel[c] = std::min(std::max(value, act_min), act_max);
        }
      }
    }
  }
}

void maxpool_f32(const PoolGeometry& g, const float* x, float act_min, float act_max, float* y) {
  for (int b = 0; b < g.batch; ++b) {
    for (int oh = 0; oh < g.out_h; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        const PoolWindow win = pool_window(g, oh, ow);
        float* y_pixel = y + pixel_offset(g, b, oh, ow, g.out_h, g.out_w);
        for (int c = 0; c < g.channels; ++c) {
          float max_value = valid_count(win) > 0 ? -std::numeric_limits<float>::infinity() : 0.0f;
          for (int ih = win.h_begin; ih < win.h_end; ++ih) {
            for (int iw = win.w_begin; iw < win.w_end; ++iw) {
              max_value = std::max(max_value, x[pixel_offset(g, b, ih, iw, g.in_h, g.in_w) + c]);
            }
          }
          y_pixel[c] = std::min(std::max(max_value, act_min), act_max);
        }
      }
    }
  }
}

void mean_qs8(const int32_t* shape, int rank, const bool* reduce, const int8_t* x, QParams qx,
              QParams qy, int32_t qmin, int32_t qmax, int8_t* y) {
  int32_t out_shape[kMaxRank];
  bool keep[kMaxRank];
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    out_shape[d] = reduce[d] ? 1 : shape[d];
    keep[d] = !reduce[d];
    if (reduce[d]) count *= shape[d];
  }
  const int64_t zeros[kMaxRank] = {};
  const float multiplier = count > 0 ? qx.scale / (qy.scale * static_cast<float>(count)) : 0.0f;
  for_each_index(out_shape, rank, keep, zeros, [&](const int64_t* out_index) {
    int64_t sum = 0;
    for_each_index(shape, rank, reduce, out_index,
                   [&](const int64_t* in_index) { sum += x[flat_offset(shape, rank, in_index)]; });
    const float value = static_cast<float>(sum - count * qx.zero_point) * multiplier;
    y[flat_offset(out_shape, rank, out_index)] =
        static_cast<int8_t>(quantize_float(value, qy.zero_point, qmin, qmax));
  });
}

void mean_f32(const int32_t* shape, int rank, const bool* reduce, const float* x, float* y) {
  int32_t out_shape[kMaxRank];
  bool keep[kMaxRank];
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    out_shape[d] = reduce[d] ? 1 : shape[d];
    keep[d] = !reduce[d];
    if (reduce[d]) count *= shape[d];
  }
  const int64_t zeros[kMaxRank] = {};
  for_each_index(out_shape, rank, keep, zeros, [&](const int64_t* out_index) {
    float sum = 0.0f;
    for_each_index(shape, rank, reduce, out_index,
                   [&](const int64_t* in_index) { sum += x[flat_offset(shape, rank, in_index)]; });
    y[flat_offset(out_shape, rank, out_index)] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
  });
}

}  // namespace octet::ref
