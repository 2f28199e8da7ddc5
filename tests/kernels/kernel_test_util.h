// Helpers shared by the kernel tests: deterministic random data, an independent double
// precision quantization model, 64-byte aligned buffers, and ISA test naming.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/isa.h"

namespace octet::test {

using Rng = std::mt19937;

inline std::vector<int8_t> random_int8(Rng& rng, size_t n, int lo = -128, int hi = 127) {
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& e : v) e = static_cast<int8_t>(dist(rng));
  return v;
}

inline std::vector<float> random_float(Rng& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& e : v) e = dist(rng);
  return v;
}

inline int random_int(Rng& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// The exact quantization of a real value: round half to even in double, clamp.
inline int quantize_exact(double real, double scale, int zero_point, int qmin, int qmax) {
  const double q = std::nearbyint(real / scale) + zero_point;
  return static_cast<int>(std::min<double>(std::max<double>(q, qmin), qmax));
}

// Fraction of elements that must match the double model exactly (the rest may be 1 LSB
// off, where fp32 rounding lands on the other side of a .5 tie).
constexpr double kMinExactFraction = 0.9;

// Compares int8 results to the exact model: every element within 1 LSB, most exact.
inline void expect_within_one_lsb(const std::vector<int8_t>& got, const std::vector<int>& want,
                                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  size_t exact = 0, bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const int diff = std::abs(static_cast<int>(got[i]) - want[i]);
    exact += diff == 0;
    if (diff > 1 && bad++ < 5) {
      ADD_FAILURE() << what << ": element " << i << " is " << static_cast<int>(got[i])
                    << ", expected " << want[i];
    }
  }
  EXPECT_EQ(bad, 0u) << what;
  // Guards the test data: results must not collapse to a few values (e.g. all saturated).
  std::vector<int> distinct(want.begin(), want.end());
  std::sort(distinct.begin(), distinct.end());
  const size_t distinct_count = std::unique(distinct.begin(), distinct.end()) - distinct.begin();
  EXPECT_GE(distinct_count, std::min<size_t>(8, want.size() / 4)) << what << ": degenerate data";
  if (!got.empty()) {
    EXPECT_GE(static_cast<double>(exact) / got.size(), kMinExactFraction) << what;
  }
}

// 64-byte aligned, zero-padded-to-64 heap buffer (what the runtime hands kernels).
struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<uint8_t, AlignedFree>;
inline AlignedBuffer aligned_buffer(size_t bytes, uint8_t fill) {
  const size_t rounded = std::max<size_t>(64, (bytes + 63) / 64 * 64);
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(64, rounded));
  std::fill(p, p + rounded, fill);
  return AlignedBuffer(p);
}

// gtest value printer (found by ADL for octet::Isa parameters).
}  // namespace octet::test
namespace octet {
inline void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }
}  // namespace octet
namespace octet::test {

// Test-name suffix for an ISA parameter.
struct IsaName {
  std::string operator()(const ::testing::TestParamInfo<Isa>& info) const {
    return isa_name(info.param);
  }
};

inline std::vector<Isa> all_isas() {
  std::vector<Isa> isas;
  for (int i = 0; i < kIsaCount; ++i) isas.push_back(static_cast<Isa>(i));
  return isas;
}

}  // namespace octet::test
