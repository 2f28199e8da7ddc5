// octet-run: loads a .octet model through the C API, fills its inputs (files or random data),
// runs it N times and prints the outputs, the ISA used, whether weights were repacked and the
// latency. Every bad input ends with a message on stderr and a non-zero exit code.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "octet/octet.h"
#include "tools/cli/cli_common.h"
#include "tools/common/inputs.h"

namespace octet::cli {
namespace {

constexpr int kExitError = 1;  // the model or an input could not be used
constexpr int kExitUsage = 2;  // bad command line

const char kUsage[] =
    "usage: octet-run MODEL.octet [options]\n"
    "  --input FILE      input data, once per model input in order: .npy, an image\n"
    "                    (.png .jpg .jpeg .bmp .pgm .ppm; resized to the input) or raw bytes\n"
    "                    of exactly the input's size. Inputs without a file get random data.\n"
    "  --mean M --std S  image normalization (value = (pixel - M) / S; M and S are one number\n"
    "                    or one per channel, e.g. 127.5 or 123.7,116.3,103.5). Default: the\n"
    "                    model's input_mean/input_std metadata, else none: float inputs get\n"
    "                    pixels in [0, 255], 8-bit quantized inputs the pixel bytes themselves\n"
    "                    (uint8: pixel, int8: pixel - 128), as quantized TFLite models expect.\n"
    "  --repeat N        run N times (after one warm-up run when N > 1) and report the\n"
    "                    median/min latency (default 1)\n"
    "  --threads N       worker threads (default 1)\n"
    "  --isa NAME        force a kernel path: scalar avx2 avxvnni avx512vnni neon dotprod i8mm\n"
    "                    (default: OCTET_ISA, else the best for this CPU)\n"
    "  --top-k K         classes to list for classifier outputs (default 5)\n"
    "  --labels FILE     class names, one per line (line i names class i)\n"
    "  --output FILE.npy save output 0 (raw dtype) as .npy; further outputs go to FILE_1.npy...\n"
    "  --profile         time every operator over the --repeat runs and list the costliest\n"
    "  --help            this text\n";

struct Options {
  std::string model_path;
  std::vector<std::string> inputs;
  int repeat = 1;
  int threads = 1;
  octet_isa isa = OCTET_ISA_AUTO;
  int top_k = 5;
  std::string labels_path;
  std::string output_path;
  std::string mean, std_dev;
  bool profile = false;
};

// Per-operator timing through the session observer (called after every op): each op is charged
// the time since the previous op finished, or since invoke started. Medians over the runs, so a
// run preempted on a busy machine does not skew the picture.
struct OpProfile {
  std::vector<double> run_ms;  // this run's time per op
  std::chrono::steady_clock::time_point last;
};

int record_op_time(void* user, int op_index) {
  auto* profile = static_cast<OpProfile*>(user);
  const auto now = std::chrono::steady_clock::now();
  profile->run_ms[op_index] =
      std::chrono::duration<double, std::milli>(now - profile->last).count();
  profile->last = now;
  return 0;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Returns an error message, or "" after printing the profile.
std::string profile_ops(const octet_model* model, octet_session* session, int runs) {
  const int num_ops = octet_model_num_operators(model);
  OpProfile profile;
  profile.run_ms.assign(num_ops, 0.0);
  std::vector<std::vector<double>> op_ms(num_ops, std::vector<double>(runs));
  octet_session_set_observer(session, record_op_time, &profile);
  for (int r = 0; r < runs; ++r) {
    profile.last = std::chrono::steady_clock::now();
    if (octet_session_invoke(session) != OCTET_OK) {
      octet_session_set_observer(session, nullptr, nullptr);
      return std::string("invoke failed while profiling: ") + octet_last_error();
    }
    for (int op = 0; op < num_ops; ++op) op_ms[op][r] = profile.run_ms[op];
  }
  octet_session_set_observer(session, nullptr, nullptr);

  std::vector<double> median_ms(num_ops);
  double sum = 0.0;
  std::map<std::string, double> by_type;
  for (int op = 0; op < num_ops; ++op) {
    median_ms[op] = median_of(op_ms[op]);
    sum += median_ms[op];
    by_type[octet_model_operator_type(model, op)] += median_ms[op];
  }
  std::vector<int> order(num_ops);
  for (int op = 0; op < num_ops; ++op) order[op] = op;
  std::sort(order.begin(), order.end(), [&](int a, int b) { return median_ms[a] > median_ms[b]; });
  std::printf("profile  median per op over %d run%s, sum %.3f ms; costliest ops:\n", runs,
              runs == 1 ? "" : "s", sum);
  for (int i = 0; i < std::min(num_ops, 15); ++i) {
    const int op = order[i];
    std::printf("  %8.4f ms %5.1f %%  #%-3d %-16s %s\n", median_ms[op],
                sum > 0 ? 100.0 * median_ms[op] / sum : 0.0, op,
                octet_model_operator_type(model, op), octet_model_operator_name(model, op));
  }
  std::printf("  by type:");
  for (const auto& [type, ms] : by_type)
    std::printf(" %s %.1f %%", type.c_str(), sum > 0 ? 100.0 * ms / sum : 0.0);
  std::printf("\n");
  return "";
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "octet-run: %s\n\n%s", message.c_str(), kUsage);
  return kExitUsage;
}

int error(const std::string& message) {
  std::fprintf(stderr, "octet-run: %s\n", message.c_str());
  return kExitError;
}

std::string runtime_error(const std::string& what, octet_status status) {
  const char* detail = octet_last_error();
  return what + ": " + octet_status_string(status) +
         (detail && *detail ? std::string(" (") + detail + ")" : std::string());
}

bool isa_from_name(const std::string& name, octet_isa* isa) {
  if (name == "auto") {
    *isa = OCTET_ISA_AUTO;
    return true;
  }
  for (int i = OCTET_ISA_SCALAR; i <= OCTET_ISA_I8MM; ++i) {
    const char* known = octet_isa_name(static_cast<octet_isa>(i));
    if (known && name == known) {
      *isa = static_cast<octet_isa>(i);
      return true;
    }
  }
  return false;
}

// Returns -1 when parsing succeeded, else the exit code.
int parse_args(int argc, char** argv, Options* options) {
  auto value_of = [&](int* i, const char* flag, std::string* value) {
    if (*i + 1 >= argc) return false;
    *value = argv[++*i];
    (void)flag;
    return true;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string value;
    long number = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--profile") {
      options->profile = true;
    } else if (arg.rfind("--", 0) == 0 && arg != "--") {
      static const char* const kFlagsWithValue[] = {"--input",  "--repeat", "--threads",
                                                    "--isa",    "--top-k",  "--labels",
                                                    "--output", "--mean",   "--std"};
      if (std::find(std::begin(kFlagsWithValue), std::end(kFlagsWithValue), arg) ==
          std::end(kFlagsWithValue))
        return usage_error("unknown option " + arg);
      if (!value_of(&i, arg.c_str(), &value)) return usage_error(arg + " needs a value");
      if (arg == "--input") {
        options->inputs.push_back(value);
      } else if (arg == "--repeat") {
        if (!parse_int(value, 1, 1000000, &number))
          return usage_error("--repeat wants an integer >= 1, got '" + value + "'");
        options->repeat = static_cast<int>(number);
      } else if (arg == "--threads") {
        if (!parse_int(value, 1, 256, &number))
          return usage_error("--threads wants an integer in [1, 256], got '" + value + "'");
        options->threads = static_cast<int>(number);
      } else if (arg == "--isa") {
        if (!isa_from_name(value, &options->isa))
          return usage_error("unknown ISA '" + value +
                             "' (known: auto scalar avx2 avxvnni avx512vnni neon dotprod i8mm)");
      } else if (arg == "--top-k") {
        if (!parse_int(value, 1, 1000000, &number))
          return usage_error("--top-k wants an integer >= 1, got '" + value + "'");
        options->top_k = static_cast<int>(number);
      } else if (arg == "--labels") {
        options->labels_path = value;
      } else if (arg == "--output") {
        options->output_path = value;
      } else if (arg == "--mean") {
        options->mean = value;
      } else if (arg == "--std") {
        options->std_dev = value;
      } else {
        return usage_error("unknown option " + arg);
      }
    } else if (options->model_path.empty()) {
      options->model_path = arg;
    } else {
      return usage_error("unexpected argument '" + arg + "' (one model per run)");
    }
  }
  if (options->model_path.empty()) return usage_error("no model given");
  if (options->mean.empty() != options->std_dev.empty())
    return usage_error("--mean and --std go together");
  return -1;
}

tools::ElementType element_type(octet_dtype dtype) {
  switch (dtype) {
    case OCTET_FLOAT32:
      return tools::ElementType::kFloat32;
    case OCTET_INT8:
      return tools::ElementType::kInt8;
    case OCTET_UINT8:
      return tools::ElementType::kUInt8;
    case OCTET_INT32:
      return tools::ElementType::kInt32;
  }
  return tools::ElementType::kFloat32;
}

tools::InputSpec input_spec(const octet_tensor_info& info) {
  tools::InputSpec spec;
  spec.type = element_type(info.dtype);
  spec.shape.assign(info.shape, info.shape + info.rank);
  spec.quantized = info.quantized != 0;
  spec.scale = info.scale;
  spec.zero_point = info.zero_point;
  return spec;
}

std::string describe(const octet_tensor_info& info) {
  std::string s = std::string("'") + (info.name ? info.name : "") + "' " + dtype_name(info.dtype) +
                  " " + shape_string(info.shape, info.rank);
  if (info.quantized) {
    char q[64];
    std::snprintf(q, sizeof(q), " (scale %g, zero point %d)", info.scale, info.zero_point);
    s += q;
  }
  return s;
}

bool normalization_for(const Options& options, const octet_model* model, tools::Normalization* norm,
                       std::string* source, std::string* why) {
  std::string mean = options.mean, std_dev = options.std_dev;
  *source = "--mean/--std";
  if (mean.empty()) {
    const char* m = octet_model_metadata(model, "input_mean");
    const char* s = octet_model_metadata(model, "input_std");
    if (m && s) {
      mean = m;
      std_dev = s;
      *source = "model metadata input_mean/input_std";
    }
  }
  if (mean.empty()) {
    norm->kind = tools::Normalization::Kind::kNone;
    *source = "none (pixels in [0, 255])";
    return true;
  }
  norm->kind = tools::Normalization::Kind::kMeanStd;
  if (!tools::parse_float_list(mean, &norm->mean, why)) return false;
  if (!tools::parse_float_list(std_dev, &norm->std, why)) return false;
  *source += " mean " + mean + " std " + std_dev;
  return true;
}

bool raw_pixels(const tools::Normalization& norm, const tools::InputSpec& spec) {
  return norm.kind == tools::Normalization::Kind::kNone && spec.quantized &&
         (spec.type == tools::ElementType::kUInt8 || spec.type == tools::ElementType::kInt8);
}

// Fills input `index` from `path`. Returns false with a message.
bool fill_from_file(const std::string& path, const octet_tensor_info& info,
                    const tools::Normalization& norm, void* dst, std::string* why) {
  const tools::InputSpec spec = input_spec(info);
  std::vector<uint8_t> bytes;
  const std::string lower_path = [&] {
    std::string s = path;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }();
  const bool is_npy =
      lower_path.size() > 4 && lower_path.compare(lower_path.size() - 4, 4, ".npy") == 0;
  if (is_npy) {
    tools::NpyArray array;
    if (!tools::load_npy(path, &array, why)) return false;
    if (!tools::npy_to_input(array, spec, &bytes, why)) {
      *why = path + ": " + *why;
      return false;
    }
  } else if (tools::is_image_path(path)) {
    tools::ImageLayout layout;
    if (!tools::image_layout_for_shape(spec.shape, &layout)) {
      *why = path + ": the input " + describe(info) +
             " is not image-shaped ([1,H,W,C] or [1,C,H,W] with C = 1 or 3)";
      return false;
    }
    tools::Image image;
    if (!tools::load_image_resized(path, layout.height, layout.width, layout.channels, &image, why))
      return false;
    tools::InputSpec image_spec = spec;
    if (raw_pixels(norm, spec)) {
      // Without a normalization, an 8-bit quantized input takes the pixel bytes themselves
      // (what quantized TFLite image models expect): uint8 q = pixel, int8 q = pixel - 128.
      image_spec.scale = 1.0f;
      image_spec.zero_point = spec.type == tools::ElementType::kUInt8 ? 0 : -128;
    }
    if (!tools::image_to_input(image, norm, image_spec, &bytes, why)) {
      *why = path + ": " + *why;
      return false;
    }
  } else {
    if (!tools::load_file(path, &bytes, why)) return false;
    if (bytes.size() != info.size_bytes) {
      *why = path + ": raw input has " + std::to_string(bytes.size()) + " bytes, the input " +
             describe(info) + " takes " + std::to_string(info.size_bytes) +
             " (use .npy or an image file to convert)";
      return false;
    }
  }
  if (bytes.size() != info.size_bytes) {
    *why = path + ": converted input has " + std::to_string(bytes.size()) + " bytes, expected " +
           std::to_string(info.size_bytes);
    return false;
  }
  std::memcpy(dst, bytes.data(), bytes.size());
  return true;
}

void fill_random(const octet_tensor_info& info, void* dst, std::mt19937* rng) {
  const size_t count =
      info.size_bytes / (info.dtype == OCTET_FLOAT32 || info.dtype == OCTET_INT32 ? 4 : 1);
  if (info.dtype == OCTET_FLOAT32) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    float* f = static_cast<float*>(dst);
    for (size_t i = 0; i < count; ++i) f[i] = dist(*rng);
  } else if (info.dtype == OCTET_INT32) {
    std::uniform_int_distribution<int32_t> dist(-100, 100);
    int32_t* v = static_cast<int32_t*>(dst);
    for (size_t i = 0; i < count; ++i) v[i] = dist(*rng);
  } else {
    std::uniform_int_distribution<int> dist(0, 255);
    uint8_t* b = static_cast<uint8_t*>(dst);
    for (size_t i = 0; i < count; ++i) b[i] = static_cast<uint8_t>(dist(*rng));
  }
}

std::vector<float> dequantize(const octet_tensor_info& info, const void* data) {
  const size_t elem = info.dtype == OCTET_FLOAT32 || info.dtype == OCTET_INT32 ? 4 : 1;
  const size_t count = info.size_bytes / elem;
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) {
    float v = 0;
    switch (info.dtype) {
      case OCTET_FLOAT32:
        std::memcpy(&v, static_cast<const uint8_t*>(data) + 4 * i, 4);
        break;
      case OCTET_INT32: {
        int32_t q;
        std::memcpy(&q, static_cast<const uint8_t*>(data) + 4 * i, 4);
        v = static_cast<float>(q);
        break;
      }
      case OCTET_INT8:
        v = static_cast<const int8_t*>(data)[i];
        break;
      case OCTET_UINT8:
        v = static_cast<const uint8_t*>(data)[i];
        break;
    }
    if (info.quantized && info.dtype != OCTET_FLOAT32)
      v = (v - static_cast<float>(info.zero_point)) * info.scale;
    values[i] = v;
  }
  return values;
}

// [N] or [1, ..., 1, N] with N >= 2: one score per class.
bool is_classifier_shaped(const octet_tensor_info& info) {
  if (info.rank < 1 || info.shape[info.rank - 1] < 2) return false;
  for (int d = 0; d < info.rank - 1; ++d)
    if (info.shape[d] != 1) return false;
  return true;
}

void print_output(int index, const octet_tensor_info& info, const void* data, int top_k,
                  const std::vector<std::string>& labels) {
  std::printf("output %d %s\n", index, describe(info).c_str());
  const std::vector<float> values = dequantize(info, data);
  const bool quantized = info.quantized && info.dtype != OCTET_FLOAT32;
  const char* kind = quantized ? "dequantized " : "";
  if (is_classifier_shaped(info)) {
    std::vector<int> order(values.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    const int k = std::min<int>(top_k, static_cast<int>(values.size()));
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
      return values[a] != values[b] ? values[a] > values[b] : a < b;
    });
    std::printf("  top-%d (%sscores):\n", k, kind);
    for (int r = 0; r < k; ++r) {
      const int c = order[r];
      std::printf("  %2d. class %-5d %10.5f", r + 1, c, values[c]);
      if (c < static_cast<int>(labels.size())) std::printf("  %s", labels[c].c_str());
      std::printf("\n");
    }
    return;
  }
  if (values.size() <= 64) {
    std::printf("  %svalues:", kind);
    for (size_t i = 0; i < values.size(); ++i)
      std::printf("%s%g", i % 8 ? " " : "\n    ", values[i]);
    std::printf("\n");
    return;
  }
  float lo = values[0], hi = values[0];
  double sum = 0;
  for (float v : values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  std::printf("  %zu %svalues: min %g max %g mean %g; first:", values.size(), kind, lo, hi,
              sum / values.size());
  for (size_t i = 0; i < 8; ++i) std::printf(" %g", values[i]);
  std::printf(" ...\n");
}

std::string output_path_for(const std::string& path, int index) {
  if (index == 0) return path;
  const size_t dot = path.rfind(".npy");
  const std::string stem = dot == std::string::npos ? path : path.substr(0, dot);
  return stem + "_" + std::to_string(index) + ".npy";
}

struct ModelCloser {
  void operator()(octet_model* m) const { octet_model_close(m); }
};
struct SessionDestroyer {
  void operator()(octet_session* s) const { octet_session_destroy(s); }
};
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

int run(int argc, char** argv) {
  Options options;
  const int parsed = parse_args(argc, argv, &options);
  if (parsed >= 0) return parsed;

  std::vector<std::string> labels;
  if (!options.labels_path.empty()) {
    std::ifstream file(options.labels_path);
    if (!file) return error("cannot open labels file " + options.labels_path);
    for (std::string line; std::getline(file, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      labels.push_back(line);
    }
  }

  octet_model* raw_model = nullptr;
  octet_status status = octet_model_open(options.model_path.c_str(), &raw_model);
  if (status != OCTET_OK) return error(runtime_error("cannot load " + options.model_path, status));
  std::unique_ptr<octet_model, ModelCloser> model(raw_model);

  const int num_inputs = octet_model_num_inputs(model.get());
  const int num_outputs = octet_model_num_outputs(model.get());
  if (static_cast<int>(options.inputs.size()) > num_inputs)
    return error(std::to_string(options.inputs.size()) + " --input files given, the model has " +
                 std::to_string(num_inputs) + " input(s)");

  octet_session_options session_options;
  octet_session_options_init(&session_options);
  session_options.isa = options.isa;
  session_options.num_threads = options.threads;
  size_t arena_size = 0;
  status = octet_session_arena_size(model.get(), &session_options, &arena_size);
  if (status != OCTET_OK) return error(runtime_error("cannot plan a session", status));
  const size_t alloc_size =
      std::max<size_t>(OCTET_ARENA_ALIGNMENT, (arena_size + OCTET_ARENA_ALIGNMENT - 1) /
                                                  OCTET_ARENA_ALIGNMENT * OCTET_ARENA_ALIGNMENT);
  std::unique_ptr<void, FreeDeleter> arena(std::aligned_alloc(OCTET_ARENA_ALIGNMENT, alloc_size));
  if (!arena) return error("cannot allocate a " + std::to_string(alloc_size) + "-byte arena");
  octet_session* raw_session = nullptr;
  status =
      octet_session_create(model.get(), &session_options, arena.get(), alloc_size, &raw_session);
  if (status != OCTET_OK) return error(runtime_error("cannot create a session", status));
  std::unique_ptr<octet_session, SessionDestroyer> session(raw_session);

  std::printf("model    %s\n", options.model_path.c_str());
  std::printf("isa      %s\n", octet_isa_name(octet_session_isa(session.get())));
  std::printf("weights  %s\n", octet_session_repacked(session.get())
                                   ? "repacked at load (the file lacks this ISA's packing, or has 9-bit weight channels)"
                                   : "used in place (no repacking)");
  std::printf("threads  %d\n", options.threads);
  std::printf("arena    %zu bytes\n", arena_size);

  tools::Normalization norm;
  std::string norm_source, why;
  if (!normalization_for(options, model.get(), &norm, &norm_source, &why))
    return error("bad normalization: " + why);
  std::mt19937 rng(1);
  for (int i = 0; i < num_inputs; ++i) {
    octet_tensor_info info;
    status = octet_model_input_info(model.get(), i, &info);
    if (status != OCTET_OK) return error(runtime_error("input " + std::to_string(i), status));
    void* dst = octet_session_input(session.get(), i);
    if (!dst) return error("the runtime gave no buffer for input " + std::to_string(i));
    if (i < static_cast<int>(options.inputs.size())) {
      if (!fill_from_file(options.inputs[i], info, norm, dst, &why)) return error(why);
      std::printf("input %d  %s <- %s", i, describe(info).c_str(), options.inputs[i].c_str());
      if (tools::is_image_path(options.inputs[i])) {
        if (raw_pixels(norm, input_spec(info))) {
          std::printf(" (no normalization: raw pixel bytes%s)",
                      info.dtype == OCTET_INT8 ? " - 128" : "");
        } else {
          std::printf(" (normalization: %s)", norm_source.c_str());
        }
      }
      std::printf("\n");
    } else {
      fill_random(info, dst, &rng);
      std::printf("input %d  %s <- RANDOM data (no --input given; seed 1)\n", i,
                  describe(info).c_str());
    }
  }

  // One untimed run first when timing several: the first invoke pays cold caches and page faults
  // on the mapped weights, which is not what --repeat measures.
  const int warmup = options.repeat > 1 ? 1 : 0;
  for (int r = 0; r < warmup; ++r) {
    status = octet_session_invoke(session.get());
    if (status != OCTET_OK) return error(runtime_error("invoke failed", status));
  }
  std::vector<double> times_ms;
  for (int r = 0; r < options.repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    status = octet_session_invoke(session.get());
    const auto end = std::chrono::steady_clock::now();
    if (status != OCTET_OK) return error(runtime_error("invoke failed", status));
    times_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }

  for (int i = 0; i < num_outputs; ++i) {
    octet_tensor_info info;
    status = octet_model_output_info(model.get(), i, &info);
    if (status != OCTET_OK) return error(runtime_error("output " + std::to_string(i), status));
    const void* data = octet_session_output(session.get(), i);
    if (!data) return error("the runtime gave no buffer for output " + std::to_string(i));
    print_output(i, info, data, options.top_k, labels);
    if (!options.output_path.empty()) {
      const std::string path = output_path_for(options.output_path, i);
      std::vector<int64_t> shape(info.shape, info.shape + info.rank);
      if (!tools::save_npy(path, element_type(info.dtype), shape, data, info.size_bytes, &why))
        return error(why);
      std::printf("  saved to %s\n", path.c_str());
    }
  }

  if (options.profile) {
    const std::string why_not = profile_ops(model.get(), session.get(), options.repeat);
    if (!why_not.empty()) return error(why_not);
  }

  const size_t n = times_ms.size();
  std::printf("latency  median %.3f ms, min %.3f ms over %zu run%s%s\n", median_of(times_ms),
              *std::min_element(times_ms.begin(), times_ms.end()), n, n == 1 ? "" : "s",
              warmup ? " (after 1 warm-up run)" : "");
  return 0;
}

}  // namespace
}  // namespace octet::cli

int main(int argc, char** argv) {
  // The host libraries (std::vector, file I/O) may throw, e.g. bad_alloc on a hostile file:
  // report it like any other error instead of aborting.
  try {
    return octet::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "octet-run: %s\n", e.what());
    return 1;
  }
}
