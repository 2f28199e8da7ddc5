// Packers for the x86 families (layouts in pack_x86.h). Portable C++: the converter packs
// for any target on any host.
#include "kernels/gemm/pack_x86.h"

#include <cstring>

#include "kernels/gemm/pack.h"

namespace octet {

using x86_pack::kAvx2Nr;
using x86_pack::kKGroup;
using x86_pack::kVnniNr;
using x86_pack::round_up;

size_t pack_x86_vnni_size(size_t n, size_t k) {
  return round_up(n, kVnniNr) / kVnniNr * x86_pack::vnni_block_bytes(k);
}

void pack_x86_vnni(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out) {
  uint8_t* dst = static_cast<uint8_t*>(out);
  // Every byte starts as w = 0 (stored 0x80); padding keeps it.
  std::memset(dst, 0x80, pack_x86_vnni_size(n, k));
  for (size_t n0 = 0; n0 < n; n0 += kVnniNr) {
    int32_t block_bias[kVnniNr] = {};
    uint8_t* block_w = dst + kVnniNr * sizeof(int32_t);
    for (size_t j = 0; j < kVnniNr && n0 + j < n; ++j) {
      const int8_t* w_row = w + (n0 + j) * k;
      for (size_t kk = 0; kk < k; ++kk) {
        block_w[(kk / kKGroup) * kVnniNr * kKGroup + j * kKGroup + kk % kKGroup] =
            static_cast<uint8_t>(w_row[kk] + 128);
      }
      block_bias[j] = bias != nullptr ? bias[n0 + j] : 0;
    }
    std::memcpy(dst, block_bias, sizeof(block_bias));
    dst += x86_pack::vnni_block_bytes(k);
  }
}

size_t pack_x86_avx2_size(size_t n, size_t k) {
  return round_up(n, kAvx2Nr) / kAvx2Nr * x86_pack::avx2_block_bytes(k);
}

void pack_x86_avx2(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out) {
  uint8_t* dst = static_cast<uint8_t*>(out);
  std::memset(dst, 0, pack_x86_avx2_size(n, k));
  for (size_t n0 = 0; n0 < n; n0 += kAvx2Nr) {
    int32_t block_bias[kAvx2Nr] = {};
    int16_t* block_w = reinterpret_cast<int16_t*>(dst + kAvx2Nr * sizeof(int32_t));
    for (size_t j = 0; j < kAvx2Nr && n0 + j < n; ++j) {
      const int8_t* w_row = w + (n0 + j) * k;
      for (size_t kk = 0; kk < k; ++kk) {
        const size_t group = kk / kKGroup, in_group = kk % kKGroup;
        // in_group 0,2 -> even pair (slot 0,1); 1,3 -> odd pair (slot 0,1).
        const size_t parity = in_group & 1, slot = in_group >> 1;
        block_w[((group * 2 + parity) * kAvx2Nr + j) * 2 + slot] = w_row[kk];
      }
      block_bias[j] = bias != nullptr ? bias[n0 + j] : 0;
    }
    std::memcpy(dst, block_bias, sizeof(block_bias));
    dst += x86_pack::avx2_block_bytes(k);
  }
}

}  // namespace octet
