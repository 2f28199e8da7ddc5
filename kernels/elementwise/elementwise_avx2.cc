// AVX2 elementwise kernels (also run for AVX-VNNI): 16 int8 per step through 2 x 8 fp32.
// Binary ops and requantization are the reference's fp32 operations on 8 lanes (mul, add,
// max/min clamp with NaN -> 0, magic-add rounding); the last n % 16 elements (channels) go
// through the scalar formulas of elementwise_impl.h. Compiled with -mavx2 -mfma and
// -ffp-contract=off, so no FMA ever replaces mul + add.
#include <immintrin.h>

#include "kernels/elementwise/elementwise_impl.h"

namespace octet {
namespace {

struct QuantizeConsts {
  __m256 lo, hi, magic;
  __m256i zero_point;
  QuantizeConsts(float lo_value, float hi_value, int32_t y_zero_point)
      : lo(_mm256_set1_ps(lo_value)),
        hi(_mm256_set1_ps(hi_value)),
        magic(_mm256_set1_ps(12582912.0f)),
        zero_point(_mm256_set1_epi32(y_zero_point)) {}
};

// quantize_value() on 8 lanes, as int32. max/min return their second operand when either is
// NaN, so a NaN survives the clamp and is then zeroed, as in the reference.
inline __m256i quantize8(__m256 value, const QuantizeConsts& q) {
  value = _mm256_max_ps(q.lo, value);
  value = _mm256_min_ps(q.hi, value);
  value = _mm256_and_ps(value, _mm256_cmp_ps(value, value, _CMP_ORD_Q));
  value = _mm256_sub_ps(_mm256_add_ps(value, q.magic), q.magic);
  return _mm256_add_epi32(_mm256_cvttps_epi32(value), q.zero_point);
}

// Two vectors of 8 int32 already in [-128, 127] -> 16 int8 in order.
inline __m128i pack16(__m256i lo, __m256i hi) {
  const __m256i packed16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(packed16), _mm256_extracti128_si256(packed16, 1));
}

// 16 int8 -> 2 x 8 int32 minus the zero point.
inline void load16_centered(const int8_t* p, __m256i zero_point, __m256i* lo, __m256i* hi) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  *lo = _mm256_sub_epi32(_mm256_cvtepi8_epi32(v), zero_point);
  *hi = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)), zero_point);
}

template <BinaryQs8Op kOp, bool kABroadcast, bool kBBroadcast>
void binary_row(size_t n, const int8_t* a, const int8_t* b, const BinaryQs8Params& p, int8_t* y) {
  const QuantizeConsts q(p.lo, p.hi, p.y_zero_point);
  const __m256i a_zero_point = _mm256_set1_epi32(p.a_zero_point);
  const __m256i b_zero_point = _mm256_set1_epi32(p.b_zero_point);
  const __m256 a_multiplier = _mm256_set1_ps(p.a_multiplier);
  const __m256 b_multiplier = _mm256_set1_ps(p.b_multiplier);
  const __m256 product_multiplier = _mm256_set1_ps(p.product_multiplier);
  const __m256i a_const = _mm256_set1_epi32(static_cast<int32_t>(a[0]) - p.a_zero_point);
  const __m256i b_const = _mm256_set1_epi32(static_cast<int32_t>(b[0]) - p.b_zero_point);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i a0 = a_const, a1 = a_const, b0 = b_const, b1 = b_const;
    if (!kABroadcast) load16_centered(a + i, a_zero_point, &a0, &a1);
    if (!kBBroadcast) load16_centered(b + i, b_zero_point, &b0, &b1);
    __m256 v0, v1;
    if (kOp == BinaryQs8Op::kMul) {
      v0 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(a0, b0)), product_multiplier);
      v1 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(a1, b1)), product_multiplier);
    } else {
      const __m256 at0 = _mm256_mul_ps(_mm256_cvtepi32_ps(a0), a_multiplier);
      const __m256 at1 = _mm256_mul_ps(_mm256_cvtepi32_ps(a1), a_multiplier);
      const __m256 bt0 = _mm256_mul_ps(_mm256_cvtepi32_ps(b0), b_multiplier);
      const __m256 bt1 = _mm256_mul_ps(_mm256_cvtepi32_ps(b1), b_multiplier);
      v0 = kOp == BinaryQs8Op::kAdd ? _mm256_add_ps(at0, bt0) : _mm256_sub_ps(at0, bt0);
      v1 = kOp == BinaryQs8Op::kAdd ? _mm256_add_ps(at1, bt1) : _mm256_sub_ps(at1, bt1);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), pack16(quantize8(v0, q), quantize8(v1, q)));
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

}  // namespace

void qs8_vbinary_avx2(BinaryQs8Op op, size_t n, const int8_t* a, size_t a_step, const int8_t* b,
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

void qs8_maxpool_avx2(const PoolQs8Pixel& p) {
  if (p.rows == 0) return elementwise::max_pool_channels(p, 0);
  const QuantizeConsts q(p.lo, p.hi, p.y_zero_point);
  const __m256i x_zero_point = _mm256_set1_epi32(p.x_zero_point);
  const __m256 multiplier = _mm256_set1_ps(p.multiplier);
  size_t c = 0;
  for (; c + 16 <= p.channels; c += 16) {
    __m128i max_value = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p.x + c));
    for (int r = 0; r < p.rows; ++r) {
      const int8_t* row = p.x + r * p.row_stride + c;
      for (int col = 0; col < p.cols; ++col) {
        max_value = _mm_max_epi8(
            max_value, _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + col * p.channels)));
      }
    }
    const __m256i lo = _mm256_sub_epi32(_mm256_cvtepi8_epi32(max_value), x_zero_point);
    const __m256i hi =
        _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(max_value, 8)), x_zero_point);
    const __m256 v0 = _mm256_mul_ps(_mm256_cvtepi32_ps(lo), multiplier);
    const __m256 v1 = _mm256_mul_ps(_mm256_cvtepi32_ps(hi), multiplier);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p.y + c),
                     pack16(quantize8(v0, q), quantize8(v1, q)));
  }
  elementwise::max_pool_channels(p, c);
}

void qs8_avgpool_avx2(const PoolQs8Pixel& p) {
  const QuantizeConsts q(p.lo, p.hi, p.y_zero_point);
  const __m256i sum_bias = _mm256_set1_epi32(p.sum_bias);
  const __m256 multiplier = _mm256_set1_ps(p.multiplier);
  size_t c = 0;
  for (; c + 16 <= p.channels; c += 16) {
    __m256i sum0 = sum_bias, sum1 = sum_bias;
    for (int r = 0; r < p.rows; ++r) {
      const int8_t* row = p.x + r * p.row_stride + c;
      for (int col = 0; col < p.cols; ++col) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + col * p.channels));
        sum0 = _mm256_add_epi32(sum0, _mm256_cvtepi8_epi32(v));
        sum1 = _mm256_add_epi32(sum1, _mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)));
      }
    }
    const __m256 v0 = _mm256_mul_ps(_mm256_cvtepi32_ps(sum0), multiplier);
    const __m256 v1 = _mm256_mul_ps(_mm256_cvtepi32_ps(sum1), multiplier);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p.y + c),
                     pack16(quantize8(v0, q), quantize8(v1, q)));
  }
  elementwise::avg_pool_channels(p, c);
}

// 256-entry table with 16 in-lane byte shuffles (vpshufb zeroes lanes whose index has bit 7
// set). Index u = x + 128. Pass 1 covers u < 128 with v = u as int8, decreased by 16 per
// table (saturating, so u >= 128 stays negative and contributes 0); pass 2 covers u >= 128
// with v = x. Tables are XORed with their predecessor so the contributions telescope.
void x8_lut_avx2(size_t n, const int8_t* x, const int8_t* table, int8_t* y) {
  __m256i tables[16];
  for (int k = 0; k < 16; ++k) {
    __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * k));
    if (k % 8 != 0)
      t = _mm_xor_si128(t, _mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * (k - 1))));
    tables[k] = _mm256_broadcastsi128_si256(t);
  }
  const __m256i step = _mm256_set1_epi8(16);
  const __m256i sign = _mm256_set1_epi8(static_cast<char>(0x80));
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    __m256i low_index = _mm256_xor_si256(v, sign);
    __m256i high_index = v;
    __m256i result = _mm256_xor_si256(_mm256_shuffle_epi8(tables[0], low_index),
                                      _mm256_shuffle_epi8(tables[8], high_index));
    for (int k = 1; k < 8; ++k) {
      low_index = _mm256_subs_epi8(low_index, step);
      high_index = _mm256_subs_epi8(high_index, step);
      result = _mm256_xor_si256(result, _mm256_shuffle_epi8(tables[k], low_index));
      result = _mm256_xor_si256(result, _mm256_shuffle_epi8(tables[k + 8], high_index));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), result);
  }
  elementwise::lut_range(i, n, x, table, y);
}

}  // namespace octet
