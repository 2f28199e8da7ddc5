// Host-side graph IR shared by every importer, the quantizer, the serializer and tests.
// It mirrors schema/octet.fbs one to one (ops, options and enums are the schema's own
// object-API types), but holds constant data in memory; serialize() lays out the
// .octet file (memory plan, 64-byte aligned data section, packed weights).
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "octet_generated.h"

namespace octet::ir {

using fb::Activation;
using fb::DType;
using fb::OpType;
using fb::PackFamily;

struct Quant {
  std::vector<float> scale;         // 1 (per tensor) or shape[axis] entries
  std::vector<int32_t> zero_point;  // same count as scale
  int axis = -1;
  bool empty() const { return scale.empty(); }
  static Quant per_tensor(float s, int32_t zp) { return Quant{{s}, {zp}, -1}; }
};

size_t dtype_size(DType dtype);

struct Tensor {
  std::string name;
  DType dtype = DType::Float32;
  std::vector<int32_t> shape;
  Quant quant;
  bool is_constant = false;
  std::vector<uint8_t> data;  // constant bytes, little-endian, row-major

  size_t num_elements() const;
  size_t size_bytes() const { return num_elements() * dtype_size(dtype); }
  template <class T>
  const T* as() const {
    return reinterpret_cast<const T*>(data.data());
  }
  template <class T>
  T* as() {
    return reinterpret_cast<T*>(data.data());
  }
};

struct Op {
  OpType type = OpType::Conv2D;
  std::string name;
  std::vector<int> inputs;  // tensor indices; -1 for an absent optional input
  std::vector<int> outputs;
  fb::OpOptionsUnion options;  // e.g. options.AsConv2DOptions()
  Activation activation = Activation::None;
  float act_min = -std::numeric_limits<float>::infinity();
  float act_max = std::numeric_limits<float>::infinity();
  int32_t q_min = -128, q_max = 127;
  std::vector<float> multiplier;  // int8 GEMM-like ops: s_in * s_w[c] / s_out
  std::vector<uint8_t> lut;       // Lut: 256 int8; Softmax int8: 256 float32
  bool keep_float = false;
  // int8 Conv2D / DepthwiseConv2D / FullyConnected: output channels whose weights need more
  // than 8 bits (schema WideChannels), strictly ascending, and their int16 weights,
  // [channels][weights per output channel] in the op's tap order.
  std::vector<int32_t> wide_channels;
  std::vector<int16_t> wide_weights;
};

struct Graph {
  std::vector<Tensor> tensors;
  std::vector<Op> ops;  // topological (execution) order
  std::vector<int> inputs;
  std::vector<int> outputs;
  std::map<std::string, std::string> metadata;

  int add_tensor(Tensor t) {
    tensors.push_back(std::move(t));
    return static_cast<int>(tensors.size()) - 1;
  }
  int add_op(Op op) {
    ops.push_back(std::move(op));
    return static_cast<int>(ops.size()) - 1;
  }
};

struct SerializeOptions {
  // Extra weight layouts stored for GEMM-like int8 ops (RowMajor is always stored:
  // it is the scalar path's layout and the source of any repack).
  std::vector<PackFamily> families;
  std::string producer = "octet";
};

// Lays out the .octet bytes: validates the graph, plans the arena (tensors that are live at
// the same time never share bytes; graph inputs and outputs are live for the whole graph, so
// inputs survive invoke), packs weights, writes the 64-byte aligned data section.
// Returns false and sets *error on an invalid graph.
bool serialize(const Graph& graph, const SerializeOptions& options, std::vector<uint8_t>* out,
               std::string* error);
bool write_file(const std::string& path, const std::vector<uint8_t>& bytes, std::string* error);

}  // namespace octet::ir
