// qs8-qc8w GEMM with AVX2 (no VNNI). Compiled with -mavx2 -mfma.
//
// No vpmaddubsw (its int16 saturation would break exactness): the X86Avx2 packing holds the
// weights as int16 even/odd k pairs (pack_x86.h); 4 broadcast A bytes are split into
// sign-extended even/odd int16 pairs with two shifts, and two vpmaddwd per 8 columns and
// 4 k give exact int32 sums. Register tile 4 rows x 2 blocks of 8 columns.
// Requantization follows requantize() exactly.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_ymm.h"
#include "kernels/gemm/pack_x86.h"

namespace octet {
namespace {

using x86_pack::kAvx2Nr;

using ymm::broadcast_a;
using ymm::Epilogue;

// 8 accumulators -> 8 int8 (low 8 bytes).
inline __m128i requantize8_s8(__m256i acc, __m256 multiplier, const Epilogue& e) {
  const __m256i q = ymm::requantize8(acc, multiplier, e);
  const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  return _mm_packs_epi16(words, words);  // low 8 bytes
}

// The K loop of an MR x (NB * 8) tile (MR <= 4, NB <= 4, MR * NB <= 8) on named
// accumulators: GCC 12 copies (and spills) an array of accumulators every iteration.
// acc[r * NB + b] in and out.
template <int MR, int NB>
__attribute__((noinline)) void k_loop(const int8_t* a, size_t a_stride, const int16_t* w,
                                      size_t block_words, size_t k, __m256i* acc) {
  static_assert(MR <= 4 && NB <= 4 && MR * NB <= 8, "tile too large for 16 ymm registers");
  const auto at = [&](int r, int b) { return MR > r && NB > b ? acc[r * NB + b] : acc[0]; };
  __m256i c00 = at(0, 0), c01 = at(0, 1), c02 = at(0, 2), c03 = at(0, 3);
  __m256i c10 = at(1, 0), c11 = at(1, 1), c12 = at(1, 2), c13 = at(1, 3);
  __m256i c20 = at(2, 0), c21 = at(2, 1), c22 = at(2, 2), c23 = at(2, 3);
  __m256i c30 = at(3, 0), c31 = at(3, 1), c32 = at(3, 2), c33 = at(3, 3);
  const size_t groups = (k + 3) / 4, full_groups = k / 4;
  constexpr size_t kGroupWords = kAvx2Nr * 2 * 2;  // even + odd, 8 columns, 2 slots
#define OCTET_MAC(r, b)                                                                         \
  if constexpr (MR > r && NB > b) {                                                             \
    c##r##b = _mm256_add_epi32(                                                                 \
        c##r##b, _mm256_add_epi32(_mm256_madd_epi16(ae, we##b), _mm256_madd_epi16(ao, wo##b))); \
  }
#define OCTET_ROW(r, bytes)                                                        \
  if constexpr (MR > r) {                                                          \
    const __m256i x = broadcast_a(ag + r * a_stride, bytes);                       \
    const __m256i ae = _mm256_srai_epi16(_mm256_slli_epi16(x, 8), 8); /* a0, a2 */ \
    const __m256i ao = _mm256_srai_epi16(x, 8);                       /* a1, a3 */ \
    OCTET_MAC(r, 0) OCTET_MAC(r, 1) OCTET_MAC(r, 2) OCTET_MAC(r, 3)                \
  }
#define OCTET_W(b)                                                                    \
  const __m256i we##b = NB > b ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>( \
                                     w + b * block_words + g * kGroupWords))          \
                               : _mm256_setzero_si256();                              \
  const __m256i wo##b = NB > b ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>( \
                                     w + b * block_words + g * kGroupWords + 16))     \
                               : _mm256_setzero_si256();
#define OCTET_GROUP(bytes)                                                          \
  {                                                                                 \
    OCTET_W(0) OCTET_W(1) OCTET_W(2) OCTET_W(3) const int8_t* ag = a + g * 4;       \
    OCTET_ROW(0, bytes) OCTET_ROW(1, bytes) OCTET_ROW(2, bytes) OCTET_ROW(3, bytes) \
  }
  size_t g = 0;
  for (; g < full_groups; ++g) OCTET_GROUP(4)
  if (g < groups) OCTET_GROUP(k % 4)
#undef OCTET_GROUP
#undef OCTET_W
#undef OCTET_ROW
#undef OCTET_MAC
  const auto put = [&](int r, int b, __m256i v) {
    if (MR > r && NB > b) acc[r * NB + b] = v;
  };
  put(0, 0, c00), put(0, 1, c01), put(0, 2, c02), put(0, 3, c03);
  put(1, 0, c10), put(1, 1, c11), put(1, 2, c12), put(1, 3, c13);
  put(2, 0, c20), put(2, 1, c21), put(2, 2, c22), put(2, 3, c23);
  put(3, 0, c30), put(3, 1, c31), put(3, 2, c32), put(3, 3, c33);
}

template <int MR, int NB>
void tile(const GemmQs8Params& p, const int8_t* a, int8_t* c, const uint8_t* block,
          size_t block_bytes, size_t col0, size_t cols, const Epilogue& e) {
  alignas(32) __m256i acc_rows[MR * NB];
  for (int b = 0; b < NB; ++b) {
    const __m256i bias =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + b * block_bytes));
    for (int r = 0; r < MR; ++r) acc_rows[r * NB + b] = bias;
  }
  k_loop<MR, NB>(a, p.a_stride, reinterpret_cast<const int16_t*>(block + kAvx2Nr * sizeof(int32_t)),
                 block_bytes / sizeof(int16_t), p.k, acc_rows);
  for (int b = 0; b < NB; ++b) {
    if (b * kAvx2Nr >= cols) break;
    const size_t col = col0 + b * kAvx2Nr;
    const size_t valid = cols - b * kAvx2Nr < kAvx2Nr ? cols - b * kAvx2Nr : kAvx2Nr;
    __m256 multiplier;
    if (!p.per_channel) {
      multiplier = _mm256_set1_ps(p.multiplier[0]);
    } else if (valid == kAvx2Nr) {
      multiplier = _mm256_loadu_ps(p.multiplier + col);
    } else {
      float m[kAvx2Nr] = {};
      std::memcpy(m, p.multiplier + col, valid * sizeof(float));
      multiplier = _mm256_loadu_ps(m);
    }
    for (int r = 0; r < MR; ++r) {
      const __m128i out = requantize8_s8(acc_rows[r * NB + b], multiplier, e);
      int8_t* dst = c + r * p.c_stride + col;
      if (valid == kAvx2Nr) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), out);
      } else {
        alignas(16) int8_t tmp[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), out);
        std::memcpy(dst, tmp, valid);
      }
    }
  }
}

using TileFn = void (*)(const GemmQs8Params&, const int8_t*, int8_t*, const uint8_t*, size_t,
                        size_t, size_t, const Epilogue&);

// 2 rows x 4 blocks: the sign extension of A (3 shifts per row and group) is shared by 4
// blocks; measured faster than 4 x 2 on Sapphire Rapids (fewer ALU uops per vpmaddwd).
constexpr int kMr = 2;
constexpr int kNb = 4;
constexpr TileFn kTiles[kMr][kNb] = {{tile<1, 1>, tile<1, 2>, tile<1, 3>, tile<1, 4>},
                                     {tile<2, 1>, tile<2, 2>, tile<2, 3>, tile<2, 4>}};
constexpr int kGemvNb = 4;
constexpr size_t kPanelBytes = 768 * 1024;  // packed weights per column panel (L2)
constexpr TileFn kGemvTiles[kGemvNb] = {tile<1, 1>, tile<1, 2>, tile<1, 3>, tile<1, 4>};

void gemm_qs8_avx2_run(const GemmQs8Params& p) {
  if (p.m == 0 || p.n_end <= p.n_begin) return;
  const Epilogue e = ymm::make_epilogue(p.zero_point, p.qmin, p.qmax);
  const size_t block_bytes = x86_pack::avx2_block_bytes(p.k);
  const uint8_t* packed = static_cast<const uint8_t*>(p.packed);
  const size_t block_begin = p.n_begin / kAvx2Nr;
  const size_t block_end = (p.n_end + kAvx2Nr - 1) / kAvx2Nr;
  const size_t nb_max = p.m == 1 ? kGemvNb : kNb;
  // Column panels whose weights stay in L2 while every row block passes over them.
  const size_t panel_blocks = std::max<size_t>(kNb, kPanelBytes / block_bytes / kNb * kNb);
  for (size_t panel = block_begin; panel < block_end; panel += panel_blocks) {
    const size_t panel_end = std::min(block_end, panel + panel_blocks);
    for (size_t m0 = 0; m0 < p.m; m0 += kMr) {
      const size_t mr = p.m - m0 < kMr ? p.m - m0 : kMr;
      const int8_t* a = p.a + m0 * p.a_stride;
      int8_t* c = p.c + m0 * p.c_stride;
      for (size_t b = panel; b < panel_end; b += nb_max) {
        const size_t nb = panel_end - b < nb_max ? panel_end - b : nb_max;
        const size_t col0 = b * kAvx2Nr;
        const size_t cols = (col0 + nb * kAvx2Nr < p.n_end ? col0 + nb * kAvx2Nr : p.n_end) - col0;
        const TileFn fn = p.m == 1 ? kGemvTiles[nb - 1] : kTiles[mr - 1][nb - 1];
        fn(p, a, c, packed + b * block_bytes, block_bytes, col0, cols, e);
      }
    }
  }
}

}  // namespace

extern const GemmQs8Kernel gemm_qs8_avx2 = {Isa::kAvx2, PackFamily::kX86Avx2, kAvx2Nr,
                                            gemm_qs8_avx2_run};

}  // namespace octet
