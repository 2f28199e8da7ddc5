// Float ir::Graph + calibration statistics -> int8 ir::Graph following docs/ARCHITECTURE.md:
// per-channel (or per-tensor) symmetric int8 weights, folded int32 biases, fp32 multipliers,
// q_min/q_max from fused activations, Lut ops for activations, Softmax tables, Quantize at
// float->int8 boundaries and Dequantize at int8->float ones (float graph I/O unless int8_io).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "tools/convert/calibration.h"
#include "tools/ir/graph.h"

namespace octet::convert {

struct QuantizeOptions {
  CalibrationMethod method = CalibrationMethod::kMse;
  float percentile = 99.99f;
  bool per_channel = true;
  // Weight rounding: nearest, or error-compensating (GPTQ-style: each weight is rounded in turn
  // and its rounding error pushed onto the not-yet-rounded weights of the same output channel
  // through the inverse of the calibration inputs' second moments, so the layer's output error
  // on those inputs, not the weight error, is minimised). Needs CalibrationResult::moments;
  // ops without them are rounded to nearest.
  enum class WeightRounding {
    kNearest,
    kCompensated
  } weight_rounding = WeightRounding::kCompensated;
  // Ops kept in float: glob patterns (* and ?) matched against the op name, its first output
  // tensor's name and its type name (e.g. "Softmax", "*classifier*").
  std::vector<std::string> keep_float_patterns;
  std::vector<std::string> keep_float_ops;  // exact op names (automatic mode fills these)
  bool int8_io = false;                     // graph inputs/outputs int8 instead of float
};

struct KeptFloat {
  std::string op, type, reason;
};

struct QuantizeInfo {
  std::vector<KeptFloat> kept_float;
  int quantized_ops = 0;
  int compensated_ops = 0;  // GEMM ops whose weights got error-compensating rounding
  // Float-graph tensor name -> name of the tensor holding it in the int8 graph (int8 tensor, or
  // the float tensor for ops kept in float).
  std::map<std::string, std::string> tensor_in_quantized;
  // Chosen activation ranges by float tensor name.
  std::map<std::string, std::pair<float, float>> ranges;
  // Weight absmax ranges by op name.
  std::map<std::string, std::pair<float, float>> weight_ranges;
};

bool glob_match(const std::string& pattern, const std::string& text);

// Error-compensating rounding of one output channel: `w` (k values, in units of the channel's
// scale, i.e. w / s) -> int8 in [-127, 127] minimising (w - q)^T H (w - q) greedily, given the
// upper Cholesky factor `u` (k x k, row-major) of H^-1. Returns false if `u` is unusable.
bool round_compensated(const double* u, int64_t k, std::vector<double> w, int8_t* q);
// Upper Cholesky factor of (H + damping)^-1 for round_compensated, with H the k x k upper
// triangle of a moment matrix; damping = `damp` x mean diagonal (raised until positive definite).
// Inputs never seen (zero diagonal) are decoupled. False if no damping works.
bool inverse_cholesky_upper(const double* h, int64_t k, double damp, std::vector<double>* u);

bool quantize_graph(const ir::Graph& float_graph, const CalibrationResult& calibration,
                    const QuantizeOptions& options, ir::Graph* out, QuantizeInfo* info,
                    std::string* error);

// Empirical bias correction: for every int8 GEMM-like op, the mean (over samples and positions) of
// int8-minus-float output per channel is measured on `samples` and subtracted from the folded
// bias, removing the systematic shift weight rounding leaves. Returns the number of ops changed.
int correct_bias(const ir::Graph& float_graph, ir::Graph* quantized_graph, const QuantizeInfo& info,
                 const std::vector<Sample>& samples, std::string* error, bool progress = false);

// Per-layer accuracy of the int8 graph against the float graph on the same samples.
struct LayerError {
  std::string op, type, tensor;
  bool kept_float = false;
  double signal = 0.0, noise = 0.0;
  double sqnr_db() const;
};
struct Comparison {
  std::vector<LayerError> layers;  // float-graph op order
  LayerError output;               // graph output 0
};
bool compare_graphs(const ir::Graph& float_graph, const ir::Graph& quantized_graph,
                    const QuantizeInfo& info, const std::vector<Sample>& samples, bool progress,
                    Comparison* comparison, std::string* error);

// Repeatedly quantizes, measures, and keeps in float the op whose own SQNR loss (output SQNR
// below its inputs' SQNR) is largest, until the graph output's SQNR reaches target_db or
// max_ops ops are kept. Returns the final graph in *out / *info.
bool auto_keep_float(const ir::Graph& float_graph, const CalibrationResult& calibration,
                     QuantizeOptions options, const std::vector<Sample>& samples, double target_db,
                     int max_ops, ir::Graph* out, QuantizeInfo* info, std::string* error);

}  // namespace octet::convert
