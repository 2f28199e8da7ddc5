#include "tools/convert/calibration.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

namespace octet::convert {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

bool is_directory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

size_t num_elements(const std::vector<int32_t>& shape) {
  size_t n = 1;
  for (int32_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

tools::ElementType element_type(octet_dtype dtype) {
  switch (dtype) {
    case OCTET_INT8:
      return tools::ElementType::kInt8;
    case OCTET_UINT8:
      return tools::ElementType::kUInt8;
    case OCTET_INT32:
      return tools::ElementType::kInt32;
    default:
      return tools::ElementType::kFloat32;
  }
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

// ---------------------------------------------------------------- samples

bool load_sample_file(const std::string& path, const ir::Graph& graph,
                      const tools::Normalization& normalization, Sample* sample,
                      std::string* error) {
  sample->clear();
  if (graph.inputs.empty()) return *error = "graph has no inputs", false;
  if (ends_with(path, ".npy")) {
    tools::NpyArray array;
    if (!tools::load_npy(path, &array, error)) return false;
    std::vector<float> values = tools::npy_to_float(array);
    // One array for all inputs concatenated is accepted too (rare); usually one input.
    size_t offset = 0;
    for (int in : graph.inputs) {
      const size_t n = num_elements(graph.tensors[in].shape);
      if (offset + n > values.size())
        return *error = path + ": has " + std::to_string(values.size()) + " values, input '" +
                        graph.tensors[in].name + "' needs " + std::to_string(n),
               false;
      sample->emplace_back(values.begin() + offset, values.begin() + offset + n);
      offset += n;
    }
    return true;
  }
  if (!tools::is_image_path(path))
    return *error = path + ": neither an image nor a .npy file", false;
  if (graph.inputs.size() != 1) return *error = "images can only feed single-input models", false;
  const ir::Tensor& input = graph.tensors[graph.inputs[0]];
  tools::ImageLayout layout;
  if (!tools::image_layout_for_shape(input.shape, &layout))
    return *error = "input '" + input.name + "' is not image-shaped; use .npy samples", false;
  tools::Image image;
  if (!tools::load_image_resized(path, layout.height, layout.width, layout.channels, &image, error))
    return false;
  tools::InputSpec spec;
  spec.type = tools::ElementType::kFloat32;
  spec.shape = input.shape;
  std::vector<uint8_t> bytes;
  if (!tools::image_to_input(image, normalization, spec, &bytes, error)) return false;
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  sample->push_back(std::move(values));
  return true;
}

bool load_samples(const std::string& source, const ir::Graph& graph, const SampleOptions& options,
                  std::vector<Sample>* samples, std::string* error) {
  samples->clear();
  const size_t cap = options.max_count > 0 ? options.max_count : SIZE_MAX;
  if (is_directory(source)) {
    std::vector<std::string> files;
    if (!tools::list_input_files(source, &files, error)) return false;
    if (files.empty()) return *error = source + ": no images or .npy files", false;
    for (const std::string& f : files) {
      if (samples->size() >= cap) break;
      Sample s;
      if (!load_sample_file(f, graph, options.normalization, &s, error)) return false;
      samples->push_back(std::move(s));
    }
    return true;
  }
  if (ends_with(source, ".npy") && graph.inputs.size() == 1) {
    tools::NpyArray array;
    if (!tools::load_npy(source, &array, error)) return false;
    const std::vector<float> values = tools::npy_to_float(array);
    const size_t n = num_elements(graph.tensors[graph.inputs[0]].shape);
    if (n == 0 || values.size() % n != 0)
      return *error = source + ": " + std::to_string(values.size()) +
                      " values are not a whole number of samples of " + std::to_string(n),
             false;
    for (size_t off = 0; off < values.size() && samples->size() < cap; off += n)
      samples->push_back({std::vector<float>(values.begin() + off, values.begin() + off + n)});
    return true;
  }
  Sample s;
  if (!load_sample_file(source, graph, options.normalization, &s, error)) return false;
  samples->push_back(std::move(s));
  return true;
}

std::vector<Sample> random_samples(const ir::Graph& graph, int count, float lo, float hi,
                                   uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<Sample> out(count);
  for (Sample& s : out)
    for (int in : graph.inputs) {
      std::vector<float> v(num_elements(graph.tensors[in].shape));
      for (float& x : v) x = dist(rng);
      s.push_back(std::move(v));
    }
  return out;
}

bool load_labels_csv(const std::string& dir, std::vector<LabeledFile>* files, std::string* error) {
  files->clear();
  const std::string path = dir + "/labels.csv";
  std::ifstream in(path);
  if (!in) return *error = "cannot open " + path + " (expected file,class_index,class_name)", false;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string file, index, name;
    std::getline(ss, file, ',');
    std::getline(ss, index, ',');
    std::getline(ss, name);
    char* end = nullptr;
    const long label = std::strtol(index.c_str(), &end, 10);
    if (index.empty() || *end != '\0') {
      if (line_no == 1) continue;  // header
      return *error = path + ":" + std::to_string(line_no) + ": bad class index '" + index + "'",
             false;
    }
    files->push_back({dir + "/" + file, static_cast<int>(label), name});
  }
  if (files->empty()) return *error = path + ": no entries", false;
  return true;
}

// ---------------------------------------------------------------- runner

GraphRunner::~GraphRunner() {
  if (session_) octet_session_destroy(session_);
  if (model_) octet_model_close(model_);
  std::free(buffer_);
}

bool GraphRunner::open(const ir::Graph& graph, std::string* error) {
  std::vector<uint8_t> bytes;
  ir::SerializeOptions so;
  so.producer = "octet-convert (calibration)";
  if (!ir::serialize(graph, so, &bytes, error)) return false;
  buffer_size_ =
      (bytes.size() + OCTET_ARENA_ALIGNMENT - 1) / OCTET_ARENA_ALIGNMENT * OCTET_ARENA_ALIGNMENT;
  buffer_ = std::aligned_alloc(OCTET_ARENA_ALIGNMENT, buffer_size_);
  if (!buffer_) return *error = "out of memory", false;
  std::memset(buffer_, 0, buffer_size_);
  std::memcpy(buffer_, bytes.data(), bytes.size());
  buffer_size_ = bytes.size();
  if (octet_model_open_buffer(buffer_, buffer_size_, &model_) != OCTET_OK)
    return *error = std::string("runtime rejected the graph: ") + octet_last_error(), false;
  octet_session_options options;
  octet_session_options_init(&options);
  // Reference float kernels: the same ranges (and .octet bytes) on every host (DESIGN.md).
  options.isa = OCTET_ISA_SCALAR;
  if (octet_session_create(model_, &options, nullptr, 0, &session_) != OCTET_OK)
    return *error = std::string("runtime session: ") + octet_last_error(), false;
  const int n = octet_model_num_tensors(model_);
  infos_.resize(n);
  for (int i = 0; i < n; ++i) {
    octet_model_tensor_info(model_, i, &infos_[i]);
    if (infos_[i].name) by_name_[infos_[i].name] = i;
  }
  for (int i = 0; i < octet_model_num_inputs(model_); ++i) {
    octet_tensor_info info;
    octet_model_input_info(model_, i, &info);
    input_tensors_.push_back(tensor_index(info.name ? info.name : ""));
  }
  return true;
}

bool GraphRunner::set_inputs(const Sample& sample, std::string* error) {
  const int n = octet_model_num_inputs(model_);
  if (static_cast<int>(sample.size()) != n)
    return *error = "sample has " + std::to_string(sample.size()) + " inputs, model " +
                    std::to_string(n),
           false;
  for (int i = 0; i < n; ++i) {
    octet_tensor_info info;
    octet_model_input_info(model_, i, &info);
    tools::InputSpec spec;
    spec.type = element_type(info.dtype);
    spec.shape.assign(info.shape, info.shape + info.rank);
    spec.quantized = info.quantized != 0;
    spec.scale = info.scale;
    spec.zero_point = info.zero_point;
    std::vector<uint8_t> bytes;
    if (!tools::float_to_input(sample[i].data(), sample[i].size(), spec, &bytes, error))
      return false;
    if (bytes.size() != info.size_bytes)
      return *error = "input " + std::to_string(i) + ": " + std::to_string(bytes.size()) +
                      " bytes, model expects " + std::to_string(info.size_bytes),
             false;
    std::memcpy(octet_session_input(session_, i), bytes.data(), bytes.size());
  }
  return true;
}

namespace {
struct ObserverThunk {
  const std::function<void(int)>* fn;
};
int observer_thunk(void* user, int op_index) {
  (*static_cast<ObserverThunk*>(user)->fn)(op_index);
  return 0;
}
}  // namespace

bool GraphRunner::invoke(const std::function<void(int)>& observer, std::string* error) {
  ObserverThunk thunk{&observer};
  if (observer)
    octet_session_set_observer(session_, observer_thunk, &thunk);
  else
    octet_session_set_observer(session_, nullptr, nullptr);
  const octet_status st = octet_session_invoke(session_);
  octet_session_set_observer(session_, nullptr, nullptr);
  if (st != OCTET_OK) return *error = std::string("invoke failed: ") + octet_last_error(), false;
  return true;
}

namespace {
struct StopThunk {
  const std::function<bool(int)>* fn;
  bool stopped = false;
};
int stop_thunk(void* user, int op_index) {
  StopThunk* t = static_cast<StopThunk*>(user);
  t->stopped = (*t->fn)(op_index);
  return t->stopped ? 1 : 0;
}
}  // namespace

bool GraphRunner::invoke_until(const std::function<bool(int)>& observer, std::string* error) {
  StopThunk thunk{&observer};
  octet_session_set_observer(session_, stop_thunk, &thunk);
  const octet_status st = octet_session_invoke(session_);
  octet_session_set_observer(session_, nullptr, nullptr);
  if (st != OCTET_OK && !thunk.stopped)
    return *error = std::string("invoke failed: ") + octet_last_error(), false;
  return true;
}

std::vector<float> GraphRunner::tensor_as_float(int t) const {
  std::vector<float> out;
  if (t < 0 || t >= static_cast<int>(infos_.size())) return out;
  const octet_tensor_info& info = infos_[t];
  const void* data = octet_session_tensor_data(session_, t);
  if (!data) return out;
  size_t n = 1;
  for (int d = 0; d < info.rank; ++d) n *= static_cast<size_t>(info.shape[d]);
  out.resize(n);
  switch (info.dtype) {
    case OCTET_FLOAT32:
      std::memcpy(out.data(), data, n * sizeof(float));
      break;
    case OCTET_INT8: {
      const int8_t* q = static_cast<const int8_t*>(data);
      for (size_t i = 0; i < n; ++i)
        out[i] = info.scale * static_cast<float>(q[i] - info.zero_point);
      break;
    }
    case OCTET_UINT8: {
      const uint8_t* q = static_cast<const uint8_t*>(data);
      for (size_t i = 0; i < n; ++i)
        out[i] = info.scale * static_cast<float>(q[i] - info.zero_point);
      break;
    }
    case OCTET_INT32: {
      const int32_t* q = static_cast<const int32_t*>(data);
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(q[i]);
      break;
    }
  }
  return out;
}

std::vector<float> GraphRunner::output_as_float(int index) const {
  octet_tensor_info info;
  if (octet_model_output_info(model_, index, &info) != OCTET_OK || !info.name) return {};
  return tensor_as_float(tensor_index(info.name));
}

int GraphRunner::tensor_index(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

int GraphRunner::num_ops() const { return octet_model_num_operators(model_); }

std::vector<int> GraphRunner::op_outputs(int op_index) const {
  std::vector<int> outs;
  const int n = octet_model_operator_num_outputs(model_, op_index);
  for (int i = 0; i < n; ++i) outs.push_back(octet_model_operator_output(model_, op_index, i));
  return outs;
}

// ---------------------------------------------------------------- statistics

bool parse_calibration_method(const std::string& name, CalibrationMethod* method) {
  if (name == "minmax")
    *method = CalibrationMethod::kMinMax;
  else if (name == "percentile")
    *method = CalibrationMethod::kPercentile;
  else if (name == "entropy" || name == "kl")
    *method = CalibrationMethod::kEntropy;
  else if (name == "mse")
    *method = CalibrationMethod::kMse;
  else if (name == "meanminmax")
    *method = CalibrationMethod::kMeanMinMax;
  else
    return false;
  return true;
}

const char* calibration_method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMinMax:
      return "minmax";
    case CalibrationMethod::kPercentile:
      return "percentile";
    case CalibrationMethod::kEntropy:
      return "entropy";
    case CalibrationMethod::kMse:
      return "mse";
    case CalibrationMethod::kMeanMinMax:
      return "meanminmax";
  }
  return "?";
}

Progress::Progress(std::string label, int total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      terminal_(isatty(fileno(stderr)) != 0),
      start_(now_seconds()) {}

void Progress::update(int done) {
  if (!enabled_ || total_ <= 0) return;
  // Redraw at most ~10 times a second (and always at the end).
  const double t = now_seconds();
  if (terminal_) {
    if (done < total_ && t - last_draw_ < 0.1) return;
  } else {
    const int decile = static_cast<int>(static_cast<int64_t>(10) * done / total_);
    if (decile == last_decile_) return;
    last_decile_ = decile;
  }
  last_draw_ = t;
  const int width = 30;
  const int filled = static_cast<int>(static_cast<int64_t>(width) * done / total_);
  const double elapsed = now_seconds() - start_;
  const double eta = done > 0 ? elapsed / done * (total_ - done) : 0.0;
  std::string bar(filled, '#');
  bar.resize(width, '.');
  fprintf(stderr, "%s%s [%s] %d/%d  %.1fs  ETA %.1fs%s", terminal_ ? "\r" : "", label_.c_str(),
          bar.c_str(), done, total_, elapsed, eta, terminal_ ? " " : "\n");
  fflush(stderr);
}

void Progress::finish() {
  if (enabled_ && terminal_) fprintf(stderr, "\n");
}

namespace {

// Called once per sample and tensor.
void update_minmax(TensorStats* s, const float* v, size_t n) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (size_t i = 0; i < n; ++i) {
    const float x = v[i];
    if (!std::isfinite(x)) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    if (!s->seen) {
      s->min = s->max = x;
      s->seen = true;
    }
    s->min = std::min(s->min, x);
    s->max = std::max(s->max, x);
  }
  s->count += n;
  if (lo <= hi) {
    s->sum_sample_min += lo;
    s->sum_sample_max += hi;
    ++s->sample_count;
  }
}

void update_histogram(TensorStats* s, const float* v, size_t n) {
  if (s->histogram.empty()) s->histogram.assign(kHistogramBins, 0);
  const float range = s->max - s->min;
  if (!(range > 0.0f)) {
    s->histogram[0] += n;
    return;
  }
  const float inv = kHistogramBins / range;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) continue;
    int b = static_cast<int>((v[i] - s->min) * inv);
    b = std::clamp(b, 0, kHistogramBins - 1);
    ++s->histogram[b];
  }
}

// The GEMM-like ops whose input moments error-compensating rounding can use: float, constant
// weights, ungrouped convolutions.
bool wants_moments(const ir::Graph& g, const ir::Op& op) {
  if (op.type != ir::OpType::Conv2D && op.type != ir::OpType::DepthwiseConv2D &&
      op.type != ir::OpType::FullyConnected)
    return false;
  if (op.inputs.size() < 2 || op.inputs[0] < 0 || op.outputs.size() != 1) return false;
  const ir::Tensor& x = g.tensors[op.inputs[0]];
  const ir::Tensor& w = g.tensors[op.inputs[1]];
  if (x.dtype != ir::DType::Float32 || w.dtype != ir::DType::Float32 || !w.is_constant)
    return false;
  if (op.type == ir::OpType::FullyConnected) return w.shape.size() == 2;
  const auto* o = op.options.AsConv2DOptions();
  if (!o || x.shape.size() != 4 || w.shape.size() != 4 ||
      g.tensors[op.outputs[0]].shape.size() != 4)
    return false;
  if (op.type == ir::OpType::Conv2D) return o->groups == 1 && w.shape[3] == x.shape[3];
  return true;
}

// Adds row * row^T into the upper triangle of h (k x k).
void add_outer(const double* row, int64_t k, double* h) {
  for (int64_t i = 0; i < k; ++i) {
    const double xi = row[i];
    if (xi == 0.0) continue;
    double* hi = h + i * k;
    for (int64_t j = i; j < k; ++j) hi[j] += xi * row[j];
  }
}

// At most this many output positions per sample and op: the moments of a 32x32 feature map
// are well estimated from a spread-out subset, and the cost is positions x k^2.
constexpr int64_t kMomentPositions = 256;

void accumulate_moments(const ir::Graph& g, const ir::Op& op, const std::vector<float>& x,
                        int sample_index, InputMoments* m) {
  const ir::Tensor& xt = g.tensors[op.inputs[0]];
  const ir::Tensor& wt = g.tensors[op.inputs[1]];
  if (op.type == ir::OpType::FullyConnected) {
    const int64_t k = wt.shape[1];
    if (m->h.empty()) {
      m->k = k;
      m->h.assign(k * k, 0.0);
    }
    std::vector<double> row(k);
    for (size_t off = 0; off + k <= x.size(); off += k) {
      for (int64_t i = 0; i < k; ++i) row[i] = x[off + i];
      add_outer(row.data(), k, m->h.data());
      ++m->rows;
    }
    return;
  }
  const auto* o = op.options.AsConv2DOptions();
  const ir::Tensor& yt = g.tensors[op.outputs[0]];
  const int64_t batch = xt.shape[0], ih = xt.shape[1], iw = xt.shape[2], ic = xt.shape[3];
  const int64_t oh = yt.shape[1], ow = yt.shape[2];
  const int64_t kh = wt.shape[1], kw = wt.shape[2];
  const bool depthwise = op.type == ir::OpType::DepthwiseConv2D;
  const int64_t oc = depthwise ? wt.shape[3] : wt.shape[0];
  const int64_t mult = depthwise ? std::max<int64_t>(1, oc / ic) : 1;
  const int64_t k = depthwise ? kh * kw : kh * kw * ic;
  const int64_t groups = depthwise ? oc : 1;
  if (m->h.empty()) {
    m->k = k;
    m->groups = groups;
    m->h.assign(groups * k * k, 0.0);
  }
  const int64_t positions = batch * oh * ow;
  const int64_t step = (positions + kMomentPositions - 1) / kMomentPositions;
  std::vector<double> row(depthwise ? k * ic : k);
  for (int64_t p = sample_index % step; p < positions; p += step) {
    const int64_t n = p / (oh * ow), y = p / ow % oh, xo = p % ow;
    for (int64_t a = 0; a < kh; ++a)
      for (int64_t b = 0; b < kw; ++b) {
        const int64_t iy = y * o->stride_h - o->pad_top + a * o->dilation_h;
        const int64_t ix = xo * o->stride_w - o->pad_left + b * o->dilation_w;
        const bool inside = iy >= 0 && iy < ih && ix >= 0 && ix < iw;
        const float* src = inside ? x.data() + ((n * ih + iy) * iw + ix) * ic : nullptr;
        for (int64_t c = 0; c < ic; ++c) {
          const double v = inside ? src[c] : 0.0;  // padding is an exact zero in int8 too
          if (depthwise)
            row[c * k + a * kw + b] = v;
          else
            row[(a * kw + b) * ic + c] = v;
        }
      }
    if (depthwise) {
      for (int64_t c = 0; c < oc; ++c)
        add_outer(row.data() + (c / mult) * k, k, m->h.data() + c * k * k);
    } else {
      add_outer(row.data(), k, m->h.data());
    }
    ++m->rows;
  }
}

}  // namespace

bool calibrate(const ir::Graph& float_graph, const std::vector<Sample>& samples,
               const CalibrationOptions& options, CalibrationResult* result, std::string* error) {
  if (samples.empty()) return *error = "no calibration samples", false;
  GraphRunner runner;
  if (!runner.open(float_graph, error)) return false;
  result->stats.clear();
  result->samples = static_cast<int>(samples.size());
  const bool want_histograms = options.method != CalibrationMethod::kMinMax &&
                               options.method != CalibrationMethod::kMeanMinMax;
  const int passes = want_histograms ? 2 : 1;
  // Which runtime tensors are float activations, by op.
  std::vector<std::vector<std::pair<int, std::string>>> float_outputs(runner.num_ops());
  for (int op = 0; op < runner.num_ops(); ++op)
    for (int t : runner.op_outputs(op))
      if (t >= 0 && runner.info(t).dtype == OCTET_FLOAT32 && runner.info(t).name)
        float_outputs[op].push_back({t, runner.info(t).name});
  // Runtime op -> graph op (by first output name) for the ops whose input moments are wanted.
  std::vector<const ir::Op*> moment_op(runner.num_ops(), nullptr);
  if (options.input_moments) {
    std::map<std::string, const ir::Op*> by_output;
    for (const ir::Op& op : float_graph.ops)
      if (wants_moments(float_graph, op)) by_output[float_graph.tensors[op.outputs[0]].name] = &op;
    for (int op = 0; op < runner.num_ops(); ++op) {
      const std::vector<int> outs = runner.op_outputs(op);
      if (outs.empty() || outs[0] < 0 || !runner.info(outs[0]).name) continue;
      auto it = by_output.find(runner.info(outs[0]).name);
      if (it != by_output.end()) moment_op[op] = it->second;
    }
  }
  result->moments.clear();
  for (int pass = 0; pass < passes; ++pass) {
    Progress progress(pass == 0 ? "calibrating (ranges)    " : "calibrating (histograms)",
                      static_cast<int>(samples.size()), options.progress);
    for (size_t s = 0; s < samples.size(); ++s) {
      if (!runner.set_inputs(samples[s], error)) return false;
      // Graph inputs are activations too.
      for (size_t i = 0; i < float_graph.inputs.size(); ++i) {
        const ir::Tensor& t = float_graph.tensors[float_graph.inputs[i]];
        if (t.dtype != ir::DType::Float32) continue;
        TensorStats& st = result->stats[t.name];
        if (pass == 0)
          update_minmax(&st, samples[s][i].data(), samples[s][i].size());
        else
          update_histogram(&st, samples[s][i].data(), samples[s][i].size());
      }
      auto observer = [&](int op) {
        if (op < 0 || op >= static_cast<int>(float_outputs.size())) return;
        for (const auto& [t, name] : float_outputs[op]) {
          const std::vector<float> v = runner.tensor_as_float(t);
          TensorStats& st = result->stats[name];
          if (pass == 0)
            update_minmax(&st, v.data(), v.size());
          else
            update_histogram(&st, v.data(), v.size());
        }
        if (pass == 0 && moment_op[op]) {
          // The op has just run: its input is still in the arena.
          const ir::Op& gop = *moment_op[op];
          const int x = runner.tensor_index(float_graph.tensors[gop.inputs[0]].name);
          const std::vector<float> v = runner.tensor_as_float(x);
          if (v.size() == float_graph.tensors[gop.inputs[0]].num_elements())
            accumulate_moments(float_graph, gop, v, static_cast<int>(s),
                               &result->moments[gop.name]);
        }
      };
      if (!runner.invoke(observer, error)) return false;
      progress.update(static_cast<int>(s + 1));
    }
    progress.finish();
  }
  return true;
}

namespace {

// Cost of clipping to [lo, hi] and quantizing to 256 levels, from the histogram.
double range_cost(const TensorStats& s, CalibrationMethod method, float lo, float hi) {
  const int bins = static_cast<int>(s.histogram.size());
  const double width = (static_cast<double>(s.max) - s.min) / bins;
  const double step = (static_cast<double>(hi) - lo) / 255.0;
  if (method == CalibrationMethod::kMse) {
    double err = 0.0;
    for (int b = 0; b < bins; ++b) {
      if (!s.histogram[b]) continue;
      const double x = s.min + (b + 0.5) * width;
      const double q = std::clamp(std::nearbyint((x - lo) / step), 0.0, 255.0);
      const double d = x - (lo + q * step);
      err += static_cast<double>(s.histogram[b]) * d * d;
    }
    return err;
  }
  // KL(P || Q): P = histogram with the clipped tails piled onto the edge bins; Q = P quantized to
  // 255 steps, each step's mass spread evenly over its non-empty bins.
  const int b0 = std::clamp(static_cast<int>((lo - s.min) / width), 0, bins - 1);
  const int b1 = std::clamp(static_cast<int>((hi - s.min) / width), b0, bins - 1);
  std::vector<double> p(s.histogram.begin() + b0, s.histogram.begin() + b1 + 1);
  for (int b = 0; b < b0; ++b) p.front() += s.histogram[b];
  for (int b = b1 + 1; b < bins; ++b) p.back() += s.histogram[b];
  const int n = static_cast<int>(p.size());
  std::vector<double> q(n, 0.0);
  const int levels = 255;
  for (int l = 0; l < levels; ++l) {
    const int start = static_cast<int>(static_cast<int64_t>(l) * n / levels);
    const int end = static_cast<int>(static_cast<int64_t>(l + 1) * n / levels);
    double mass = 0.0;
    int nonzero = 0;
    for (int b = start; b < end; ++b) {
      mass += p[b];
      nonzero += p[b] > 0;
    }
    for (int b = start; b < end; ++b)
      if (p[b] > 0) q[b] = mass / nonzero;
  }
  double total = 0.0;
  for (double v : p) total += v;
  if (total <= 0) return 0.0;
  double kl = 0.0;
  for (int b = 0; b < n; ++b)
    if (p[b] > 0 && q[b] > 0) kl += p[b] / total * std::log(p[b] / q[b]);
  return kl;
}

float quantile(const TensorStats& s, double fraction) {
  uint64_t total = 0;
  for (uint64_t c : s.histogram) total += c;
  const double target = fraction * static_cast<double>(total);
  const double width = (static_cast<double>(s.max) - s.min) / s.histogram.size();
  double acc = 0.0;
  for (size_t b = 0; b < s.histogram.size(); ++b) {
    acc += s.histogram[b];
    if (acc >= target) return static_cast<float>(s.min + (b + 1) * width);
  }
  return s.max;
}

}  // namespace

void choose_range(const TensorStats& s, CalibrationMethod method, float percentile, float* lo,
                  float* hi) {
  *lo = s.min;
  *hi = s.max;
  if (method == CalibrationMethod::kMeanMinMax && s.sample_count > 0) {
    *lo = static_cast<float>(s.sum_sample_min / s.sample_count);
    *hi = static_cast<float>(s.sum_sample_max / s.sample_count);
    return;
  }
  if (method == CalibrationMethod::kMinMax || s.histogram.empty() || !(s.max > s.min)) return;
  if (method == CalibrationMethod::kPercentile) {
    const double p = std::clamp(static_cast<double>(percentile), 50.0, 100.0) / 100.0;
    if (s.min < 0.0f)
      *lo = std::min(0.0f, quantile(s, 1.0 - p) - (s.max - s.min) / s.histogram.size());
    *hi = std::max(0.0f, quantile(s, p));
    if (s.min >= 0.0f) *lo = s.min;
    return;
  }
  // Entropy / MSE: shrink the observed range towards zero and keep the cheapest candidate.
  double best = range_cost(s, method, s.min, s.max);
  // KL needs several histogram bins per quantization level (else Q == P and any range looks
  // perfect): stop at 25 % of the range, i.e. >= 2 of the 2048 bins per level. MSE goes further.
  const int steps = method == CalibrationMethod::kEntropy ? 75 : 95;
  for (int i = 1; i <= steps; ++i) {
    const float f = 1.0f - 0.01f * i;
    const float clo = s.min < 0.0f ? s.min * f : s.min;
    const float chi = s.max > 0.0f ? s.max * f : s.max;
    if (!(chi > clo)) break;
    const double cost = range_cost(s, method, clo, chi);
    if (cost < best) {
      best = cost;
      *lo = clo;
      *hi = chi;
    }
  }
}

}  // namespace octet::convert
