// qs8-qc8w GEMM for NEON (aarch64 and ARMv7 armhf): smull (8 int8 x int8 -> int16, exact for
// any int8 including -128 * -128) + sadalp (pairwise add into int32), one int32x4 accumulator
// per (row, column), reduced across lanes once per tile. Weights in the ArmNeon layout.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/pack_arm.h"
#include "kernels/gemm/requantize_neon.h"

namespace octet {
namespace {

constexpr size_t kNr = arm_pack::kNeonNr;  // 8 columns
constexpr size_t kKg = arm_pack::kNeonKg;  // 8 k per group
#if defined(__aarch64__)
constexpr int kMr = 2;  // 16 accumulators of 32 registers
#else
constexpr int kMr = 1;  // 8 accumulators of 16 q registers
#endif

// One tile of MR rows x 8 columns. `rows[r]` point at A rows (the last one repeated when the
// tile is partial); results are written to out[r][0..8) as int32 (bias included).
template <int MR>
void tile(const int8_t* const* rows, size_t k, const int32_t* bias, const int8_t* w,
          int32x4_t out[MR][2]) {
  int32x4_t acc[MR][kNr];
  for (int r = 0; r < MR; ++r)
    for (size_t j = 0; j < kNr; ++j) acc[r][j] = vdupq_n_s32(0);
  const size_t k_full = k / kKg * kKg;
  auto group = [&](const int8x8_t* a, const int8_t* wg) {
    for (size_t j = 0; j < kNr; ++j) {
      const int8x8_t wj = vld1_s8(wg + j * kKg);
      for (int r = 0; r < MR; ++r) acc[r][j] = vpadalq_s16(acc[r][j], vmull_s8(a[r], wj));
    }
  };
  for (size_t k0 = 0; k0 < k_full; k0 += kKg, w += kNr * kKg) {
    int8x8_t a[MR];
    for (int r = 0; r < MR; ++r) a[r] = vld1_s8(rows[r] + k0);
    group(a, w);
  }
  if (k_full < k) {  // last partial group: A bytes past K read as 0 (never past the row)
    int8x8_t a[MR];
    for (int r = 0; r < MR; ++r) {
      int8_t tail[kKg] = {};
      std::memcpy(tail, rows[r] + k_full, k - k_full);
      a[r] = vld1_s8(tail);
    }
    group(a, w);
  }
  const int32x4_t bias_lo = vld1q_s32(bias), bias_hi = vld1q_s32(bias + 4);
  for (int r = 0; r < MR; ++r) {
    out[r][0] =
        vaddq_s32(bias_lo, neon::horizontal_sums(acc[r][0], acc[r][1], acc[r][2], acc[r][3]));
    out[r][1] =
        vaddq_s32(bias_hi, neon::horizontal_sums(acc[r][4], acc[r][5], acc[r][6], acc[r][7]));
  }
}

void gemm_qs8_neon_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  const size_t block_bytes = arm_pack::block_bytes(kNr, kKg, p.k);
  const auto* packed = static_cast<const uint8_t*>(p.packed);
  const neon::RequantBounds bounds = neon::requant_bounds(p.zero_point, p.qmin, p.qmax);
  for (size_t m0 = 0; m0 < p.m; m0 += kMr) {
    const int8_t* rows[kMr];
    for (int r = 0; r < kMr; ++r) rows[r] = p.a + std::min<size_t>(m0 + r, p.m - 1) * p.a_stride;
    const int rows_valid = static_cast<int>(std::min<size_t>(kMr, p.m - m0));
    for (size_t n0 = p.n_begin; n0 < p.n_end; n0 += kNr) {
      const uint8_t* block = packed + n0 / kNr * block_bytes;
      const auto* bias = reinterpret_cast<const int32_t*>(block);
      const auto* w = reinterpret_cast<const int8_t*>(block + kNr * sizeof(int32_t));
      const size_t cols = std::min(kNr, p.n_end - n0);
      float mult[kNr] = {};
      for (size_t j = 0; j < cols; ++j)
        mult[j] = p.per_channel ? p.multiplier[n0 + j] : p.multiplier[0];
      const float32x4_t mult_lo = vld1q_f32(mult), mult_hi = vld1q_f32(mult + 4);
      int32x4_t sums[kMr][2];
      tile<kMr>(rows, p.k, bias, w, sums);
      for (int r = 0; r < rows_valid; ++r) {
        const int8x8_t y = neon::narrow_to_s8(neon::requantize(sums[r][0], mult_lo, bounds),
                                              neon::requantize(sums[r][1], mult_hi, bounds));
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
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_neon = {Isa::kNeon, PackFamily::kArmNeon, kNr,
                                            gemm_qs8_neon_run};

}  // namespace octet
