// Front-end contract of the converter: every importer (TFLite, ONNX) turns a model file into an
// ir::Graph with the same conventions, then the clean-up passes below normalise it before
// calibration / quantization / serialization.
//
// Graph conventions every importer produces:
// - Activations NHWC. Conv2D weights [OC][KH][KW][IC/groups], depthwise [KH][KW][C*mult],
//   FullyConnected [N][K] (see schema/octet.fbs and kernels/reference/reference.h).
// - Padding is explicit (Conv2DOptions / Pool2DOptions pad_* fields).
// - Float graphs: Float32 tensors, fused activations in Op.activation + act_min/act_max.
// - Already-quantized graphs (TFLite int8/uint8): the int8 scheme of docs/ARCHITECTURE.md
//   (folded int32 bias, Op.multiplier, q_min/q_max, Lut ops), uint8 only at the graph I/O.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/ir/graph.h"

namespace octet::convert {

struct ImportOptions {
  // Input shape overrides by graph input name (e.g. "input" -> {1,3,224,224}), for models
  // with dynamic / symbolic dimensions. Shapes are given in the model's own layout (NCHW for
  // ONNX); the importer converts them.
  std::map<std::string, std::vector<int32_t>> input_shapes;
  // Value for any remaining dynamic dimension (e.g. batch) when no override names it.
  int32_t default_dynamic_dim = 1;
  // Hybrid / already-quantized weights in a float model are dequantized to float (TFLite hybrid).
  bool dequantize_hybrid_weights = true;
  // Print what the importer does (op mapping, dropped ops) to stderr.
  bool verbose = false;
};

// Each returns false and sets *error (naming the op / node / tensor) on failure; *graph is
// then unspecified.
bool import_tflite(const std::string& path, const ImportOptions& options, ir::Graph* graph,
                   std::string* error);
bool import_tflite_buffer(const uint8_t* data, size_t size, const ImportOptions& options,
                          ir::Graph* graph, std::string* error);
// Implemented in onnx_importer.cc (ONNX engineer).
bool import_onnx(const std::string& path, const ImportOptions& options, ir::Graph* graph,
                 std::string* error);

// ---- Clean-up passes (tools/convert/cleanup.cc), run after every importer ----

// Fuses a Relu / Relu6 op that is the only consumer of a float Conv2D / DepthwiseConv2D /
// FullyConnected / Add / Mul output into that op's activation (act_min/act_max). Returns the
// number of fused ops.
int fuse_activations(ir::Graph* graph);
// Removes ops whose outputs nobody reads (and are not graph outputs), and Reshape ops whose
// input and output shapes are identical. Returns the number of removed ops.
int remove_dead_and_identity_ops(ir::Graph* graph);
// Drops tensors no op or graph I/O references and renumbers the rest. Returns the number removed.
int remove_unused_tensors(ir::Graph* graph);
// Checks indices, shapes of GEMM-like weights and topological order; false + *error otherwise.
bool validate_graph(const ir::Graph& graph, std::string* error);
// Runs all of the above in order; false + *error if the resulting graph is invalid.
bool cleanup_graph(ir::Graph* graph, std::string* error);

// Names of the ops each importer supports, for error messages ("supported: CONV_2D, ...").
std::string tflite_supported_ops();

}  // namespace octet::convert
