// Int8 Conv2D through any GEMM kernel: output pixels are GEMM rows, output channels
// GEMM columns, K = KH*KW*IC in the weight order [OC][KH][KW][IC].
#include "kernels/conv2d/conv2d.h"

#include <algorithm>
#include <cstring>

namespace octet {
namespace {

// A 1x1, stride-1, unpadded conv whose output has the input's size: the input pixels
// already are the GEMM's A rows.
bool is_direct_1x1(const ref::ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w &&
         g.groups == 1;
}

size_t gemm_k(const ref::ConvGeometry& g) {
  return static_cast<size_t>(g.kernel_h) * g.kernel_w * g.in_c;
}

// Copies / fills n bytes. Im2col spans are often a few bytes (kernel_w x 3 channels): fixed-size
// memcpy's compile to plain (overlapping) moves, so such spans cost no libc call.
inline void copy_span(int8_t* dst, const int8_t* src, size_t n) {
  if (n >= 32) {
    std::memcpy(dst, src, n);
  } else if (n >= 16) {
    std::memcpy(dst, src, 16);
    std::memcpy(dst + n - 16, src + n - 16, 16);
  } else if (n >= 8) {
    std::memcpy(dst, src, 8);
    std::memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(dst, src, 4);
    std::memcpy(dst + n - 4, src + n - 4, 4);
  } else if (n > 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
}

inline void fill_span(int8_t* dst, int8_t value, size_t n) {
  if (n >= 32) {
    std::memset(dst, value, n);
    return;
  }
  const uint64_t pattern = 0x0101010101010101ull * static_cast<uint8_t>(value);
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) std::memcpy(dst + i, &pattern, 8);
    std::memcpy(dst + n - 8, &pattern, 8);
  } else if (n >= 4) {
    std::memcpy(dst, &pattern, 4);
    std::memcpy(dst + n - 4, &pattern, 4);
  } else if (n > 0) {
    dst[0] = dst[n / 2] = dst[n - 1] = value;
  }
}

// Writes the im2col row of the output pixel at (b, oh, ow). Without dilation the taps of one
// kernel row are adjacent input pixels: one copy per kernel row.
void gather_row(const Conv2DQs8Params& p, size_t b, int oh, int ow, int8_t* row) {
  const ref::ConvGeometry& g = p.g;
  const int8_t pad = static_cast<int8_t>(p.x_zero_point);
  const size_t c = static_cast<size_t>(g.in_c);
  const size_t row_bytes = static_cast<size_t>(g.kernel_w) * c;
  const int iw0 = ow * g.stride_w - g.pad_left;
  const bool inside_w = iw0 >= 0 && iw0 + (g.kernel_w - 1) * g.dilation_w < g.in_w;
  for (int kh = 0; kh < g.kernel_h; ++kh, row += row_bytes) {
    const int ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
    if (ih < 0 || ih >= g.in_h) {
      fill_span(row, pad, row_bytes);
      continue;
    }
    const int8_t* x_row = p.x + (b * g.in_h + ih) * g.in_w * c;
    if (g.dilation_w == 1 && inside_w) {
      copy_span(row, x_row + iw0 * c, row_bytes);
    } else if (g.dilation_w == 1) {
      const int kw_begin = std::clamp(-iw0, 0, g.kernel_w);
      const int kw_end = std::clamp(g.in_w - iw0, kw_begin, g.kernel_w);
      fill_span(row, pad, kw_begin * c);
      if (kw_end > kw_begin)
        copy_span(row + kw_begin * c, x_row + (iw0 + kw_begin) * c, (kw_end - kw_begin) * c);
      fill_span(row + kw_end * c, pad, (g.kernel_w - kw_end) * c);
    } else {
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        const int iw = iw0 + kw * g.dilation_w;
        if (iw >= 0 && iw < g.in_w) {
          copy_span(row + kw * c, x_row + iw * c, c);
        } else {
          fill_span(row + kw * c, pad, c);
        }
      }
    }
  }
}

// Appends the extra columns to `rows` gathered rows (k bytes apart). A second pass over the tile:
// a byte load from a row just written by wide stores would stall on store forwarding; the
// tile's first rows have long retired by now.
void add_extra_columns(const Conv2DQs8Params& p, size_t rows, size_t k, int8_t* a) {
  const size_t taps = k - static_cast<size_t>(p.extra_count);
  for (size_t r = 0; r < rows; ++r, a += k)
    for (int e = 0; e < p.extra_count; ++e) a[taps + e] = a[p.extra_columns[e]];
}

// Writes the im2col rows (k bytes apart, extra columns last) of `rows` consecutive output
// pixels starting at flat index `first` (over batch*out_h*out_w), walking (b, oh, ow) instead of
// dividing per pixel.
void gather_tile(const Conv2DQs8Params& p, size_t first, size_t rows, size_t k, int8_t* a) {
  const size_t taps = k - static_cast<size_t>(p.extra_count);
  const ref::ConvGeometry& g = p.g;
  if (is_direct_1x1(g)) {  // gathered only for extra columns: the input rows as they are
    const int8_t* x = p.x + first * taps;
    for (size_t r = 0; r < rows; ++r) copy_span(a + r * k, x + r * taps, taps);
    add_extra_columns(p, rows, k, a);
    return;
  }
  const size_t pixels_per_image = static_cast<size_t>(g.out_h) * g.out_w;
  size_t b = first / pixels_per_image;
  int oh = static_cast<int>((first % pixels_per_image) / g.out_w);
  int ow = static_cast<int>(first % g.out_w);
  for (size_t r = 0; r < rows; ++r, a += k) {
    gather_row(p, b, oh, ow, a);
    if (++ow == g.out_w) {
      ow = 0;
      if (++oh == g.out_h) oh = 0, ++b;
    }
  }
  add_extra_columns(p, rows, k, a - rows * k);
}

GemmQs8Params gemm_params(const Conv2DQs8Params& p) {
  GemmQs8Params gp;
  gp.n = static_cast<size_t>(p.g.out_c);
  gp.k = gemm_k(p.g) + static_cast<size_t>(p.extra_count);
  gp.w = p.w;
  gp.bias = p.bias;
  gp.packed = p.packed;
  gp.multiplier = p.rq.multiplier;
  gp.per_channel = p.rq.per_channel;
  gp.zero_point = p.rq.zero_point;
  gp.qmin = p.rq.qmin;
  gp.qmax = p.rq.qmax;
  gp.c_stride = gp.n;
  gp.n_begin = 0;
  gp.n_end = gp.n;
  return gp;
}

}  // namespace

size_t conv2d_qs8_scratch_size(const ref::ConvGeometry& g, int extra_count) {
  if (is_direct_1x1(g) && extra_count == 0) return 0;
  const size_t pixels = static_cast<size_t>(g.batch) * g.out_h * g.out_w;
  return std::min(pixels, kIm2colTileRows) * (gemm_k(g) + static_cast<size_t>(extra_count));
}

void conv2d_qs8(const GemmQs8Kernel& kernel, const Conv2DQs8Params& p) {
  const size_t pixels = static_cast<size_t>(p.g.batch) * p.g.out_h * p.g.out_w;
  const size_t pixel_end = std::min(p.pixel_end, pixels);
  if (p.pixel_begin >= pixel_end) return;
  GemmQs8Params gp = gemm_params(p);
  if (is_direct_1x1(p.g) && p.extra_count == 0) {
    gp.m = pixel_end - p.pixel_begin;
    gp.a = p.x + p.pixel_begin * gp.k;
    gp.a_stride = gp.k;
    gp.c = p.y + p.pixel_begin * gp.n;
    kernel.run(gp);
    return;
  }
  gp.a = p.scratch;
  gp.a_stride = gp.k;
  for (size_t tile = p.pixel_begin; tile < pixel_end; tile += kIm2colTileRows) {
    const size_t rows = std::min(kIm2colTileRows, pixel_end - tile);
    gather_tile(p, tile, rows, gp.k, p.scratch);
    gp.m = rows;
    gp.c = p.y + tile * gp.n;
    kernel.run(gp);
  }
}

}  // namespace octet
