// elementwise_bench: int8 elementwise kernels (kernels/elementwise) against the scalar
// reference (kernels/reference) on shapes from real models (ResNet-8, MobileNetV2), one
// thread. Rows: <op>/<shape>/<path>, where path is "ref" (the ref:: function the runtime used
// before) or an ISA name (scalar = the same formulas through the kernel drivers). Paths this
// CPU cannot run are not registered. Any architecture (ARM timings only from real boards).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/reference/reference.h"

namespace octet {
namespace {

std::vector<int8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& e : v) e = static_cast<int8_t>(dist(rng));
  return v;
}

// The kernels of `path` (nullptr for "ref").
const ElementwiseQs8Kernels* kernels_for(const std::string& path) {
  Isa isa;
  if (path == "ref" || !isa_from_name(path.c_str(), &isa)) return nullptr;
  return elementwise_qs8_kernels(isa);
}

struct BinaryShape {
  const char* name;
  std::vector<int32_t> a, b;
};

void binary_bench(benchmark::State& state, BinaryQs8Op op, BinaryShape shape, std::string path) {
  ref::Broadcast bc;
  ref::make_broadcast(shape.a.data(), static_cast<int>(shape.a.size()), shape.b.data(),
                      static_cast<int>(shape.b.size()), &bc);
  size_t a_count = 1, b_count = 1, out_count = 1;
  for (int32_t d : shape.a) a_count *= d;
  for (int32_t d : shape.b) b_count *= d;
  for (int d = 0; d < bc.rank; ++d) out_count *= bc.out[d];
  const std::vector<int8_t> a = random_bytes(a_count, 1), b = random_bytes(b_count, 2);
  std::vector<int8_t> y(out_count);
  const ref::QParams qa{0.05f, -3}, qb{0.04f, 7}, qy{op == BinaryQs8Op::kMul ? 0.5f : 0.08f, -1};
  const ElementwiseQs8Kernels* k = kernels_for(path);
  for (auto _ : state) {
    if (k) {
      binary_qs8(*k, op, bc, a.data(), qa, b.data(), qb, qy, -128, 127, y.data());
    } else if (op == BinaryQs8Op::kAdd) {
      ref::add_qs8(bc, a.data(), qa, b.data(), qb, qy, -128, 127, y.data());
    } else {
      ref::mul_qs8(bc, a.data(), qa, b.data(), qb, qy, -128, 127, y.data());
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * out_count));
}

struct PoolShape {
  const char* name;
  int in_h, in_w, channels, filter, stride, pad;
};

ref::PoolGeometry pool_geometry(const PoolShape& s) {
  ref::PoolGeometry g;
  g.in_h = s.in_h, g.in_w = s.in_w, g.channels = s.channels;
  g.filter_h = g.filter_w = s.filter;
  g.stride_h = g.stride_w = s.stride;
  g.pad_top = g.pad_left = s.pad;
  g.out_h = (s.in_h + 2 * s.pad - s.filter) / s.stride + 1;
  g.out_w = (s.in_w + 2 * s.pad - s.filter) / s.stride + 1;
  return g;
}

void pool_bench(benchmark::State& state, bool average, PoolShape shape, std::string path) {
  const ref::PoolGeometry g = pool_geometry(shape);
  const std::vector<int8_t> x = random_bytes(static_cast<size_t>(g.in_h) * g.in_w * g.channels, 3);
  const size_t pixels = static_cast<size_t>(g.out_h) * g.out_w;
  std::vector<int8_t> y(pixels * g.channels);
  const ref::QParams qx{0.05f, -5}, qy{0.05f, -5};
  const ElementwiseQs8Kernels* k = kernels_for(path);
  for (auto _ : state) {
    if (k && average) {
      avgpool_qs8(*k, g, x.data(), qx, qy, -128, 127, y.data(), 0, pixels);
    } else if (k) {
      maxpool_qs8(*k, g, x.data(), qx, qy, -128, 127, y.data(), 0, pixels);
    } else if (average) {
      ref::avgpool_qs8(g, x.data(), qx, qy, -128, 127, y.data());
    } else {
      ref::maxpool_qs8(g, x.data(), qx, qy, -128, 127, y.data());
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * x.size()));
}

// MobileNetV2's final Mean over H and W: ref::mean_qs8 vs the global average pool it runs as.
void mean_bench(benchmark::State& state, std::string path) {
  const int32_t shape[4] = {1, 7, 7, 1280};
  const bool reduce[4] = {false, true, true, false};
  const std::vector<int8_t> x = random_bytes(7 * 7 * 1280, 4);
  std::vector<int8_t> y(1280);
  const ref::QParams qx{0.02f, -128}, qy{0.01f, -128};
  ref::PoolGeometry g;
  mean_qs8_as_global_pool(shape, 4, reduce, &g);
  const ElementwiseQs8Kernels* k = kernels_for(path);
  for (auto _ : state) {
    if (k) {
      avgpool_qs8(*k, g, x.data(), qx, qy, -128, 127, y.data(), 0, 1);
    } else {
      ref::mean_qs8(shape, 4, reduce, x.data(), qx, qy, -128, 127, y.data());
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * x.size()));
}

void lut_bench(benchmark::State& state, size_t n, std::string path) {
  const std::vector<int8_t> x = random_bytes(n, 5), table = random_bytes(256, 6);
  std::vector<int8_t> y(n);
  const ElementwiseQs8Kernels* k = kernels_for(path);
  for (auto _ : state) {
    if (k) {
      k->lut(n, x.data(), table.data(), y.data());
    } else {
      ref::lut_s8(n, x.data(), table.data(), y.data());
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}

void register_all() {
  std::vector<std::string> paths = {"ref"};
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    const ElementwiseQs8Kernels* k = elementwise_qs8_kernels(isa);
    // One row per distinct kernel set (avxvnni runs the avx2 kernels, dotprod the neon ones).
    if (isa_available(isa) && k && k->isa == isa) paths.push_back(isa_name(isa));
  }
  const BinaryShape add_shapes[] = {
      {"resnet8_32x32x16", {1, 32, 32, 16}, {1, 32, 32, 16}},
      {"resnet8_8x8x64", {1, 8, 8, 64}, {1, 8, 8, 64}},
      {"mbv2_56x56x24", {1, 56, 56, 24}, {1, 56, 56, 24}},
      {"mbv2_7x7x160", {1, 7, 7, 160}, {1, 7, 7, 160}},
      {"per_channel_28x28x32+32", {1, 28, 28, 32}, {32}},
      {"per_pixel_28x28x32+28x28x1", {1, 28, 28, 32}, {1, 28, 28, 1}},
  };
  for (const auto& shape : add_shapes) {
    for (const auto& path : paths) {
      benchmark::RegisterBenchmark(("add/" + std::string(shape.name) + "/" + path).c_str(),
                                   binary_bench, BinaryQs8Op::kAdd, shape, path);
    }
  }
  const BinaryShape mul_shapes[] = {
      {"56x56x24", {1, 56, 56, 24}, {1, 56, 56, 24}},
      {"se_14x14x96*1x1x96", {1, 14, 14, 96}, {1, 1, 1, 96}},
  };
  for (const auto& shape : mul_shapes) {
    for (const auto& path : paths) {
      benchmark::RegisterBenchmark(("mul/" + std::string(shape.name) + "/" + path).c_str(),
                                   binary_bench, BinaryQs8Op::kMul, shape, path);
    }
  }
  const PoolShape max_shapes[] = {{"112x112x64_3x3s2", 112, 112, 64, 3, 2, 1},
                                  {"28x28x17_2x2s2", 28, 28, 17, 2, 2, 0}};
  for (const auto& shape : max_shapes) {
    for (const auto& path : paths) {
      benchmark::RegisterBenchmark(("maxpool/" + std::string(shape.name) + "/" + path).c_str(),
                                   pool_bench, false, shape, path);
    }
  }
  const PoolShape avg_shapes[] = {{"resnet8_8x8x64_global", 8, 8, 64, 8, 1, 0},
                                  {"28x28x32_3x3s1", 28, 28, 32, 3, 1, 1}};
  for (const auto& shape : avg_shapes) {
    for (const auto& path : paths) {
      benchmark::RegisterBenchmark(("avgpool/" + std::string(shape.name) + "/" + path).c_str(),
                                   pool_bench, true, shape, path);
    }
  }
  for (const auto& path : paths) {
    benchmark::RegisterBenchmark(("mean/mbv2_7x7x1280/" + path).c_str(), mean_bench, path);
  }
  for (size_t n : {size_t{4096}, size_t{56 * 56 * 24}}) {
    for (const auto& path : paths) {
      benchmark::RegisterBenchmark(("lut/" + std::to_string(n) + "/" + path).c_str(), lut_bench, n,
                                   path);
    }
  }
}

}  // namespace
}  // namespace octet

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  octet::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
