// ONNX (float32, opsets 8-17) -> float ir::Graph.
//
// What the importer produces (see also tools/convert/importer.h):
// - 4-D activations are NHWC. ONNX's NCHW tensors are converted inside the importer: weights
//   are re-laid out, axes of layout-sensitive ops are remapped, and where ONNX semantics depend
//   on the NCHW memory order (Reshape, Flatten, Squeeze, MatMul over 4-D data, ...) a Transpose
//   back to NCHW order is inserted first (a Reshape when both orders have the same bytes, e.g.
//   C == 1 or H == W == 1).
// - 4-D graph inputs and outputs are NHWC; graph.metadata records it ("input_layout" = "NHWC",
//   "source_layout" = "NCHW", "source_format" = "onnx", "source_input_shapes").
// - 3-D activations feeding 1-D Conv / pooling become channels-last ([N, L, C]) and run through
//   the 2-D ops as [N, 1, L, C] views; 3-D graph inputs and outputs keep the ONNX order.
// - Nearest Resize / Upsample by integer factors become Concat + Reshape (pixel replication).
// - Dynamic dimensions: ImportOptions::input_shapes, or default_dynamic_dim for a dynamic batch
//   (dimension 0); any other dynamic dimension is an error naming the input.
// - Constant subgraphs (Shape/Gather/Concat/Unsqueeze/Cast... chains) are folded;
//   BatchNormalization and per-channel Add/Sub/Mul/Div constants are folded into the preceding
//   Conv / FullyConnected; Relu / Clip are fused into the preceding op's act_min / act_max.
#pragma once
#include <cstddef>
#include <string>

#include "tools/convert/importer.h"

namespace octet::convert {

// Same as import_onnx, from serialized ModelProto bytes (tests build models in memory).
bool import_onnx_buffer(const void* data, size_t size, const ImportOptions& options,
                        ir::Graph* graph, std::string* error);

// Comma-separated ONNX op types the importer handles (for error messages and --help).
std::string onnx_supported_ops();

}  // namespace octet::convert
