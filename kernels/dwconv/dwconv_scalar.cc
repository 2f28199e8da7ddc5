// Portable depthwise conv: per output pixel, blocks of channels accumulate over the
// taps (input pixel rows are contiguous in NHWC), then requantize. Same sums as
// ref::dwconv2d_qs8 in int32 (exact), so the same bytes.
#include <algorithm>

#include "kernels/common/requantize.h"
#include "kernels/dwconv/dwconv.h"

namespace octet {
namespace {

constexpr int kChannelBlock = 64;

void dwconv_qs8_scalar_run(const DwConvQs8Params& p) {
  const ref::ConvGeometry& g = p.g;
  const int multiplier = g.depth_multiplier;
  const int oh_end = std::min(p.oh_end, g.out_h);
  for (int b = 0; b < g.batch; ++b) {
    for (int oh = std::max(p.oh_begin, 0); oh < oh_end; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        int8_t* y_pixel = p.y + ((static_cast<size_t>(b) * g.out_h + oh) * g.out_w + ow) * g.out_c;
        for (int c0 = 0; c0 < g.out_c; c0 += kChannelBlock) {
          const int block = std::min(kChannelBlock, g.out_c - c0);
          int32_t acc[kChannelBlock];
          for (int c = 0; c < block; ++c) acc[c] = p.bias != nullptr ? p.bias[c0 + c] : 0;
          for (int kh = 0; kh < g.kernel_h; ++kh) {
            const int ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
            const bool row_inside = ih >= 0 && ih < g.in_h;
            for (int kw = 0; kw < g.kernel_w; ++kw) {
              const int iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
              const int8_t* w_tap =
                  p.w + (static_cast<size_t>(kh) * g.kernel_w + kw) * g.out_c + c0;
              if (row_inside && iw >= 0 && iw < g.in_w) {
                const int8_t* x_pixel =
                    p.x + ((static_cast<size_t>(b) * g.in_h + ih) * g.in_w + iw) * g.in_c;
                for (int c = 0; c < block; ++c) {
                  acc[c] += static_cast<int32_t>(x_pixel[(c0 + c) / multiplier]) * w_tap[c];
                }
              } else {
                // Padding reads as the input zero point (cancelled by the folded bias).
                for (int c = 0; c < block; ++c) acc[c] += p.x_zero_point * w_tap[c];
              }
            }
          }
          for (int c = 0; c < block; ++c) {
            const int channel = c0 + c;
            const float m = p.rq.multiplier[p.rq.per_channel ? channel : 0];
            y_pixel[channel] =
                static_cast<int8_t>(requantize(acc[c], m, p.rq.zero_point, p.rq.qmin, p.rq.qmax));
          }
        }
      }
    }
  }
}

}  // namespace

extern const DwConvQs8Kernel dwconv_qs8_scalar = {Isa::kScalar, dwconv_qs8_scalar_run, nullptr};

}  // namespace octet
