// The one tester for every optimized int8 kernel variant (GEMM, Conv2D-through-GEMM,
// depthwise). For a given Isa it packs the weights for that kernel's family into a
// 64-byte aligned buffer, runs the kernel (optionally split into N / pixel / row ranges as
// threads would), and requires BYTE-IDENTICAL output to the scalar reference (ref::).
// Bytes the call must not write (outside the range, stride gaps) are checked untouched.
//
// Usage (builder style):
//   GemmTester().m(17).n(33).k(65).per_channel(false).test(isa);
// Callers skip ISAs that are not available before calling test() (never SIGILL).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/gemm/gemm.h"
#include "kernels/reference/reference.h"

namespace octet::test {

constexpr int8_t kSentinel = 0x5A;

// A multiplier that spreads outputs of a K-deep dot product (plus folded bias) over the
// int8 range, with some saturation: accumulators are ~1e4 * sqrt(K).
inline float typical_multiplier(Rng& rng, size_t k) {
  return 0.001f * static_cast<float>(random_int(rng, 300, 3000)) /
         (300.0f * std::sqrt(static_cast<float>(k) + 4.0f));
}

// Packs row-major weights/bias for `family` (nothing for RowMajor). Fails the test when the
// family has no packer.
inline AlignedBuffer pack_for(PackFamily family, size_t n, size_t k, const int8_t* w,
                              const int32_t* bias) {
  if (family == PackFamily::kRowMajor) return nullptr;
  const size_t size = gemm_qs8_packed_size(family, n, k);
  EXPECT_GT(size, 0u) << "no packer for family " << pack_family_name(family);
  // Garbage fill: a packer that leaves bytes unwritten that the kernel reads shows up here.
  AlignedBuffer packed = aligned_buffer(size, 0xA7);
  if (size > 0) gemm_qs8_pack(family, n, k, w, bias, packed.get());
  return packed;
}

// Describes the mismatch between two byte arrays, or "" when identical.
inline std::string first_mismatches(const int8_t* got, const int8_t* want, size_t count,
                                    size_t row_len, const char* what) {
  std::string report;
  size_t bad = 0;
  for (size_t i = 0; i < count; ++i) {
    if (got[i] == want[i]) continue;
    if (bad++ < 5) {
      report += std::string(what) + " row " + std::to_string(i / row_len) + " col " +
                std::to_string(i % row_len) + ": got " + std::to_string(got[i]) + ", want " +
                std::to_string(want[i]) + "\n";
    }
  }
  if (bad > 0) report += std::to_string(bad) + " of " + std::to_string(count) + " bytes differ\n";
  return report;
}

// Guards the generated data: expected outputs must take many values, not collapse into a
// few saturated ones (which would make byte equality a weak check).
inline void expect_spread(const std::vector<int8_t>& want, size_t min_distinct) {
  bool seen[256] = {};
  size_t distinct = 0;
  for (int8_t v : want) {
    distinct += !seen[static_cast<uint8_t>(v)];
    seen[static_cast<uint8_t>(v)] = true;
  }
  EXPECT_GE(distinct, min_distinct) << "degenerate test data";
}

class GemmTester {
 public:
  GemmTester& m(size_t v) {
    m_ = v;
    return *this;
  }
  GemmTester& n(size_t v) {
    n_ = v;
    return *this;
  }
  GemmTester& k(size_t v) {
    k_ = v;
    return *this;
  }
  // Extra bytes between rows of A / C (0 = dense).
  GemmTester& a_stride_pad(size_t v) {
    a_pad_ = v;
    return *this;
  }
  GemmTester& c_stride_pad(size_t v) {
    c_pad_ = v;
    return *this;
  }
  GemmTester& per_channel(bool v) {
    per_channel_ = v;
    return *this;
  }
  GemmTester& zero_point(int32_t v) {
    zero_point_ = v;
    return *this;
  }
  GemmTester& qmin(int32_t v) {
    qmin_ = v;
    return *this;
  }
  GemmTester& qmax(int32_t v) {
    qmax_ = v;
    return *this;
  }
  // > 1 scales multipliers up so that many outputs saturate.
  GemmTester& saturation(float v) {
    saturation_ = v;
    return *this;
  }
  // Small operands and multiplier 0.5: half of all results are exact .5 ties, and any
  // accumulator that is off by one changes the output byte.
  GemmTester& ties(bool v) {
    ties_ = v;
    return *this;
  }
  // Extreme operands: A all -128 and W all +-127 (largest |accumulator|).
  GemmTester& extreme_values(bool v) {
    extreme_ = v;
    return *this;
  }
  // Run the columns as this many consecutive N ranges (boundaries multiples of nr).
  GemmTester& n_splits(int v) {
    n_splits_ = v;
    return *this;
  }
  GemmTester& seed(uint32_t v) {
    seed_ = v;
    return *this;
  }

  void test(Isa isa) const {
    const GemmQs8Kernel* kernel = gemm_qs8_kernel(isa);
    ASSERT_NE(kernel, nullptr) << "no GEMM kernel for available ISA " << isa_name(isa);
    SCOPED_TRACE(describe(*kernel));
    Rng rng(seed_);
    const size_t a_stride = k_ + a_pad_, c_stride = n_ + c_pad_;
    // Exact sizes (no slack) so sanitizer builds catch reads past the last row.
    std::vector<int8_t> a = random_int8(rng, m_ == 0 ? 0 : (m_ - 1) * a_stride + k_);
    std::vector<int8_t> w = random_int8(rng, n_ * k_, -127, 127);
    if (ties_) {
      for (auto& v : a) v = static_cast<int8_t>(v % 3);
      for (auto& v : w) v = static_cast<int8_t>(v % 3);
    }
    if (extreme_) {
      std::fill(a.begin(), a.end(), int8_t{-128});
      for (size_t i = 0; i < w.size(); ++i) w[i] = (i / k_) % 2 == 0 ? 127 : -127;
    }
    std::vector<int32_t> bias(n_);
    // Folded biases b - zp_x * sum(w) are about 128 * 73 * sqrt(k) in magnitude.
    const int bias_range =
        ties_ ? 100 : static_cast<int>(16000 * std::sqrt(static_cast<double>(k_)) + 1000);
    for (auto& b : bias) b = random_int(rng, -bias_range, bias_range);
    std::vector<float> multiplier(per_channel_ ? n_ : 1);
    for (auto& mult : multiplier) {
      mult = ties_ ? 0.5f : typical_multiplier(rng, k_) * saturation_;
    }

    // Scalar reference on the dense copy of A.
    std::vector<int8_t> a_dense(m_ * k_);
    for (size_t i = 0; i < m_; ++i) std::copy_n(&a[i * a_stride], k_, &a_dense[i * k_]);
    ref::Requant rq;
    rq.multiplier = multiplier.data();
    rq.per_channel = per_channel_;
    rq.zero_point = zero_point_;
    rq.qmin = qmin_;
    rq.qmax = qmax_;
    std::vector<int8_t> want(m_ * n_);
    ref::fully_connected_qs8(m_, n_, k_, a_dense.data(), w.data(), bias.data(), rq, want.data());

    if (!extreme_ && saturation_ <= 1.0f && qmax_ - qmin_ >= 64) {
      expect_spread(want, std::min<size_t>(16, want.size() / 4));
    }

    const AlignedBuffer packed = pack_for(kernel->family, n_, k_, w.data(), bias.data());
    if (::testing::Test::HasFailure()) return;
    GemmQs8Params p;
    p.m = m_;
    p.n = n_;
    p.k = k_;
    p.a = a.data();
    p.a_stride = a_stride;
    // Packed kernels must not touch the row-major copies: hand them null.
    const bool row_major = kernel->family == PackFamily::kRowMajor;
    p.w = row_major ? w.data() : nullptr;
    p.bias = row_major ? bias.data() : nullptr;
    p.packed = packed.get();
    p.multiplier = multiplier.data();
    p.per_channel = per_channel_;
    p.zero_point = zero_point_;
    p.qmin = qmin_;
    p.qmax = qmax_;
    std::vector<int8_t> c(m_ == 0 ? 0 : (m_ - 1) * c_stride + n_, kSentinel);
    p.c = c.data();
    p.c_stride = c_stride;

    // Column ranges as a thread split would make them: boundaries rounded to nr.
    std::vector<size_t> bounds = {0};
    for (int s = 1; s < n_splits_; ++s) {
      const size_t cut = n_ * s / n_splits_ / kernel->nr * kernel->nr;
      if (cut > bounds.back() && cut < n_) bounds.push_back(cut);
    }
    bounds.push_back(n_);
    for (size_t r = 0; r + 1 < bounds.size(); ++r) {
      p.n_begin = bounds[r];
      p.n_end = bounds[r + 1];
      kernel->run(p);
      // Columns not yet computed must be untouched.
      for (size_t i = 0; i < m_; ++i) {
        for (size_t j = p.n_end; j < n_; ++j) {
          ASSERT_EQ(c[i * c_stride + j], kSentinel)
              << "range [" << p.n_begin << ", " << p.n_end << ") wrote row " << i << " col " << j;
        }
      }
    }
    std::vector<int8_t> got(m_ * n_);
    for (size_t i = 0; i < m_; ++i) {
      std::copy_n(&c[i * c_stride], n_, &got[i * n_]);
      for (size_t j = n_; j < c_stride && i + 1 < m_; ++j) {
        ASSERT_EQ(c[i * c_stride + j], kSentinel) << "stride gap written, row " << i;
      }
    }
    const std::string mismatch = first_mismatches(got.data(), want.data(), got.size(), n_, "gemm");
    EXPECT_TRUE(mismatch.empty()) << mismatch;
  }

 private:
  std::string describe(const GemmQs8Kernel& kernel) const {
    return std::string(isa_name(kernel.isa)) + " gemm m=" + std::to_string(m_) +
           " n=" + std::to_string(n_) + " k=" + std::to_string(k_) +
           " a_pad=" + std::to_string(a_pad_) + " c_pad=" + std::to_string(c_pad_) +
           (per_channel_ ? " per-channel" : " per-tensor") + " zp=" + std::to_string(zero_point_) +
           " q=[" + std::to_string(qmin_) + "," + std::to_string(qmax_) + "]" +
           " sat=" + std::to_string(saturation_) + " splits=" + std::to_string(n_splits_) +
           (extreme_ ? " extreme" : "") + (ties_ ? " ties" : "");
  }

  size_t m_ = 1, n_ = 1, k_ = 1, a_pad_ = 0, c_pad_ = 0;
  bool per_channel_ = true, extreme_ = false, ties_ = false;
  int32_t zero_point_ = 0, qmin_ = -128, qmax_ = 127;
  float saturation_ = 1.0f;
  int n_splits_ = 1;
  uint32_t seed_ = 1;
};

// Conv geometry helper: out size from explicit bottom/right padding.
inline ref::ConvGeometry conv_geometry(int batch, int in_h, int in_w, int in_c, int out_c,
                                       int kernel_h, int kernel_w, int stride_h, int stride_w,
                                       int dilation_h, int dilation_w, int pad_top, int pad_left,
                                       int pad_bottom, int pad_right) {
  ref::ConvGeometry g;
  g.batch = batch;
  g.in_h = in_h;
  g.in_w = in_w;
  g.in_c = in_c;
  g.out_c = out_c;
  g.kernel_h = kernel_h;
  g.kernel_w = kernel_w;
  g.stride_h = stride_h;
  g.stride_w = stride_w;
  g.dilation_h = dilation_h;
  g.dilation_w = dilation_w;
  g.pad_top = pad_top;
  g.pad_left = pad_left;
  g.out_h = (in_h + pad_top + pad_bottom - dilation_h * (kernel_h - 1) - 1) / stride_h + 1;
  g.out_w = (in_w + pad_left + pad_right - dilation_w * (kernel_w - 1) - 1) / stride_w + 1;
  return g;
}

// Random int8 conv operands shared by the Conv2D and depthwise testers.
struct QuantOperands {
  std::vector<int8_t> x, w;
  std::vector<int32_t> bias;
  std::vector<float> multiplier;
  ref::Requant rq;
};

inline QuantOperands make_operands(Rng& rng, const ref::ConvGeometry& g, size_t weight_count,
                                   size_t taps, int32_t x_zero_point, int32_t y_zero_point,
                                   bool per_channel) {
  QuantOperands o;
  o.x = random_int8(rng, static_cast<size_t>(g.batch) * g.in_h * g.in_w * g.in_c);
  o.w = random_int8(rng, weight_count, -127, 127);
  o.bias.resize(g.out_c);
  // Folded bias: b - zp_x * sum(w) for the channel (sum taken over the reference layout).
  // |sum(w)| of one channel is about 73 * sqrt(weights per channel).
  const int sum_range =
      static_cast<int>(73 * std::sqrt(static_cast<double>(weight_count / g.out_c))) + 1;
  for (auto& b : o.bias) {
    b = random_int(rng, -5000, 5000) - x_zero_point * random_int(rng, -sum_range, sum_range);
  }
  o.multiplier.resize(per_channel ? g.out_c : 1);
  for (auto& mult : o.multiplier) mult = typical_multiplier(rng, taps);
  o.rq.multiplier = o.multiplier.data();
  o.rq.per_channel = per_channel;
  o.rq.zero_point = y_zero_point;
  return o;
}

class ConvTester {
 public:
  explicit ConvTester(const ref::ConvGeometry& g) : g_(g) {}
  ConvTester& x_zero_point(int32_t v) {
    x_zero_point_ = v;
    return *this;
  }
  ConvTester& y_zero_point(int32_t v) {
    y_zero_point_ = v;
    return *this;
  }
  ConvTester& per_channel(bool v) {
    per_channel_ = v;
    return *this;
  }
  // Run the output pixels as this many consecutive ranges (as threads would).
  ConvTester& pixel_splits(int v) {
    pixel_splits_ = v;
    return *this;
  }
  ConvTester& seed(uint32_t v) {
    seed_ = v;
    return *this;
  }
  // Extra GEMM columns (copies of these im2col columns, Conv2DQs8Params::extra_columns); the
  // reference is then the conv whose weight at column c is w[c] plus the weights of its copies
  // (ref::conv2d_qs8_wide with every channel wide).
  ConvTester& extra_columns(std::vector<int32_t> v) {
    extra_columns_ = std::move(v);
    return *this;
  }

  void test(Isa isa) const {
    const GemmQs8Kernel* kernel = gemm_qs8_kernel(isa);
    ASSERT_NE(kernel, nullptr) << "no GEMM kernel for available ISA " << isa_name(isa);
    SCOPED_TRACE(std::string(isa_name(isa)) + " conv2d " + describe());
    Rng rng(seed_);
    const size_t taps = static_cast<size_t>(g_.kernel_h) * g_.kernel_w * g_.in_c;
    const int extra = static_cast<int>(extra_columns_.size());
    const size_t k = taps + static_cast<size_t>(extra);
    QuantOperands o =
        make_operands(rng, g_, g_.out_c * k, taps, x_zero_point_, y_zero_point_, per_channel_);
    const size_t pixels = static_cast<size_t>(g_.batch) * g_.out_h * g_.out_w;
    std::vector<int8_t> want(pixels * g_.out_c);
    if (extra == 0) {
      ref::conv2d_qs8(g_, o.x.data(), x_zero_point_, o.w.data(), o.bias.data(), o.rq, want.data());
    } else {
      std::vector<int16_t> merged(g_.out_c * taps);
      std::vector<int32_t> channels(g_.out_c);
      for (int c = 0; c < g_.out_c; ++c) {
        channels[c] = c;
        for (size_t t = 0; t < taps; ++t) merged[c * taps + t] = o.w[c * k + t];
        for (int e = 0; e < extra; ++e)
          merged[c * taps + extra_columns_[e]] += o.w[c * k + taps + e];
      }
      const ref::WideChannels all{g_.out_c, channels.data(), merged.data()};
      ref::conv2d_qs8_wide(g_, 0, pixels, o.x.data(), x_zero_point_, all, o.bias.data(), o.rq,
                           want.data());
    }
    expect_spread(want, std::min<size_t>(16, want.size() / 4));

    const AlignedBuffer packed = pack_for(kernel->family, g_.out_c, k, o.w.data(), o.bias.data());
    if (::testing::Test::HasFailure()) return;
    const size_t scratch_size = conv2d_qs8_scratch_size(g_, extra);
    AlignedBuffer scratch = aligned_buffer(scratch_size, 0xC3);
    Conv2DQs8Params p;
    p.g = g_;
    p.x = o.x.data();
    p.x_zero_point = x_zero_point_;
    const bool row_major = kernel->family == PackFamily::kRowMajor;
    p.w = row_major ? o.w.data() : nullptr;
    p.bias = row_major ? o.bias.data() : nullptr;
    p.packed = packed.get();
    p.rq = o.rq;
    std::vector<int8_t> y(want.size(), kSentinel);
    p.y = y.data();
    p.scratch = scratch_size > 0 ? reinterpret_cast<int8_t*>(scratch.get()) : nullptr;
    p.extra_columns = extra_columns_.data();
    p.extra_count = extra;
    for (int s = 0; s < pixel_splits_; ++s) {
      p.pixel_begin = pixels * s / pixel_splits_;
      p.pixel_end = pixels * (s + 1) / pixel_splits_;
      conv2d_qs8(*kernel, p);
      for (size_t i = p.pixel_end * g_.out_c; i < y.size(); ++i) {
        ASSERT_EQ(y[i], kSentinel) << "pixel range [" << p.pixel_begin << ", " << p.pixel_end
                                   << ") wrote pixel " << i / g_.out_c;
      }
    }
    const std::string mismatch =
        first_mismatches(y.data(), want.data(), y.size(), g_.out_c, "conv2d");
    EXPECT_TRUE(mismatch.empty()) << mismatch;
  }

 private:
  std::string describe() const {
    return std::to_string(g_.batch) + "x" + std::to_string(g_.in_h) + "x" +
           std::to_string(g_.in_w) + "x" + std::to_string(g_.in_c) + " -> " +
           std::to_string(g_.out_h) + "x" + std::to_string(g_.out_w) + "x" +
           std::to_string(g_.out_c) + " k" + std::to_string(g_.kernel_h) + "x" +
           std::to_string(g_.kernel_w) + " s" + std::to_string(g_.stride_h) + "," +
           std::to_string(g_.stride_w) + " d" + std::to_string(g_.dilation_h) + "," +
           std::to_string(g_.dilation_w) + " pad " + std::to_string(g_.pad_top) + "," +
           std::to_string(g_.pad_left) + " zx=" + std::to_string(x_zero_point_) +
           " zy=" + std::to_string(y_zero_point_) + " splits=" + std::to_string(pixel_splits_) +
           " extra columns " + std::to_string(extra_columns_.size());
  }

  ref::ConvGeometry g_;
  std::vector<int32_t> extra_columns_;
  // Non-zero by default so that padding read as 0 instead of zp_x shows up.
  int32_t x_zero_point_ = 19, y_zero_point_ = 0;
  bool per_channel_ = true;
  int pixel_splits_ = 1;
  uint32_t seed_ = 1;
};

class DwConvTester {
 public:
  explicit DwConvTester(const ref::ConvGeometry& g) : g_(g) {}
  DwConvTester& x_zero_point(int32_t v) {
    x_zero_point_ = v;
    return *this;
  }
  DwConvTester& y_zero_point(int32_t v) {
    y_zero_point_ = v;
    return *this;
  }
  DwConvTester& per_channel(bool v) {
    per_channel_ = v;
    return *this;
  }
  DwConvTester& qmin(int32_t v) {
    qmin_ = v;
    return *this;
  }
  DwConvTester& qmax(int32_t v) {
    qmax_ = v;
    return *this;
  }
  // Run the output rows as this many consecutive ranges (as threads would).
  DwConvTester& row_splits(int v) {
    row_splits_ = v;
    return *this;
  }
  DwConvTester& seed(uint32_t v) {
    seed_ = v;
    return *this;
  }

  // Returns false (nothing run) when `isa` has no depthwise kernel.
  bool test(Isa isa) const {
    const DwConvQs8Kernel* kernel = dwconv_qs8_kernel(isa);
    if (kernel == nullptr) return false;
    EXPECT_EQ(kernel->isa, isa);
    SCOPED_TRACE(std::string(isa_name(isa)) + " dwconv " + std::to_string(g_.batch) + "x" +
                 std::to_string(g_.in_h) + "x" + std::to_string(g_.in_w) + "x" +
                 std::to_string(g_.in_c) + " mult " + std::to_string(g_.depth_multiplier) + " k" +
                 std::to_string(g_.kernel_h) + "x" + std::to_string(g_.kernel_w) + " s" +
                 std::to_string(g_.stride_h) + "," + std::to_string(g_.stride_w) + " d" +
                 std::to_string(g_.dilation_h) + " pad " + std::to_string(g_.pad_top) + "," +
                 std::to_string(g_.pad_left) + " zx=" + std::to_string(x_zero_point_) +
                 " zy=" + std::to_string(y_zero_point_));
    Rng rng(seed_);
    const size_t taps = static_cast<size_t>(g_.kernel_h) * g_.kernel_w;
    QuantOperands o =
        make_operands(rng, g_, taps * g_.out_c, taps, x_zero_point_, y_zero_point_, per_channel_);
    o.rq.qmin = qmin_;
    o.rq.qmax = qmax_;
    const size_t out_size = static_cast<size_t>(g_.batch) * g_.out_h * g_.out_w * g_.out_c;
    std::vector<int8_t> want(out_size);
    ref::dwconv2d_qs8(g_, o.x.data(), x_zero_point_, o.w.data(), o.bias.data(), o.rq, want.data());
    if (qmax_ - qmin_ >= 64) expect_spread(want, std::min<size_t>(16, want.size() / 4));

    const size_t scratch_size = dwconv_qs8_scratch_size(isa, g_);
    // With the planned scratch, and without any (scratch is optional).
    for (const bool use_scratch : {true, false}) {
      if (!use_scratch && scratch_size == 0) continue;
      AlignedBuffer scratch = aligned_buffer(scratch_size, 0xC3);
      DwConvQs8Params p;
      p.g = g_;
      p.x = o.x.data();
      p.x_zero_point = x_zero_point_;
      p.w = o.w.data();
      p.bias = o.bias.data();
      p.rq = o.rq;
      std::vector<int8_t> y(out_size, kSentinel);
      p.y = y.data();
      p.scratch = use_scratch && scratch_size > 0 ? scratch.get() : nullptr;
      p.scratch_size = use_scratch ? scratch_size : 0;
      const size_t row_bytes = static_cast<size_t>(g_.out_w) * g_.out_c;
      for (int s = 0; s < row_splits_; ++s) {
        p.oh_begin = g_.out_h * s / row_splits_;
        p.oh_end = g_.out_h * (s + 1) / row_splits_;
        kernel->run(p);
        for (int b = 0; b < g_.batch; ++b) {
          for (int oh = p.oh_end; oh < g_.out_h; ++oh) {
            for (size_t i = 0; i < row_bytes; ++i) {
              if (y[(static_cast<size_t>(b) * g_.out_h + oh) * row_bytes + i] != kSentinel) {
                ADD_FAILURE() << "rows [" << p.oh_begin << ", " << p.oh_end << ") wrote row " << oh;
                return true;
              }
            }
          }
        }
      }
      const std::string mismatch =
          first_mismatches(y.data(), want.data(), out_size, g_.out_c, "dwconv");
      EXPECT_TRUE(mismatch.empty())
          << (use_scratch ? "with scratch\n" : "without scratch\n") << mismatch;
    }
    return true;
  }

 private:
  ref::ConvGeometry g_;
  // Non-zero by default so that padding read as 0 instead of zp_x shows up.
  int32_t x_zero_point_ = -23, y_zero_point_ = 0, qmin_ = -128, qmax_ = 127;
  bool per_channel_ = true;
  int row_splits_ = 1;
  uint32_t seed_ = 1;
};

inline ref::ConvGeometry dw_geometry(int batch, int in_h, int in_w, int channels, int multiplier,
                                     int kernel_h, int kernel_w, int stride, int dilation,
                                     int pad_top, int pad_left, int pad_bottom, int pad_right) {
  ref::ConvGeometry g =
      conv_geometry(batch, in_h, in_w, channels, channels * multiplier, kernel_h, kernel_w, stride,
                    stride, dilation, dilation, pad_top, pad_left, pad_bottom, pad_right);
  g.depth_multiplier = multiplier;
  return g;
}

}  // namespace octet::test
