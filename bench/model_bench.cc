// End-to-end latency of the real models in ../shared/models (Google Benchmark): one
// octet_session_invoke of each model, in the same run and alternating call by call,
//   int8   the int8 model on the best ISA for this CPU (OCTET_ISA_AUTO)
//   ref    the same int8 model on the scalar reference kernels (OCTET_ISA_SCALAR)
//   float  the float model (octet-convert --float) on the fast float kernels of the best ISA
// at 1 thread, and 2 threads for the larger models. Each call is timed by the wall clock and by
// the calling thread's CPU clock (minus the clock's own cost). The machine is shared: a call of
// a few milliseconds is often preempted, so its wall time measures the load as much as Octet.
// Counters, microseconds:
//   int8_us, ref_us, float_us   the latency estimate: 1 thread, the median CPU time of the
//                               calling thread (which does all the work); 2 threads, the
//                               fastest wall-clock call (the caller's CPU time misses the worker)
//   int8_wall_us, ...           median wall-clock time per call, load included
//   int8_matches_ref            1 when the optimized and reference int8 outputs are byte-identical
//   ref_over_int8 (speed-up of the optimized int8 kernels over the reference) and
//   float_over_int8 (speed-up of int8 over float; 0 when there is no float model), of the
//   estimates
// The benchmark's own Time column is one round of all variants, not a latency.
//
// Models are converted once, at start-up, by the octet-convert binary of this build into
// <build>/bench/models (again only when the source or the converter is newer). Float sources
// become (a) an int8 model calibrated on random samples (calibration changes scales, not the
// work done) and (b) a float model; int8 / uint8 TFLite files keep their own quantization.
// Without ../shared (OCTET_SHARED_DIR) every model is skipped with a message.
//
//   octet_model_bench [--benchmark_repetitions=5] [--benchmark_filter=...]
// A Markdown table over the repetitions is printed at the end.
#include <benchmark/benchmark.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "octet/octet.h"

namespace octet::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A model source in ../shared/models and how to turn it into a .octet file.
enum class Source { kFloat, kQuantized };

struct Network {
  const char* name;
  const char* float_file;  // relative to shared/models, or nullptr (no float model exists)
  // int8 variants: label and file (nullptr file = octet-convert's own int8 of float_file)
  struct Int8 {
    const char* label;
    const char* file;
  } int8[2];
  bool two_threads;  // large enough that a second thread is worth timing
};

const Network kNetworks[] = {
    {"resnet8",
     "mlperf-tiny/mlperftiny_ic_resnet8_cifar10_float.tflite",
     {{"octet_int8", nullptr},
      {"mlperf_int8", "mlperf-tiny/mlperftiny_ic_resnet8_cifar10_int8.tflite"}},
     true},
    {"vww_mnv1",
     "mlperf-tiny/mlperftiny_vww_mobilenetv1_0.25_96_float.tflite",
     {{"octet_int8", nullptr},
      {"mlperf_int8", "mlperf-tiny/mlperftiny_vww_mobilenetv1_0.25_96_int8.tflite"}},
     true},
    {"kws_dscnn",
     "mlperf-tiny/mlperftiny_kws_dscnn_float.tflite",
     {{"octet_int8", nullptr}, {"mlperf_int8", "mlperf-tiny/mlperftiny_kws_dscnn_int8.tflite"}},
     false},
    {"ad01",
     "mlperf-tiny/mlperftiny_ad01_autoencoder_float.tflite",
     {{"octet_int8", nullptr},
      {"mlperf_int8", "mlperf-tiny/mlperftiny_ad01_autoencoder_int8.tflite"}},
     false},
    {"mnv2_coral",
     nullptr,
     {{"tf2_ptq_int8", "coral/coral_tf2_mobilenet_v2_1.0_224_ptq.tflite"},
      {"tf1_uint8", "coral/coral_mobilenet_v2_1.0_224_quant.tflite"}},
     true},
    {"person_detect", nullptr, {{"tflm_int8", "tflm/tflm_person_detect.tflite"}, {}}, true},
    {"micro_speech",
     nullptr,
     {{"tflm_int8", "tflm/tflm_micro_speech_quantized.tflite"}, {}},
     false},
    {"mnist_onnx", "onnx/wonnx_opt-mnist.onnx", {{"octet_int8", nullptr}, {}}, false},
};

bool file_exists(const std::string& path, time_t* mtime = nullptr) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return false;
  if (mtime) *mtime = st.st_mtime;
  return true;
}

std::string base_name(const char* relative) {
  std::string s = relative;
  s = s.substr(s.find_last_of('/') + 1);
  return s.substr(0, s.find_last_of('.'));
}

// Converts `source` into `out` unless `out` is newer than both the source and the converter.
// Returns an empty string on success, else what went wrong.
std::string convert(const std::string& source, const std::string& out, const char* flags) {
  time_t src_time = 0, out_time = 0, tool_time = 0;
  if (!file_exists(source, &src_time)) return "missing " + source;
  file_exists(OCTET_CONVERT_PATH, &tool_time);
  if (file_exists(out, &out_time) && out_time >= src_time && out_time >= tool_time) return "";
  const std::string log = out + ".log";
  const std::string command = std::string("'") + OCTET_CONVERT_PATH + "' '" + source + "' -o '" +
                              out + "' -q " + flags + " > '" + log + "' 2>&1";
  std::printf("converting %s -> %s %s\n", source.c_str(), out.c_str(), flags);
  std::fflush(stdout);
  if (std::system(command.c_str()) != 0) {
    std::remove(out.c_str());
    return "octet-convert failed, see " + log;
  }
  return "";
}

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// The thread CPU clock is a system call on some VMs: its cost (median of back-to-back reads)
// is subtracted from each CPU-time sample.
double cpu_clock_cost() {
  std::vector<double> d(201);
  for (double& x : d) {
    const double a = thread_cpu_seconds();
    x = thread_cpu_seconds() - a;
  }
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

// One invocable model: session, inputs filled with deterministic random data.
class Runner {
 public:
  ~Runner() {
    if (session_) octet_session_destroy(session_);
    if (model_) octet_model_close(model_);
  }
  std::string open(const std::string& path, octet_isa isa, int threads) {
    if (octet_model_open(path.c_str(), &model_) != OCTET_OK)
      return path + ": " + octet_last_error();
    octet_session_options options;
    octet_session_options_init(&options);
    options.isa = isa;
    options.num_threads = threads;
    if (octet_session_create(model_, &options, nullptr, 0, &session_) != OCTET_OK)
      return path + ": " + octet_last_error();
    std::mt19937 rng(7);
    for (int i = 0; i < octet_model_num_inputs(model_); ++i) {
      octet_tensor_info info;
      octet_model_input_info(model_, i, &info);
      void* data = octet_session_input(session_, i);
      if (info.dtype == OCTET_FLOAT32) {
        std::uniform_real_distribution<float> dist(0.0f, 1.0f);
        float* f = static_cast<float*>(data);
        for (size_t j = 0; j < info.size_bytes / sizeof(float); ++j) f[j] = dist(rng);
      } else {
        uint8_t* b = static_cast<uint8_t*>(data);
        for (size_t j = 0; j < info.size_bytes; ++j) b[j] = static_cast<uint8_t>(rng());
      }
    }
    return "";
  }
  octet_isa isa() const { return octet_session_isa(session_); }
  // Whether every output holds the same bytes as `other`'s (same model, same inputs).
  bool same_outputs(const Runner& other) const {
    for (int i = 0; i < octet_model_num_outputs(model_); ++i) {
      octet_tensor_info info;
      octet_model_output_info(model_, i, &info);
      if (std::memcmp(octet_session_output(session_, i), octet_session_output(other.session_, i),
                      info.size_bytes) != 0)
        return false;
    }
    return true;
  }
  // One invoke: wall-clock and calling-thread CPU seconds; wall < 0 on failure.
  struct Sample {
    double wall, cpu;
  };
  Sample invoke() {
    const double c0 = thread_cpu_seconds();
    const auto t0 = Clock::now();
    const octet_status status = octet_session_invoke(session_);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = thread_cpu_seconds() - c0;
    return {status == OCTET_OK ? wall : -1.0, cpu};
  }

 private:
  octet_model* model_ = nullptr;
  octet_session* session_ = nullptr;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

double minimum(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
}

struct Case {
  std::string name;        // benchmark name
  std::string int8_path;   // .octet
  std::string float_path;  // .octet or empty
  std::string error;       // conversion failure / missing shared dir: skip with this
  int threads = 1;
};

// Per benchmark, the per-repetition medians of int8 / ref / float (for the summary). Filled by
// the reporter, which sees only the final run of each repetition (Google Benchmark calls the
// function several times while it picks the iteration count).
struct Medians {
  std::vector<double> int8_us, ref_us, float_us;  // per repetition: the estimates
  std::vector<double> int8_wall_us;               // and the median wall time of int8
  bool two_threads = false;
  std::string isa;
};
std::map<std::string, Medians> g_medians;
std::vector<std::string> g_order;

class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      const std::string name = run.run_name.function_name;
      Medians& m = g_medians[name];
      if (m.int8_us.empty()) g_order.push_back(name);
      auto counter = [&](const char* key) {
        auto it = run.counters.find(key);
        return it == run.counters.end() ? 0.0 : it->second.value;
      };
      m.int8_us.push_back(counter("int8_us"));
      m.ref_us.push_back(counter("ref_us"));
      m.int8_wall_us.push_back(counter("int8_wall_us"));
      if (counter("float_us") > 0) m.float_us.push_back(counter("float_us"));
      m.two_threads = name.find("/threads:2") != std::string::npos;
      m.isa = run.report_label;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

void bm_model(benchmark::State& state, Case c) {
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return;
  }
  Runner fast, reference, fp;
  std::string error = fast.open(c.int8_path, OCTET_ISA_AUTO, c.threads);
  if (error.empty()) error = reference.open(c.int8_path, OCTET_ISA_SCALAR, c.threads);
  const bool has_float = !c.float_path.empty();
  if (error.empty() && has_float) error = fp.open(c.float_path, OCTET_ISA_AUTO, c.threads);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  // Warm-up: first calls touch the arena and weights. The optimized int8 kernels are meant to
  // give the reference's bytes: shown as a counter (1 = identical outputs), not asserted.
  fast.invoke(), reference.invoke();
  if (has_float) fp.invoke();
  state.counters["int8_matches_ref"] = fast.same_outputs(reference) ? 1 : 0;
  static const double clock_cost = cpu_clock_cost();
  struct Times {
    std::vector<double> wall, cpu;  // microseconds
    void add(const Runner::Sample& s) {
      wall.push_back(s.wall * 1e6);
      cpu.push_back(std::max(0.0, s.cpu - clock_cost) * 1e6);
    }
  } t_int8, t_ref, t_float;
  for (auto _ : state) {
    const Runner::Sample a = fast.invoke(), b = reference.invoke();
    const Runner::Sample f = has_float ? fp.invoke() : Runner::Sample{0.0, 0.0};
    if (a.wall < 0 || b.wall < 0 || f.wall < 0) {
      state.SkipWithError(octet_last_error());
      return;
    }
    t_int8.add(a), t_ref.add(b);
    if (has_float) t_float.add(f);
  }
  auto estimate = [&](const Times& t) { return c.threads == 1 ? median(t.cpu) : minimum(t.wall); };
  const double int8_us = estimate(t_int8), ref_us = estimate(t_ref);
  const double float_us = has_float ? estimate(t_float) : 0.0;
  state.counters["int8_us"] = int8_us;
  state.counters["ref_us"] = ref_us;
  state.counters["float_us"] = float_us;
  state.counters["int8_wall_us"] = median(t_int8.wall);
  state.counters["ref_wall_us"] = median(t_ref.wall);
  state.counters["float_wall_us"] = median(t_float.wall);
  state.counters["ref_over_int8"] = ref_us / int8_us;
  state.counters["float_over_int8"] = has_float ? float_us / int8_us : 0.0;
  state.SetLabel(octet_isa_name(fast.isa()));
}

std::vector<Case> prepare_cases() {
  std::vector<Case> cases;
  const std::string shared = std::string(OCTET_SHARED_DIR) + "/models/";
  const bool have_shared = file_exists(shared);
  if (!have_shared)
    std::printf("octet_model_bench: %s is absent: every model is skipped\n", shared.c_str());
  const std::string out_dir = OCTET_MODEL_BENCH_DIR;
  mkdir(out_dir.c_str(), 0755);
  for (const Network& net : kNetworks) {
    std::string float_path, float_error;
    if (net.float_file && have_shared) {
      float_path = out_dir + "/" + base_name(net.float_file) + "_f32.octet";
      float_error = convert(shared + net.float_file, float_path, "--float");
      if (!float_error.empty()) float_path.clear();
    }
    for (const Network::Int8& v : net.int8) {
      if (v.label == nullptr) continue;
      Case c;
      c.name = std::string("Model/") + net.name + "/" + v.label;
      if (!have_shared) {
        c.error = "../shared/models is absent (OCTET_SHARED_DIR=" + std::string(OCTET_SHARED_DIR) +
                  "): model skipped";
      } else if (v.file == nullptr) {
        c.int8_path = out_dir + "/" + base_name(net.float_file) + "_octet_int8.octet";
        c.error = convert(shared + net.float_file, c.int8_path, "--random-calib 16");
      } else {
        c.int8_path = out_dir + "/" + base_name(v.file) + ".octet";
        c.error = convert(shared + v.file, c.int8_path, "");
      }
      if (c.error.empty() && !float_error.empty())
        std::printf("%s: no float model (%s)\n", c.name.c_str(), float_error.c_str());
      c.float_path = float_path;
      for (int threads : {1, 2}) {
        if (threads == 2 && !net.two_threads) continue;
        Case t = c;
        t.threads = threads;
        t.name += "/threads:" + std::to_string(threads);
        cases.push_back(t);
      }
    }
  }
  return cases;
}

// Over the repetitions: the median of the 1-thread estimates (CPU time), the fastest of the
// 2-thread ones (wall clock), min-max in parentheses; ratios of those.
void print_summary() {
  if (g_order.empty()) return;
  std::printf(
      "\n| model / int8 variant | thr | isa | int8 us | ref us | float us | ref / int8 | "
      "float / int8 | int8 wall median us |\n|---|---|---|---|---|---|---|---|---|\n");
  for (const std::string& name : g_order) {
    const Medians& m = g_medians[name];
    auto pick = [&](const std::vector<double>& v) {
      return v.empty() ? 0.0 : m.two_threads ? minimum(v) : median(v);
    };
    auto cell = [&](const std::vector<double>& v) {
      if (v.empty()) return std::string("-");
      char buffer[64];
      const double hi = *std::max_element(v.begin(), v.end());
      if (v.size() > 1)
        std::snprintf(buffer, sizeof(buffer), "%.0f (%.0f-%.0f)", pick(v), minimum(v), hi);
      else
        std::snprintf(buffer, sizeof(buffer), "%.0f", pick(v));
      return std::string(buffer);
    };
    std::string shown = name.substr(std::strlen("Model/"));
    const size_t slash = shown.rfind("/threads:");
    const std::string threads = shown.substr(slash + std::strlen("/threads:"));
    shown = shown.substr(0, slash);
    const double int8 = pick(m.int8_us);
    char ratios[64];
    if (m.float_us.empty())
      std::snprintf(ratios, sizeof(ratios), "%.1f | -", pick(m.ref_us) / int8);
    else
      std::snprintf(ratios, sizeof(ratios), "%.1f | %.2f", pick(m.ref_us) / int8,
                    pick(m.float_us) / int8);
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %.0f |\n", shown.c_str(), threads.c_str(),
                m.isa.c_str(), cell(m.int8_us).c_str(), cell(m.ref_us).c_str(),
                cell(m.float_us).c_str(), ratios, median(m.int8_wall_us));
  }
  std::printf(
      "\n(%zu repetition(s). 1 thread: median over the repetitions of the median calling-thread "
      "CPU time per call; 2 threads: fastest wall-clock call of all repetitions. min-max over the "
      "repetitions in parentheses; ratios of the estimates)\n",
      g_medians[g_order[0]].int8_us.size());
}

}  // namespace
}  // namespace octet::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (const octet::bench::Case& c : octet::bench::prepare_cases()) {
    benchmark::RegisterBenchmark(c.name.c_str(), octet::bench::bm_model, c)->UseRealTime();
  }
  octet::bench::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  octet::bench::print_summary();
  return 0;
}
