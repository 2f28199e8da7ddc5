// Packers for the arm families. Placeholder until the arm kernels land: size 0 means
// "family not packable yet" and serialize()/repack treat it as unavailable.
#include "kernels/gemm/pack.h"

namespace octet {
size_t pack_arm_neon_size(size_t, size_t) { return 0; }
void pack_arm_neon(size_t, size_t, const int8_t*, const int32_t*, void*) {}
size_t pack_arm_dotprod_size(size_t, size_t) { return 0; }
void pack_arm_dotprod(size_t, size_t, const int8_t*, const int32_t*, void*) {}
}  // namespace octet
namespace octet {
size_t pack_arm_i8mm_size(size_t, size_t) { return 0; }
void pack_arm_i8mm(size_t, size_t, const int8_t*, const int32_t*, void*) {}
}  // namespace octet
