// This machine's limits, measured at bench start-up so every kernel can report the share
// of them it reaches. Each function runs for about `seconds` and returns the best rate.
#pragma once

#include <cstddef>

namespace octet::bench {

// int8 multiply-accumulate throughput in GOPS (2 ops per MAC) of one core, from many
// independent dependency chains of the instruction (so latency never limits).
double peak_vpdpbusd_zmm_gops(double seconds);  // AVX512-VNNI
double peak_vpdpbusd_ymm_gops(double seconds);  // AVX-VNNI
double peak_vpmaddwd_ymm_gops(double seconds);  // AVX2 int16 pairs (what the AVX2 path uses)
double peak_fma_zmm_gflops(double seconds);     // fp32 FMA, for reference

// Sums `bytes` of `buffer` (64-byte aligned, bytes a multiple of 64) with wide loads in four
// concurrent streams; returns a value depending on every byte so the reads cannot be dropped.
long long read_buffer_avx512(const void* buffer, size_t bytes);

}  // namespace octet::bench
