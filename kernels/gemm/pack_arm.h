// Weight layouts of the ARM GEMM families, shared by the packers (pack_arm.cc, portable,
// built on every host) and the kernels (gemm_*_neon/dotprod/i8mm.cc, built for ARM only).
//
// Every family stores N in blocks of `nr` columns; block b covers columns [b*nr, b*nr + nr):
//   int32 bias[nr]                      folded bias (s8 x s8: no family correction)
//   int8  w[kc / kg][nr][kg]            for each group of kg consecutive k: kg bytes per column
// kc = K rounded up to a multiple of kg; columns >= N and k >= K are zero (bias too), so
// kernels may compute whole blocks and whole groups. Block size = nr*4 + nr*kc bytes.
//
//   family      nr  kg  what one group of a block feeds
//   ArmNeon      8   8  vmull_s8 of 8 k of one column with 8 k of one A row
//   ArmDotprod  16   4  4 x int8x16 registers: lane j of register r = column 4r+j, 4 k each (sdot)
//   ArmI8mm      8   8  4 x int8x16 registers = column pairs (2x8 operand of smmla)
// (Neon and I8mm blocks have the same bytes; they stay separate families by contract.)
#pragma once
#include <cstddef>
#include <cstdint>

namespace octet::arm_pack {

constexpr size_t kNeonNr = 8, kNeonKg = 8;
constexpr size_t kDotprodNr = 16, kDotprodKg = 4;
constexpr size_t kI8mmNr = 8, kI8mmKg = 8;

constexpr size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
constexpr size_t block_bytes(size_t nr, size_t kg, size_t k) {
  return nr * sizeof(int32_t) + nr * round_up(k, kg);
}

}  // namespace octet::arm_pack
