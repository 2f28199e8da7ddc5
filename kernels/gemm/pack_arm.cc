// Packers for the ARM families (layouts in pack_arm.h). Portable C++: the converter packs
// for ARM targets on any host.
#include "kernels/gemm/pack_arm.h"

#include <cstdint>
#include <cstring>

#include "kernels/gemm/pack.h"

namespace octet {
namespace {

size_t blocked_size(size_t nr, size_t kg, size_t n, size_t k) {
  if (n == 0) return 0;
  return arm_pack::round_up(n, nr) / nr * arm_pack::block_bytes(nr, kg, k);
}

// Writes every block: bias, then per k-group `nr` columns of `kg` bytes.
void pack_blocked(size_t nr, size_t kg, size_t n, size_t k, const int8_t* w, const int32_t* bias,
                  void* out) {
  const size_t kc = arm_pack::round_up(k, kg);
  auto* dst = static_cast<uint8_t*>(out);
  for (size_t n0 = 0; n0 < n; n0 += nr) {
    int32_t block_bias[64] = {};  // nr <= 64
    for (size_t j = 0; j < nr && n0 + j < n; ++j) block_bias[j] = bias ? bias[n0 + j] : 0;
    std::memcpy(dst, block_bias, nr * sizeof(int32_t));
    auto* packed_w = reinterpret_cast<int8_t*>(dst + nr * sizeof(int32_t));
    for (size_t k0 = 0; k0 < kc; k0 += kg) {
      for (size_t j = 0; j < nr; ++j) {
        for (size_t kk = 0; kk < kg; ++kk) {
          const size_t col = n0 + j, kidx = k0 + kk;
          *packed_w++ = (col < n && kidx < k) ? w[col * k + kidx] : 0;
        }
      }
    }
    dst += arm_pack::block_bytes(nr, kg, k);
  }
}

}  // namespace

size_t pack_arm_neon_size(size_t n, size_t k) {
  return blocked_size(arm_pack::kNeonNr, arm_pack::kNeonKg, n, k);
}
void pack_arm_neon(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out) {
  pack_blocked(arm_pack::kNeonNr, arm_pack::kNeonKg, n, k, w, bias, out);
}
size_t pack_arm_dotprod_size(size_t n, size_t k) {
  return blocked_size(arm_pack::kDotprodNr, arm_pack::kDotprodKg, n, k);
}
void pack_arm_dotprod(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out) {
  pack_blocked(arm_pack::kDotprodNr, arm_pack::kDotprodKg, n, k, w, bias, out);
}
size_t pack_arm_i8mm_size(size_t n, size_t k) {
  return blocked_size(arm_pack::kI8mmNr, arm_pack::kI8mmKg, n, k);
}
void pack_arm_i8mm(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out) {
  pack_blocked(arm_pack::kI8mmNr, arm_pack::kI8mmKg, n, k, w, bias, out);
}

}  // namespace octet
