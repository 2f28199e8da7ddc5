// qs8-qc8w GEMM with AVX512-VNNI (vpdpbusd on zmm). Compiled with -mavx512f -mavx512bw
// -mavx512vl -mavx512vnni (kernels/x86.cmake); run only when isa_available(kAvx512Vnni).
//
// Register tile: MR rows of A x NB packed blocks of 16 columns (8 x 2 = 16 zmm
// accumulators by default, kept independent so vpdpbusd's latency is hidden). A is read
// row-major, 4 bytes broadcast per row and group straight into vpdpbusd as its signed
// operand; the packed weights are the unsigned one (w + 128), and 128 * (row sum of A),
// computed once per row block, comes off the bias (see pack_x86.h). Requantization is the
// exact sequence of requantize(): cvtdq2ps, mulps, clamp with maxps/minps, cvtps2dq
// (round to nearest even under the default MXCSR), add the zero point.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/pack_x86.h"

namespace octet {
namespace {

using x86_pack::kVnniNr;

struct Epilogue {
  __m512 lo, hi;
  __m512i zero_point;
  __m512i zp16;   // zero point in int16 lanes
  __m512i qmin8;  // qmin in int8 lanes
};

inline __m512i broadcast_a_group(const int8_t* a) {
  int32_t v;
  std::memcpy(&v, a, 4);
  return _mm512_set1_epi32(v);
}

// The last K % 4 bytes of a row, without reading past it (zeros beyond).
inline __m512i broadcast_a_tail(const int8_t* a, size_t bytes) {
  int32_t v = 0;
  std::memcpy(&v, a, bytes);
  return _mm512_set1_epi32(v);
}

// 128 * sum_k a[k] (modulo 2^32, like the accumulators), the correction for w + 128.
inline int32_t row_correction(const int8_t* a, size_t k) {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i sum = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 64 <= k; i += 64) sum = _mm512_dpbusd_epi32(sum, ones, _mm512_loadu_si512(a + i));
  if (i < k) {
    const __mmask64 mask = (__mmask64{1} << (k - i)) - 1;
    sum = _mm512_dpbusd_epi32(sum, ones, _mm512_maskz_loadu_epi8(mask, a + i));
  }
  return static_cast<int32_t>(128u * static_cast<uint32_t>(_mm512_reduce_add_epi32(sum)));
}

inline __m128i requantize16(__m512i acc, __m512 multiplier, const Epilogue& e) {
  __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), multiplier);
  y = _mm512_min_ps(_mm512_max_ps(y, e.lo), e.hi);
  const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(y), e.zero_point);
  return _mm512_cvtsepi32_epi8(q);
}

#define OCTET_DP(acc, w, a) acc = _mm512_dpbusd_epi32(acc, w, a)

// The K loop of an MR x (NB * 16) tile, MR <= 8, NB <= 2, on named accumulators: GCC 12
// keeps an array of __m512i accumulators in a loop by copying every one of them each
// iteration (vmovdqa), which halved the throughput. acc[r * NB + b] in and out.
template <int MR, int NB>
inline __attribute__((always_inline)) void k_loop(const int8_t* a, size_t a_stride, const int8_t* w0,
                                      const int8_t* w1, size_t k, __m512i* acc) {
  __m512i c00 = acc[0], c01 = NB > 1 ? acc[1] : acc[0];
  __m512i c10 = MR > 1 ? acc[1 * NB] : c00, c11 = MR > 1 && NB > 1 ? acc[1 * NB + 1] : c00;
  __m512i c20 = MR > 2 ? acc[2 * NB] : c00, c21 = MR > 2 && NB > 1 ? acc[2 * NB + 1] : c00;
  __m512i c30 = MR > 3 ? acc[3 * NB] : c00, c31 = MR > 3 && NB > 1 ? acc[3 * NB + 1] : c00;
  __m512i c40 = MR > 4 ? acc[4 * NB] : c00, c41 = MR > 4 && NB > 1 ? acc[4 * NB + 1] : c00;
  __m512i c50 = MR > 5 ? acc[5 * NB] : c00, c51 = MR > 5 && NB > 1 ? acc[5 * NB + 1] : c00;
  __m512i c60 = MR > 6 ? acc[6 * NB] : c00, c61 = MR > 6 && NB > 1 ? acc[6 * NB + 1] : c00;
  __m512i c70 = MR > 7 ? acc[7 * NB] : c00, c71 = MR > 7 && NB > 1 ? acc[7 * NB + 1] : c00;
  const size_t groups = k / 4;
  constexpr size_t kGroupBytes = kVnniNr * 4;
#define OCTET_ROW(r, load)                               \
  if constexpr (MR > r) {                                \
    const __m512i v = load;                              \
    OCTET_DP(c##r##0, x0, v);                            \
    if constexpr (NB > 1) OCTET_DP(c##r##1, x1, v);      \
  }
#define OCTET_GROUP(bcast)                                                   \
  OCTET_ROW(0, bcast(ag)) OCTET_ROW(1, bcast(ag + a_stride))                  \
  OCTET_ROW(2, bcast(ag + 2 * a_stride)) OCTET_ROW(3, bcast(ag + 3 * a_stride)) \
  OCTET_ROW(4, bcast(ag + 4 * a_stride)) OCTET_ROW(5, bcast(ag + 5 * a_stride)) \
  OCTET_ROW(6, bcast(ag + 6 * a_stride)) OCTET_ROW(7, bcast(ag + 7 * a_stride))
  for (size_t g = 0; g < groups; ++g) {
    const __m512i x0 = _mm512_loadu_si512(w0 + g * kGroupBytes);
    const __m512i x1 = NB > 1 ? _mm512_loadu_si512(w1 + g * kGroupBytes) : x0;
    const int8_t* ag = a + g * 4;
    OCTET_GROUP(broadcast_a_group)
  }
  if (k % 4 != 0) {
    const __m512i x0 = _mm512_loadu_si512(w0 + groups * kGroupBytes);
    const __m512i x1 = NB > 1 ? _mm512_loadu_si512(w1 + groups * kGroupBytes) : x0;
    const int8_t* ag = a + groups * 4;
    const size_t tail = k % 4;
    const auto bcast_tail = [tail](const int8_t* p) { return broadcast_a_tail(p, tail); };
    OCTET_GROUP(bcast_tail)
  }
#undef OCTET_GROUP
#undef OCTET_ROW
  acc[0] = c00;
  if constexpr (NB > 1) acc[1] = c01;
  if constexpr (MR > 1) { acc[1 * NB] = c10; if constexpr (NB > 1) acc[1 * NB + 1] = c11; }
  if constexpr (MR > 2) { acc[2 * NB] = c20; if constexpr (NB > 1) acc[2 * NB + 1] = c21; }
  if constexpr (MR > 3) { acc[3 * NB] = c30; if constexpr (NB > 1) acc[3 * NB + 1] = c31; }
  if constexpr (MR > 4) { acc[4 * NB] = c40; if constexpr (NB > 1) acc[4 * NB + 1] = c41; }
  if constexpr (MR > 5) { acc[5 * NB] = c50; if constexpr (NB > 1) acc[5 * NB + 1] = c51; }
  if constexpr (MR > 6) { acc[6 * NB] = c60; if constexpr (NB > 1) acc[6 * NB + 1] = c61; }
  if constexpr (MR > 7) { acc[7 * NB] = c70; if constexpr (NB > 1) acc[7 * NB + 1] = c71; }
}

// The K loop of a single-row tile of 4 blocks (64 columns), alternating two accumulator
// sets over the k groups so 8 independent chains hide vpdpbusd's latency (GEMV).
__attribute__((noinline)) void k_loop_gemv(const int8_t* a, const int8_t* w, size_t block_bytes,
                                           size_t k, __m512i* acc) {
  const int8_t* w0 = w;
  const int8_t* w1 = w + block_bytes;
  const int8_t* w2 = w + 2 * block_bytes;
  const int8_t* w3 = w + 3 * block_bytes;
  __m512i c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3];
  __m512i d0 = _mm512_setzero_si512(), d1 = d0, d2 = d0, d3 = d0;
  const size_t groups = k / 4;
  constexpr size_t kGroupBytes = kVnniNr * 4;
  size_t g = 0;
  for (; g + 2 <= groups; g += 2) {
    const __m512i v = broadcast_a_group(a + g * 4);
    const __m512i u = broadcast_a_group(a + g * 4 + 4);
    const size_t o = g * kGroupBytes;
    OCTET_DP(c0, _mm512_loadu_si512(w0 + o), v);
    OCTET_DP(c1, _mm512_loadu_si512(w1 + o), v);
    OCTET_DP(c2, _mm512_loadu_si512(w2 + o), v);
    OCTET_DP(c3, _mm512_loadu_si512(w3 + o), v);
    OCTET_DP(d0, _mm512_loadu_si512(w0 + o + kGroupBytes), u);
    OCTET_DP(d1, _mm512_loadu_si512(w1 + o + kGroupBytes), u);
    OCTET_DP(d2, _mm512_loadu_si512(w2 + o + kGroupBytes), u);
    OCTET_DP(d3, _mm512_loadu_si512(w3 + o + kGroupBytes), u);
  }
  for (; g < (k + 3) / 4; ++g) {
    const __m512i v = g < groups ? broadcast_a_group(a + g * 4) : broadcast_a_tail(a + g * 4, k % 4);
    const size_t o = g * kGroupBytes;
    OCTET_DP(c0, _mm512_loadu_si512(w0 + o), v);
    OCTET_DP(c1, _mm512_loadu_si512(w1 + o), v);
    OCTET_DP(c2, _mm512_loadu_si512(w2 + o), v);
    OCTET_DP(c3, _mm512_loadu_si512(w3 + o), v);
  }
  acc[0] = _mm512_add_epi32(c0, d0);
  acc[1] = _mm512_add_epi32(c1, d1);
  acc[2] = _mm512_add_epi32(c2, d2);
  acc[3] = _mm512_add_epi32(c3, d3);
}
#undef OCTET_DP

// requantize() of four rows x 16 columns, fewer instructions than four requantize16():
// for integer bounds round(clamp(y)) == clamp(round(y)), so only the upper clamp stays in
// float (it also keeps cvtps2dq from overflowing); below, cvtps2dq's overflow value INT_MIN
// and the saturating packs/adds only go further down, and max with qmin clamps. Returns
// row i's 16 bytes in 128-bit lane i.
inline __m512i requantize_4x16(__m512i a0, __m512i a1, __m512i a2, __m512i a3,
                               __m512 multiplier, const Epilogue& e) {
  const auto q = [&](__m512i acc) {
    return _mm512_cvtps_epi32(
        _mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), multiplier), e.hi));
  };
  const __m512i w01 = _mm512_adds_epi16(_mm512_packs_epi32(q(a0), q(a1)), e.zp16);
  const __m512i w23 = _mm512_adds_epi16(_mm512_packs_epi32(q(a2), q(a3)), e.zp16);
  // Lane L now holds columns 4L..4L+3 of rows 0, 1, 2, 3: gather each row into one lane.
  const __m512i bytes = _mm512_max_epi8(_mm512_packs_epi16(w01, w23), e.qmin8);
  const __m512i rows = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_epi32(rows, bytes);
}

inline void store16(int8_t* dst, __m128i v, size_t valid, __mmask16 mask) {
  if (valid == kVnniNr) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v);
  } else {
    _mm_mask_storeu_epi8(dst, mask, v);
  }
}

// One MR x (NB*16) tile: bias set-up, the K loop, requantization and stores.
template <int MR, int NB>
void tile(const GemmQs8Params& p, const int8_t* a, int8_t* c, const uint8_t* block,
          size_t block_bytes, size_t col0, size_t cols, const Epilogue& e,
          const int32_t* correction) {
  constexpr size_t kBiasBytes = kVnniNr * sizeof(int32_t);
  alignas(64) __m512i acc[MR * NB];
  for (int b = 0; b < NB; ++b) {
    const __m512i bias = _mm512_loadu_si512(block + b * block_bytes);
    for (int r = 0; r < MR; ++r) {
      acc[r * NB + b] = _mm512_sub_epi32(bias, _mm512_set1_epi32(correction[r]));
    }
  }
  const int8_t* w = reinterpret_cast<const int8_t*>(block + kBiasBytes);
  if constexpr (MR == 1 && NB == 4) {
    k_loop_gemv(a, w, block_bytes, p.k, acc);
  } else {
    k_loop<MR, NB>(a, p.a_stride, w, w + (NB > 1 ? block_bytes : 0), p.k, acc);
  }
  for (int b = 0; b < NB; ++b) {
    const size_t col = col0 + b * kVnniNr;
    if (col >= col0 + cols) break;
    const size_t valid = cols - b * kVnniNr < kVnniNr ? cols - b * kVnniNr : kVnniNr;
    const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1u);
    const __m512 multiplier = p.per_channel ? _mm512_maskz_loadu_ps(mask, p.multiplier + col)
                                            : _mm512_set1_ps(p.multiplier[0]);
    int r = 0;
    for (; r + 4 <= MR; r += 4) {
      const __m512i out = requantize_4x16(acc[r * NB + b], acc[(r + 1) * NB + b],
                                          acc[(r + 2) * NB + b], acc[(r + 3) * NB + b],
                                          multiplier, e);
      int8_t* dst = c + r * p.c_stride + col;
      store16(dst, _mm512_castsi512_si128(out), valid, mask);
      store16(dst + p.c_stride, _mm512_extracti32x4_epi32(out, 1), valid, mask);
      store16(dst + 2 * p.c_stride, _mm512_extracti32x4_epi32(out, 2), valid, mask);
      store16(dst + 3 * p.c_stride, _mm512_extracti32x4_epi32(out, 3), valid, mask);
    }
    for (; r < MR; ++r) {
      store16(c + r * p.c_stride + col, requantize16(acc[r * NB + b], multiplier, e), valid, mask);
    }
  }
}

using TileFn = void (*)(const GemmQs8Params&, const int8_t*, int8_t*, const uint8_t*, size_t,
                        size_t, size_t, const Epilogue&, const int32_t*);

constexpr int kMr = 8;  // rows per tile
constexpr int kNb = 2;  // 16-column blocks per tile
constexpr size_t kPanelBytes = 768 * 1024;  // packed weights per column panel (L2: 2 MiB)

// kTiles[mr - 1][nb - 1]
constexpr TileFn kTiles[kMr][kNb] = {
    {tile<1, 1>, tile<1, 2>}, {tile<2, 1>, tile<2, 2>}, {tile<3, 1>, tile<3, 2>},
    {tile<4, 1>, tile<4, 2>}, {tile<5, 1>, tile<5, 2>}, {tile<6, 1>, tile<6, 2>},
    {tile<7, 1>, tile<7, 2>}, {tile<8, 1>, tile<8, 2>},
};
// Single-row shapes (GEMV): 4 blocks x 2 accumulator sets = 8 independent chains.
constexpr int kGemvNb = 4;
constexpr TileFn kGemvTiles[kGemvNb] = {tile<1, 1>, tile<1, 2>, nullptr, tile<1, 4>};

void gemm_qs8_avx512vnni_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  Epilogue e;
  e.lo = _mm512_set1_ps(static_cast<float>(p.qmin - p.zero_point));
  e.hi = _mm512_set1_ps(static_cast<float>(p.qmax - p.zero_point));
  e.zero_point = _mm512_set1_epi32(p.zero_point);
  e.zp16 = _mm512_set1_epi16(static_cast<int16_t>(p.zero_point));
  e.qmin8 = _mm512_set1_epi8(static_cast<char>(p.qmin));
  const size_t block_bytes = x86_pack::vnni_block_bytes(p.k);
  const uint8_t* packed = static_cast<const uint8_t*>(p.packed);
  const size_t block_begin = p.n_begin / kVnniNr;
  const size_t block_end = (p.n_end + kVnniNr - 1) / kVnniNr;
  const int nb_max = p.m == 1 ? kGemvNb : kNb;
  // Column panels whose weights stay in L2 while every row block passes over them (else
  // shapes with weights > L2, e.g. 128x3072x768, re-read all weights per 8 rows).
  const size_t panel_blocks =
      std::max<size_t>(kNb, kPanelBytes / block_bytes / kNb * kNb);
  for (size_t panel = block_begin; panel < block_end; panel += panel_blocks) {
  const size_t panel_end = std::min(block_end, panel + panel_blocks);
  for (size_t m0 = 0; m0 < p.m; m0 += kMr) {
    const size_t mr = p.m - m0 < kMr ? p.m - m0 : kMr;
    const int8_t* a = p.a + m0 * p.a_stride;
    int8_t* c = p.c + m0 * p.c_stride;
    int32_t correction[kMr];
    for (size_t r = 0; r < mr; ++r) correction[r] = row_correction(a + r * p.a_stride, p.k);
    for (size_t b = panel, nb = 0; b < panel_end; b += nb) {
      nb = panel_end - b < static_cast<size_t>(nb_max) ? panel_end - b : nb_max;
      if (nb == 3) nb = 2;  // single-row tiles: 1, 2 or 4 blocks
      const size_t col0 = b * kVnniNr;
      const size_t cols = (col0 + nb * kVnniNr < p.n_end ? col0 + nb * kVnniNr : p.n_end) - col0;
      const TileFn fn = p.m == 1 ? kGemvTiles[nb - 1] : kTiles[mr - 1][nb - 1];
      fn(p, a, c, packed + b * block_bytes, block_bytes, col0, cols, e, correction);
    }
  }
  }
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_avx512vnni = {Isa::kAvx512Vnni, PackFamily::kX86Vnni,
                                                  kVnniNr, gemm_qs8_avx512vnni_run};

}  // namespace octet
