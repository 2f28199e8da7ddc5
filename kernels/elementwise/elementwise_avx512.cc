// AVX-512 (F/BW/VL) elementwise kernels, used for Isa::kAvx512Vnni: 16 int8 per fp32 zmm,
// masked loads/stores for the tail, so every element goes through the same vector code.
// Same fp32 operations as the reference (mul, add, clamp with NaN -> 0, magic-add rounding);
// compiled with -ffp-contract=off.
#include <immintrin.h>

#include "kernels/elementwise/elementwise_impl.h"

namespace octet {
namespace {

struct QuantizeConsts {
  __m512 lo, hi, magic;
  __m512i zero_point;
  QuantizeConsts(float lo_value, float hi_value, int32_t y_zero_point)
      : lo(_mm512_set1_ps(lo_value)),
        hi(_mm512_set1_ps(hi_value)),
        magic(_mm512_set1_ps(12582912.0f)),
        zero_point(_mm512_set1_epi32(y_zero_point)) {}
};

// quantize_value() on 16 lanes -> 16 int8 (values are already in [qmin, qmax]).
inline __m128i quantize16(__m512 value, const QuantizeConsts& q) {
  value = _mm512_max_ps(q.lo, value);  // NaN (second operand) survives max/min ...
  value = _mm512_min_ps(q.hi, value);
  const __mmask16 ordered = _mm512_cmp_ps_mask(value, value, _CMP_ORD_Q);
  value = _mm512_maskz_mov_ps(ordered, value);  // ... and becomes 0
  value = _mm512_sub_ps(_mm512_add_ps(value, q.magic), q.magic);
  return _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_cvttps_epi32(value), q.zero_point));
}

inline __mmask16 tail_mask16(size_t count) { return static_cast<__mmask16>((1u << count) - 1u); }

inline __m512i load16_centered(const int8_t* p, __mmask16 mask, __m512i zero_point) {
  return _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, p)), zero_point);
}

template <BinaryQs8Op kOp, bool kABroadcast, bool kBBroadcast>
inline __m128i binary16(const int8_t* a, const int8_t* b, __mmask16 mask, __m512i a_const,
                        __m512i b_const, __m512i a_zero_point, __m512i b_zero_point,
                        __m512 a_multiplier, __m512 b_multiplier, __m512 product_multiplier,
                        const QuantizeConsts& q) {
  const __m512i a_centered = kABroadcast ? a_const : load16_centered(a, mask, a_zero_point);
  const __m512i b_centered = kBBroadcast ? b_const : load16_centered(b, mask, b_zero_point);
  __m512 value;
  if (kOp == BinaryQs8Op::kMul) {
    value = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_mullo_epi32(a_centered, b_centered)),
                          product_multiplier);
  } else {
    const __m512 a_term = _mm512_mul_ps(_mm512_cvtepi32_ps(a_centered), a_multiplier);
    const __m512 b_term = _mm512_mul_ps(_mm512_cvtepi32_ps(b_centered), b_multiplier);
    value =
        kOp == BinaryQs8Op::kAdd ? _mm512_add_ps(a_term, b_term) : _mm512_sub_ps(a_term, b_term);
  }
  return quantize16(value, q);
}

template <BinaryQs8Op kOp, bool kABroadcast, bool kBBroadcast>
void binary_row(size_t n, const int8_t* a, const int8_t* b, const BinaryQs8Params& p, int8_t* y) {
  const QuantizeConsts q(p.lo, p.hi, p.y_zero_point);
  const __m512i a_zero_point = _mm512_set1_epi32(p.a_zero_point);
  const __m512i b_zero_point = _mm512_set1_epi32(p.b_zero_point);
  const __m512 a_multiplier = _mm512_set1_ps(p.a_multiplier);
  const __m512 b_multiplier = _mm512_set1_ps(p.b_multiplier);
  const __m512 product_multiplier = _mm512_set1_ps(p.product_multiplier);
  const __m512i a_const = _mm512_set1_epi32(static_cast<int32_t>(a[0]) - p.a_zero_point);
  const __m512i b_const = _mm512_set1_epi32(static_cast<int32_t>(b[0]) - p.b_zero_point);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {  // four independent chains per iteration
    for (size_t j = 0; j < 64; j += 16) {
      const __m128i out = binary16<kOp, kABroadcast, kBBroadcast>(
          a + (kABroadcast ? 0 : i + j), b + (kBBroadcast ? 0 : i + j), 0xFFFF, a_const, b_const,
          a_zero_point, b_zero_point, a_multiplier, b_multiplier, product_multiplier, q);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i + j), out);
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 mask = n - i >= 16 ? 0xFFFF : tail_mask16(n - i);
    const __m128i out = binary16<kOp, kABroadcast, kBBroadcast>(
        a + (kABroadcast ? 0 : i), b + (kBBroadcast ? 0 : i), mask, a_const, b_const, a_zero_point,
        b_zero_point, a_multiplier, b_multiplier, product_multiplier, q);
    _mm_mask_storeu_epi8(y + i, mask, out);
  }
}

template <BinaryQs8Op kOp>
void binary_op(size_t n, const int8_t* a, size_t a_step, const int8_t* b, size_t b_step,
               const BinaryQs8Params& p, int8_t* y) {
  if (n == 0) return;
  if (a_step == 0 && b_step == 0) return binary_row<kOp, true, true>(n, a, b, p, y);
  if (a_step == 0) return binary_row<kOp, true, false>(n, a, b, p, y);
  if (b_step == 0) return binary_row<kOp, false, true>(n, a, b, p, y);
  binary_row<kOp, false, false>(n, a, b, p, y);
}

inline __mmask64 tail_mask64(size_t count) {
  return count >= 64 ? ~__mmask64{0} : (__mmask64{1} << count) - 1;
}

// 64 int32 -> requantized 64 int8 (4 x 16) at y, masked by `mask`.
inline void store64(const __m512i* values, __m512 multiplier, const QuantizeConsts& q,
                    __mmask64 mask, int8_t* y) {
  for (int part = 0; part < 4; ++part) {
    const __mmask16 part_mask = static_cast<__mmask16>(mask >> (16 * part));
    if (part_mask == 0) break;  // channel tail: nothing left
    const __m128i out = quantize16(_mm512_mul_ps(_mm512_cvtepi32_ps(values[part]), multiplier), q);
    _mm_mask_storeu_epi8(y + 16 * part, part_mask, out);
  }
}

}  // namespace

void qs8_vbinary_avx512(BinaryQs8Op op, size_t n, const int8_t* a, size_t a_step, const int8_t* b,
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

void qs8_maxpool_avx512(const PoolQs8Pixel& p) {
  if (p.rows == 0) return elementwise::max_pool_channels(p, 0);
  const QuantizeConsts q(p.lo, p.hi, p.y_zero_point);
  const __m512i x_zero_point = _mm512_set1_epi32(p.x_zero_point);
  const __m512 multiplier = _mm512_set1_ps(p.multiplier);
  for (size_t c = 0; c < p.channels; c += 64) {
    const __mmask64 mask = tail_mask64(p.channels - c);
    __m512i max_value = _mm512_maskz_loadu_epi8(mask, p.x + c);
    for (int r = 0; r < p.rows; ++r) {
      const int8_t* row = p.x + r * p.row_stride + c;
      for (int col = 0; col < p.cols; ++col) {
        max_value =
            _mm512_max_epi8(max_value, _mm512_maskz_loadu_epi8(mask, row + col * p.channels));
      }
    }
    __m512i centered[4];
    centered[0] =
        _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm512_castsi512_si128(max_value)), x_zero_point);
    centered[1] = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(max_value, 1)),
                                   x_zero_point);
    centered[2] = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(max_value, 2)),
                                   x_zero_point);
    centered[3] = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(max_value, 3)),
                                   x_zero_point);
    store64(centered, multiplier, q, mask, p.y + c);
  }
}

void qs8_avgpool_avx512(const PoolQs8Pixel& p) {
  // 16 channels per block (one int32 accumulator): typical channel counts (16, 24, 32, ...)
  // waste no lanes, and only the last block is masked.
  const QuantizeConsts q(p.lo, p.hi, p.y_zero_point);
  const __m512 multiplier = _mm512_set1_ps(p.multiplier);
  for (size_t c = 0; c < p.channels; c += 16) {
    const __mmask16 mask = p.channels - c >= 16 ? 0xFFFF : tail_mask16(p.channels - c);
    __m512i sum = _mm512_set1_epi32(p.sum_bias);
    for (int r = 0; r < p.rows; ++r) {
      const int8_t* row = p.x + r * p.row_stride + c;
      for (int col = 0; col < p.cols; ++col) {
        sum = _mm512_add_epi32(
            sum, _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, row + col * p.channels)));
      }
    }
    const __m128i out = quantize16(_mm512_mul_ps(_mm512_cvtepi32_ps(sum), multiplier), q);
    _mm_mask_storeu_epi8(p.y + c, mask, out);
  }
}

// The AVX2 table scheme (see x8_lut_avx2) on 64 bytes: 16 in-lane vpshufb per vector.
void x8_lut_avx512(size_t n, const int8_t* x, const int8_t* table, int8_t* y) {
  __m512i tables[16];
  for (int k = 0; k < 16; ++k) {
    __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * k));
    if (k % 8 != 0) {
      t = _mm_xor_si128(t, _mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * (k - 1))));
    }
    tables[k] = _mm512_broadcast_i32x4(t);
  }
  const __m512i step = _mm512_set1_epi8(16);
  const __m512i sign = _mm512_set1_epi8(static_cast<char>(0x80));
  for (size_t i = 0; i < n; i += 64) {
    const __mmask64 mask = tail_mask64(n - i);
    const __m512i v = _mm512_maskz_loadu_epi8(mask, x + i);
    __m512i low_index = _mm512_xor_si512(v, sign);
    __m512i high_index = v;
    __m512i result = _mm512_xor_si512(_mm512_shuffle_epi8(tables[0], low_index),
                                      _mm512_shuffle_epi8(tables[8], high_index));
    for (int k = 1; k < 8; ++k) {
      low_index = _mm512_subs_epi8(low_index, step);
      high_index = _mm512_subs_epi8(high_index, step);
      result = _mm512_xor_si512(result, _mm512_shuffle_epi8(tables[k], low_index));
      result = _mm512_xor_si512(result, _mm512_shuffle_epi8(tables[k + 8], high_index));
    }
    _mm512_mask_storeu_epi8(y + i, mask, result);
  }
}

}  // namespace octet
