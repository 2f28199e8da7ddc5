// GEMM kernel registry. The scalar kernel is always present; each ISA kernel is a
// `const GemmQs8Kernel gemm_qs8_<isa>` object in namespace octet, defined (with external
// linkage, i.e. `extern const ... = {...}`) by the ISA's own source file, which
// kernels/x86.cmake / kernels/arm.cmake compile and announce with OCTET_HAVE_<ISA>.
#include "kernels/gemm/gemm.h"

namespace octet {

extern const GemmQs8Kernel gemm_qs8_scalar;
#ifdef OCTET_HAVE_AVX2
extern const GemmQs8Kernel gemm_qs8_avx2;
#endif
#ifdef OCTET_HAVE_AVXVNNI
extern const GemmQs8Kernel gemm_qs8_avxvnni;
#endif
#ifdef OCTET_HAVE_AVX512VNNI
extern const GemmQs8Kernel gemm_qs8_avx512vnni;
#endif
#ifdef OCTET_HAVE_NEON
extern const GemmQs8Kernel gemm_qs8_neon;
#endif
#ifdef OCTET_HAVE_DOTPROD
extern const GemmQs8Kernel gemm_qs8_dotprod;
#endif
#ifdef OCTET_HAVE_I8MM
extern const GemmQs8Kernel gemm_qs8_i8mm;
#endif

const GemmQs8Kernel* gemm_qs8_kernel(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return &gemm_qs8_scalar;
#ifdef OCTET_HAVE_AVX2
    case Isa::kAvx2:
      return &gemm_qs8_avx2;
#endif
#ifdef OCTET_HAVE_AVXVNNI
    case Isa::kAvxVnni:
      return &gemm_qs8_avxvnni;
#endif
#ifdef OCTET_HAVE_AVX512VNNI
    case Isa::kAvx512Vnni:
      return &gemm_qs8_avx512vnni;
#endif
#ifdef OCTET_HAVE_NEON
    case Isa::kNeon:
      return &gemm_qs8_neon;
#endif
#ifdef OCTET_HAVE_DOTPROD
    case Isa::kDotprod:
      return &gemm_qs8_dotprod;
#endif
#ifdef OCTET_HAVE_I8MM
    case Isa::kI8mm:
      return &gemm_qs8_i8mm;
#endif
    default:
      return nullptr;
  }
}

}  // namespace octet
