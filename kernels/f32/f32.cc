// Chooses the float kernels for an ISA. The ISA files exist when f32.cmake compiled them
// (OCTET_F32_HAVE_<ISA>); the running CPU is checked through isa_available().
#include "kernels/f32/f32.h"

#include "kernels/f32/f32_impl.h"

namespace octet {

#ifdef OCTET_F32_HAVE_AVX512
const F32Kernels* f32_kernels_avx512();
#endif
#ifdef OCTET_F32_HAVE_AVX2
const F32Kernels* f32_kernels_avx2();
#endif
#ifdef OCTET_F32_HAVE_NEON
const F32Kernels* f32_kernels_neon();
#endif

namespace f32_impl {
alignas(64) const float kZeros[kZeroFloats] = {};
}  // namespace f32_impl

const F32Kernels* f32_kernels(Isa isa) {
  if (!isa_available(isa)) return nullptr;
  switch (isa) {
#ifdef OCTET_F32_HAVE_AVX512
    case Isa::kAvx512Vnni:
      return f32_kernels_avx512();
#endif
#ifdef OCTET_F32_HAVE_AVX2
    case Isa::kAvx2:
    case Isa::kAvxVnni:
      return f32_kernels_avx2();
#endif
#ifdef OCTET_F32_HAVE_NEON
    case Isa::kNeon:
    case Isa::kDotprod:
    case Isa::kI8mm:
      return f32_kernels_neon();
#endif
    default:
      return nullptr;
  }
}

}  // namespace octet
