// Helpers shared by the ymm GEMMs (gemm_avx2.cc, gemm_avxvnni.cc): the requantization of
// common/requantize.h on 8 int32 lanes (mulps, maxps/minps clamp, cvtps2dq round half to even,
// + zero point) and the broadcast of 4 bytes of A. Only for files compiled with AVX2.
//
// Internal linkage on purpose (as requantize_neon.h): the two files are built with different -m
// flags, and a shared out-of-line copy built with AVX-VNNI must not serve the AVX2 file.
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace octet::ymm {
namespace {  // NOLINT(build/namespaces): see above

struct Epilogue {
  __m256 lo, hi;
  __m256i zero_point;
};

inline Epilogue make_epilogue(int32_t zero_point, int32_t qmin, int32_t qmax) {
  Epilogue e;
  e.lo = _mm256_set1_ps(static_cast<float>(qmin - zero_point));
  e.hi = _mm256_set1_ps(static_cast<float>(qmax - zero_point));
  e.zero_point = _mm256_set1_epi32(zero_point);
  return e;
}

// 8 accumulators -> 8 int32 in [qmin, qmax].
inline __m256i requantize8(__m256i acc, __m256 multiplier, const Epilogue& e) {
  __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), multiplier);
  y = _mm256_min_ps(_mm256_max_ps(y, e.lo), e.hi);
  return _mm256_add_epi32(_mm256_cvtps_epi32(y), e.zero_point);
}

// Four bytes of A (fewer at the K % 4 tail, zeros beyond) in every lane. The tail is built in a
// register: a variable-size memcpy through the stack stalls on store forwarding.
inline __m256i broadcast_a(const int8_t* a, size_t bytes) {
  uint32_t v = 0;
  if (bytes >= 4) {
    std::memcpy(&v, a, 4);
  } else {
    for (size_t i = 0; i < bytes; ++i)
      v |= static_cast<uint32_t>(static_cast<uint8_t>(a[i])) << (8 * i);
  }
  return _mm256_set1_epi32(static_cast<int32_t>(v));
}

}  // namespace
}  // namespace octet::ymm
