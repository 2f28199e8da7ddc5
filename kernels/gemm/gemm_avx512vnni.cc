// qs8-qc8w GEMM with AVX512-VNNI (vpdpbusd on zmm). Compiled with -mavx512f -mavx512bw
// -mavx512vl -mavx512vnni (kernels/x86.cmake); run only when isa_available(kAvx512Vnni).
//
// Register tile: MR rows of A x NB packed blocks of 16 columns (8 x 2 = 16 zmm
// accumulators by default, kept independent so vpdpbusd's latency is hidden). A is read
// row-major: 4 bytes broadcast per row and group, flipped to u8 with xor 0x80 (the
// matching -128 * sum(w) is in the packed bias, see pack_x86.h). Requantization is the
// exact sequence of requantize(): cvtdq2ps, mulps, clamp with maxps/minps, cvtps2dq
// (round to nearest even under the default MXCSR), add the zero point.
#include <immintrin.h>

#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/pack_x86.h"

namespace octet {
namespace {

using x86_pack::kVnniNr;

struct Epilogue {
  __m512 lo, hi;
  __m512i zero_point;
};

inline __m512i broadcast_a_group(const int8_t* a) {
  int32_t v;
  std::memcpy(&v, a, 4);
  return _mm512_set1_epi32(v);
}

// The last K % 4 bytes of a row, without reading past it (their weights are zero).
inline __m512i broadcast_a_tail(const int8_t* a, size_t bytes) {
  int32_t v = 0;
  std::memcpy(&v, a, bytes);
  return _mm512_set1_epi32(v);
}

inline __m128i requantize16(__m512i acc, __m512 multiplier, const Epilogue& e) {
  __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), multiplier);
  y = _mm512_min_ps(_mm512_max_ps(y, e.lo), e.hi);
  const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(y), e.zero_point);
  return _mm512_cvtsepi32_epi8(q);
}

// One MR x (NB*16) tile; KS independent accumulator sets over alternating k groups
// (KS = 2 gives GEMV-like shapes enough independent chains).
template <int MR, int NB, int KS>
void tile(const GemmQs8Params& p, const int8_t* a, int8_t* c, const uint8_t* block,
          size_t block_bytes, size_t col0, size_t cols, const Epilogue& e) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const int8_t* w[NB];
  __m512i acc[KS][MR][NB];
  for (int b = 0; b < NB; ++b) {
    const uint8_t* blk = block + b * block_bytes;
    const __m512i bias = _mm512_loadu_si512(blk);
    w[b] = reinterpret_cast<const int8_t*>(blk + kVnniNr * sizeof(int32_t));
    for (int r = 0; r < MR; ++r) {
      acc[0][r][b] = bias;
      for (int s = 1; s < KS; ++s) acc[s][r][b] = _mm512_setzero_si512();
    }
  }
  const size_t k = p.k;
  const size_t groups = k / 4;
  const size_t group_bytes = kVnniNr * 4;
  size_t g = 0;
  for (; g + KS <= groups; g += KS) {
#pragma GCC unroll 2
    for (int s = 0; s < KS; ++s) {
      __m512i wv[NB];
#pragma GCC unroll 4
      for (int b = 0; b < NB; ++b) wv[b] = _mm512_loadu_si512(w[b] + (g + s) * group_bytes);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512i av =
            _mm512_xor_si512(broadcast_a_group(a + r * p.a_stride + (g + s) * 4), flip);
#pragma GCC unroll 4
        for (int b = 0; b < NB; ++b) acc[s][r][b] = _mm512_dpbusd_epi32(acc[s][r][b], av, wv[b]);
      }
    }
  }
  for (; g < groups; ++g) {
    __m512i wv[NB];
    for (int b = 0; b < NB; ++b) wv[b] = _mm512_loadu_si512(w[b] + g * group_bytes);
    for (int r = 0; r < MR; ++r) {
      const __m512i av = _mm512_xor_si512(broadcast_a_group(a + r * p.a_stride + g * 4), flip);
      for (int b = 0; b < NB; ++b) acc[0][r][b] = _mm512_dpbusd_epi32(acc[0][r][b], av, wv[b]);
    }
  }
  if (k % 4 != 0) {
    __m512i wv[NB];
    for (int b = 0; b < NB; ++b) wv[b] = _mm512_loadu_si512(w[b] + groups * group_bytes);
    for (int r = 0; r < MR; ++r) {
      const __m512i av =
          _mm512_xor_si512(broadcast_a_tail(a + r * p.a_stride + groups * 4, k % 4), flip);
      for (int b = 0; b < NB; ++b) acc[0][r][b] = _mm512_dpbusd_epi32(acc[0][r][b], av, wv[b]);
    }
  }
  for (int s = 1; s < KS; ++s) {
    for (int r = 0; r < MR; ++r) {
      for (int b = 0; b < NB; ++b) acc[0][r][b] = _mm512_add_epi32(acc[0][r][b], acc[s][r][b]);
    }
  }
  for (int b = 0; b < NB; ++b) {
    const size_t col = col0 + b * kVnniNr;
    if (col >= col0 + cols) break;
    const size_t valid = cols - b * kVnniNr < kVnniNr ? cols - b * kVnniNr : kVnniNr;
    const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1u);
    const __m512 multiplier = p.per_channel ? _mm512_maskz_loadu_ps(mask, p.multiplier + col)
                                            : _mm512_set1_ps(p.multiplier[0]);
    for (int r = 0; r < MR; ++r) {
      const __m128i out = requantize16(acc[0][r][b], multiplier, e);
      int8_t* dst = c + r * p.c_stride + col;
      if (valid == kVnniNr) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), out);
      } else {
        _mm_mask_storeu_epi8(dst, mask, out);
      }
    }
  }
}

using TileFn = void (*)(const GemmQs8Params&, const int8_t*, int8_t*, const uint8_t*, size_t,
                        size_t, size_t, const Epilogue&);

constexpr int kMr = 8;  // rows per tile
constexpr int kNb = 2;  // 16-column blocks per tile

// kTiles[mr - 1][nb - 1]
constexpr TileFn kTiles[kMr][kNb] = {
    {tile<1, 1, 2>, tile<1, 2, 2>}, {tile<2, 1, 2>, tile<2, 2, 2>}, {tile<3, 1, 1>, tile<3, 2, 1>},
    {tile<4, 1, 1>, tile<4, 2, 1>}, {tile<5, 1, 1>, tile<5, 2, 1>}, {tile<6, 1, 1>, tile<6, 2, 1>},
    {tile<7, 1, 1>, tile<7, 2, 1>}, {tile<8, 1, 1>, tile<8, 2, 1>},
};
// Single-row shapes (GEMV): 4 blocks x 2 accumulator sets = 8 independent chains.
constexpr int kGemvNb = 4;
constexpr TileFn kGemvTiles[kGemvNb] = {tile<1, 1, 2>, tile<1, 2, 2>, tile<1, 3, 2>,
                                        tile<1, 4, 2>};

void gemm_qs8_avx512vnni_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  Epilogue e;
  e.lo = _mm512_set1_ps(static_cast<float>(p.qmin - p.zero_point));
  e.hi = _mm512_set1_ps(static_cast<float>(p.qmax - p.zero_point));
  e.zero_point = _mm512_set1_epi32(p.zero_point);
  const size_t block_bytes = x86_pack::vnni_block_bytes(p.k);
  const uint8_t* packed = static_cast<const uint8_t*>(p.packed);
  const size_t block_begin = p.n_begin / kVnniNr;
  const size_t block_end = (p.n_end + kVnniNr - 1) / kVnniNr;
  const int nb_max = p.m == 1 ? kGemvNb : kNb;
  for (size_t m0 = 0; m0 < p.m; m0 += kMr) {
    const size_t mr = p.m - m0 < kMr ? p.m - m0 : kMr;
    const int8_t* a = p.a + m0 * p.a_stride;
    int8_t* c = p.c + m0 * p.c_stride;
    for (size_t b = block_begin; b < block_end; b += nb_max) {
      const size_t nb = block_end - b < static_cast<size_t>(nb_max) ? block_end - b : nb_max;
      const size_t col0 = b * kVnniNr;
      const size_t cols = (col0 + nb * kVnniNr < p.n_end ? col0 + nb * kVnniNr : p.n_end) - col0;
      const TileFn fn = p.m == 1 ? kGemvTiles[nb - 1] : kTiles[mr - 1][nb - 1];
      fn(p, a, c, packed + b * block_bytes, block_bytes, col0, cols, e);
    }
  }
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_avx512vnni = {Isa::kAvx512Vnni, PackFamily::kX86Vnni,
                                                  kVnniNr, gemm_qs8_avx512vnni_run};

}  // namespace octet
