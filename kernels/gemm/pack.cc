// Family dispatch for weight packing (portable: the converter packs any family on any host).
#include "kernels/gemm/pack.h"

#include "kernels/gemm/gemm.h"

namespace octet {

size_t gemm_qs8_packed_size(PackFamily family, size_t n, size_t k) {
  switch (family) {
    case PackFamily::kX86Avx2:
      return pack_x86_avx2_size(n, k);
    case PackFamily::kX86Vnni:
      return pack_x86_vnni_size(n, k);
    case PackFamily::kArmNeon:
      return pack_arm_neon_size(n, k);
    case PackFamily::kArmDotprod:
      return pack_arm_dotprod_size(n, k);
    case PackFamily::kArmI8mm:
      return pack_arm_i8mm_size(n, k);
    case PackFamily::kRowMajor:
    default:
      // The scalar kernel reads GemmQs8Params::w / bias as they are: nothing to pack.
      return 0;
  }
}

void gemm_qs8_pack(PackFamily family, size_t n, size_t k, const int8_t* w, const int32_t* bias,
                   void* out) {
  switch (family) {
    case PackFamily::kX86Avx2:
      pack_x86_avx2(n, k, w, bias, out);
      break;
    case PackFamily::kX86Vnni:
      pack_x86_vnni(n, k, w, bias, out);
      break;
    case PackFamily::kArmNeon:
      pack_arm_neon(n, k, w, bias, out);
      break;
    case PackFamily::kArmDotprod:
      pack_arm_dotprod(n, k, w, bias, out);
      break;
    case PackFamily::kArmI8mm:
      pack_arm_i8mm(n, k, w, bias, out);
      break;
    case PackFamily::kRowMajor:
    default:
      break;
  }
}

}  // namespace octet
