// qs8-qc8w GEMM with AVX-VNNI (VEX vpdpbusd on ymm; Alder Lake / Sapphire Rapids and later,
// also CPUs with AVX-VNNI but no AVX-512). Compiled with -mavx2 -mfma -mavxvnni.
//
// Reads the X86Vnni packing (pack_x86.h) as two 8-column halves per 16-column block.
// Register tile: MR rows x 2 halves (6 x 2 = 12 ymm accumulators of the 16 registers);
// single-row shapes use 4 blocks x 2 halves. A is broadcast 4 bytes at a time as the signed
// operand of vpdpbusd, the packed weights (w + 128) are the unsigned one, and 128 * (row
// sum of A) comes off the bias (see pack_x86.h). Requantization follows
// requantize() exactly (mulps, maxps/minps clamp, cvtps2dq round-to-nearest-even).
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_ymm.h"
#include "kernels/gemm/pack_x86.h"

namespace octet {
namespace {

using x86_pack::kVnniNr;
constexpr size_t kHalf = 8;

using ymm::broadcast_a;
using ymm::Epilogue;
using ymm::requantize8;

// 128 * sum_k a[k] (modulo 2^32, like the accumulators), the correction for w + 128.
inline int32_t row_correction(const int8_t* a, size_t k) {
  const __m256i ones = _mm256_set1_epi8(1);
  __m256i sum = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 32 <= k; i += 32) {
    sum = _mm256_dpbusd_avx_epi32(sum, ones,
                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)));
  }
  if (i < k) {
    alignas(32) int8_t tail[32] = {};
    std::memcpy(tail, a + i, k - i);
    sum = _mm256_dpbusd_avx_epi32(sum, ones,
                                  _mm256_load_si256(reinterpret_cast<const __m256i*>(tail)));
  }
  const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
  const __m128i s2 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
  const __m128i s1 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, 0xB1));
  return static_cast<int32_t>(128u * static_cast<uint32_t>(_mm_cvtsi128_si32(s1)));
}

// 16 int32 (two halves, already in [qmin, qmax]) -> 16 int8 in column order.
inline __m128i narrow16(__m256i lo, __m256i hi) {
  const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
}

#define OCTET_DP(acc, w, a) acc = _mm256_dpbusd_avx_epi32(acc, w, a)

// The K loop of an MR x 16 tile (MR <= 6) on named accumulators: GCC 12 copies an array
// of accumulators every iteration. acc[r * 2 + half] in and out.
template <int MR>
__attribute__((noinline)) void k_loop(const int8_t* a, size_t a_stride, const int8_t* w, size_t k,
                                      __m256i* acc) {
  __m256i c00 = acc[0], c01 = acc[1];
  __m256i c10 = MR > 1 ? acc[2] : c00, c11 = MR > 1 ? acc[3] : c00;
  __m256i c20 = MR > 2 ? acc[4] : c00, c21 = MR > 2 ? acc[5] : c00;
  __m256i c30 = MR > 3 ? acc[6] : c00, c31 = MR > 3 ? acc[7] : c00;
  __m256i c40 = MR > 4 ? acc[8] : c00, c41 = MR > 4 ? acc[9] : c00;
  __m256i c50 = MR > 5 ? acc[10] : c00, c51 = MR > 5 ? acc[11] : c00;
  const size_t groups = (k + 3) / 4, full_groups = k / 4;
  constexpr size_t kGroupBytes = kVnniNr * 4;
#define OCTET_ROW(r, bytes)                                  \
  if constexpr (MR > r) {                                    \
    const __m256i v = broadcast_a(ag + r * a_stride, bytes); \
    OCTET_DP(c##r##0, x0, v);                                \
    OCTET_DP(c##r##1, x1, v);                                \
  }
#define OCTET_GROUP(g, bytes)                                                                     \
  {                                                                                               \
    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kGroupBytes)); \
    const __m256i x1 =                                                                            \
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + g * kGroupBytes + 32));           \
    const int8_t* ag = a + g * 4;                                                                 \
    OCTET_ROW(0, bytes)                                                                           \
    OCTET_ROW(1, bytes)                                                                           \
    OCTET_ROW(2, bytes) OCTET_ROW(3, bytes) OCTET_ROW(4, bytes) OCTET_ROW(5, bytes)               \
  }
  // Full groups with a constant 4-byte broadcast, then the K % 4 tail.
  for (size_t g = 0; g < full_groups; ++g) OCTET_GROUP(g, 4)
  if (groups > full_groups) OCTET_GROUP(full_groups, k % 4)
#undef OCTET_GROUP
#undef OCTET_ROW
  acc[0] = c00;
  acc[1] = c01;
  if constexpr (MR > 1) {
    acc[2] = c10;
    acc[3] = c11;
  }
  if constexpr (MR > 2) {
    acc[4] = c20;
    acc[5] = c21;
  }
  if constexpr (MR > 3) {
    acc[6] = c30;
    acc[7] = c31;
  }
  if constexpr (MR > 4) {
    acc[8] = c40;
    acc[9] = c41;
  }
  if constexpr (MR > 5) {
    acc[10] = c50;
    acc[11] = c51;
  }
}

// Single row x 4 blocks (64 columns, 8 halves): 8 independent chains for GEMV.
__attribute__((noinline)) void k_loop_gemv(const int8_t* a, const int8_t* w, size_t block_bytes,
                                           size_t k, __m256i* acc) {
  __m256i e0 = acc[0], e1 = acc[1], e2 = acc[2], e3 = acc[3];
  __m256i e4 = acc[4], e5 = acc[5], e6 = acc[6], e7 = acc[7];
  const size_t groups = (k + 3) / 4, full_groups = k / 4;
  constexpr size_t kGroupBytes = kVnniNr * 4;
  const auto load = [&](int block, int half, size_t g) {
    return _mm256_loadu_si256(
        reinterpret_cast<const __m256i*>(w + block * block_bytes + g * kGroupBytes + half * 32));
  };
  for (size_t g = 0; g < groups; ++g) {
    const __m256i v = g < full_groups ? broadcast_a(a + g * 4, 4) : broadcast_a(a + g * 4, k % 4);
    OCTET_DP(e0, load(0, 0, g), v);
    OCTET_DP(e1, load(0, 1, g), v);
    OCTET_DP(e2, load(1, 0, g), v);
    OCTET_DP(e3, load(1, 1, g), v);
    OCTET_DP(e4, load(2, 0, g), v);
    OCTET_DP(e5, load(2, 1, g), v);
    OCTET_DP(e6, load(3, 0, g), v);
    OCTET_DP(e7, load(3, 1, g), v);
  }
  acc[0] = e0;
  acc[1] = e1;
  acc[2] = e2;
  acc[3] = e3;
  acc[4] = e4;
  acc[5] = e5;
  acc[6] = e6;
  acc[7] = e7;
}
#undef OCTET_DP

// One MR x (NB * 16) tile (NB = 1, or 4 for single rows): bias, K loop, requantization.
template <int MR, int NB>
void tile(const GemmQs8Params& p, const int8_t* a, int8_t* c, const uint8_t* block,
          size_t block_bytes, size_t col0, size_t cols, const Epilogue& e,
          const int32_t* correction) {
  static_assert(NB == 1 || (MR == 1 && NB == 4), "tile shapes with a K loop");
  alignas(32) __m256i acc_rows[MR * NB * 2];
  for (int b = 0; b < NB; ++b) {
    const uint8_t* blk = block + b * block_bytes;
    const __m256i bias_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk));
    const __m256i bias_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 32));
    for (int r = 0; r < MR; ++r) {
      const __m256i corr = _mm256_set1_epi32(correction[r]);
      acc_rows[(r * NB + b) * 2] = _mm256_sub_epi32(bias_lo, corr);
      acc_rows[(r * NB + b) * 2 + 1] = _mm256_sub_epi32(bias_hi, corr);
    }
  }
  const int8_t* w = reinterpret_cast<const int8_t*>(block + kVnniNr * sizeof(int32_t));
  if constexpr (NB == 4) {
    k_loop_gemv(a, w, block_bytes, p.k, acc_rows);
  } else {
    k_loop<MR>(a, p.a_stride, w, p.k, acc_rows);
  }
  // acc[0][r][h]: row r, half h of the tile (h = 2 * block + 0/1).
  const auto acc_at = [&](int r, int h) { return acc_rows[r * NB * 2 + h]; };
  for (int b = 0; b < NB; ++b) {
    const size_t col = col0 + b * kVnniNr;
    if (b * kVnniNr >= cols) break;
    const size_t valid = cols - b * kVnniNr < kVnniNr ? cols - b * kVnniNr : kVnniNr;
    __m256 mult_lo, mult_hi;
    if (!p.per_channel) {
      mult_lo = mult_hi = _mm256_set1_ps(p.multiplier[0]);
    } else if (valid == kVnniNr) {
      mult_lo = _mm256_loadu_ps(p.multiplier + col);
      mult_hi = _mm256_loadu_ps(p.multiplier + col + kHalf);
    } else {
      float m[kVnniNr] = {};
      std::memcpy(m, p.multiplier + col, valid * sizeof(float));
      mult_lo = _mm256_loadu_ps(m);
      mult_hi = _mm256_loadu_ps(m + kHalf);
    }
    for (int r = 0; r < MR; ++r) {
      const __m128i out = narrow16(requantize8(acc_at(r, 2 * b), mult_lo, e),
                                   requantize8(acc_at(r, 2 * b + 1), mult_hi, e));
      int8_t* dst = c + r * p.c_stride + col;
      if (valid == kVnniNr) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), out);
      } else {
        alignas(16) int8_t tmp[kVnniNr];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), out);
        std::memcpy(dst, tmp, valid);
      }
    }
  }
}

using TileFn = void (*)(const GemmQs8Params&, const int8_t*, int8_t*, const uint8_t*, size_t,
                        size_t, size_t, const Epilogue&, const int32_t*);

constexpr int kMr = 6;
constexpr TileFn kTiles[kMr] = {tile<1, 1>, tile<2, 1>, tile<3, 1>,
                                tile<4, 1>, tile<5, 1>, tile<6, 1>};
constexpr int kGemvNb = 4;
constexpr size_t kPanelBytes = 768 * 1024;  // packed weights per column panel (L2)

void gemm_qs8_avxvnni_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  const Epilogue e = ymm::make_epilogue(p.zero_point, p.qmin, p.qmax);
  const size_t block_bytes = x86_pack::vnni_block_bytes(p.k);
  const uint8_t* packed = static_cast<const uint8_t*>(p.packed);
  const size_t block_begin = p.n_begin / kVnniNr;
  const size_t block_end = (p.n_end + kVnniNr - 1) / kVnniNr;
  const size_t nb_max = p.m == 1 ? kGemvNb : 1;
  // Column panels whose weights stay in L2 while every row block passes over them.
  const size_t panel_blocks = std::max<size_t>(kGemvNb, kPanelBytes / block_bytes);
  for (size_t panel = block_begin; panel < block_end; panel += panel_blocks) {
    const size_t panel_end = std::min(block_end, panel + panel_blocks);
    for (size_t m0 = 0; m0 < p.m; m0 += kMr) {
      const size_t mr = p.m - m0 < kMr ? p.m - m0 : kMr;
      const int8_t* a = p.a + m0 * p.a_stride;
      int8_t* c = p.c + m0 * p.c_stride;
      int32_t correction[kMr];
      for (size_t r = 0; r < mr; ++r) correction[r] = row_correction(a + r * p.a_stride, p.k);
      for (size_t b = panel, nb = 0; b < panel_end; b += nb) {
        // Single rows: 4 blocks at a time while there are 4, then single blocks.
        nb = panel_end - b >= nb_max ? nb_max : 1;
        const size_t col0 = b * kVnniNr;
        const size_t cols = (col0 + nb * kVnniNr < p.n_end ? col0 + nb * kVnniNr : p.n_end) - col0;
        const TileFn fn = nb == 4 ? tile<1, 4> : kTiles[mr - 1];
        fn(p, a, c, packed + b * block_bytes, block_bytes, col0, cols, e, correction);
      }
    }
  }
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_avxvnni = {Isa::kAvxVnni, PackFamily::kX86Vnni, kVnniNr,
                                               gemm_qs8_avxvnni_run};

}  // namespace octet
