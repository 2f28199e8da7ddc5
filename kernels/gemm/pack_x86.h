// Weight layouts of the x86 GEMM families, shared by the packers (pack_x86.cc, portable,
// built on every host) and the kernels (gemm_avx2/avxvnni/avx512vnni.cc, x86 only).
//
// Both families store N in blocks of `nr` columns; block b covers columns [b*nr, b*nr + nr).
// kc = K rounded up to 4; columns >= N and k >= K are zero (bias too), so kernels may
// compute whole blocks and whole groups of 4 k.
//
// X86Vnni (nr = 16), block = 64 + 16*kc bytes:
//   int32 bias[16]        folded bias (no family correction, see below)
//   uint8 w[kc/4][16][4]  group g: column j's bytes w[j][4g .. 4g+3] + 128 (one int32 lane
//                         each); padding holds w = 0, i.e. 0x80
//   vpdpbusd multiplies unsigned by signed bytes: the weights are the unsigned operand
//   (w + 128) and A stays signed, so A is used as loaded (a 4-byte broadcast load per row
//   and k group, no shuffle or xor per use). sum_k a*(w+128) = sum_k a*w + 128*sum_k a:
//   the kernels compute 128 * (row sum of A) once per row block (AVX-512: one vpdpbusd per
//   64 bytes of a row and one reduction tree per 8 rows) and subtract it from each
//   accumulator after the K loop. This deviates from DESIGN.md's probe (xor 0x80 on A,
//   +128*sum(w) folded into the packed bias) on purpose: on Sapphire Rapids every 512-bit
//   uop shares ports 0/5 with vpdpbusd, so the xor costs one slot per row and k group
//   (1 per 4 vpdpbusd of a 6x4 tile, i.e. up to 20 % at any K), while the row sums cost
//   ~1 vpsubd per accumulator plus ~5 uops per row, once per row block (measured by
//   dropping them: 5-9 points of peak at K = 64, 3-6 at K = 128).
//   AVX-VNNI (ymm) reads a group as two 32-byte halves (columns 0-7, 8-15).
//
// X86Avx2 (nr = 8), block = 32 + 32*kc bytes (weights widened to int16 for vpmaddwd):
//   int32 bias[8]         folded bias (s8 x s8: no correction)
//   int16 w[kc/4][2][8][2] group g: [0] = even pairs (w[j][4g], w[j][4g+2]),
//                          [1] = odd pairs (w[j][4g+1], w[j][4g+3]), one int32 lane per column
//   The kernel splits 4 broadcast A bytes into sign-extended even/odd int16 pairs with shifts.
#pragma once
#include <cstddef>
#include <cstdint>

namespace octet::x86_pack {

constexpr size_t kVnniNr = 16;
constexpr size_t kAvx2Nr = 8;
constexpr size_t kKGroup = 4;

constexpr size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
constexpr size_t vnni_block_bytes(size_t k) {
  return kVnniNr * sizeof(int32_t) + kVnniNr * round_up(k, kKGroup);
}
constexpr size_t avx2_block_bytes(size_t k) {
  return kAvx2Nr * sizeof(int32_t) + kAvx2Nr * sizeof(int16_t) * round_up(k, kKGroup);
}

}  // namespace octet::x86_pack
