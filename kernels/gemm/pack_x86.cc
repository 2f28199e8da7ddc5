// Packers for the x86 families. Placeholder until the x86 kernels land: size 0 means
// "family not packable yet" and serialize()/repack treat it as unavailable.
#include "kernels/gemm/pack.h"

namespace octet {
size_t pack_x86_avx2_size(size_t, size_t) { return 0; }
void pack_x86_avx2(size_t, size_t, const int8_t*, const int32_t*, void*) {}
size_t pack_x86_vnni_size(size_t, size_t) { return 0; }
void pack_x86_vnni(size_t, size_t, const int8_t*, const int32_t*, void*) {}
}  // namespace octet
