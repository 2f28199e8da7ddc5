// Peak microbenchmarks built with AVX-512 flags (bench/CMakeLists.txt). Only called when
// the CPU has AVX512-VNNI.
#include <immintrin.h>

#include <chrono>
#include <ctime>

#include "bench/machine_peaks.h"

namespace octet::bench {
namespace {

using Clock = std::chrono::steady_clock;

// 24 independent accumulators (> latency x throughput of any current core), in asm: the
// compiler's version of this loop adds register copies that take issue slots.
__attribute__((noinline)) __m512i dpbusd_chains(long iterations, __m512i a, __m512i b) {
  for (long i = 0; i < iterations; ++i) {
    __asm__ volatile(
        "vpdpbusd %[b], %[a], %%zmm8\n\t"
        "vpdpbusd %[b], %[a], %%zmm9\n\t"
        "vpdpbusd %[b], %[a], %%zmm10\n\t"
        "vpdpbusd %[b], %[a], %%zmm11\n\t"
        "vpdpbusd %[b], %[a], %%zmm12\n\t"
        "vpdpbusd %[b], %[a], %%zmm13\n\t"
        "vpdpbusd %[b], %[a], %%zmm14\n\t"
        "vpdpbusd %[b], %[a], %%zmm15\n\t"
        "vpdpbusd %[b], %[a], %%zmm16\n\t"
        "vpdpbusd %[b], %[a], %%zmm17\n\t"
        "vpdpbusd %[b], %[a], %%zmm18\n\t"
        "vpdpbusd %[b], %[a], %%zmm19\n\t"
        "vpdpbusd %[b], %[a], %%zmm20\n\t"
        "vpdpbusd %[b], %[a], %%zmm21\n\t"
        "vpdpbusd %[b], %[a], %%zmm22\n\t"
        "vpdpbusd %[b], %[a], %%zmm23\n\t"
        "vpdpbusd %[b], %[a], %%zmm24\n\t"
        "vpdpbusd %[b], %[a], %%zmm25\n\t"
        "vpdpbusd %[b], %[a], %%zmm26\n\t"
        "vpdpbusd %[b], %[a], %%zmm27\n\t"
        "vpdpbusd %[b], %[a], %%zmm28\n\t"
        "vpdpbusd %[b], %[a], %%zmm29\n\t"
        "vpdpbusd %[b], %[a], %%zmm30\n\t"
        "vpdpbusd %[b], %[a], %%zmm31\n\t"
        :
        : [a] "v"(a), [b] "v"(b)
        : "zmm8", "zmm9", "zmm10", "zmm11", "zmm12", "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21", "zmm22", "zmm23", "zmm24", "zmm25", "zmm26", "zmm27", "zmm28", "zmm29", "zmm30", "zmm31");
  }
  return a;
}

__attribute__((noinline)) __m512 fma_chains(long iterations, __m512 a, __m512 b) {
  for (long i = 0; i < iterations; ++i) {
    __asm__ volatile(
        "vfmadd231ps %[b], %[a], %%zmm8\n\t"
        "vfmadd231ps %[b], %[a], %%zmm9\n\t"
        "vfmadd231ps %[b], %[a], %%zmm10\n\t"
        "vfmadd231ps %[b], %[a], %%zmm11\n\t"
        "vfmadd231ps %[b], %[a], %%zmm12\n\t"
        "vfmadd231ps %[b], %[a], %%zmm13\n\t"
        "vfmadd231ps %[b], %[a], %%zmm14\n\t"
        "vfmadd231ps %[b], %[a], %%zmm15\n\t"
        "vfmadd231ps %[b], %[a], %%zmm16\n\t"
        "vfmadd231ps %[b], %[a], %%zmm17\n\t"
        "vfmadd231ps %[b], %[a], %%zmm18\n\t"
        "vfmadd231ps %[b], %[a], %%zmm19\n\t"
        "vfmadd231ps %[b], %[a], %%zmm20\n\t"
        "vfmadd231ps %[b], %[a], %%zmm21\n\t"
        "vfmadd231ps %[b], %[a], %%zmm22\n\t"
        "vfmadd231ps %[b], %[a], %%zmm23\n\t"
        "vfmadd231ps %[b], %[a], %%zmm24\n\t"
        "vfmadd231ps %[b], %[a], %%zmm25\n\t"
        "vfmadd231ps %[b], %[a], %%zmm26\n\t"
        "vfmadd231ps %[b], %[a], %%zmm27\n\t"
        "vfmadd231ps %[b], %[a], %%zmm28\n\t"
        "vfmadd231ps %[b], %[a], %%zmm29\n\t"
        "vfmadd231ps %[b], %[a], %%zmm30\n\t"
        "vfmadd231ps %[b], %[a], %%zmm31\n\t"
        :
        : [a] "v"(a), [b] "v"(b)
        : "zmm8", "zmm9", "zmm10", "zmm11", "zmm12", "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21", "zmm22", "zmm23", "zmm24", "zmm25", "zmm26", "zmm27", "zmm28", "zmm29", "zmm30", "zmm31");
  }
  return a;
}

// CPU time of this thread: other processes sharing the core do not count against it.
double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

template <typename Fn>
double best_rate(double seconds, double ops_per_iteration, Fn fn) {
  // Short runs, best of many: a run that was not interrupted shows the real rate.
  const long iterations = 20000;
  double best = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    const double t0 = thread_seconds();
    fn(iterations);
    const double s = thread_seconds() - t0;
    const double rate = ops_per_iteration * iterations / s / 1e9;
    if (rate > best) best = rate;
  }
  return best;
}

}  // namespace

double peak_vpdpbusd_zmm_gops(double seconds) {
  volatile int sink = 0;
  return best_rate(seconds, 24.0 * 64 * 2, [&](long n) {
    const __m512i r = dpbusd_chains(n, _mm512_set1_epi8(1), _mm512_set1_epi8(2));
    sink = _mm_cvtsi128_si32(_mm512_castsi512_si128(r));
  });
}

double peak_fma_zmm_gflops(double seconds) {
  volatile float sink = 0;
  return best_rate(seconds, 24.0 * 16 * 2, [&](long n) {
    const __m512 r = fma_chains(n, _mm512_set1_ps(1.0f), _mm512_set1_ps(0.5f));
    sink = _mm_cvtss_f32(_mm512_castps512_ps128(r));
  });
}

long long read_buffer_avx512(const void* buffer, size_t bytes) {
  // Four concurrent sequential streams (quarters of the buffer), like the GEMV's four
  // 16-column weight blocks: one stream alone leaves DRAM bandwidth unused here.
  const __m512i* p = static_cast<const __m512i*>(buffer);
  const size_t lines = bytes / 64, quarter = lines / 4 / 2 * 2;
  __m512i acc[8];
  for (auto& x : acc) x = _mm512_setzero_si512();
  for (size_t i = 0; i < quarter; i += 2) {
#pragma GCC unroll 4
    for (int s = 0; s < 4; ++s) {
      acc[2 * s] = _mm512_add_epi64(acc[2 * s], _mm512_load_si512(p + s * quarter + i));
      acc[2 * s + 1] = _mm512_add_epi64(acc[2 * s + 1], _mm512_load_si512(p + s * quarter + i + 1));
    }
  }
  for (size_t i = 4 * quarter; i < lines; ++i) acc[0] = _mm512_add_epi64(acc[0], _mm512_load_si512(p + i));
  __m512i sum = acc[0];
  for (int j = 1; j < 8; ++j) sum = _mm512_add_epi64(sum, acc[j]);
  return _mm512_reduce_add_epi64(sum);
}

}  // namespace octet::bench
