// Octet kernel benchmarks (Google Benchmark): qs8 GEMM shapes from real models and
// MobileNetV2's 17 depthwise layers, 1 and 2 threads, every x86 ISA path the CPU has, and
// the same shapes through Debian's XNNPACK (qc8 convolution: per-channel weights, like
// Octet) in the same run. Counters:
//   GOPS         2 * MACs / wall time
//   pct_peak     GOPS / (threads x the measured peak of the kernel's instruction)
//   pct_dram_bw  GEMV only: weight bytes / time / measured DRAM read bandwidth
//   vs_xnnpack   XNNPACK time / Octet time for the same shape and thread count (1 thread:
//                CPU time of the calling thread; 2 threads: wall time, as XNNPACK's pool
//                threads cannot be timed one by one)
// Times are medians over the calls (the machine is shared: a call that lost its core to
// another process is an outlier). GOPS and pct_peak with 2 threads use the busier
// thread's own CPU time (kernel scaling); GOPS_wall is the plain wall-clock rate.
// The machine's peaks (vpdpbusd zmm/ymm, vpmaddwd, fp32 FMA, DRAM and L2 read bandwidth)
// are measured first and printed, and are benchmarks of their own (Peak/...).
//
//   octet_bench [--benchmark_filter=...] [--quick]   (--quick: shorter peak measurement)
#include <benchmark/benchmark.h>
#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/machine_peaks.h"
#include "kernels/common/isa.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/f32/f32.h"
#include "kernels/gemm/gemm.h"

namespace octet::bench {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- machine limits
struct Limits {
  double zmm_gops = 0, ymm_gops = 0, maddwd_gops = 0, fma_gflops = 0;
  double dram_gbs_1t = 0, dram_gbs_2t = 0, l2_gbs = 0;
};
Limits g_limits;

// The instruction peak of `isa`, re-measured (briefly) right before each benchmark: on a
// shared machine the clock and the share of the core change over a run, and the percentage
// should compare a kernel with the peak under the same conditions.
double isa_peak(Isa isa) {
  constexpr double kSeconds = 0.03;
  switch (isa) {
    case Isa::kAvxVnni:
      return peak_vpdpbusd_ymm_gops(kSeconds);
    case Isa::kAvx2:
      return peak_vpmaddwd_ymm_gops(kSeconds);
    case Isa::kAvx512Vnni:
    default:
      return isa_available(Isa::kAvx512Vnni) ? peak_vpdpbusd_zmm_gops(kSeconds) : 0.0;
  }
}

struct AlignedDelete {
  void operator()(void* p) const { std::free(p); }
};
template <typename T>
std::unique_ptr<T[], AlignedDelete> aligned_array(size_t count) {
  const size_t bytes = std::max<size_t>(64, (count * sizeof(T) + 63) / 64 * 64);
  return std::unique_ptr<T[], AlignedDelete>(static_cast<T*>(std::aligned_alloc(64, bytes)));
}

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Two threads that stay alive only for one benchmark: the caller runs one half, the worker
// the other. Spawning std::thread per call would cost more than small shapes. Each side
// adds the CPU time of its own work to busy[side], so a busy machine (other processes
// taking the cores) can be told apart from the kernels' scaling.
class TwoThreads {
 public:
  TwoThreads() : worker_([this] { loop(); }) {}
  ~TwoThreads() {
    stop_.store(true, std::memory_order_release);
    worker_.join();
  }
  void run(const std::function<void()>& mine, const std::function<void()>& theirs) {
    job_ = &theirs;
    const uint64_t gen = generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
    const double t0 = thread_cpu_seconds();
    mine();
    busy[0] += thread_cpu_seconds() - t0;
    for (int spins = 0; done_.load(std::memory_order_acquire) != gen; ++spins) {
      if (spins > 4000) std::this_thread::yield();
      __builtin_ia32_pause();
    }
  }
  double busy[2] = {0, 0};

 private:
  void loop() {
    uint64_t seen = 0;
    for (int spins = 0; !stop_.load(std::memory_order_acquire);) {
      const uint64_t gen = generation_.load(std::memory_order_acquire);
      if (gen == seen) {
        if (++spins > 4000) std::this_thread::yield();
        __builtin_ia32_pause();
        continue;
      }
      spins = 0;
      const double t0 = thread_cpu_seconds();
      (*job_)();
      busy[1] += thread_cpu_seconds() - t0;
      seen = gen;
      done_.store(gen, std::memory_order_release);
    }
  }
  const std::function<void()>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0}, done_{0};
  std::atomic<bool> stop_{false};
  std::thread worker_;
};

struct Timing {
  double wall = 0;  // median seconds per call, wall clock
  double cpu = 0;   // median seconds per call of CPU time on the critical path (see timed_loop)
};

double median(std::vector<double>* v) {
  if (v->empty()) return 0;
  std::nth_element(v->begin(), v->begin() + v->size() / 2, v->end());
  return (*v)[v->size() / 2];
}

// Runs fn() for the benchmark's iterations (each a batch of calls) and takes the median
// per call (robust to other processes taking the core now and then). 1 thread: cpu = this thread's CPU time. With a
// pool: cpu = the busier thread's own kernel CPU time. external_threads (XNNPACK's pool,
// whose threads we cannot time): cpu = the wall time.
template <typename Fn>
Timing timed_loop(benchmark::State& state, Fn fn, TwoThreads* pool = nullptr,
                  int external_threads = 0) {
  // Warm caches / page in, and size the batch of calls per sample: reading the thread CPU
  // clock is a system call (~0.3 us in this VM), so a sample covers >= 50 us of calls.
  const auto w0 = Clock::now();
  fn();
  const double first = std::chrono::duration<double>(Clock::now() - w0).count();
  const int batch = static_cast<int>(std::min(1000.0, std::max(1.0, 50e-6 / std::max(first, 1e-9))));
  std::vector<double> walls, cpus;
  walls.reserve(1 << 16);
  cpus.reserve(1 << 16);
  for (auto _ : state) {
    const double busy0 = pool ? pool->busy[0] : 0, busy1 = pool ? pool->busy[1] : 0;
    const double c0 = thread_cpu_seconds();
    const auto t0 = Clock::now();
    for (int i = 0; i < batch; ++i) fn();
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count() / batch;
    const double cpu = (pool ? std::max(pool->busy[0] - busy0, pool->busy[1] - busy1)
                             : external_threads > 0 ? wall * batch : thread_cpu_seconds() - c0) /
                       batch;
    if (walls.size() < walls.capacity()) {
      walls.push_back(wall);
      cpus.push_back(cpu);
    }
  }
  Timing t;
  t.wall = median(&walls);
  t.cpu = median(&cpus);
  return t;
}

// Time of the XNNPACK run of the same shape/threads, for the vs_xnnpack counter.
std::map<std::string, double> g_xnnpack_seconds;

// ---------------------------------------------------------------- GEMM
struct GemmShape {
  const char* model;
  size_t m, n, k;
};

const GemmShape kGemmShapes[] = {
    // MobileNetV2 (224x224) pointwise convs: M = pixels, N = out channels, K = in channels.
    {"mnv2_expand_112", 12544, 96, 16},
    {"mnv2_project_112", 12544, 16, 32},
    {"mnv2_expand_56", 3136, 144, 24},
    {"mnv2_project_56", 3136, 24, 144},
    {"mnv2_expand_28", 784, 192, 32},
    {"mnv2_project_28", 784, 32, 192},
    {"mnv2_expand_14", 196, 384, 64},
    {"mnv2_project_14", 196, 64, 384},
    {"mnv2_expand_7", 49, 960, 160},
    {"mnv2_project_7", 49, 320, 960},
    {"mnv2_last_1x1", 49, 1280, 320},
    // ResNet-8 (MLPerf Tiny, CIFAR 32x32) 3x3 convs through im2col: K = 9 * C_in.
    {"resnet8_conv_32", 1024, 16, 144},
    {"resnet8_conv_16", 256, 32, 288},
    {"resnet8_conv_8", 64, 64, 576},
    // DS-CNN (MLPerf Tiny KWS, 25x5 feature map) pointwise 64 -> 64.
    {"dscnn_pointwise", 125, 64, 64},
    // Large M, small K (the fixed per-tile cost: bias, requantization, stores).
    {"k64_m3136", 3136, 64, 64},
    {"k128_m3136", 3136, 128, 128},
    {"k256_m3136", 3136, 256, 256},
    // LLM-style layers.
    {"llm_gemv_4096", 1, 4096, 4096},
    {"llm_gemv_512MiB", 1, 16384, 32768},  // weights larger than the 256 MiB L3
    {"llm_prefill_qkv", 128, 3072, 768},
    {"llm_prefill_ffn_down", 128, 768, 3072},
    {"square_1024", 1024, 1024, 1024},
};

struct GemmOperands {
  GemmShape shape;
  std::unique_ptr<int8_t[], AlignedDelete> a, w, c;
  std::unique_ptr<int32_t[], AlignedDelete> bias;
  std::unique_ptr<float[], AlignedDelete> scale;
};

std::shared_ptr<GemmOperands> make_gemm(const GemmShape& s) {
  auto o = std::make_shared<GemmOperands>();
  o->shape = s;
  o->a = aligned_array<int8_t>(s.m * s.k);
  o->w = aligned_array<int8_t>(s.n * s.k);
  o->c = aligned_array<int8_t>(s.m * s.n);
  o->bias = aligned_array<int32_t>(s.n);
  o->scale = aligned_array<float>(s.n);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(-127, 127);
  for (size_t i = 0; i < s.m * s.k; ++i) o->a[i] = static_cast<int8_t>(byte(rng));
  for (size_t i = 0; i < s.n * s.k; ++i) o->w[i] = static_cast<int8_t>(byte(rng));
  for (size_t j = 0; j < s.n; ++j) {
    o->bias[j] = byte(rng) * 64;
    o->scale[j] = 0.5f / (64.0f * std::sqrt(static_cast<float>(s.k))) * (1.0f + 0.001f * byte(rng));
  }
  return o;
}

// Operands are big for some shapes (512 MiB): build once, share between the benchmarks.
std::shared_ptr<GemmOperands> gemm_operands(const GemmShape& s) {
  static std::map<std::string, std::shared_ptr<GemmOperands>> cache;
  auto it = cache.find(s.model);
  if (it != cache.end()) return it->second;
  cache.clear();  // one shape at a time (registration order keeps a shape's runs together)
  return cache[s.model] = make_gemm(s);
}

std::string key(const char* what, int threads) { return std::string(what) + "/" + std::to_string(threads); }

// Counters from the CPU-time estimate (see timed_loop), plus the wall-clock rate.
void report(benchmark::State& state, double ops, double weight_bytes, int threads, const Timing& t,
            double peak_per_thread) {
  const double gops = ops / t.cpu / 1e9;
  state.counters["GOPS"] = gops;
  state.counters["GOPS_wall"] = ops / t.wall / 1e9;
  state.counters["pct_peak"] = 100.0 * gops / (peak_per_thread * threads);
  state.counters["peak_1t"] = peak_per_thread;
  state.counters["us"] = t.cpu * 1e6;
  if (weight_bytes > 0) {
    const double gbs = weight_bytes / t.cpu / 1e9;
    state.counters["GBps"] = gbs;
    state.counters["pct_dram_bw"] =
        100.0 * gbs / (threads == 1 ? g_limits.dram_gbs_1t : g_limits.dram_gbs_2t);
  }
}

double gemm_ops(const GemmShape& s) { return 2.0 * s.m * s.n * s.k; }
double gemv_bytes(const GemmShape& s) { return s.m == 1 ? static_cast<double>(s.n) * s.k : 0.0; }

void bm_gemm_octet(benchmark::State& state, GemmShape s, Isa isa, int threads) {
  if (!isa_available(isa)) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  const GemmQs8Kernel* kernel = gemm_qs8_kernel(isa);
  auto o = gemm_operands(s);
  const double peak = isa_peak(isa);
  const size_t packed_size = gemm_qs8_packed_size(kernel->family, s.n, s.k);
  auto packed = aligned_array<uint8_t>(packed_size);
  gemm_qs8_pack(kernel->family, s.n, s.k, o->w.get(), o->bias.get(), packed.get());
  GemmQs8Params p;
  p.m = s.m;
  p.n = s.n;
  p.k = s.k;
  p.a = o->a.get();
  p.a_stride = s.k;
  p.packed = packed.get();
  p.w = o->w.get();
  p.bias = o->bias.get();
  p.multiplier = o->scale.get();
  p.zero_point = -3;
  p.c = o->c.get();
  p.c_stride = s.n;
  p.n_begin = 0;
  p.n_end = s.n;
  Timing t;
  if (threads == 1) {
    t = timed_loop(state, [&] { kernel->run(p); });
  } else {
    // Split M when there are rows to share, else N (GEMV) at a multiple of nr: the same
    // split as the runtime's (runtime/src/executor.cc: ceil(M / 2) rows to the first thread).
    GemmQs8Params first = p, second = p;
    if (s.m >= 16) {
      const size_t half = (s.m + 1) / 2;
      first.m = half;
      second.m = s.m - half;
      second.a = p.a + half * p.a_stride;
      second.c = p.c + half * p.c_stride;
    } else {
      const size_t half = s.n / 2 / kernel->nr * kernel->nr;
      first.n_end = half;
      second.n_begin = half;
    }
    TwoThreads pool;
    const std::function<void()> mine = [&] { kernel->run(first); };
    const std::function<void()> theirs = [&] { kernel->run(second); };
    t = timed_loop(state, [&] { pool.run(mine, theirs); }, &pool);
  }
  report(state, gemm_ops(s), gemv_bytes(s), threads, t, peak);
  auto xnn = g_xnnpack_seconds.find(key(s.model, threads));
  if (xnn != g_xnnpack_seconds.end()) state.counters["vs_xnnpack"] = xnn->second / (threads == 1 ? t.cpu : t.wall);
}

pthreadpool_t xnn_pool(int threads) {
  static pthreadpool_t two = pthreadpool_create(2);
  return threads == 1 ? nullptr : two;
}

void bm_gemm_xnnpack(benchmark::State& state, GemmShape s, int threads) {
  auto o = gemm_operands(s);
  const double peak = isa_peak(Isa::kAvx512Vnni);
  xnn_operator_t op = nullptr;
  // 1x1 convolution with per-channel (qc8) weights = the qs8-qc8w GEMM Octet computes.
  xnn_status status = xnn_create_convolution2d_nhwc_qc8(
      0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, s.k, s.n, s.k, s.n, /*input_zero_point=*/1, 0.5f,
      o->scale.get(), o->w.get(), o->bias.get(), -3, 1.0f, -128, 127, 0, &op);
  if (status == xnn_status_success) {
    status = xnn_setup_convolution2d_nhwc_qc8(op, 1, s.m, 1, o->a.get(), o->c.get(), xnn_pool(threads));
  }
  if (status != xnn_status_success) {
    state.SkipWithError("XNNPACK create/setup failed");
    if (op != nullptr) xnn_delete_operator(op);
    return;
  }
  const Timing t = timed_loop(state, [&] { xnn_run_operator(op, xnn_pool(threads)); }, nullptr,
                              threads == 1 ? 0 : threads);
  xnn_delete_operator(op);
  report(state, gemm_ops(s), gemv_bytes(s), threads, t, peak);
  g_xnnpack_seconds[key(s.model, threads)] = t.cpu;
}

// ---------------------------------------------------------------- depthwise
struct DwShape {
  const char* name;
  int hw, c, stride;
};

// MobileNetV2 (224x224 input): the 17 depthwise 3x3 layers, input size, channels, stride.
const DwShape kMobileNetV2Dw[17] = {
    {"mnv2_dw01_112x32_s1", 112, 32, 1},  {"mnv2_dw02_112x96_s2", 112, 96, 2},
    {"mnv2_dw03_56x144_s1", 56, 144, 1},  {"mnv2_dw04_56x144_s2", 56, 144, 2},
    {"mnv2_dw05_28x192_s1", 28, 192, 1},  {"mnv2_dw06_28x192_s1", 28, 192, 1},
    {"mnv2_dw07_28x192_s2", 28, 192, 2},  {"mnv2_dw08_14x384_s1", 14, 384, 1},
    {"mnv2_dw09_14x384_s1", 14, 384, 1},  {"mnv2_dw10_14x384_s1", 14, 384, 1},
    {"mnv2_dw11_14x384_s1", 14, 384, 1},  {"mnv2_dw12_14x576_s1", 14, 576, 1},
    {"mnv2_dw13_14x576_s1", 14, 576, 1},  {"mnv2_dw14_14x576_s2", 14, 576, 2},
    {"mnv2_dw15_7x960_s1", 7, 960, 1},    {"mnv2_dw16_7x960_s1", 7, 960, 1},
    {"mnv2_dw17_7x960_s1", 7, 960, 1},
};

// TensorFlow SAME padding: stride 1 pads 1 all round, stride 2 (even input) pads bottom/right.
ref::ConvGeometry dw_geometry(const DwShape& s) {
  ref::ConvGeometry g;
  g.in_h = g.in_w = s.hw;
  g.in_c = g.out_c = s.c;
  g.kernel_h = g.kernel_w = 3;
  g.stride_h = g.stride_w = s.stride;
  g.out_h = g.out_w = (s.hw + s.stride - 1) / s.stride;
  g.pad_top = g.pad_left = s.stride == 1 ? 1 : 0;
  return g;
}

// 64-byte aligned storage (the runtime's arena is 64-byte aligned; std::vector's 16 would
// make every 64-byte channel load split two cache lines).
struct AlignedBytes {
  void resize(size_t n) {
    storage.assign(n + 64, 0);
    const uintptr_t base = reinterpret_cast<uintptr_t>(storage.data());
    offset = static_cast<size_t>((64 - base % 64) % 64);
    count = n;
  }
  int8_t* data() { return storage.data() + offset; }
  int8_t* begin() { return data(); }
  int8_t* end() { return data() + count; }
  std::vector<int8_t> storage;
  size_t offset = 0, count = 0;
};

struct DwOperands {
  ref::ConvGeometry g;
  AlignedBytes x, y;
  std::vector<int8_t> w;
  std::vector<int32_t> bias;
  std::vector<float> scale;
};

DwOperands make_dw(const DwShape& s) {
  DwOperands o;
  o.g = dw_geometry(s);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(-127, 127);
  o.x.resize(static_cast<size_t>(s.hw) * s.hw * s.c);
  o.w.resize(9 * static_cast<size_t>(s.c));
  o.y.resize(static_cast<size_t>(o.g.out_h) * o.g.out_w * s.c);
  for (auto& v : o.x) v = static_cast<int8_t>(byte(rng));
  for (auto& v : o.w) v = static_cast<int8_t>(byte(rng));
  o.bias.resize(s.c);
  o.scale.resize(s.c);
  for (int c = 0; c < s.c; ++c) {
    o.bias[c] = byte(rng) * 16;
    o.scale[c] = 1.0f / 2048.0f * (1.0f + 0.001f * byte(rng));
  }
  return o;
}

double dw_ops(const ref::ConvGeometry& g) {
  return 2.0 * g.out_h * g.out_w * g.out_c * g.kernel_h * g.kernel_w;
}

DwConvQs8Params dw_params(DwOperands& o) {
  DwConvQs8Params p;
  p.g = o.g;
  p.x = o.x.data();
  p.x_zero_point = 2;
  p.w = o.w.data();
  p.bias = o.bias.data();
  p.rq.multiplier = o.scale.data();
  p.rq.zero_point = -5;
  p.y = o.y.data();
  p.oh_begin = 0;
  p.oh_end = o.g.out_h;
  return p;
}

void run_dw_octet(const DwConvQs8Kernel* kernel, const DwConvQs8Params& p, TwoThreads* pool) {
  if (pool == nullptr) {
    kernel->run(p);
    return;
  }
  DwConvQs8Params first = p, second = p;
  first.oh_end = second.oh_begin = (p.oh_begin + p.oh_end) / 2;
  const std::function<void()> mine = [&] { kernel->run(first); };
  const std::function<void()> theirs = [&] { kernel->run(second); };
  pool->run(mine, theirs);
}

void bm_dw_octet(benchmark::State& state, DwShape s, Isa isa, int threads) {
  if (!isa_available(isa)) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  const DwConvQs8Kernel* kernel = dwconv_qs8_kernel(isa);
  DwOperands o = make_dw(s);
  const DwConvQs8Params p = dw_params(o);
  const double peak = isa_peak(isa);
  std::unique_ptr<TwoThreads> pool(threads == 2 ? new TwoThreads : nullptr);
  const Timing t = timed_loop(state, [&] { run_dw_octet(kernel, p, pool.get()); }, pool.get());
  report(state, dw_ops(o.g), 0, threads, t, peak);
  auto xnn = g_xnnpack_seconds.find(key(s.name, threads));
  if (xnn != g_xnnpack_seconds.end()) state.counters["vs_xnnpack"] = xnn->second / (threads == 1 ? t.cpu : t.wall);
}

xnn_operator_t create_xnn_dw(DwOperands& o) {
  const ref::ConvGeometry& g = o.g;
  const int pad_total_h = std::max(0, (g.out_h - 1) * g.stride_h + g.kernel_h - g.in_h);
  const int pad_total_w = std::max(0, (g.out_w - 1) * g.stride_w + g.kernel_w - g.in_w);
  xnn_operator_t op = nullptr;
  const xnn_status status = xnn_create_convolution2d_nhwc_qc8(
      g.pad_top, pad_total_w - g.pad_left, pad_total_h - g.pad_top, g.pad_left, 3, 3, g.stride_h,
      g.stride_w, 1, 1, g.in_c, 1, 1, g.in_c, g.out_c, 2, 0.5f, o.scale.data(), o.w.data(),
      o.bias.data(), -5, 1.0f, -128, 127, XNN_FLAG_DEPTHWISE_CONVOLUTION, &op);
  return status == xnn_status_success ? op : nullptr;
}

void bm_dw_xnnpack(benchmark::State& state, DwShape s, int threads) {
  DwOperands o = make_dw(s);
  const double peak = isa_peak(Isa::kAvx512Vnni);
  xnn_operator_t op = create_xnn_dw(o);
  if (op == nullptr || xnn_setup_convolution2d_nhwc_qc8(op, 1, o.g.in_h, o.g.in_w, o.x.data(),
                                                         o.y.data(), xnn_pool(threads)) !=
                           xnn_status_success) {
    state.SkipWithError("XNNPACK create/setup failed");
    return;
  }
  const Timing t = timed_loop(state, [&] { xnn_run_operator(op, xnn_pool(threads)); }, nullptr,
                              threads == 1 ? 0 : threads);
  xnn_delete_operator(op);
  report(state, dw_ops(o.g), 0, threads, t, peak);
  g_xnnpack_seconds[key(s.name, threads)] = t.cpu;
}

// All 17 layers back to back (the depthwise part of one MobileNetV2 inference).
void bm_dw_all_octet(benchmark::State& state, Isa isa, int threads) {
  if (!isa_available(isa)) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  const DwConvQs8Kernel* kernel = dwconv_qs8_kernel(isa);
  std::vector<DwOperands> layers;
  std::vector<DwConvQs8Params> params;
  double ops = 0;
  for (const DwShape& s : kMobileNetV2Dw) layers.push_back(make_dw(s));
  for (auto& o : layers) {
    params.push_back(dw_params(o));
    ops += dw_ops(o.g);
  }
  std::unique_ptr<TwoThreads> pool(threads == 2 ? new TwoThreads : nullptr);
  const Timing t = timed_loop(
      state, [&] { for (const auto& p : params) run_dw_octet(kernel, p, pool.get()); }, pool.get());
  report(state, ops, 0, threads, t, isa_peak(isa));
  auto xnn = g_xnnpack_seconds.find(key("mnv2_dw_all17", threads));
  if (xnn != g_xnnpack_seconds.end()) state.counters["vs_xnnpack"] = xnn->second / (threads == 1 ? t.cpu : t.wall);
}

void bm_dw_all_xnnpack(benchmark::State& state, int threads) {
  std::vector<DwOperands> layers;
  std::vector<xnn_operator_t> ops;
  double total_ops = 0;
  for (const DwShape& s : kMobileNetV2Dw) layers.push_back(make_dw(s));
  for (auto& o : layers) {
    xnn_operator_t op = create_xnn_dw(o);
    if (op == nullptr || xnn_setup_convolution2d_nhwc_qc8(op, 1, o.g.in_h, o.g.in_w, o.x.data(),
                                                           o.y.data(), xnn_pool(threads)) !=
                             xnn_status_success) {
      state.SkipWithError("XNNPACK create/setup failed");
      return;
    }
    ops.push_back(op);
    total_ops += dw_ops(o.g);
  }
  const Timing t = timed_loop(
      state, [&] { for (auto op : ops) xnn_run_operator(op, xnn_pool(threads)); }, nullptr,
      threads == 1 ? 0 : threads);
  for (auto op : ops) xnn_delete_operator(op);
  report(state, total_ops, 0, threads, t, isa_peak(Isa::kAvx512Vnni));
  g_xnnpack_seconds[key("mnv2_dw_all17", threads)] = t.cpu;
}

// ---------------------------------------------------------------- fp32 GEMM
// The float kernels the runtime runs for layers kept in float (kernels/f32) on a few of the
// GEMM shapes, in both forms it uses: FullyConnected (dot products along K, weights [N][K]) and
// a 1x1 Conv2D over M pixels (outer product on weight blocks transposed into a stack buffer,
// weights [N][K] too). pct_peak is against the measured zmm FMA peak (AVX-512) or half of it
// (AVX2: ymm).
void bm_gemm_f32(benchmark::State& state, GemmShape s, Isa isa, bool conv1x1) {
  const F32Kernels* kernels = isa_available(isa) ? f32_kernels(isa) : nullptr;
  if (kernels == nullptr) {
    state.SkipWithError("no float kernels for this ISA on this CPU");
    return;
  }
  std::vector<float> a(s.m * s.k), w(s.n * s.k), bias(s.n), c(s.m * s.n);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (auto& v : a) v = dist(rng);
  for (auto& v : w) v = dist(rng);
  for (auto& v : bias) v = dist(rng);
  ref::ConvGeometry g;  // M pixels in one row, K input channels, N output channels
  g.in_h = g.out_h = 1;
  g.in_w = g.out_w = static_cast<int>(s.m);
  g.in_c = static_cast<int>(s.k);
  g.out_c = static_cast<int>(s.n);
  const float lo = -3.402823466e+38f, hi = 3.402823466e+38f;
  const double fma_peak = peak_fma_zmm_gflops(0.03) * (isa == Isa::kAvx512Vnni ? 1.0 : 0.5);
  const Timing t = timed_loop(state, [&] {
    if (conv1x1) {
      kernels->conv2d(g, a.data(), w.data(), bias.data(), lo, hi, c.data(), 0, s.m, 0, g.out_c);
    } else {
      kernels->fully_connected(s.m, s.n, s.k, a.data(), w.data(), bias.data(), lo, hi, c.data(),
                               0, s.m, 0, s.n);
    }
  });
  report(state, gemm_ops(s), 0, 1, t, fma_peak);
}

// ---------------------------------------------------------------- peaks as benchmarks
void bm_peak(benchmark::State& state, const char* what) {
  double value = 0;
  for (auto _ : state) {
    if (std::strcmp(what, "vpdpbusd_zmm") == 0) value = peak_vpdpbusd_zmm_gops(0.05);
    if (std::strcmp(what, "vpdpbusd_ymm") == 0) value = peak_vpdpbusd_ymm_gops(0.05);
    if (std::strcmp(what, "vpmaddwd_ymm") == 0) value = peak_vpmaddwd_ymm_gops(0.05);
    if (std::strcmp(what, "fma_zmm") == 0) value = peak_fma_zmm_gflops(0.05);
  }
  state.counters[std::strcmp(what, "fma_zmm") == 0 ? "GFLOPS" : "GOPS"] = value;
}

double read_bandwidth_gbs(size_t bytes, int threads, double seconds) {
  auto buffer = aligned_array<uint8_t>(bytes);
  std::memset(buffer.get(), 1, bytes);
  double best = 0;
  volatile long long sink = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  std::unique_ptr<TwoThreads> pool(threads == 2 ? new TwoThreads : nullptr);
  const size_t half = bytes / 2 / 512 * 512;
  const std::function<void()> first = [&] { sink = read_buffer_avx512(buffer.get(), half); };
  const std::function<void()> second = [&] {
    sink = read_buffer_avx512(buffer.get() + half, bytes - half);
  };
  const int repeats = bytes < (8u << 20) ? 1000 : 1;
  do {
    // CPU time of the reading thread(s), as for the kernels (see timed_loop).
    const double t0 = thread_cpu_seconds();
    if (pool) pool->busy[0] = pool->busy[1] = 0;
    for (int r = 0; r < repeats; ++r) {
      if (pool) {
        pool->run(first, second);
      } else {
        sink = read_buffer_avx512(buffer.get(), bytes);
      }
    }
    const double s = pool ? std::max(pool->busy[0], pool->busy[1]) : thread_cpu_seconds() - t0;
    best = std::max(best, static_cast<double>(bytes) * repeats / s / 1e9);
  } while (Clock::now() < end);
  return best;
}

void bm_read_bandwidth(benchmark::State& state, size_t bytes, int threads) {
  double gbs = 0;
  for (auto _ : state) gbs = read_bandwidth_gbs(bytes, threads, 0.3);
  state.counters["GBps"] = gbs;
}

void measure_limits(bool quick) {
  const double t = quick ? 0.2 : 1.0;
  if (isa_available(Isa::kAvx512Vnni)) {
    g_limits.zmm_gops = peak_vpdpbusd_zmm_gops(t);
    g_limits.fma_gflops = peak_fma_zmm_gflops(t);
    g_limits.dram_gbs_1t = read_bandwidth_gbs(size_t{1} << 30, 1, 2 * t);
    g_limits.dram_gbs_2t = read_bandwidth_gbs(size_t{1} << 30, 2, 2 * t);
    g_limits.l2_gbs = read_bandwidth_gbs(size_t{1} << 20, 1, t);
  }
  if (isa_available(Isa::kAvxVnni)) g_limits.ymm_gops = peak_vpdpbusd_ymm_gops(t);
  if (isa_available(Isa::kAvx2)) g_limits.maddwd_gops = peak_vpmaddwd_ymm_gops(t);
  std::printf(
      "Machine limits (1 core unless noted): vpdpbusd zmm %.1f GOPS, vpdpbusd ymm %.1f GOPS, "
      "vpmaddwd ymm %.1f GOPS, fp32 FMA zmm %.1f GFLOPS, DRAM read %.1f GB/s (2 threads %.1f), "
      "L2-resident read %.1f GB/s\n",
      g_limits.zmm_gops, g_limits.ymm_gops, g_limits.maddwd_gops, g_limits.fma_gflops,
      g_limits.dram_gbs_1t, g_limits.dram_gbs_2t, g_limits.l2_gbs);
  std::fflush(stdout);
}

void register_all() {
  const Isa kIsas[] = {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2};
  if (isa_available(Isa::kAvx512Vnni)) {
    benchmark::RegisterBenchmark("Peak/vpdpbusd_zmm", bm_peak, "vpdpbusd_zmm")->Iterations(1);
    benchmark::RegisterBenchmark("Peak/fma_zmm", bm_peak, "fma_zmm")->Iterations(1);
    benchmark::RegisterBenchmark("Peak/read_dram_1GiB/threads:1", bm_read_bandwidth,
                                 size_t{1} << 30, 1)->Iterations(1);
    benchmark::RegisterBenchmark("Peak/read_dram_1GiB/threads:2", bm_read_bandwidth,
                                 size_t{1} << 30, 2)->Iterations(1);
    benchmark::RegisterBenchmark("Peak/read_l2_1MiB/threads:1", bm_read_bandwidth,
                                 size_t{1} << 20, 1)->Iterations(1);
  }
  if (isa_available(Isa::kAvxVnni)) {
    benchmark::RegisterBenchmark("Peak/vpdpbusd_ymm", bm_peak, "vpdpbusd_ymm")->Iterations(1);
  }
  benchmark::RegisterBenchmark("Peak/vpmaddwd_ymm", bm_peak, "vpmaddwd_ymm")->Iterations(1);

  for (const GemmShape& s : kGemmShapes) {
    for (int threads : {1, 2}) {
      const std::string suffix = std::string(s.model) + "/" + std::to_string(s.m) + "x" +
                                 std::to_string(s.n) + "x" + std::to_string(s.k) +
                                 "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(("Gemm/xnnpack/" + suffix).c_str(), bm_gemm_xnnpack, s, threads)
          ->UseRealTime();
      for (Isa isa : kIsas) {
        if (threads == 2 && isa != Isa::kAvx512Vnni) continue;
        benchmark::RegisterBenchmark(
            ("Gemm/octet_" + std::string(isa_name(isa)) + "/" + suffix).c_str(), bm_gemm_octet, s,
            isa, threads)
            ->UseRealTime();
      }
    }
  }
  for (const GemmShape& s : kGemmShapes) {
    const std::string model = s.model;
    if (model != "square_1024" && model != "llm_prefill_qkv" && model != "mnv2_project_7") continue;
    const std::string suffix = model + "/" + std::to_string(s.m) + "x" + std::to_string(s.n) +
                               "x" + std::to_string(s.k) + "/threads:1";
    for (Isa isa : {Isa::kAvx512Vnni, Isa::kAvx2}) {
      const std::string isa_label = isa == Isa::kAvx512Vnni ? "avx512" : "avx2";
      benchmark::RegisterBenchmark(("GemmF32/" + isa_label + "_fc/" + suffix).c_str(), bm_gemm_f32,
                                   s, isa, false)
          ->UseRealTime();
      benchmark::RegisterBenchmark(("GemmF32/" + isa_label + "_conv1x1/" + suffix).c_str(),
                                   bm_gemm_f32, s, isa, true)
          ->UseRealTime();
    }
  }
  for (const DwShape& s : kMobileNetV2Dw) {
    for (int threads : {1, 2}) {
      const std::string suffix = std::string(s.name) + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(("DwConv/xnnpack/" + suffix).c_str(), bm_dw_xnnpack, s, threads)
          ->UseRealTime();
      for (Isa isa : kIsas) {
        if (threads == 2 && isa != Isa::kAvx512Vnni) continue;
        benchmark::RegisterBenchmark(
            ("DwConv/octet_" + std::string(isa_name(isa)) + "/" + suffix).c_str(), bm_dw_octet, s,
            isa, threads)
            ->UseRealTime();
      }
    }
  }
  for (int threads : {1, 2}) {
    const std::string suffix = "mnv2_dw_all17/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(("DwConv/xnnpack/" + suffix).c_str(), bm_dw_all_xnnpack, threads)
        ->UseRealTime();
    for (Isa isa : kIsas) {
      if (threads == 2 && isa != Isa::kAvx512Vnni) continue;
      benchmark::RegisterBenchmark(("DwConv/octet_" + std::string(isa_name(isa)) + "/" + suffix).c_str(),
                                   bm_dw_all_octet, isa, threads)
          ->UseRealTime();
    }
  }
}

}  // namespace
}  // namespace octet::bench

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  if (xnn_initialize(nullptr) != xnn_status_success) {
    std::fprintf(stderr, "xnn_initialize failed\n");
    return 1;
  }
  octet::bench::measure_limits(quick);
  octet::bench::register_all();
  benchmark::Initialize(&count, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
