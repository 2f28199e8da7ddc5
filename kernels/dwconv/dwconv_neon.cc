// qs8-qc8w depthwise conv2d for NEON (aarch64 and ARMv7). Channels are the vector axis
// (NHWC): per output pixel, the input address of every tap is computed once, then 16 (or 8)
// channels at a time every tap does smull (int8 x int8 -> int16, exact) and widening adds into
// int32x4 accumulators started from the folded bias. Taps outside the input read the input zero
// point (the folded bias cancels it). The last < 8 channels, depth_multiplier > 1 and filters
// with more than 64 taps use a scalar loop with the same arithmetic.
#include <arm_neon.h>

#include <cstring>

#include "kernels/common/requantize.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/gemm/requantize_neon.h"

namespace octet {
namespace {

// One output pixel, channels [c_begin, out_c), scalar (any depth multiplier).
void pixel_scalar(const DwConvQs8Params& p, int b, int oh, int ow, int c_begin, int8_t* y) {
  const ref::ConvGeometry& g = p.g;
  const int mult = g.depth_multiplier;
  for (int oc = c_begin; oc < g.out_c; ++oc) {
    int32_t acc = p.bias ? p.bias[oc] : 0;
    const int ic = oc / mult;
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      const int ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        const int iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
        const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
        const int32_t xv =
            inside ? p.x[((static_cast<size_t>(b) * g.in_h + ih) * g.in_w + iw) * g.in_c + ic]
                   : p.x_zero_point;
        acc += xv * p.w[(static_cast<size_t>(kh) * g.kernel_w + kw) * g.out_c + oc];
      }
    }
    const float m = p.rq.per_channel ? p.rq.multiplier[oc] : p.rq.multiplier[0];
    y[oc] = static_cast<int8_t>(requantize(acc, m, p.rq.zero_point, p.rq.qmin, p.rq.qmax));
  }
}

constexpr int kMaxTaps = 64;  // larger filters (> 8x8) take the scalar loop

// Channels [c, c+16) of one output pixel. taps[t] points at the input pixel of tap t (nullptr:
// outside the input, reads the zero point); weights of tap t start at w + t * channels.
inline int8x16_t block16(const DwConvQs8Params& p, const int8_t* const* taps, int tap_count, int c,
                         const neon::RequantBounds& bounds, int8x16_t x_zero) {
  const int channels = p.g.out_c;
  int32x4_t acc[4];
  for (int v = 0; v < 4; ++v) acc[v] = p.bias ? vld1q_s32(p.bias + c + 4 * v) : vdupq_n_s32(0);
  for (int t = 0; t < tap_count; ++t) {
    const int8x16_t x = taps[t] ? vld1q_s8(taps[t] + c) : x_zero;
    const int8x16_t w = vld1q_s8(p.w + static_cast<size_t>(t) * channels + c);
    // int8 x int8 fits int16 exactly (even -128 * -128); widen-add into int32.
    const int16x8_t lo = vmull_s8(vget_low_s8(x), vget_low_s8(w));
    const int16x8_t hi = vmull_s8(vget_high_s8(x), vget_high_s8(w));
    acc[0] = vaddw_s16(acc[0], vget_low_s16(lo));
    acc[1] = vaddw_s16(acc[1], vget_high_s16(lo));
    acc[2] = vaddw_s16(acc[2], vget_low_s16(hi));
    acc[3] = vaddw_s16(acc[3], vget_high_s16(hi));
  }
  int32x4_t q[4];
  for (int v = 0; v < 4; ++v) {
    const float32x4_t m =
        p.rq.per_channel ? vld1q_f32(p.rq.multiplier + c + 4 * v) : vdupq_n_f32(p.rq.multiplier[0]);
    q[v] = neon::requantize(acc[v], m, bounds);
  }
  return vcombine_s8(neon::narrow_to_s8(q[0], q[1]), neon::narrow_to_s8(q[2], q[3]));
}

// Channels [c, c+8), same as block16.
inline int8x8_t block8(const DwConvQs8Params& p, const int8_t* const* taps, int tap_count, int c,
                       const neon::RequantBounds& bounds, int8x16_t x_zero) {
  const int channels = p.g.out_c;
  int32x4_t acc[2];
  for (int v = 0; v < 2; ++v) acc[v] = p.bias ? vld1q_s32(p.bias + c + 4 * v) : vdupq_n_s32(0);
  for (int t = 0; t < tap_count; ++t) {
    const int8x8_t x = taps[t] ? vld1_s8(taps[t] + c) : vget_low_s8(x_zero);
    const int16x8_t prod = vmull_s8(x, vld1_s8(p.w + static_cast<size_t>(t) * channels + c));
    acc[0] = vaddw_s16(acc[0], vget_low_s16(prod));
    acc[1] = vaddw_s16(acc[1], vget_high_s16(prod));
  }
  int32x4_t q[2];
  for (int v = 0; v < 2; ++v) {
    const float32x4_t m =
        p.rq.per_channel ? vld1q_f32(p.rq.multiplier + c + 4 * v) : vdupq_n_f32(p.rq.multiplier[0]);
    q[v] = neon::requantize(acc[v], m, bounds);
  }
  return neon::narrow_to_s8(q[0], q[1]);
}

void dwconv_qs8_neon_run(const DwConvQs8Params& p) {
  const ref::ConvGeometry& g = p.g;
  const int channels = g.out_c;
  const int tap_count = g.kernel_h * g.kernel_w;
  // The vector path needs channel c of the output to read channel c of the input.
  const bool vector = g.depth_multiplier == 1 && tap_count <= kMaxTaps;
  const int channels16 = vector ? channels / 16 * 16 : 0;
  const int channels8 = vector ? channels / 8 * 8 : 0;
  const neon::RequantBounds bounds = neon::requant_bounds(p.rq.zero_point, p.rq.qmin, p.rq.qmax);
  const int8x16_t x_zero = vdupq_n_s8(static_cast<int8_t>(p.x_zero_point));
  const size_t in_row = static_cast<size_t>(g.in_w) * g.in_c;
  const int8_t* taps[kMaxTaps];
  for (int b = 0; b < g.batch; ++b) {
    const int8_t* x_image = p.x + static_cast<size_t>(b) * g.in_h * in_row;
    for (int oh = p.oh_begin; oh < p.oh_end; ++oh) {
      for (int ow = 0; ow < g.out_w; ++ow) {
        int8_t* y = p.y + ((static_cast<size_t>(b) * g.out_h + oh) * g.out_w + ow) * channels;
        if (vector) {
          for (int kh = 0, t = 0; kh < g.kernel_h; ++kh) {
            const int ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
            for (int kw = 0; kw < g.kernel_w; ++kw, ++t) {
              const int iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
              taps[t] = (ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w)
                            ? x_image + static_cast<size_t>(ih) * in_row +
                                  static_cast<size_t>(iw) * g.in_c
                            : nullptr;
            }
          }
        }
        int c = 0;
        for (; c < channels16; c += 16)
          vst1q_s8(y + c, block16(p, taps, tap_count, c, bounds, x_zero));
        for (; c < channels8; c += 8) vst1_s8(y + c, block8(p, taps, tap_count, c, bounds, x_zero));
        if (c < channels) pixel_scalar(p, b, oh, ow, c, y);
      }
    }
  }
}

}  // namespace

extern const DwConvQs8Kernel dwconv_qs8_neon = {Isa::kNeon, dwconv_qs8_neon_run, nullptr};
// Depthwise has one product per channel per tap, so sdot/smmla would first need the taps
// rearranged into 4/8-byte groups; until such kernels exist, CPUs running the dotprod or i8mm
// path use this NEON code for depthwise (NEON is baseline wherever those exist).
#if defined(OCTET_HAVE_DOTPROD)
extern const DwConvQs8Kernel dwconv_qs8_dotprod = {Isa::kDotprod, dwconv_qs8_neon_run, nullptr};
#endif
#if defined(OCTET_HAVE_I8MM)
extern const DwConvQs8Kernel dwconv_qs8_i8mm = {Isa::kI8mm, dwconv_qs8_neon_run, nullptr};
#endif

}  // namespace octet
