// Peak microbenchmarks for the ymm paths (built with -mavx2 -mavxvnni; the AVX-VNNI one is
// only called when the CPU has AVX-VNNI).
#include <immintrin.h>

#include <chrono>
#include <ctime>

#include "bench/machine_peaks.h"

namespace octet::bench {
namespace {

using Clock = std::chrono::steady_clock;

// 12 independent accumulators in asm (the compiler's loop adds register copies).
__attribute__((noinline)) __m256i dpbusd_chains(long iterations, __m256i a, __m256i b) {
  for (long i = 0; i < iterations; ++i) {
    __asm__ volatile(
        "%{vex%} vpdpbusd %[b], %[a], %%ymm4\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm5\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm6\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm7\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm8\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm9\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm10\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm11\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm12\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm13\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm14\n\t"
        "%{vex%} vpdpbusd %[b], %[a], %%ymm15\n\t"
        :
        : [a] "x"(a), [b] "x"(b)
        : "ymm4", "ymm5", "ymm6", "ymm7", "ymm8", "ymm9", "ymm10", "ymm11", "ymm12", "ymm13", "ymm14", "ymm15");
  }
  return a;
}

// What the AVX2 GEMM does per 16 MACs: vpmaddwd + vpaddd (the int16 widening is amortized).
__attribute__((noinline)) __m256i maddwd_chains(long iterations, __m256i a, __m256i b) {
  __m256i acc[12];
  for (auto& x : acc) x = _mm256_setzero_si256();
  for (long i = 0; i < iterations; ++i) {
    __asm__ volatile("" : "+x"(a), "+x"(b));
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j) acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(a, b));
  }
  __m256i sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = _mm256_add_epi32(sum, acc[j]);
  return sum;
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

double peak_vpdpbusd_ymm_gops(double seconds) {
  volatile int sink = 0;
  return best_rate(seconds, 12.0 * 32 * 2, [&](long n) {
    sink = _mm256_extract_epi32(dpbusd_chains(n, _mm256_set1_epi8(1), _mm256_set1_epi8(2)), 0);
  });
}

double peak_vpmaddwd_ymm_gops(double seconds) {
  volatile int sink = 0;
  return best_rate(seconds, 12.0 * 16 * 2, [&](long n) {
    sink = _mm256_extract_epi32(maddwd_chains(n, _mm256_set1_epi16(1), _mm256_set1_epi16(2)), 0);
  });
}

}  // namespace octet::bench
