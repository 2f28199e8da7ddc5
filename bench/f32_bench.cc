// Float Conv2D / DepthwiseConv2D / FullyConnected of real models (ResNet-8 CIFAR, MobileNetV2,
// DS-CNN) through Octet's float kernels (kernels/f32) and Debian's XNNPACK f32 operators on the
// same shapes, in the same run, one thread each. Both read the same row-major weights (XNNPACK
// packs them at operator creation, outside the timed loop). Each benchmark alternates the two
// and reports medians per call:
//   octet_us, xnnpack_us, speedup = xnnpack_us / octet_us (> 1: Octet faster), octet_GFLOPS.
// The outputs are compared first (relative tolerance); a mismatch aborts the benchmark.
#include <benchmark/benchmark.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/f32/f32.h"
#include "kernels/reference/reference.h"

namespace octet::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr float kInf = std::numeric_limits<float>::infinity();

enum class Kind { kConv, kDepthwise, kFullyConnected };

struct Shape {
  const char* name;
  Kind kind;
  // Conv / depthwise: input h, w, c; output channels; kernel; stride; TF "SAME" padding.
  int h = 1, w = 1, c = 1, oc = 1, kh = 1, kw = 1, stride = 1;
  bool same = true;
  // FullyConnected: batch m, n outputs, k inputs.
  int m = 1, n = 1, k = 1;
};

ref::ConvGeometry geometry(const Shape& s) {
  ref::ConvGeometry g;
  g.in_h = s.h, g.in_w = s.w, g.in_c = s.c, g.out_c = s.oc;
  g.kernel_h = s.kh, g.kernel_w = s.kw, g.stride_h = g.stride_w = s.stride;
  if (s.same) {
    g.out_h = (s.h + s.stride - 1) / s.stride;
    g.out_w = (s.w + s.stride - 1) / s.stride;
    g.pad_top = std::max((g.out_h - 1) * s.stride + s.kh - s.h, 0) / 2;
    g.pad_left = std::max((g.out_w - 1) * s.stride + s.kw - s.w, 0) / 2;
  } else {
    g.out_h = (s.h - s.kh) / s.stride + 1;
    g.out_w = (s.w - s.kw) / s.stride + 1;
  }
  return g;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& e : v) e = dist(rng);
  return v;
}

double median(std::vector<double>* v) {
  if (v->empty()) return 0;
  std::nth_element(v->begin(), v->begin() + v->size() / 2, v->end());
  return (*v)[v->size() / 2];
}

template <typename Fn>
double seconds(Fn fn) {
  const auto t0 = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void bm_f32(benchmark::State& state, Shape s, Isa isa) {
  const F32Kernels* kernels = f32_kernels(isa);
  if (kernels == nullptr) {
    state.SkipWithError("no float kernels for this ISA on this CPU");
    return;
  }
  const bool fc = s.kind == Kind::kFullyConnected;
  const bool dw = s.kind == Kind::kDepthwise;
  ref::ConvGeometry g = geometry(s);
  if (dw) g.out_c = s.c;
  const size_t x_size = fc ? static_cast<size_t>(s.m) * s.k : static_cast<size_t>(s.h) * s.w * s.c;
  const size_t y_size =
      fc ? static_cast<size_t>(s.m) * s.n : static_cast<size_t>(g.out_h) * g.out_w * g.out_c;
  const size_t w_size = fc   ? static_cast<size_t>(s.n) * s.k
                        : dw ? static_cast<size_t>(s.kh) * s.kw * s.c
                             : static_cast<size_t>(s.oc) * s.kh * s.kw * s.c;
  const size_t out_c = fc ? s.n : g.out_c;
  const auto x = random_floats(x_size, 1), w = random_floats(w_size, 2),
             bias = random_floats(out_c, 3);
  std::vector<float> y_octet(y_size), y_xnn(y_size);
  const float lo = 0.0f, hi = 6.0f;
  const double macs = static_cast<double>(y_size) * (fc   ? s.k
                                                     : dw ? s.kh * s.kw
                                                          : static_cast<double>(s.kh) * s.kw * s.c);

  xnn_operator_t op = nullptr;
  xnn_status status;
  if (fc) {
    status = xnn_create_fully_connected_nc_f32(s.k, s.n, s.k, s.n, w.data(), bias.data(), lo, hi, 0,
                                               &op);
    if (status == xnn_status_success) {
      status = xnn_setup_fully_connected_nc_f32(op, s.m, x.data(), y_xnn.data(), nullptr);
    }
  } else {
    const uint32_t pad_bottom = std::max((g.out_h - 1) * s.stride + s.kh - s.h - g.pad_top, 0);
    const uint32_t pad_right = std::max((g.out_w - 1) * s.stride + s.kw - s.w - g.pad_left, 0);
    status = xnn_create_convolution2d_nhwc_f32(
        g.pad_top, pad_right, pad_bottom, g.pad_left, s.kh, s.kw, s.stride, s.stride, 1, 1,
        dw ? s.c : 1, dw ? 1 : s.c, dw ? 1 : s.oc, s.c, g.out_c, w.data(), bias.data(), lo, hi,
        dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op);
    if (status == xnn_status_success) {
      status = xnn_setup_convolution2d_nhwc_f32(op, 1, s.h, s.w, x.data(), y_xnn.data(), nullptr);
    }
  }
  if (status != xnn_status_success) {
    if (op != nullptr) xnn_delete_operator(op);
    state.SkipWithError("XNNPACK operator creation failed");
    return;
  }
  const size_t pixels = static_cast<size_t>(g.out_h) * g.out_w;
  auto run_octet = [&] {
    if (fc) {
      kernels->fully_connected(s.m, s.n, s.k, x.data(), w.data(), bias.data(), lo, hi,
                               y_octet.data(), 0, s.m, 0, s.n);
    } else if (dw) {
      kernels->dwconv2d(g, x.data(), w.data(), bias.data(), lo, hi, y_octet.data(), 0, pixels);
    } else {
      kernels->conv2d(g, x.data(), w.data(), bias.data(), lo, hi, y_octet.data(), 0, pixels, 0,
                      g.out_c);
    }
  };
  auto run_xnn = [&] { xnn_run_operator(op, nullptr); };

  // Same answer first: otherwise the comparison means nothing.
  run_octet();
  run_xnn();
  const double k_len = fc ? s.k : dw ? s.kh * s.kw : static_cast<double>(s.kh) * s.kw * s.c;
  for (size_t i = 0; i < y_size; ++i) {
    const double err = std::fabs(static_cast<double>(y_octet[i]) - y_xnn[i]);
    if (err > 1e-5 * k_len * std::max(1.0, std::fabs(static_cast<double>(y_xnn[i])))) {
      std::fprintf(stderr, "%s: element %zu octet %g xnnpack %g\n", s.name, i, y_octet[i],
                   y_xnn[i]);
      xnn_delete_operator(op);
      state.SkipWithError("Octet and XNNPACK disagree");
      return;
    }
  }

  std::vector<double> t_octet, t_xnn;
  t_octet.reserve(1 << 16);
  t_xnn.reserve(1 << 16);
  for (auto _ : state) {
    const double a = seconds(run_octet);
    const double b = seconds(run_xnn);
    state.SetIterationTime(a);
    if (t_octet.size() < t_octet.capacity()) {
      t_octet.push_back(a);
      t_xnn.push_back(b);
    }
  }
  xnn_delete_operator(op);
  const double octet_s = median(&t_octet), xnn_s = median(&t_xnn);
  state.counters["octet_us"] = octet_s * 1e6;
  state.counters["xnnpack_us"] = xnn_s * 1e6;
  state.counters["speedup"] = xnn_s / octet_s;
  state.counters["octet_GFLOPS"] = 2 * macs / octet_s * 1e-9;
  state.counters["xnnpack_GFLOPS"] = 2 * macs / xnn_s * 1e-9;
}

Shape conv(const char* name, int h, int w, int c, int oc, int k, int stride) {
  Shape s{name, Kind::kConv};
  s.h = h, s.w = w, s.c = c, s.oc = oc, s.kh = s.kw = k, s.stride = stride;
  return s;
}
Shape conv_kxk(const char* name, int h, int w, int c, int oc, int kh, int kw, int stride) {
  Shape s = conv(name, h, w, c, oc, kh, stride);
  s.kw = kw;
  return s;
}
Shape depthwise(const char* name, int h, int w, int c, int stride) {
  Shape s{name, Kind::kDepthwise};
  s.h = h, s.w = w, s.c = c, s.oc = c, s.kh = s.kw = 3, s.stride = stride;
  return s;
}
Shape fully_connected(const char* name, int m, int n, int k) {
  Shape s{name, Kind::kFullyConnected};
  s.m = m, s.n = n, s.k = k;
  return s;
}

const Shape kShapes[] = {
    // MLPerf Tiny ResNet-8 (CIFAR-10, 32x32x3).
    conv("resnet8/conv_32x32x3_16", 32, 32, 3, 16, 3, 1),
    conv("resnet8/conv_32x32x16_16", 32, 32, 16, 16, 3, 1),
    conv("resnet8/conv_32x32x16_32_s2", 32, 32, 16, 32, 3, 2),
    conv("resnet8/conv_16x16x32_32", 16, 16, 32, 32, 3, 1),
    conv("resnet8/conv1x1_32x32x16_32_s2", 32, 32, 16, 32, 1, 2),
    conv("resnet8/conv_16x16x32_64_s2", 16, 16, 32, 64, 3, 2),
    conv("resnet8/conv_8x8x64_64", 8, 8, 64, 64, 3, 1),
    conv("resnet8/conv1x1_16x16x32_64_s2", 16, 16, 32, 64, 1, 2),
    fully_connected("resnet8/fc_64_10", 1, 10, 64),
    // MobileNetV2 1.0 224.
    conv("mobilenetv2/conv_224x224x3_32_s2", 224, 224, 3, 32, 3, 2),
    depthwise("mobilenetv2/dw_112x112x32", 112, 112, 32, 1),
    conv("mobilenetv2/pw_112x112x32_16", 112, 112, 32, 16, 1, 1),
    conv("mobilenetv2/pw_112x112x16_96", 112, 112, 16, 96, 1, 1),
    depthwise("mobilenetv2/dw_112x112x96_s2", 112, 112, 96, 2),
    conv("mobilenetv2/pw_56x56x96_24", 56, 56, 96, 24, 1, 1),
    conv("mobilenetv2/pw_56x56x24_144", 56, 56, 24, 144, 1, 1),
    depthwise("mobilenetv2/dw_56x56x144", 56, 56, 144, 1),
    conv("mobilenetv2/pw_28x28x32_192", 28, 28, 32, 192, 1, 1),
    conv("mobilenetv2/pw_14x14x96_576", 14, 14, 96, 576, 1, 1),
    depthwise("mobilenetv2/dw_14x14x576", 14, 14, 576, 1),
    conv("mobilenetv2/pw_14x14x576_96", 14, 14, 576, 96, 1, 1),
    depthwise("mobilenetv2/dw_7x7x960", 7, 7, 960, 1),
    conv("mobilenetv2/pw_7x7x960_320", 7, 7, 960, 320, 1, 1),
    conv("mobilenetv2/pw_7x7x320_1280", 7, 7, 320, 1280, 1, 1),
    fully_connected("mobilenetv2/fc_1280_1000", 1, 1000, 1280),
    // DS-CNN (keyword spotting, 49x10 MFCC).
    conv_kxk("dscnn/conv_49x10x1_64_10x4_s2", 49, 10, 1, 64, 10, 4, 2),
    depthwise("dscnn/dw_25x5x64", 25, 5, 64, 1),
    conv("dscnn/pw_25x5x64_64", 25, 5, 64, 64, 1, 1),
    fully_connected("dscnn/fc_64_12", 1, 12, 64),
};

void register_all() {
  static const Isa kIsas[] = {Isa::kAvx512Vnni, Isa::kAvx2, Isa::kNeon};
  for (Isa isa : kIsas) {
    if (f32_kernels(isa) == nullptr) continue;
    for (const Shape& s : kShapes) {
      const std::string name = std::string("f32/") + s.name + "/" + f32_kernels(isa)->name;
      benchmark::RegisterBenchmark(name.c_str(), bm_f32, s, isa)->UseManualTime()->MinTime(0.2);
    }
  }
}

}  // namespace
}  // namespace octet::bench

int main(int argc, char** argv) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    std::fprintf(stderr, "xnn_initialize failed\n");
    return 1;
  }
  octet::bench::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
