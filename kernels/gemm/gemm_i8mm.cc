// qs8-qc8w GEMM with smmla (Armv8.6 int8 matrix multiply; compiled with +i8mm). One smmla
// multiplies a 2x8 block of A (two rows) by a 2x8 block of W (two columns) into a 2x2 int32
// tile {r0c0, r0c1, r1c0, r1c1}. Tile: up to 8 rows (4 row pairs) x 8 columns (4 column pairs)
// = 16 accumulators. Weights in the ArmI8mm layout (a column pair = one 16-byte register).
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/pack_arm.h"
#include "kernels/gemm/requantize_neon.h"

namespace octet {
namespace {

constexpr size_t kNr = arm_pack::kI8mmNr;  // 8 columns = 4 pairs
constexpr size_t kKg = arm_pack::kI8mmKg;  // 8 k per group
constexpr int kPairs = 4;                  // row pairs per full tile (8 rows)

// PAIRS row pairs x 8 columns. rows has 2*PAIRS entries (odd tails repeat a row).
template <int PAIRS>
void tile(const int8_t* const* rows, size_t k, const int32_t* bias, const int8_t* w,
          int32x4_t acc[PAIRS][4]) {
  for (int c = 0; c < 4; ++c) {
    const int32x2_t b = vld1_s32(bias + 2 * c);
    for (int q = 0; q < PAIRS; ++q) acc[q][c] = vcombine_s32(b, b);
  }
  const size_t k_full = k / kKg * kKg;
  auto group = [&](const int8x16_t* a) {
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32),
                    w3 = vld1q_s8(w + 48);
    w += kNr * kKg;
    for (int q = 0; q < PAIRS; ++q) {
      acc[q][0] = vmmlaq_s32(acc[q][0], a[q], w0);
      acc[q][1] = vmmlaq_s32(acc[q][1], a[q], w1);
      acc[q][2] = vmmlaq_s32(acc[q][2], a[q], w2);
      acc[q][3] = vmmlaq_s32(acc[q][3], a[q], w3);
    }
  };
  for (size_t k0 = 0; k0 < k_full; k0 += kKg) {
    int8x16_t a[PAIRS];
    for (int q = 0; q < PAIRS; ++q)
      a[q] = vcombine_s8(vld1_s8(rows[2 * q] + k0), vld1_s8(rows[2 * q + 1] + k0));
    group(a);
  }
  if (k_full < k) {  // last partial group: bytes past K read as 0 (never past the row)
    int8x16_t a[PAIRS];
    for (int q = 0; q < PAIRS; ++q) {
      int8_t tail[2 * kKg] = {};
      std::memcpy(tail, rows[2 * q] + k_full, k - k_full);
      std::memcpy(tail + kKg, rows[2 * q + 1] + k_full, k - k_full);
      a[q] = vld1q_s8(tail);
    }
    group(a);
  }
}

template <int PAIRS>
void rows_tile(const GemmQs8Params& p, size_t m0, const neon::RequantBounds& bounds) {
  const size_t block_bytes = arm_pack::block_bytes(kNr, kKg, p.k);
  const auto* packed = static_cast<const uint8_t*>(p.packed);
  const int8_t* rows[2 * PAIRS];
  for (int r = 0; r < 2 * PAIRS; ++r)
    rows[r] = p.a + std::min<size_t>(m0 + r, p.m - 1) * p.a_stride;
  const int rows_valid = static_cast<int>(std::min<size_t>(2 * PAIRS, p.m - m0));
  for (size_t n0 = p.n_begin; n0 < p.n_end; n0 += kNr) {
    const uint8_t* block = packed + n0 / kNr * block_bytes;
    const auto* bias = reinterpret_cast<const int32_t*>(block);
    const auto* w = reinterpret_cast<const int8_t*>(block + kNr * sizeof(int32_t));
    const size_t cols = std::min(kNr, p.n_end - n0);
    float mult[kNr] = {};
    for (size_t j = 0; j < cols; ++j)
      mult[j] = p.per_channel ? p.multiplier[n0 + j] : p.multiplier[0];
    const float32x4_t mult_lo = vld1q_f32(mult), mult_hi = vld1q_f32(mult + 4);
    int32x4_t acc[PAIRS][4];
    tile<PAIRS>(rows, p.k, bias, w, acc);
    for (int r = 0; r < rows_valid; ++r) {
      // Row 2q is the low half of each pair accumulator, row 2q+1 the high half.
      const int q = r / 2;
      int32x4_t lo, hi;
      if (r % 2 == 0) {
        lo = vcombine_s32(vget_low_s32(acc[q][0]), vget_low_s32(acc[q][1]));
        hi = vcombine_s32(vget_low_s32(acc[q][2]), vget_low_s32(acc[q][3]));
      } else {
        lo = vcombine_s32(vget_high_s32(acc[q][0]), vget_high_s32(acc[q][1]));
        hi = vcombine_s32(vget_high_s32(acc[q][2]), vget_high_s32(acc[q][3]));
      }
      const int8x8_t y = neon::narrow_to_s8(neon::requantize(lo, mult_lo, bounds),
                                            neon::requantize(hi, mult_hi, bounds));
      int8_t* c = p.c + (m0 + r) * p.c_stride + n0;
      if (cols == kNr) {
        vst1_s8(c, y);
      } else {
        int8_t tmp[kNr];
        vst1_s8(tmp, y);
        std::memcpy(c, tmp, cols);
      }
    }
  }
}

void gemm_qs8_i8mm_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  const neon::RequantBounds bounds = neon::requant_bounds(p.zero_point, p.qmin, p.qmax);
  size_t m0 = 0;
  for (; m0 + 2 * kPairs <= p.m; m0 += 2 * kPairs) rows_tile<kPairs>(p, m0, bounds);
  switch ((p.m - m0 + 1) / 2) {  // remaining row pairs (an odd last row repeats a row)
    case 4:
      rows_tile<4>(p, m0, bounds);
      break;  // 7 rows
    case 3:
      rows_tile<3>(p, m0, bounds);
      break;
    case 2:
      rows_tile<2>(p, m0, bounds);
      break;
    case 1:
      rows_tile<1>(p, m0, bounds);
      break;
    default:
      break;
  }
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_i8mm = {Isa::kI8mm, PackFamily::kArmI8mm, kNr,
                                            gemm_qs8_i8mm_run};

}  // namespace octet
