// NEON elementwise kernels (aarch64 and ARMv7 NEON; also run for dotprod / i8mm): 16 int8 per
// step through 4 x 4 fp32. The reference's fp32 operations (vmul, vadd: -ffp-contract=off
// keeps them apart), clamp with NaN -> 0, magic-add rounding; the last n % 16 elements
// (channels) go through the scalar formulas. ARMv7 NEON flushes denormal floats to zero,
// which only matters for multipliers below 2^-126 (no real model has those).
#include <arm_neon.h>

#include "kernels/elementwise/elementwise_impl.h"

namespace octet {
namespace {

struct QuantizeConsts {
  float32x4_t lo, hi, magic;
  int32x4_t zero_point;
  QuantizeConsts(float lo_value, float hi_value, int32_t y_zero_point)
      : lo(vdupq_n_f32(lo_value)),
        hi(vdupq_n_f32(hi_value)),
        magic(vdupq_n_f32(12582912.0f)),
        zero_point(vdupq_n_s32(y_zero_point)) {}
};

// quantize_value() on 4 lanes, as int32. vmax/vmin return NaN when an input is NaN.
inline int32x4_t quantize4(float32x4_t value, const QuantizeConsts& q) {
  value = vminq_f32(vmaxq_f32(value, q.lo), q.hi);
  const uint32x4_t ordered = vceqq_f32(value, value);
  value = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(value), ordered));
  value = vsubq_f32(vaddq_f32(value, q.magic), q.magic);
  return vaddq_s32(vcvtq_s32_f32(value), q.zero_point);
}

inline int8x16_t pack16(int32x4_t v0, int32x4_t v1, int32x4_t v2, int32x4_t v3) {
  const int16x8_t lo = vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1));
  const int16x8_t hi = vcombine_s16(vqmovn_s32(v2), vqmovn_s32(v3));
  return vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi));
}

// 16 int8 -> 4 x 4 int32.
inline void widen16(int8x16_t v, int32x4_t out[4]) {
  const int16x8_t lo = vmovl_s8(vget_low_s8(v));
  const int16x8_t hi = vmovl_s8(vget_high_s8(v));
  out[0] = vmovl_s16(vget_low_s16(lo));
  out[1] = vmovl_s16(vget_high_s16(lo));
  out[2] = vmovl_s16(vget_low_s16(hi));
  out[3] = vmovl_s16(vget_high_s16(hi));
}

#if defined(__aarch64__)
inline int8x16x4_t load_table64(const int8_t* table) {
  int8x16x4_t t;
  t.val[0] = vld1q_s8(table);
  t.val[1] = vld1q_s8(table + 16);
  t.val[2] = vld1q_s8(table + 32);
  t.val[3] = vld1q_s8(table + 48);
  return t;
}
#endif

inline void load16_centered(const int8_t* p, int32x4_t zero_point, int32x4_t out[4]) {
  widen16(vld1q_s8(p), out);
  for (int j = 0; j < 4; ++j) out[j] = vsubq_s32(out[j], zero_point);
}

template <BinaryQs8Op kOp, bool kABroadcast, bool kBBroadcast>
void binary_row(size_t n, const int8_t* a, const int8_t* b, const BinaryQs8Params& p, int8_t* y) {
  const QuantizeConsts q(p.lo, p.hi, p.y_zero_point);
  const int32x4_t a_zero_point = vdupq_n_s32(p.a_zero_point);
  const int32x4_t b_zero_point = vdupq_n_s32(p.b_zero_point);
  const float32x4_t a_multiplier = vdupq_n_f32(p.a_multiplier);
  const float32x4_t b_multiplier = vdupq_n_f32(p.b_multiplier);
  const float32x4_t product_multiplier = vdupq_n_f32(p.product_multiplier);
  const int32x4_t a_const = vdupq_n_s32(static_cast<int32_t>(a[0]) - p.a_zero_point);
  const int32x4_t b_const = vdupq_n_s32(static_cast<int32_t>(b[0]) - p.b_zero_point);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    int32x4_t av[4] = {a_const, a_const, a_const, a_const};
    int32x4_t bv[4] = {b_const, b_const, b_const, b_const};
    if (!kABroadcast) load16_centered(a + i, a_zero_point, av);
    if (!kBBroadcast) load16_centered(b + i, b_zero_point, bv);
    int32x4_t out[4];
    for (int j = 0; j < 4; ++j) {
      float32x4_t value;
      if (kOp == BinaryQs8Op::kMul) {
        value = vmulq_f32(vcvtq_f32_s32(vmulq_s32(av[j], bv[j])), product_multiplier);
      } else {
        const float32x4_t a_term = vmulq_f32(vcvtq_f32_s32(av[j]), a_multiplier);
        const float32x4_t b_term = vmulq_f32(vcvtq_f32_s32(bv[j]), b_multiplier);
        value = kOp == BinaryQs8Op::kAdd ? vaddq_f32(a_term, b_term) : vsubq_f32(a_term, b_term);
      }
      out[j] = quantize4(value, q);
    }
    vst1q_s8(y + i, pack16(out[0], out[1], out[2], out[3]));
  }
  elementwise::binary_rows(kOp, i, n, a, kABroadcast ? 0 : 1, b, kBBroadcast ? 0 : 1, p, y);
}

template <BinaryQs8Op kOp>
void binary_op(size_t n, const int8_t* a, size_t a_step, const int8_t* b, size_t b_step,
               const BinaryQs8Params& p, int8_t* y) {
  if (n == 0) return;
  if (a_step == 0 && b_step == 0) return elementwise::binary_rows(kOp, 0, n, a, 0, b, 0, p, y);
  if (a_step == 0) return binary_row<kOp, true, false>(n, a, b, p, y);
  if (b_step == 0) return binary_row<kOp, false, true>(n, a, b, p, y);
  binary_row<kOp, false, false>(n, a, b, p, y);
}

// 4 x 4 int32 (after adding `bias`) * multiplier, requantized, to 16 int8 at y.
inline void store16(int32x4_t v[4], float32x4_t multiplier, const QuantizeConsts& q, int8_t* y) {
  int32x4_t out[4];
  for (int j = 0; j < 4; ++j) out[j] = quantize4(vmulq_f32(vcvtq_f32_s32(v[j]), multiplier), q);
  vst1q_s8(y, pack16(out[0], out[1], out[2], out[3]));
}

}  // namespace

void qs8_vbinary_neon(BinaryQs8Op op, size_t n, const int8_t* a, size_t a_step, const int8_t* b,
                      size_t b_step, const BinaryQs8Params& p, int8_t* y) {
  switch (op) {
    case BinaryQs8Op::kAdd:
      return binary_op<BinaryQs8Op::kAdd>(n, a, a_step, b, b_step, p, y);
    case BinaryQs8Op::kSub:
      return binary_op<BinaryQs8Op::kSub>(n, a, a_step, b, b_step, p, y);
    case BinaryQs8Op::kMul:
      return binary_op<BinaryQs8Op::kMul>(n, a, a_step, b, b_step, p, y);
  }
}

void qs8_maxpool_neon(const PoolQs8Pixel& p) {
  if (p.rows == 0) return elementwise::max_pool_channels(p, 0);
  const QuantizeConsts q(p.lo, p.hi, p.y_zero_point);
  const int32x4_t x_zero_point = vdupq_n_s32(p.x_zero_point);
  const float32x4_t multiplier = vdupq_n_f32(p.multiplier);
  size_t c = 0;
  for (; c + 16 <= p.channels; c += 16) {
    int8x16_t max_value = vld1q_s8(p.x + c);
    for (int r = 0; r < p.rows; ++r) {
      const int8_t* row = p.x + r * p.row_stride + c;
      for (int col = 0; col < p.cols; ++col) {
        max_value = vmaxq_s8(max_value, vld1q_s8(row + col * p.channels));
      }
    }
    int32x4_t v[4];
    widen16(max_value, v);
    for (int j = 0; j < 4; ++j) v[j] = vsubq_s32(v[j], x_zero_point);
    store16(v, multiplier, q, p.y + c);
  }
  elementwise::max_pool_channels(p, c);
}

void qs8_avgpool_neon(const PoolQs8Pixel& p) {
  const QuantizeConsts q(p.lo, p.hi, p.y_zero_point);
  const float32x4_t multiplier = vdupq_n_f32(p.multiplier);
  size_t c = 0;
  for (; c + 16 <= p.channels; c += 16) {
    int32x4_t sum[4];
    for (int j = 0; j < 4; ++j) sum[j] = vdupq_n_s32(p.sum_bias);
    for (int r = 0; r < p.rows; ++r) {
      const int8_t* row = p.x + r * p.row_stride + c;
      for (int col = 0; col < p.cols; ++col) {
        const int8x16_t v = vld1q_s8(row + col * p.channels);
        const int16x8_t lo = vmovl_s8(vget_low_s8(v));
        const int16x8_t hi = vmovl_s8(vget_high_s8(v));
        sum[0] = vaddw_s16(sum[0], vget_low_s16(lo));
        sum[1] = vaddw_s16(sum[1], vget_high_s16(lo));
        sum[2] = vaddw_s16(sum[2], vget_low_s16(hi));
        sum[3] = vaddw_s16(sum[3], vget_high_s16(hi));
      }
    }
    store16(sum, multiplier, q, p.y + c);
  }
  elementwise::avg_pool_channels(p, c);
}

void x8_lut_neon(size_t n, const int8_t* x, const int8_t* table, int8_t* y) {
  size_t i = 0;
#if defined(__aarch64__)
  // Four 64-byte tables: tbl for u in [0, 64), tbx (keeps lanes out of range) for the rest.
  const int8x16x4_t t0 = load_table64(table);
  const int8x16x4_t t1 = load_table64(table + 64);
  const int8x16x4_t t2 = load_table64(table + 128);
  const int8x16x4_t t3 = load_table64(table + 192);
  const uint8x16_t sign = vdupq_n_u8(0x80);
  const uint8x16_t step = vdupq_n_u8(64);
  for (; i + 16 <= n; i += 16) {
    uint8x16_t index = veorq_u8(vreinterpretq_u8_s8(vld1q_s8(x + i)), sign);  // x + 128
    int8x16_t result = vqtbl4q_s8(t0, index);
    index = vsubq_u8(index, step);
    result = vqtbx4q_s8(result, t1, index);
    index = vsubq_u8(index, step);
    result = vqtbx4q_s8(result, t2, index);
    index = vsubq_u8(index, step);
    result = vqtbx4q_s8(result, t3, index);
    vst1q_s8(y + i, result);
  }
#endif
  // ARMv7 has only 32-byte vtbl4 (8 lookups + 8 subtractions per 8 bytes), no faster than
  // the scalar table walk: scalar there.
  elementwise::lut_range(i, n, x, table, y);
}

}  // namespace octet
