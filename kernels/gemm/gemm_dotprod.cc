// qs8-qc8w GEMM with sdot (Armv8.2 dot product; compiled with -march=armv8.2-a+dotprod).
// Tile: up to 4 rows x 16 columns = 16 int32x4 accumulators started from the bias; each sdot
// adds 4 k of one row (broadcast) times 4 k of 4 columns. Weights in the ArmDotprod layout.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/pack_arm.h"
#include "kernels/gemm/requantize_neon.h"

namespace octet {
namespace {

constexpr size_t kNr = arm_pack::kDotprodNr;  // 16 columns = 4 registers
constexpr size_t kKg = arm_pack::kDotprodKg;  // 4 k per group
constexpr int kMr = 4;

inline int8x16_t broadcast_group(const int8_t* src) {
  int32_t group;
  std::memcpy(&group, src, sizeof(group));
  return vreinterpretq_s8_s32(vdupq_n_s32(group));
}

#if defined(__aarch64__)
// One k-group of 16 columns: 4 k of each row taken from lane LANE of its A register.
template <int MR, int LANE>
inline void dot_group_lane(int32x4_t acc[MR][4], const int8x16_t* a, const int8_t* w) {
  const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32),
                  w3 = vld1q_s8(w + 48);
  for (int r = 0; r < MR; ++r) {
    acc[r][0] = vdotq_laneq_s32(acc[r][0], w0, a[r], LANE);
    acc[r][1] = vdotq_laneq_s32(acc[r][1], w1, a[r], LANE);
    acc[r][2] = vdotq_laneq_s32(acc[r][2], w2, a[r], LANE);
    acc[r][3] = vdotq_laneq_s32(acc[r][3], w3, a[r], LANE);
  }
}
#endif

template <int MR>
void tile(const int8_t* const* rows, size_t k, const int32_t* bias, const int8_t* w,
          int32x4_t acc[MR][4]) {
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < 4; ++v) acc[r][v] = vld1q_s32(bias + 4 * v);
  size_t k0 = 0;
#if defined(__aarch64__)
  // 16 k per step: one 16-byte load per row, 4 groups selected by lane.
  for (; k0 + 16 <= k; k0 += 16) {
    int8x16_t a[MR];
    for (int r = 0; r < MR; ++r) a[r] = vld1q_s8(rows[r] + k0);
    dot_group_lane<MR, 0>(acc, a, w);
    dot_group_lane<MR, 1>(acc, a, w + 1 * kNr * kKg);
    dot_group_lane<MR, 2>(acc, a, w + 2 * kNr * kKg);
    dot_group_lane<MR, 3>(acc, a, w + 3 * kNr * kKg);
    w += 4 * kNr * kKg;
  }
#endif
  for (; k0 < k; k0 += kKg) {
    int8x16_t a[MR];
    for (int r = 0; r < MR; ++r) {
      if (k0 + kKg <= k) {
        a[r] = broadcast_group(rows[r] + k0);
      } else {  // last partial group: bytes past K read as 0 (never past the row)
        int8_t tail[kKg] = {};
        std::memcpy(tail, rows[r] + k0, k - k0);
        a[r] = broadcast_group(tail);
      }
    }
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32),
                    w3 = vld1q_s8(w + 48);
    w += kNr * kKg;
    for (int r = 0; r < MR; ++r) {
      acc[r][0] = vdotq_s32(acc[r][0], w0, a[r]);
      acc[r][1] = vdotq_s32(acc[r][1], w1, a[r]);
      acc[r][2] = vdotq_s32(acc[r][2], w2, a[r]);
      acc[r][3] = vdotq_s32(acc[r][3], w3, a[r]);
    }
  }
}

template <int MR>
void rows_tile(const GemmQs8Params& p, size_t m0, const neon::RequantBounds& bounds) {
  const size_t block_bytes = arm_pack::block_bytes(kNr, kKg, p.k);
  const auto* packed = static_cast<const uint8_t*>(p.packed);
  const int8_t* rows[MR];
  for (int r = 0; r < MR; ++r) rows[r] = p.a + (m0 + r) * p.a_stride;
  for (size_t n0 = p.n_begin; n0 < p.n_end; n0 += kNr) {
    const uint8_t* block = packed + n0 / kNr * block_bytes;
    const auto* bias = reinterpret_cast<const int32_t*>(block);
    const auto* w = reinterpret_cast<const int8_t*>(block + kNr * sizeof(int32_t));
    const size_t cols = std::min(kNr, p.n_end - n0);
    float mult[kNr] = {};
    for (size_t j = 0; j < cols; ++j)
      mult[j] = p.per_channel ? p.multiplier[n0 + j] : p.multiplier[0];
    int32x4_t acc[MR][4];
    tile<MR>(rows, p.k, bias, w, acc);
    for (int r = 0; r < MR; ++r) {
      int32x4_t q[4];
      for (int v = 0; v < 4; ++v)
        q[v] = neon::requantize(acc[r][v], vld1q_f32(mult + 4 * v), bounds);
      const int8x16_t y =
          vcombine_s8(neon::narrow_to_s8(q[0], q[1]), neon::narrow_to_s8(q[2], q[3]));
      int8_t* c = p.c + (m0 + r) * p.c_stride + n0;
      if (cols == kNr) {
        vst1q_s8(c, y);
      } else {
        int8_t tmp[kNr];
        vst1q_s8(tmp, y);
        std::memcpy(c, tmp, cols);
      }
    }
  }
}

void gemm_qs8_dotprod_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  const neon::RequantBounds bounds = neon::requant_bounds(p.zero_point, p.qmin, p.qmax);
  size_t m0 = 0;
  for (; m0 + kMr <= p.m; m0 += kMr) rows_tile<kMr>(p, m0, bounds);
  switch (p.m - m0) {
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

extern const GemmQs8Kernel gemm_qs8_dotprod = {Isa::kDotprod, PackFamily::kArmDotprod, kNr,
                                               gemm_qs8_dotprod_run};

}  // namespace octet
