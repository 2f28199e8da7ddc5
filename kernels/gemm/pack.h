// Per-family weight packers (portable C++: the converter packs for any target on any host).
#pragma once
#include <cstddef>
#include <cstdint>

namespace octet {

size_t pack_x86_avx2_size(size_t n, size_t k);
void pack_x86_avx2(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out);
size_t pack_x86_vnni_size(size_t n, size_t k);
void pack_x86_vnni(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out);
size_t pack_arm_neon_size(size_t n, size_t k);
void pack_arm_neon(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out);
size_t pack_arm_dotprod_size(size_t n, size_t k);
void pack_arm_dotprod(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out);
size_t pack_arm_i8mm_size(size_t n, size_t k);
void pack_arm_i8mm(size_t n, size_t k, const int8_t* w, const int32_t* bias, void* out);

}  // namespace octet
