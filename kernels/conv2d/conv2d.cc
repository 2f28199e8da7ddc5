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

// Writes the im2col row of output pixel `pixel` (flat over batch*out_h*out_w). Without
// dilation the taps of one kernel row are adjacent input pixels: one copy per kernel row, so
// few-channel convs (a network's 3-channel first layer) are not dominated by tiny copies.
void gather_row(const Conv2DQs8Params& p, size_t pixel, int8_t* row) {
  const ref::ConvGeometry& g = p.g;
  const size_t pixels_per_image = static_cast<size_t>(g.out_h) * g.out_w;
  const size_t b = pixel / pixels_per_image;
  const int oh = static_cast<int>((pixel % pixels_per_image) / g.out_w);
  const int ow = static_cast<int>(pixel % g.out_w);
  const int8_t pad = static_cast<int8_t>(p.x_zero_point);
  const size_t c = static_cast<size_t>(g.in_c);
  const int iw0 = ow * g.stride_w - g.pad_left;
  for (int kh = 0; kh < g.kernel_h; ++kh) {
    const int ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
    if (ih < 0 || ih >= g.in_h) {
      std::memset(row, pad, g.kernel_w * c);
      row += g.kernel_w * c;
      continue;
    }
    const int8_t* x_row = p.x + (b * g.in_h + ih) * g.in_w * c;
    if (g.dilation_w == 1) {
      const int kw_begin = std::clamp(-iw0, 0, g.kernel_w);
      const int kw_end = std::clamp(g.in_w - iw0, kw_begin, g.kernel_w);
      std::memset(row, pad, kw_begin * c);
      if (kw_end > kw_begin)
        std::memcpy(row + kw_begin * c, x_row + (iw0 + kw_begin) * c, (kw_end - kw_begin) * c);
      std::memset(row + kw_end * c, pad, (g.kernel_w - kw_end) * c);
    } else {
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        const int iw = iw0 + kw * g.dilation_w;
        if (iw >= 0 && iw < g.in_w) {
          std::memcpy(row + kw * c, x_row + iw * c, c);
        } else {
          std::memset(row + kw * c, pad, c);
        }
      }
    }
    row += g.kernel_w * c;
  }
}

GemmQs8Params gemm_params(const Conv2DQs8Params& p) {
  GemmQs8Params gp;
  gp.n = static_cast<size_t>(p.g.out_c);
  gp.k = gemm_k(p.g);
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

size_t conv2d_qs8_scratch_size(const ref::ConvGeometry& g) {
  if (is_direct_1x1(g)) return 0;
  const size_t pixels = static_cast<size_t>(g.batch) * g.out_h * g.out_w;
  return std::min(pixels, kIm2colTileRows) * gemm_k(g);
}

void conv2d_qs8(const GemmQs8Kernel& kernel, const Conv2DQs8Params& p) {
  const size_t pixels = static_cast<size_t>(p.g.batch) * p.g.out_h * p.g.out_w;
  const size_t pixel_end = std::min(p.pixel_end, pixels);
  if (p.pixel_begin >= pixel_end) return;
  GemmQs8Params gp = gemm_params(p);
  if (is_direct_1x1(p.g)) {
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
    for (size_t r = 0; r < rows; ++r) gather_row(p, tile + r, p.scratch + r * gp.k);
    gp.m = rows;
    gp.c = p.y + tile * gp.n;
    kernel.run(gp);
  }
}

}  // namespace octet
