// AVX-VNNI depthwise entry: the AVX2 algorithm (dwconv_avx2.cc). A ymm vpdpbusd variant
// of the AVX512 4-row scheme is future work; this keeps OCTET_ISA=avxvnni complete.
#include "kernels/dwconv/dwconv.h"
#include "kernels/dwconv/dwconv_x86.h"

namespace octet {

extern const DwConvQs8Kernel dwconv_qs8_avxvnni = {Isa::kAvxVnni, x86::dwconv_qs8_avx2_run,
                                                   nullptr};

}  // namespace octet
