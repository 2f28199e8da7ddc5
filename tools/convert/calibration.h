// Running ir::Graphs through the Octet runtime (serialize -> octet_model_open_buffer -> session
// with an observer), loading calibration / evaluation samples, and collecting per-tensor
// activation statistics for calibration.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "octet/octet.h"
#include "tools/common/inputs.h"
#include "tools/ir/graph.h"

namespace octet::convert {

// One sample = float values for every graph input (already normalized), in graph input order.
using Sample = std::vector<std::vector<float>>;

struct SampleOptions {
  tools::Normalization normalization;  // applied to image pixels (not to .npy data)
  int max_count = 0;                   // 0: all
};
// `source` is a directory of images / .npy files, a single image, or a .npy file whose first axis
// stacks samples ([N, ...input shape...] or exactly one input's shape). Single-input graphs only
// for images; .npy files in a directory are matched to inputs by order when the graph has several.
bool load_samples(const std::string& source, const ir::Graph& graph, const SampleOptions& options,
                  std::vector<Sample>* samples, std::string* error);
// Uniform random samples in [lo, hi] (only when the user asks for random calibration data).
std::vector<Sample> random_samples(const ir::Graph& graph, int count, float lo, float hi,
                                   uint32_t seed);
// Sample files of an --eval directory with labels.csv (file,class_index,class_name).
struct LabeledFile {
  std::string path;
  int label = -1;
  std::string class_name;
};
bool load_labels_csv(const std::string& dir, std::vector<LabeledFile>* files, std::string* error);
// One sample from one file (image or .npy).
bool load_sample_file(const std::string& path, const ir::Graph& graph,
                      const tools::Normalization& normalization, Sample* sample,
                      std::string* error);

// A graph serialized and opened on the runtime, with one session.
class GraphRunner {
 public:
  GraphRunner() = default;
  ~GraphRunner();
  GraphRunner(const GraphRunner&) = delete;
  GraphRunner& operator=(const GraphRunner&) = delete;

  bool open(const ir::Graph& graph, std::string* error);
  // Fills inputs from float values (quantized inputs are quantized with their own scale/zp).
  bool set_inputs(const Sample& sample, std::string* error);
  // Invokes; `observer(op_index)` is called after every op (may be empty).
  bool invoke(const std::function<void(int)>& observer, std::string* error);
  // Invokes until `observer(op_index)` returns true (the later ops do not run) or the end.
  bool invoke_until(const std::function<bool(int)>& observer, std::string* error);
  // Any tensor of the graph as float (dequantized if int8/uint8); empty if not readable now.
  std::vector<float> tensor_as_float(int runtime_tensor) const;
  std::vector<float> output_as_float(int index) const;
  // Runtime tensor index by ir tensor name (-1 if absent).
  int tensor_index(const std::string& name) const;
  int num_ops() const;
  // Output tensor indices of op `op_index` in the runtime model.
  std::vector<int> op_outputs(int op_index) const;
  const octet_tensor_info& info(int runtime_tensor) const { return infos_[runtime_tensor]; }
  size_t model_bytes() const { return buffer_size_; }

 private:
  void* buffer_ = nullptr;
  size_t buffer_size_ = 0;
  octet_model* model_ = nullptr;
  octet_session* session_ = nullptr;
  std::vector<octet_tensor_info> infos_;
  std::map<std::string, int> by_name_;
  std::vector<int> input_tensors_;
};

// ---- calibration statistics ----
// kMeanMinMax: the mean over samples of each sample's min and max (NNCF's mean_min_max range
// estimator; TFLite's moving-average observer behaves alike), so rare extremes are clipped.
enum class CalibrationMethod { kMinMax, kPercentile, kEntropy, kMse, kMeanMinMax };
bool parse_calibration_method(const std::string& name, CalibrationMethod* method);
const char* calibration_method_name(CalibrationMethod method);

struct TensorStats {
  float min = 0.0f, max = 0.0f;
  bool seen = false;
  double sum_sample_min = 0.0, sum_sample_max = 0.0;  // over samples, for kMeanMinMax
  int64_t sample_count = 0;
  std::vector<uint64_t> histogram;  // kHistogramBins over [min, max] (second pass)
  uint64_t count = 0;
};
constexpr int kHistogramBins = 2048;

// Second moments E[x x^T] of the input patches a GEMM-like op multiplies its weights with (rows
// in the weight layout's per-channel order: Conv2D (kh, kw, ic), FullyConnected k, depthwise
// (kh, kw) of one channel). Error-compensating weight rounding minimises (w - w_q)^T H (w - w_q),
// the expected squared output error a weight rounding error causes on these inputs.
struct InputMoments {
  int64_t k = 0;          // row length
  int64_t groups = 1;     // 1 (shared by all output channels) or one matrix per output channel
  std::vector<double> h;  // groups x k x k, row-major, summed over `rows`
  int64_t rows = 0;
};

struct CalibrationResult {
  std::map<std::string, TensorStats> stats;     // by tensor name (float activations and inputs)
  std::map<std::string, InputMoments> moments;  // by op name, when asked for
  int samples = 0;
};

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::kMse;
  bool progress = true;       // progress bar + ETA on stderr
  bool input_moments = true;  // also collect InputMoments of Conv2D / depthwise / FC inputs
};
// Runs the float graph over the samples and records every float activation's range (and, for
// methods other than minmax, a histogram in a second pass).
bool calibrate(const ir::Graph& float_graph, const std::vector<Sample>& samples,
               const CalibrationOptions& options, CalibrationResult* result, std::string* error);
// The clipping range chosen by `method` for one tensor.
void choose_range(const TensorStats& stats, CalibrationMethod method, float percentile, float* lo,
                  float* hi);

// Progress bar with ETA on stderr: "label [#####.....] 12/200 ETA 3s". Redrawn in place on a
// terminal; into a log (stderr not a terminal) one line per 10 %.
class Progress {
 public:
  Progress(std::string label, int total, bool enabled);
  void update(int done);
  void finish();

 private:
  std::string label_;
  int total_;
  bool enabled_;
  bool terminal_;
  double start_;
  double last_draw_ = 0.0;
  int last_decile_ = -1;
};

}  // namespace octet::convert
