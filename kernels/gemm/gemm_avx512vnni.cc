// qs8-qc8w GEMM with AVX512-VNNI (vpdpbusd on zmm). Compiled with -mavx512f -mavx512bw
// -mavx512vl -mavx512vnni (kernels/x86.cmake); run only when isa_available(kAvx512Vnni).
//
// On this class of CPU (Sapphire Rapids) vpdpbusd zmm issues twice per cycle, on the same
// two ports (0 and 5) as every other 512-bit instruction, so every uop that is not a dot
// product (requantization, bias set-up, row sums, the A flip of the u8-A scheme) costs
// dot-product slots. The kernel is built to issue as few of them as possible:
//  - register tile of MR rows x NB blocks of 16 columns: 6 x 4 (24 zmm accumulators) when
//    N has >= 4 blocks, else 12 x 2 / 12 x 1. A is read row-major, 4 bytes broadcast per
//    row and group (a load-port uop) straight into vpdpbusd as its signed operand; the
//    packed weights are the unsigned one (w + 128, pack_x86.h), so A needs no flip.
//  - the w + 128 correction, 128 * (row sum of A), is computed for a whole row block with
//    one vpdpbusd per 64 bytes of each row and one shared reduction tree (~3 uops a row),
//    and is subtracted after the K loop (one vpsubd with an embedded broadcast per
//    accumulator), so the accumulators start from the bias without waiting for it.
//  - the accumulate is inline asm (OCTET_DP): with the intrinsic, GCC 12 copied every
//    accumulator of a 24-register tile each iteration and spilled them to the stack.
//  - requantization: cvtdq2ps, mulps, cvtps2dq, then saturating packs of 4 accumulators
//    into one 64-byte row, zero point with a saturating int16 add, [qmin, qmax] as an int8
//    clamp, one permute: ~5 uops per 16 outputs. Exact: the bounds are integers, so
//    round(clamp(y)) == clamp(round(y)). The float upper clamp of requantize() is only
//    needed when cvtps2dq could overflow (y >= 2^31, impossible when every |multiplier| < 1
//    since |float(acc)| <= 2^31); it is kept, as a template variant, for other multipliers.
//  - one call per row block: the tile loop over the column blocks is inside it.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <utility>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/pack_x86.h"

namespace octet {
namespace {

using x86_pack::kVnniNr;

constexpr size_t kBiasBytes = kVnniNr * sizeof(int32_t);
constexpr size_t kGroupBytes = kVnniNr * 4;  // one k group of a 16-column block

struct Epilogue {
  __m512 hi;        // qmax - zero point (float upper clamp, variant only)
  __m512i zp16;     // zero point in int16 lanes
  __m512i qmin8, qmax8;
  __m512i row_order;  // permute: 4 packed blocks -> one row of 64 columns in order
};

struct RowBlock {
  const int8_t* a;
  size_t a_stride;
  int8_t* c;
  size_t c_stride;
  size_t k;
  const uint8_t* packed;  // block `block_begin`
  size_t block_bytes;
  size_t block_begin, block_end;  // packed blocks of this panel
  size_t n_end;                   // columns < n_end are stored
  const float* multiplier;
  bool per_channel;
};

// acc += w (u8) . v (s8), in place: with the intrinsic, GCC 12 copies each accumulator
// of a large tile to a new register (and to the stack) every iteration.
#define OCTET_DP(acc, w, v) asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(w), "v"(v))

// acc -= broadcast(x) as one micro-fused uop (embedded broadcast from memory): the
// compiler hoists _mm512_set1_epi32 into a vpextrd + vpbroadcastd pair per row instead.
#define OCTET_SUB_BROADCAST(acc, x) \
  asm("vpsubd %1%{1to16%}, %0, %0" : "+v"(acc) : "m"(x))

inline __m512i broadcast_a_group(const int8_t* a) {
  int32_t v;
  std::memcpy(&v, a, 4);
  return _mm512_set1_epi32(v);
}

// The last K % 4 bytes of a row, without reading past it (zeros beyond). A masked load: a
// variable-size memcpy through the stack stalls on store forwarding once per row and tile.
inline __m512i broadcast_a_tail(const int8_t* a, size_t bytes) {
  const __mmask16 mask = static_cast<__mmask16>((1u << bytes) - 1u);
  return _mm512_broadcastd_epi32(_mm_maskz_loadu_epi8(mask, a));
}

// 128 * sum_k a[r][k] (modulo 2^32, like the accumulators) for rows < `rows` (<= 8) into
// out[0..7]: per row one vpdpbusd with ones per 64 bytes, then one reduction tree for all
// eight rows (instead of a horizontal sum per row).
inline void row_corrections8(const int8_t* a, size_t a_stride, size_t rows, size_t k,
                             int32_t* out) {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i s[8];
  for (int r = 0; r < 8; ++r) s[r] = _mm512_setzero_si512();
  const size_t full = k / 64 * 64;
  const __mmask64 tail = k % 64 ? (~__mmask64{0} >> (64 - k % 64)) : 0;
  for (size_t r = 0; r < rows; ++r) {
    const int8_t* row = a + r * a_stride;
    __m512i sum = _mm512_setzero_si512();
    for (size_t i = 0; i < full; i += 64) OCTET_DP(sum, ones, _mm512_loadu_si512(row + i));
    if (tail) OCTET_DP(sum, ones, _mm512_maskz_loadu_epi8(tail, row + full));
    s[r] = sum;
  }
  // Pairs: lanes 0-7 = row 2i folded to 8 partials, lanes 8-15 = row 2i+1.
  const auto fold_pair = [](__m512i x, __m512i y) {
    return _mm512_add_epi32(_mm512_shuffle_i64x2(x, y, 0x44), _mm512_shuffle_i64x2(x, y, 0xEE));
  };
  const __m512i t01 = fold_pair(s[0], s[1]), t23 = fold_pair(s[2], s[3]);
  const __m512i t45 = fold_pair(s[4], s[5]), t67 = fold_pair(s[6], s[7]);
  // Quads: 128-bit lane L = 4 partials of row L (u0: rows 0-3, u1: rows 4-7).
  const auto fold_quad = [](__m512i x, __m512i y) {
    return _mm512_add_epi32(_mm512_shuffle_i32x4(x, y, 0x88), _mm512_shuffle_i32x4(x, y, 0xDD));
  };
  const __m512i u0 = fold_quad(t01, t23), u1 = fold_quad(t45, t67);
  // In-lane: dword 0 of lane L = row L, dword 1 = row 4 + L (and repeated in 2, 3).
  const __m512i x = _mm512_add_epi32(_mm512_unpacklo_epi32(u0, u1), _mm512_unpackhi_epi32(u0, u1));
  const __m512i y = _mm512_add_epi32(x, _mm512_shuffle_epi32(x, _MM_PERM_BADC));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i sums = _mm512_slli_epi32(_mm512_permutexvar_epi32(order, y), 7);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_castsi512_si256(sums));
}

// requantize() of four accumulators (16 columns each; null = unused) to int8: 128-bit
// lane i of the result holds the 16 bytes of acc[i] in column order.
template <bool kClampHi>
inline __m512i requantize4(const __m512i* const* acc, const __m512* const* multiplier,
                           const Epilogue& e) {
  const auto q = [&](int i) {
    if (acc[i] == nullptr) return _mm512_setzero_si512();
    __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(*acc[i]), *multiplier[i]);
    if constexpr (kClampHi) y = _mm512_min_ps(y, e.hi);
    return _mm512_cvtps_epi32(y);
  };
  const __m512i w01 = _mm512_adds_epi16(_mm512_packs_epi32(q(0), q(1)), e.zp16);
  const __m512i w23 = acc[2] == nullptr && acc[3] == nullptr
                          ? _mm512_setzero_si512()
                          : _mm512_adds_epi16(_mm512_packs_epi32(q(2), q(3)), e.zp16);
  __m512i bytes = _mm512_packs_epi16(w01, w23);
  bytes = _mm512_min_epi8(_mm512_max_epi8(bytes, e.qmin8), e.qmax8);
  // Lane L holds columns 4L..4L+3 of acc 0, 1, 2, 3: gather each accumulator into a lane.
  return _mm512_permutexvar_epi32(e.row_order, bytes);
}

// The K loop of an MR x (NB * 16) tile (MR <= 12, NB <= 4) on named accumulators: GCC 12
// keeps an array of __m512i accumulators in memory across the loop (a load and a store
// per vpdpbusd), so the accumulators are spelled out. Starts from the bias; acc[r][b] out,
// with correction[r] subtracted.
template <int MR, int NB>
inline __attribute__((always_inline)) void k_loop(const RowBlock& rb, const int32_t* correction,
                                                  const uint8_t* block, __m512i (*acc)[4]) {
  static_assert(MR >= 1 && MR <= 12 && NB >= 1 && NB <= 4, "tile shape");
  const size_t bb = rb.block_bytes;
  const __m512i zero = _mm512_setzero_si512();
  const __m512i bias0 = _mm512_loadu_si512(block);
  const __m512i bias1 = NB > 1 ? _mm512_loadu_si512(block + bb) : zero;
  const __m512i bias2 = NB > 2 ? _mm512_loadu_si512(block + 2 * bb) : zero;
  const __m512i bias3 = NB > 3 ? _mm512_loadu_si512(block + 3 * bb) : zero;
#define OCTET_INIT(r)                                                         \
  __m512i c##r##0 = zero, c##r##1 = zero, c##r##2 = zero, c##r##3 = zero;     \
  if constexpr (MR > r) {                                                     \
    c##r##0 = bias0;                                                          \
    if constexpr (NB > 1) c##r##1 = bias1;                                    \
    if constexpr (NB > 2) c##r##2 = bias2;                                    \
    if constexpr (NB > 3) c##r##3 = bias3;                                    \
  }
  OCTET_INIT(0) OCTET_INIT(1) OCTET_INIT(2) OCTET_INIT(3) OCTET_INIT(4) OCTET_INIT(5)
  OCTET_INIT(6) OCTET_INIT(7) OCTET_INIT(8) OCTET_INIT(9) OCTET_INIT(10) OCTET_INIT(11)
#undef OCTET_INIT
  const uint8_t* w = block + kBiasBytes;
  const int8_t* a = rb.a;
  const size_t a_stride = rb.a_stride;
#define OCTET_ROW(r, bcast, g)                                                     \
  if constexpr (MR > r) {                                                          \
    const __m512i v = bcast(a + r * a_stride + 4 * g);                             \
    OCTET_DP(c##r##0, x0, v);                                \
    if constexpr (NB > 1) OCTET_DP(c##r##1, x1, v);          \
    if constexpr (NB > 2) OCTET_DP(c##r##2, x2, v);          \
    if constexpr (NB > 3) OCTET_DP(c##r##3, x3, v);          \
  }
#define OCTET_GROUP(bcast, g)                                                      \
  {                                                                                \
    const uint8_t* wg = w + g * kGroupBytes;                                       \
    const __m512i x0 = _mm512_loadu_si512(wg);                                     \
    const __m512i x1 = NB > 1 ? _mm512_loadu_si512(wg + bb) : zero;                \
    const __m512i x2 = NB > 2 ? _mm512_loadu_si512(wg + 2 * bb) : zero;            \
    const __m512i x3 = NB > 3 ? _mm512_loadu_si512(wg + 3 * bb) : zero;            \
    OCTET_ROW(0, bcast, g) OCTET_ROW(1, bcast, g) OCTET_ROW(2, bcast, g)           \
    OCTET_ROW(3, bcast, g) OCTET_ROW(4, bcast, g) OCTET_ROW(5, bcast, g)           \
    OCTET_ROW(6, bcast, g) OCTET_ROW(7, bcast, g) OCTET_ROW(8, bcast, g)           \
    OCTET_ROW(9, bcast, g) OCTET_ROW(10, bcast, g) OCTET_ROW(11, bcast, g)         \
  }
  // Two groups per iteration: half the loop counter and branch uops (scalar uops can
  // issue on ports 0 and 5 too).
  const int8_t* const a_pairs_end = a + rb.k / 8 * 8;
  for (; a != a_pairs_end; w += 2 * kGroupBytes, a += 8) {
    OCTET_GROUP(broadcast_a_group, 0)
    OCTET_GROUP(broadcast_a_group, 1)
  }
  if (rb.k & 4) {
    OCTET_GROUP(broadcast_a_group, 0)
    w += kGroupBytes;
    a += 4;
  }
  if (const size_t tail = rb.k % 4) {
    const auto bcast_tail = [tail](const int8_t* p) { return broadcast_a_tail(p, tail); };
    OCTET_GROUP(bcast_tail, 0)
  }
#undef OCTET_GROUP
#undef OCTET_ROW
  // The w + 128 correction comes off at the end (not into the initial value), so the K
  // loop does not wait for the row sums.
#define OCTET_OUT(r)                                                              \
  if constexpr (MR > r) {                                                         \
    OCTET_SUB_BROADCAST(c##r##0, correction[r]);                                  \
    acc[r][0] = c##r##0;                                                          \
    if constexpr (NB > 1) { OCTET_SUB_BROADCAST(c##r##1, correction[r]); acc[r][1] = c##r##1; } \
    if constexpr (NB > 2) { OCTET_SUB_BROADCAST(c##r##2, correction[r]); acc[r][2] = c##r##2; } \
    if constexpr (NB > 3) { OCTET_SUB_BROADCAST(c##r##3, correction[r]); acc[r][3] = c##r##3; } \
  }
  OCTET_OUT(0) OCTET_OUT(1) OCTET_OUT(2) OCTET_OUT(3) OCTET_OUT(4) OCTET_OUT(5)
  OCTET_OUT(6) OCTET_OUT(7) OCTET_OUT(8) OCTET_OUT(9) OCTET_OUT(10) OCTET_OUT(11)
#undef OCTET_OUT
}

// One MR x (NB * 16) tile at packed block `block`: the K loop, requantization, stores.
template <int MR, int NB, bool kClampHi>
inline __attribute__((always_inline)) void tile(const RowBlock& rb, const int32_t* correction,
                                                const uint8_t* block, size_t col0,
                                                const Epilogue& e) {
  __m512i acc[MR][4];
  k_loop<MR, NB>(rb, correction, block, acc);
  // Columns [col0, col0 + cols) of this tile are stored.
  const size_t cols = std::min(rb.n_end - col0, NB * kVnniNr);
  const __mmask64 store_mask = cols >= 64 ? ~__mmask64{0} : (__mmask64{1} << cols) - 1;
  __m512 multiplier[NB];
#pragma GCC unroll 4
  for (int b = 0; b < NB; ++b) {
    if (!rb.per_channel) {
      multiplier[b] = _mm512_set1_ps(rb.multiplier[0]);
    } else {
      const size_t valid = cols > b * kVnniNr ? std::min(cols - b * kVnniNr, kVnniNr) : 0;
      multiplier[b] = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << valid) - 1u),
                                            rb.multiplier + col0 + b * kVnniNr);
    }
  }
  int8_t* c = rb.c + col0;
  // Four accumulators per requantize4: one row of 3-4 blocks, two rows of 2 blocks or four
  // rows of 1 block, so narrow tiles pack as densely as wide ones.
  if constexpr (NB >= 3) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512i* in[4] = {&acc[r][0], &acc[r][1], &acc[r][2], NB > 3 ? &acc[r][3] : nullptr};
      const __m512* m[4] = {&multiplier[0], &multiplier[1], &multiplier[2],
                            &multiplier[NB > 3 ? 3 : 0]};
      const __m512i bytes = requantize4<kClampHi>(in, m, e);
      if (store_mask == ~__mmask64{0}) {
        _mm512_storeu_si512(c + r * rb.c_stride, bytes);
      } else {
        _mm512_mask_storeu_epi8(c + r * rb.c_stride, store_mask, bytes);
      }
    }
  } else if constexpr (NB == 2) {
    const __mmask32 mask = static_cast<__mmask32>(store_mask);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r += 2) {
      const bool two = r + 1 < MR;
      const __m512i* in[4] = {&acc[r][0], &acc[r][1], two ? &acc[r + 1][0] : nullptr,
                              two ? &acc[r + 1][1] : nullptr};
      const __m512* m[4] = {&multiplier[0], &multiplier[1], &multiplier[0], &multiplier[1]};
      const __m512i bytes = requantize4<kClampHi>(in, m, e);
      _mm256_mask_storeu_epi8(c + r * rb.c_stride, mask, _mm512_castsi512_si256(bytes));
      if (two) {
        _mm256_mask_storeu_epi8(c + (r + 1) * rb.c_stride, mask,
                                _mm512_extracti64x4_epi64(bytes, 1));
      }
    }
  } else {
    const __mmask16 mask = static_cast<__mmask16>(store_mask);
#pragma GCC unroll 4
    for (int r = 0; r < MR; r += 4) {
      const __m512i* in[4] = {&acc[r][0], r + 1 < MR ? &acc[r + 1][0] : nullptr,
                              r + 2 < MR ? &acc[r + 2][0] : nullptr,
                              r + 3 < MR ? &acc[r + 3][0] : nullptr};
      const __m512* m[4] = {&multiplier[0], &multiplier[0], &multiplier[0], &multiplier[0]};
      const __m512i bytes = requantize4<kClampHi>(in, m, e);
      _mm_mask_storeu_epi8(c + r * rb.c_stride, mask, _mm512_castsi512_si128(bytes));
      if (r + 1 < MR) {
        _mm_mask_storeu_epi8(c + (r + 1) * rb.c_stride, mask, _mm512_extracti32x4_epi32(bytes, 1));
      }
      if (r + 2 < MR) {
        _mm_mask_storeu_epi8(c + (r + 2) * rb.c_stride, mask, _mm512_extracti32x4_epi32(bytes, 2));
      }
      if (r + 3 < MR) {
        _mm_mask_storeu_epi8(c + (r + 3) * rb.c_stride, mask, _mm512_extracti32x4_epi32(bytes, 3));
      }
    }
  }
}

// MR rows x every column block of the panel: tiles of kNbMax blocks, then the rest.
template <int MR, int kNbMax, bool kClampHi>
void row_block(const RowBlock& rb, const Epilogue& e) {
  alignas(64) int32_t correction[16];
  for (int r0 = 0; r0 < MR; r0 += 8) {
    row_corrections8(rb.a + r0 * rb.a_stride, rb.a_stride, std::min(MR - r0, 8), rb.k,
                     correction + r0);
  }
  size_t b = rb.block_begin;
  const uint8_t* block = rb.packed;
  for (; b + kNbMax <= rb.block_end; b += kNbMax, block += kNbMax * rb.block_bytes) {
    tile<MR, kNbMax, kClampHi>(rb, correction, block, b * kVnniNr, e);
  }
  const size_t rest = rb.block_end - b;
  if constexpr (kNbMax > 3) {
    if (rest == 3) tile<MR, 3, kClampHi>(rb, correction, block, b * kVnniNr, e);
  }
  if constexpr (kNbMax > 2) {
    if (rest == 2) tile<MR, 2, kClampHi>(rb, correction, block, b * kVnniNr, e);
  }
  if constexpr (kNbMax > 1) {
    if (rest == 1) tile<MR, 1, kClampHi>(rb, correction, block, b * kVnniNr, e);
  }
}

using RowBlockFn = void (*)(const RowBlock&, const Epilogue&);

template <int kNbMax, bool kClampHi, size_t... I>
constexpr std::array<RowBlockFn, sizeof...(I)> row_block_table(std::index_sequence<I...>) {
  return {row_block<static_cast<int>(I) + 1, kNbMax, kClampHi>...};
}

// Tile shapes: 6 x 4 blocks when N has >= 4 blocks (24 accumulators: 4 weight loads and 6
// broadcasts per 24 vpdpbusd); narrow N (<= 2 blocks, e.g. 16/24/32-channel pointwise
// convs): 12 rows x 2 blocks. 3 blocks: the 6-row tiles' 3-block tail.
constexpr int kMrWide = 6, kNbWide = 4;
constexpr int kMrNarrow = 12, kNbNarrow = 2;
// [clamp_hi][mr - 1]
const std::array<RowBlockFn, kMrWide> kWide[2] = {
    row_block_table<kNbWide, false>(std::make_index_sequence<kMrWide>()),
    row_block_table<kNbWide, true>(std::make_index_sequence<kMrWide>())};
const std::array<RowBlockFn, kMrNarrow> kNarrow[2] = {
    row_block_table<kNbNarrow, false>(std::make_index_sequence<kMrNarrow>()),
    row_block_table<kNbNarrow, true>(std::make_index_sequence<kMrNarrow>())};

constexpr size_t kPanelBytes = 768 * 1024;  // packed weights per column panel (L2: 2 MiB)

// Single-row shapes (GEMV): 4 blocks x 2 accumulator sets over alternate k groups = 8
// independent chains (one row cannot hide vpdpbusd's latency with 4). Memory bound.
template <bool kClampHi>
void gemv_blocks(const RowBlock& rb, const Epilogue& e, const int32_t* correction) {
  size_t b = rb.block_begin;
  const uint8_t* block = rb.packed;
  const size_t groups = rb.k / 4, bb = rb.block_bytes;
  for (; b + 4 <= rb.block_end; b += 4, block += 4 * bb) {
    const __m512i corr = _mm512_set1_epi32(correction[0]);
    __m512i c0 = _mm512_sub_epi32(_mm512_loadu_si512(block), corr);
    __m512i c1 = _mm512_sub_epi32(_mm512_loadu_si512(block + bb), corr);
    __m512i c2 = _mm512_sub_epi32(_mm512_loadu_si512(block + 2 * bb), corr);
    __m512i c3 = _mm512_sub_epi32(_mm512_loadu_si512(block + 3 * bb), corr);
    __m512i d0 = _mm512_setzero_si512(), d1 = d0, d2 = d0, d3 = d0;
    const uint8_t* w = block + kBiasBytes;
    size_t g = 0;
    for (; g + 2 <= groups; g += 2, w += 2 * kGroupBytes) {
      const __m512i v = broadcast_a_group(rb.a + g * 4);
      const __m512i u = broadcast_a_group(rb.a + g * 4 + 4);
      c0 = _mm512_dpbusd_epi32(c0, _mm512_loadu_si512(w), v);
      c1 = _mm512_dpbusd_epi32(c1, _mm512_loadu_si512(w + bb), v);
      c2 = _mm512_dpbusd_epi32(c2, _mm512_loadu_si512(w + 2 * bb), v);
      c3 = _mm512_dpbusd_epi32(c3, _mm512_loadu_si512(w + 3 * bb), v);
      d0 = _mm512_dpbusd_epi32(d0, _mm512_loadu_si512(w + kGroupBytes), u);
      d1 = _mm512_dpbusd_epi32(d1, _mm512_loadu_si512(w + bb + kGroupBytes), u);
      d2 = _mm512_dpbusd_epi32(d2, _mm512_loadu_si512(w + 2 * bb + kGroupBytes), u);
      d3 = _mm512_dpbusd_epi32(d3, _mm512_loadu_si512(w + 3 * bb + kGroupBytes), u);
    }
    for (; g < (rb.k + 3) / 4; ++g, w += kGroupBytes) {
      const __m512i v = g < groups ? broadcast_a_group(rb.a + g * 4)
                                   : broadcast_a_tail(rb.a + g * 4, rb.k % 4);
      c0 = _mm512_dpbusd_epi32(c0, _mm512_loadu_si512(w), v);
      c1 = _mm512_dpbusd_epi32(c1, _mm512_loadu_si512(w + bb), v);
      c2 = _mm512_dpbusd_epi32(c2, _mm512_loadu_si512(w + 2 * bb), v);
      c3 = _mm512_dpbusd_epi32(c3, _mm512_loadu_si512(w + 3 * bb), v);
    }
    const __m512i acc[4] = {_mm512_add_epi32(c0, d0), _mm512_add_epi32(c1, d1),
                            _mm512_add_epi32(c2, d2), _mm512_add_epi32(c3, d3)};
    const size_t col0 = b * kVnniNr;
    const size_t cols = std::min(rb.n_end - col0, 4 * kVnniNr);
    __m512 multiplier[4];
    for (int i = 0; i < 4; ++i) {
      const size_t valid = cols > i * kVnniNr ? std::min(cols - i * kVnniNr, kVnniNr) : 0;
      multiplier[i] = rb.per_channel
                          ? _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << valid) - 1u),
                                                  rb.multiplier + col0 + i * kVnniNr)
                          : _mm512_set1_ps(rb.multiplier[0]);
    }
    const __mmask64 mask = cols >= 64 ? ~__mmask64{0} : (__mmask64{1} << cols) - 1;
    const __m512i* in[4] = {&acc[0], &acc[1], &acc[2], &acc[3]};
    const __m512* m[4] = {&multiplier[0], &multiplier[1], &multiplier[2], &multiplier[3]};
    _mm512_mask_storeu_epi8(rb.c + col0, mask, requantize4<kClampHi>(in, m, e));
  }
  // The last 1-3 blocks.
  RowBlock rest = rb;
  rest.block_begin = b;
  rest.packed = block;
  const size_t n = rb.block_end - b;
  if (n == 3) tile<1, 3, kClampHi>(rest, correction, block, b * kVnniNr, e);
  if (n == 2) tile<1, 2, kClampHi>(rest, correction, block, b * kVnniNr, e);
  if (n == 1) tile<1, 1, kClampHi>(rest, correction, block, b * kVnniNr, e);
}

void gemm_qs8_avx512vnni_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  // The float upper clamp is needed only if some multiplier could take |y| to 2^31.
  bool clamp_hi = false;
  const size_t mult_count = p.per_channel ? p.n_end : 1;
  for (size_t j = p.per_channel ? p.n_begin : 0; j < mult_count; ++j) {
    if (!(std::fabs(p.multiplier[j]) < 1.0f)) clamp_hi = true;
  }
  Epilogue e;
  e.hi = _mm512_set1_ps(static_cast<float>(p.qmax - p.zero_point));
  e.zp16 = _mm512_set1_epi16(static_cast<int16_t>(p.zero_point));
  e.qmin8 = _mm512_set1_epi8(static_cast<char>(p.qmin));
  e.qmax8 = _mm512_set1_epi8(static_cast<char>(p.qmax));
  e.row_order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);

  RowBlock rb;
  rb.a_stride = p.a_stride;
  rb.c_stride = p.c_stride;
  rb.k = p.k;
  rb.block_bytes = x86_pack::vnni_block_bytes(p.k);
  rb.n_end = p.n_end;
  rb.multiplier = p.multiplier;
  rb.per_channel = p.per_channel;
  const uint8_t* packed = static_cast<const uint8_t*>(p.packed);
  const size_t block_begin = p.n_begin / kVnniNr;
  const size_t block_end = (p.n_end + kVnniNr - 1) / kVnniNr;

  if (p.m == 1) {
    alignas(32) int32_t correction[8];
    row_corrections8(p.a, p.a_stride, 1, p.k, correction);
    rb.a = p.a;
    rb.c = p.c;
    rb.block_begin = block_begin;
    rb.block_end = block_end;
    rb.packed = packed + block_begin * rb.block_bytes;
    if (clamp_hi) {
      gemv_blocks<true>(rb, e, correction);
    } else {
      gemv_blocks<false>(rb, e, correction);
    }
    return;
  }

  const bool wide = block_end - block_begin > static_cast<size_t>(kNbNarrow);
  const int mr_max = wide ? kMrWide : kMrNarrow;
  const RowBlockFn* fns = wide ? kWide[clamp_hi].data() : kNarrow[clamp_hi].data();
  // Column panels whose weights stay in L2 while every row block passes over them (else
  // shapes with weights > L2, e.g. 128x3072x768, re-read all weights per row block).
  const size_t panel_blocks =
      std::max<size_t>(kNbWide, kPanelBytes / rb.block_bytes / kNbWide * kNbWide);
  for (size_t panel = block_begin; panel < block_end; panel += panel_blocks) {
    rb.block_begin = panel;
    rb.block_end = std::min(block_end, panel + panel_blocks);
    rb.packed = packed + panel * rb.block_bytes;
    for (size_t m0 = 0; m0 < p.m; m0 += mr_max) {
      const size_t mr = std::min<size_t>(p.m - m0, mr_max);
      rb.a = p.a + m0 * p.a_stride;
      rb.c = p.c + m0 * p.c_stride;
      fns[mr - 1](rb, e);
    }
  }
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_avx512vnni = {Isa::kAvx512Vnni, PackFamily::kX86Vnni,
                                                  kVnniNr, gemm_qs8_avx512vnni_run};

}  // namespace octet
