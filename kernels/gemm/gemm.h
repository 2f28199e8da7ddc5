// qs8-qc8w GEMM: int8 activations (per-tensor), int8 per-channel symmetric weights,
// int32 folded bias, fp32 requantization (common/requantize.h) to int8.
//
//   c[i][j] = requantize(bias[j] + sum_k a[i][k] * w[j][k], multiplier[j], ...)
//
// One entry per ISA; each reads weights packed for its PackFamily (bias inside the
// packed blob, in the form that family's kernels need; e.g. X86Vnni stores w + 128 as the
// unsigned vpdpbusd operand and its kernels subtract 128 * row sums of A after the K loop,
// see pack_x86.h). Every kernel's output depends only on its row and column, never on how
// M or N were split, so any thread partition gives the same bytes.
// The scalar entry reads the row-major weights and bias directly.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common/isa.h"

namespace octet {

struct GemmQs8Params {
  size_t m = 0, n = 0, k = 0;
  const int8_t* a = nullptr;  // m rows of k int8, a_stride bytes apart
  size_t a_stride = 0;
  const int8_t* w = nullptr;        // row-major [n][k]   (RowMajor family)
  const int32_t* bias = nullptr;    // [n] folded bias     (RowMajor family)
  const void* packed = nullptr;     // family layout       (other families)
  const float* multiplier = nullptr;
  bool per_channel = true;  // multiplier has n entries, else 1
  int32_t zero_point = 0;   // output
  int32_t qmin = -128, qmax = 127;
  int8_t* c = nullptr;  // m rows, c_stride bytes apart
  size_t c_stride = 0;
  // Columns to compute: [n_begin, n_end). n_begin is a multiple of the kernel's nr.
  // Lets threads split N (GEMV); rows are split by offsetting a/c and m.
  size_t n_begin = 0, n_end = 0;
};

struct GemmQs8Kernel {
  Isa isa;
  PackFamily family;
  size_t nr;  // column block; N splits must be multiples of it
  void (*run)(const GemmQs8Params& p);
};

// The GEMM kernel for `isa`, or nullptr if this build has none.
const GemmQs8Kernel* gemm_qs8_kernel(Isa isa);

// Packing is portable code (the converter runs it on any host for any family).
size_t gemm_qs8_packed_size(PackFamily family, size_t n, size_t k);
// w: [n][k] row-major, bias: [n] folded bias (may be null = 0). out: packed_size bytes,
// 64-byte aligned.
void gemm_qs8_pack(PackFamily family, size_t n, size_t k, const int8_t* w, const int32_t* bias,
                   void* out);

}  // namespace octet
