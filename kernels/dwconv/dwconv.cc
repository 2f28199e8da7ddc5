// Depthwise kernel registry. The scalar kernel is always present; each ISA kernel is a
// `const DwConvQs8Kernel dwconv_qs8_<isa>` object in namespace octet, defined with
// external linkage by the ISA's own source file and announced with OCTET_HAVE_<ISA>.
#include "kernels/dwconv/dwconv.h"

namespace octet {

extern const DwConvQs8Kernel dwconv_qs8_scalar;
#ifdef OCTET_HAVE_AVX2
extern const DwConvQs8Kernel dwconv_qs8_avx2;
#endif
#ifdef OCTET_HAVE_AVXVNNI
extern const DwConvQs8Kernel dwconv_qs8_avxvnni;
#endif
#ifdef OCTET_HAVE_AVX512VNNI
extern const DwConvQs8Kernel dwconv_qs8_avx512vnni;
#endif
#ifdef OCTET_HAVE_NEON
extern const DwConvQs8Kernel dwconv_qs8_neon;
#endif
#ifdef OCTET_HAVE_DOTPROD
extern const DwConvQs8Kernel dwconv_qs8_dotprod;
#endif
#ifdef OCTET_HAVE_I8MM
extern const DwConvQs8Kernel dwconv_qs8_i8mm;
#endif

const DwConvQs8Kernel* dwconv_qs8_kernel(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return &dwconv_qs8_scalar;
#ifdef OCTET_HAVE_AVX2
    case Isa::kAvx2:
      return &dwconv_qs8_avx2;
#endif
#ifdef OCTET_HAVE_AVXVNNI
    case Isa::kAvxVnni:
      return &dwconv_qs8_avxvnni;
#endif
#ifdef OCTET_HAVE_AVX512VNNI
    case Isa::kAvx512Vnni:
      return &dwconv_qs8_avx512vnni;
#endif
#ifdef OCTET_HAVE_NEON
    case Isa::kNeon:
      return &dwconv_qs8_neon;
#endif
#ifdef OCTET_HAVE_DOTPROD
    case Isa::kDotprod:
      return &dwconv_qs8_dotprod;
#endif
#ifdef OCTET_HAVE_I8MM
    case Isa::kI8mm:
      return &dwconv_qs8_i8mm;
#endif
    default:
      return nullptr;
  }
}

size_t dwconv_qs8_scratch_size(Isa isa, const ref::ConvGeometry& g) {
  const DwConvQs8Kernel* kernel = dwconv_qs8_kernel(isa);
  if (kernel == nullptr || kernel->scratch_size == nullptr) return 0;
  return kernel->scratch_size(g);
}

}  // namespace octet
