// TFLite (.tflite, "TFL3") -> ir::Graph.
//
// Float models become float graphs (hybrid int8 weights dequantized). Quantized models keep their
// quantization and are mapped onto Octet's one int8 scheme:
// - int8 activations: as they are; int8 per-channel symmetric weights: as they are.
// - uint8 activations (legacy TF1 models): value - 128 with zero point - 128, which is exact.
//   uint8 graph inputs/outputs stay uint8; a Quantize op converts at the boundary.
// - uint8 (or asymmetric) weights: Octet's kernels need symmetric int8 (zero point 0). The zero
//   point cannot be folded into the bias because its contribution, zp_w * sum(x - zp_x), depends
//   on the input. So w - zp_w is computed exactly per output channel; a channel whose values fit
//   [-127, 127] is stored as int8 (same scale), any other becomes a wide channel (schema
//   WideChannels: int16 weights the runtime recomputes that channel with). Exact either way.
// - int32 bias b (scale s_x*s_w[c]) is folded: b' = b - zp_x * sum_k w[c,k].
// - multiplier[c] = s_x * s_w[c] / s_y (double, rounded to float); fused activation -> q_min/q_max.
// - int8 LOGISTIC/TANH/RELU/RELU6/HARD_SWISH -> Lut op; int8 SOFTMAX -> Softmax with float table.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "flatbuffers/flatbuffers.h"
#include "kernels/common/requantize.h"
#include "tflite_subset_generated.h"
#include "tools/convert/importer.h"
#include "tools/convert/quant_utils.h"

namespace octet::convert {
namespace {

namespace tfl = ::octet::tflite;

// BuiltinOperator codes (values of the TFLite format).
enum TflOp : int32_t {
  kAdd = 0,
  kAveragePool2D = 1,
  kConcatenation = 2,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2D = 17,
  kMul = 18,
  kRelu = 19,
  kReluN1To1 = 20,
  kRelu6 = 21,
  kReshape = 22,
  kSoftmax = 25,
  kTanh = 28,
  kPad = 34,
  kTranspose = 39,
  kMean = 40,
  kSub = 41,
  kDiv = 42,
  kSqueeze = 43,
  kPadV2 = 60,
  kSlice = 65,
  kExpandDims = 70,
  kSqrt = 75,
  kQuantize = 114,
  kHardSwish = 117,
};

struct OpName {
  int32_t code;
  const char* name;
};
// Names for error messages (mapped ops first, then common ones Octet does not map).
constexpr OpName kOpNames[] = {
    {kAdd, "ADD"},
    {kAveragePool2D, "AVERAGE_POOL_2D"},
    {kConcatenation, "CONCATENATION"},
    {kConv2D, "CONV_2D"},
    {kDepthwiseConv2D, "DEPTHWISE_CONV_2D"},
    {kDequantize, "DEQUANTIZE"},
    {kFullyConnected, "FULLY_CONNECTED"},
    {kLogistic, "LOGISTIC"},
    {kMaxPool2D, "MAX_POOL_2D"},
    {kMul, "MUL"},
    {kRelu, "RELU"},
    {kReluN1To1, "RELU_N1_TO_1"},
    {kRelu6, "RELU6"},
    {kReshape, "RESHAPE"},
    {kSoftmax, "SOFTMAX"},
    {kTanh, "TANH"},
    {kPad, "PAD"},
    {kTranspose, "TRANSPOSE"},
    {kMean, "MEAN"},
    {kSub, "SUB"},
    {kDiv, "DIV"},
    {kSqueeze, "SQUEEZE"},
    {kPadV2, "PADV2"},
    {kSlice, "SLICE"},
    {kExpandDims, "EXPAND_DIMS"},
    {kSqrt, "SQRT"},
    {kQuantize, "QUANTIZE"},
    {kHardSwish, "HARD_SWISH"},
    // Not mapped:
    {5, "DEPTH_TO_SPACE"},
    {8, "FLOOR"},
    {11, "L2_NORMALIZATION"},
    {12, "L2_POOL_2D"},
    {13, "LOCAL_RESPONSE_NORMALIZATION"},
    {16, "LSTM"},
    {23, "RESIZE_BILINEAR"},
    {24, "RNN"},
    {26, "SPACE_TO_DEPTH"},
    {27, "SVDF"},
    {31, "CALL"},
    {32, "CUSTOM"},
    {36, "GATHER"},
    {37, "BATCH_TO_SPACE_ND"},
    {38, "SPACE_TO_BATCH_ND"},
    {44, "UNIDIRECTIONAL_SEQUENCE_LSTM"},
    {45, "STRIDED_SLICE"},
    {47, "EXP"},
    {49, "SPLIT"},
    {50, "LOG_SOFTMAX"},
    {53, "CAST"},
    {54, "PRELU"},
    {55, "MAXIMUM"},
    {56, "ARG_MAX"},
    {57, "MINIMUM"},
    {67, "TRANSPOSE_CONV"},
    {74, "SUM"},
    {76, "RSQRT"},
    {83, "PACK"},
    {97, "RESIZE_NEAREST_NEIGHBOR"},
    {98, "LEAKY_RELU"},
    {102, "SPLIT_V"},
    {126, "BATCH_MATMUL"},
};
constexpr int kNumMappedOps = 28;

std::string tfl_op_name(int32_t code) {
  for (const OpName& n : kOpNames)
    if (n.code == code) return n.name;
  return "BUILTIN_" + std::to_string(code);
}

ir::Activation map_activation(tfl::ActivationFunctionType act, bool* ok) {
  *ok = true;
  switch (act) {
    case tfl::ActivationFunctionType::NONE:
      return ir::Activation::None;
    case tfl::ActivationFunctionType::RELU:
      return ir::Activation::Relu;
    case tfl::ActivationFunctionType::RELU6:
      return ir::Activation::Relu6;
    case tfl::ActivationFunctionType::RELU_N1_TO_1:
      return ir::Activation::ReluN1To1;
    default:
      *ok = false;
      return ir::Activation::None;
  }
}

struct TflQuant {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int axis = 0;
  bool present() const { return !scale.empty(); }
};

// Everything known about one TFLite tensor.
struct TflTensor {
  std::string name;
  tfl::TensorType type = tfl::TensorType::FLOAT32;
  std::vector<int32_t> shape;
  TflQuant quant;
  const uint8_t* data = nullptr;  // constant bytes or nullptr
  size_t data_size = 0;
};

size_t tfl_type_size(tfl::TensorType t) {
  switch (t) {
    case tfl::TensorType::FLOAT32:
    case tfl::TensorType::INT32:
      return 4;
    case tfl::TensorType::FLOAT16:
    case tfl::TensorType::INT16:
      return 2;
    case tfl::TensorType::UINT8:
    case tfl::TensorType::INT8:
    case tfl::TensorType::BOOL:
      return 1;
    case tfl::TensorType::INT64:
      return 8;
    default:
      return 0;
  }
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

class Importer {
 public:
  Importer(const uint8_t* data, size_t size, const ImportOptions& options, ir::Graph* graph,
           std::string* error)
      : base_(data), size_(size), options_(options), graph_(graph), error_(error) {}

  bool run();

 private:
  bool fail(const std::string& message) {
    *error_ = message;
    return false;
  }
  bool op_fail(const std::string& message) {
    return fail("TFLite operator #" + std::to_string(op_index_) + " (" + op_name_ +
                "): " + message);
  }
  bool load_tensors(const tfl::SubGraph* subgraph);
  bool map_op(const tfl::Operator* op, int32_t code);

  const TflTensor& tt(int i) const { return tensors_[i]; }
  bool valid_index(int i) const { return i >= 0 && i < static_cast<int>(tensors_.size()); }
  bool is_quantized_type(int i) const {
    return tt(i).type == tfl::TensorType::INT8 || tt(i).type == tfl::TensorType::UINT8;
  }
  // ir tensor holding TFLite tensor i as an activation: float32, or int8 (uint8 converted). For a
  // uint8 graph input, returns an int8 twin produced by a Quantize op.
  int value(int i);
  // Registers the ir tensor that op outputs must write for TFLite tensor i. For a uint8 graph
  // output, the op writes an int8 twin and a Quantize op (emitted by finish_outputs) converts.
  int output(int i);
  int float_constant(int i, const std::string& name);  // dequantizes / widens as needed
  // Values of constant tensor i as float (fp16 widened, int8/uint8/int32 dequantized); false if
  // its type or quantization cannot be read.
  bool constant_values(int i, std::vector<float>* v) const;
  // Float models stored with fp16 (or int8) weights feed them through DEQUANTIZE ops. The
  // outputs of DEQUANTIZE ops that read a constant become float32 constants here, before any op
  // is mapped, so the consumers see ordinary constant float weights.
  bool fold_constant_dequantize(const tfl::SubGraph* subgraph, const tfl::Model* model);
  bool read_int_vector(int i, std::vector<int64_t>* v);
  int32_t int8_zero_point(int i) const {
    const int64_t zp = tt(i).quant.zero_point.empty() ? 0 : tt(i).quant.zero_point[0];
    return static_cast<int32_t>(tt(i).type == tfl::TensorType::UINT8 ? zp - 128 : zp);
  }
  float scale_of(int i) const { return tt(i).quant.scale.empty() ? 1.0f : tt(i).quant.scale[0]; }
  ir::Quant int8_quant(int i) const {
    return ir::Quant::per_tensor(scale_of(i), int8_zero_point(i));
  }
  ir::Op new_op(ir::OpType type) {
    ir::Op op;
    op.type = type;
    op.name = op_label_;
    return op;
  }
  void emit(ir::Op op) { graph_->add_op(std::move(op)); }
  void emit_after_outputs();

  bool map_gemm(const tfl::Operator* op, int32_t code);
  bool map_pool(const tfl::Operator* op, int32_t code);
  bool map_binary(const tfl::Operator* op, int32_t code);
  bool map_unary(const tfl::Operator* op, int32_t code);
  bool compute_padding(tfl::Padding padding, int in_h, int in_w, int k_h, int k_w, int s_h, int s_w,
                       int d_h, int d_w, int* top, int* left, int* bottom, int* right);

  const uint8_t* base_;
  size_t size_;
  const ImportOptions& options_;
  ir::Graph* graph_;
  std::string* error_;
  std::vector<TflTensor> tensors_;
  std::vector<int> value_map_;    // TFLite tensor -> ir tensor (activation view)
  std::vector<int> graph_io_u8_;  // TFLite tensor -> ir UInt8 tensor at the graph boundary
  std::vector<std::pair<int, int>> pending_outputs_;  // (int8 twin, uint8 graph output)
  std::vector<bool> is_graph_input_, is_graph_output_;
  int op_index_ = 0;
  std::string op_name_, op_label_;
  int wide_channels_ = 0;     // asymmetric weight channels that need more than 8 bits
  std::vector<bool> folded_;  // TFLite tensor computed at import (its DEQUANTIZE is skipped)
  // Values of folded constants (TflTensor::data points into them; moving the outer vector keeps
  // each inner buffer where it is).
  std::vector<std::vector<float>> folded_data_;
};

bool Importer::run() {
  flatbuffers::Verifier verifier(base_, size_);
  if (size_ < 8 || !tfl::VerifyModelBuffer(verifier))
    return fail("not a valid TFLite file (flatbuffer verification failed or identifier != TFL3)");
  const tfl::Model* model = tfl::GetModel(base_);
  if (!model->subgraphs() || model->subgraphs()->size() == 0)
    return fail("TFLite model has no subgraph");
  if (model->subgraphs()->size() > 1 && options_.verbose)
    fprintf(stderr, "tflite: %u subgraphs, importing the first (main) one\n",
            model->subgraphs()->size());
  const tfl::SubGraph* subgraph = model->subgraphs()->Get(0);
  if (!subgraph->tensors() || !subgraph->inputs() || !subgraph->outputs())
    return fail("TFLite subgraph lacks tensors, inputs or outputs");

  // Buffers.
  auto* buffers = model->buffers();
  tensors_.resize(subgraph->tensors()->size());
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const tfl::Tensor* t = subgraph->tensors()->Get(i);
    TflTensor& out = tensors_[i];
    out.name = t->name() ? t->name()->str() : "tensor_" + std::to_string(i);
    out.type = t->type();
    if (t->shape()) out.shape.assign(t->shape()->begin(), t->shape()->end());
    if (t->sparsity())
      return fail("tensor '" + out.name + "' is sparse; Octet does not read sparse TFLite tensors");
    for (size_t d = 0; d < out.shape.size(); ++d) {
      if (out.shape[d] < 0) {
        if (d == 0)
          out.shape[d] = options_.default_dynamic_dim;
        else
          return fail("tensor '" + out.name + "' has a dynamic dimension " + std::to_string(d));
      }
    }
    auto it = options_.input_shapes.find(out.name);
    if (it != options_.input_shapes.end()) out.shape = it->second;
    if (const tfl::QuantizationParameters* q = t->quantization()) {
      if (q->scale()) out.quant.scale.assign(q->scale()->begin(), q->scale()->end());
      if (q->zero_point())
        out.quant.zero_point.assign(q->zero_point()->begin(), q->zero_point()->end());
      out.quant.axis = q->quantized_dimension();
      if (!out.quant.scale.empty() && out.quant.zero_point.size() != out.quant.scale.size()) {
        if (out.quant.zero_point.empty())
          out.quant.zero_point.assign(out.quant.scale.size(), 0);
        else
          return fail("tensor '" + out.name + "': scale / zero_point counts differ");
      }
      for (float s : out.quant.scale)
        if (!(s > 0.0f) || !std::isfinite(s))
          return fail("tensor '" + out.name + "': non-positive scale");
      // Per-axis quantization is checked where it matters (weights, in map_gemm): converters
      // leave inconsistent axes on biases, which Octet recomputes anyway.
    }
    const uint32_t b = t->buffer();
    if (b != 0) {
      if (!buffers || b >= buffers->size())
        return fail("tensor '" + out.name + "' names a missing buffer");
      const tfl::Buffer* buf = buffers->Get(b);
      if (buf->data() && buf->data()->size() > 0) {
        out.data = buf->data()->data();
        out.data_size = buf->data()->size();
      } else if (buf->offset() > 1) {
        if (buf->offset() > size_ || buf->size() > size_ - buf->offset())
          return fail("tensor '" + out.name + "': external buffer out of file bounds");
        out.data = base_ + buf->offset();
        out.data_size = buf->size();
      }
    }
    if (out.data) {
      size_t n = 1;
      for (int32_t d : out.shape) n *= static_cast<size_t>(d);
      const size_t es = tfl_type_size(out.type);
      if (es == 0)
        return fail("constant tensor '" + out.name + "' has unsupported type " +
                    tfl::EnumNameTensorType(out.type));
      if (n * es != out.data_size)
        return fail("constant tensor '" + out.name + "': " + std::to_string(out.data_size) +
                    " bytes for " + std::to_string(n) + " elements");
    }
  }
  if (!fold_constant_dequantize(subgraph, model)) return false;
  value_map_.assign(tensors_.size(), -1);
  graph_io_u8_.assign(tensors_.size(), -1);
  is_graph_input_.assign(tensors_.size(), false);
  is_graph_output_.assign(tensors_.size(), false);

  // Graph inputs.
  for (int i : *subgraph->inputs()) {
    if (!valid_index(i)) return fail("graph input index out of range");
    if (tt(i).data) continue;  // constant listed as input
    is_graph_input_[i] = true;
    const TflTensor& t = tt(i);
    ir::Tensor in;
    in.name = t.name;
    in.shape = t.shape;
    switch (t.type) {
      case tfl::TensorType::FLOAT32:
        in.dtype = ir::DType::Float32;
        break;
      case tfl::TensorType::INT8:
        in.dtype = ir::DType::Int8;
        in.quant = int8_quant(i);
        break;
      case tfl::TensorType::UINT8:
        in.dtype = ir::DType::UInt8;
        in.quant = ir::Quant::per_tensor(scale_of(i), int8_zero_point(i) + 128);
        break;
      default:
        return fail("graph input '" + t.name + "' has type " + tfl::EnumNameTensorType(t.type) +
                    " (Octet supports float32, int8, uint8 inputs)");
    }
    if (t.type != tfl::TensorType::FLOAT32 && !t.quant.present())
      return fail("graph input '" + t.name + "' is 8-bit but not quantized");
    const int id = graph_->add_tensor(std::move(in));
    graph_->inputs.push_back(id);
    if (t.type == tfl::TensorType::UINT8)
      graph_io_u8_[i] = id;
    else
      value_map_[i] = id;
  }
  for (int i : *subgraph->outputs()) {
    if (!valid_index(i)) return fail("graph output index out of range");
    is_graph_output_[i] = true;
  }

  // Operators.
  auto* codes = model->operator_codes();
  if (subgraph->operators()) {
    for (const tfl::Operator* op : *subgraph->operators()) {
      if (!codes || op->opcode_index() >= codes->size())
        return fail("TFLite operator #" + std::to_string(op_index_) + " has a bad opcode index");
      const tfl::OperatorCode* oc = codes->Get(op->opcode_index());
      const int32_t code = std::max<int32_t>(oc->deprecated_builtin_code(), oc->builtin_code());
      op_name_ = code == 32 && oc->custom_code() ? "CUSTOM '" + oc->custom_code()->str() + "'"
                                                 : tfl_op_name(code);
      std::string lower = tfl_op_name(code);
      for (char& c : lower) c = static_cast<char>(std::tolower(c));
      op_label_ = lower + "_" + std::to_string(op_index_);
      if (!op->inputs() || !op->outputs()) return op_fail("missing inputs or outputs");
      for (int i : *op->inputs())
        if (i != -1 && !valid_index(i)) return op_fail("input index out of range");
      for (int i : *op->outputs())
        if (!valid_index(i)) return op_fail("output index out of range");
      if (!map_op(op, code)) return false;
      emit_after_outputs();
      ++op_index_;
    }
  }
  for (int i : *subgraph->outputs()) {
    const int id = graph_io_u8_[i] >= 0 ? graph_io_u8_[i] : value_map_[i];
    if (id < 0) return fail("graph output '" + tt(i).name + "' is never produced");
    graph_->outputs.push_back(id);
  }
  graph_->metadata["source_format"] = "tflite";
  if (wide_channels_ > 0)
    graph_->metadata["tflite_wide_weight_channels"] = std::to_string(wide_channels_);
  return true;
}

int Importer::value(int i) {
  if (value_map_[i] >= 0) return value_map_[i];
  const TflTensor& t = tt(i);
  if (graph_io_u8_[i] >= 0) {  // uint8 graph input read by a non-Quantize op: convert to int8
    ir::Tensor twin;
    twin.name = t.name + "/int8";
    twin.dtype = ir::DType::Int8;
    twin.shape = t.shape;
    twin.quant = int8_quant(i);
    const int id = graph_->add_tensor(std::move(twin));
    ir::Op q = new_op(ir::OpType::Quantize);
    q.name = t.name + "/to_int8";
    q.inputs = {graph_io_u8_[i]};
    q.outputs = {id};
    emit(std::move(q));
    value_map_[i] = id;
    return id;
  }
  if (t.data) {  // constant operand of an elementwise op
    ir::Tensor c;
    c.name = t.name;
    c.shape = t.shape;
    c.is_constant = true;
    if (t.type == tfl::TensorType::INT8 || t.type == tfl::TensorType::UINT8) {
      c.dtype = ir::DType::Int8;
      c.quant = int8_quant(i);
      c.data.assign(t.data, t.data + t.data_size);
      if (t.type == tfl::TensorType::UINT8)
        for (uint8_t& v : c.data) v = static_cast<uint8_t>(static_cast<int>(v) - 128);
    } else if (t.type == tfl::TensorType::INT32) {
      c.dtype = ir::DType::Int32;
      c.data.assign(t.data, t.data + t.data_size);
    } else {
      const int id = float_constant(i, t.name);
      value_map_[i] = id;
      return id;
    }
    const int id = graph_->add_tensor(std::move(c));
    value_map_[i] = id;
    return id;
  }
  return -1;  // produced later (or never): caller reports
}

int Importer::output(int i) {
  const TflTensor& t = tt(i);
  ir::Tensor out;
  out.name = t.name;
  out.shape = t.shape;
  switch (t.type) {
    case tfl::TensorType::FLOAT32:
      out.dtype = ir::DType::Float32;
      break;
    case tfl::TensorType::INT8:
    case tfl::TensorType::UINT8:
      out.dtype = ir::DType::Int8;
      out.quant = int8_quant(i);
      break;
    case tfl::TensorType::INT32:
      out.dtype = ir::DType::Int32;
      break;
    default:
      return -1;
  }
  if (t.type == tfl::TensorType::UINT8 && is_graph_output_[i]) {
    out.name = t.name + "/int8";
    const int twin = graph_->add_tensor(std::move(out));
    ir::Tensor u8;
    u8.name = t.name;
    u8.dtype = ir::DType::UInt8;
    u8.shape = t.shape;
    u8.quant = ir::Quant::per_tensor(scale_of(i), int8_zero_point(i) + 128);
    const int id = graph_->add_tensor(std::move(u8));
    graph_io_u8_[i] = id;
    value_map_[i] = twin;
    pending_outputs_.push_back({twin, id});
    return twin;
  }
  const int id = graph_->add_tensor(std::move(out));
  value_map_[i] = id;
  return id;
}

void Importer::emit_after_outputs() {
  for (auto [twin, u8] : pending_outputs_) {
    ir::Op q = new_op(ir::OpType::Quantize);
    q.name = graph_->tensors[u8].name + "/to_uint8";
    q.inputs = {twin};
    q.outputs = {u8};
    emit(std::move(q));
  }
  pending_outputs_.clear();
}

bool Importer::constant_values(int i, std::vector<float>* v) const {
  const TflTensor& t = tt(i);
  if (!t.data) return false;
  size_t n = 1;
  for (int32_t d : t.shape) n *= static_cast<size_t>(d);
  v->assign(n, 0.0f);
  switch (t.type) {
    case tfl::TensorType::FLOAT32:
      std::memcpy(v->data(), t.data, n * 4);
      return true;
    case tfl::TensorType::FLOAT16:
      for (size_t k = 0; k < n; ++k) {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * k, 2);
        (*v)[k] = half_to_float(h);
      }
      return true;
    case tfl::TensorType::INT8:
    case tfl::TensorType::UINT8: {
      // Hybrid weights: dequantize per axis.
      if (!t.quant.present()) return false;
      const int axis = t.quant.scale.size() > 1 ? t.quant.axis : -1;
      if (axis >= static_cast<int>(t.shape.size()) ||
          (axis >= 0 && t.shape[axis] != static_cast<int32_t>(t.quant.scale.size())))
        return false;  // per-axis scales that do not match the shape
      size_t inner = 1;
      if (axis >= 0)
        for (size_t d = axis + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
      for (size_t k = 0; k < n; ++k) {
        const size_t c = axis >= 0 ? (k / inner) % t.shape[axis] : 0;
        const int q = t.type == tfl::TensorType::INT8 ? static_cast<int8_t>(t.data[k]) : t.data[k];
        (*v)[k] = t.quant.scale[c] * static_cast<float>(q - t.quant.zero_point[c]);
      }
      return true;
    }
    case tfl::TensorType::INT32:
      for (size_t k = 0; k < n; ++k) {
        int32_t x;
        std::memcpy(&x, t.data + 4 * k, 4);
        (*v)[k] = t.quant.present()
                      ? t.quant.scale[0] * static_cast<float>(x - t.quant.zero_point[0])
                      : static_cast<float>(x);
      }
      return true;
    default:
      return false;
  }
}

int Importer::float_constant(int i, const std::string& name) {
  std::vector<float> v;
  if (!constant_values(i, &v)) return -1;
  return graph_->add_tensor(make_const_tensor(name, ir::DType::Float32, tt(i).shape, v));
}

bool Importer::fold_constant_dequantize(const tfl::SubGraph* subgraph, const tfl::Model* model) {
  folded_.assign(tensors_.size(), false);
  auto* codes = model->operator_codes();
  if (!subgraph->operators() || !codes) return true;
  size_t count = 0;
  for (const tfl::Operator* op : *subgraph->operators()) {
    if (op->opcode_index() >= codes->size() || !op->inputs() || !op->outputs()) continue;
    const tfl::OperatorCode* oc = codes->Get(op->opcode_index());
    if (std::max<int32_t>(oc->deprecated_builtin_code(), oc->builtin_code()) != kDequantize)
      continue;  // (bad indices are reported when the op is mapped)
    if (op->inputs()->size() != 1 || op->outputs()->size() != 1) continue;
    const int x = (*op->inputs())[0], y = (*op->outputs())[0];
    if (!valid_index(x) || !valid_index(y) || !tt(x).data || tt(y).data) continue;
    TflTensor& out = tensors_[y];
    if (out.type != tfl::TensorType::FLOAT32)
      return fail("DEQUANTIZE writing '" + out.name + "' has output type " +
                  tfl::EnumNameTensorType(out.type) + " (expected FLOAT32)");
    std::vector<float> values;
    if (!constant_values(x, &values))
      return fail("DEQUANTIZE of constant '" + tt(x).name + "' (type " +
                  tfl::EnumNameTensorType(tt(x).type) +
                  "): cannot read it as float (unsupported type or quantization)");
    if (out.shape.empty() && values.size() != 1) out.shape = tt(x).shape;
    size_t n = 1;
    for (int32_t d : out.shape) n *= static_cast<size_t>(d);
    if (n != values.size())
      return fail("DEQUANTIZE writing '" + out.name + "': " + std::to_string(n) +
                  " output elements for " + std::to_string(values.size()) + " input elements");
    folded_data_.push_back(std::move(values));
    out.data = reinterpret_cast<const uint8_t*>(folded_data_.back().data());
    out.data_size = n * sizeof(float);
    out.quant = TflQuant();
    folded_[y] = true;
    ++count;
  }
  if (count > 0 && options_.verbose)
    fprintf(stderr, "tflite: folded %zu DEQUANTIZE ops of constants into float32 constants\n",
            count);
  return true;
}

bool Importer::read_int_vector(int i, std::vector<int64_t>* v) {
  const TflTensor& t = tt(i);
  if (!t.data) return false;
  v->clear();
  if (t.type == tfl::TensorType::INT32) {
    for (size_t k = 0; k < t.data_size / 4; ++k) {
      int32_t x;
      std::memcpy(&x, t.data + 4 * k, 4);
      v->push_back(x);
    }
    return true;
  }
  if (t.type == tfl::TensorType::INT64) {
    for (size_t k = 0; k < t.data_size / 8; ++k) {
      int64_t x;
      std::memcpy(&x, t.data + 8 * k, 8);
      v->push_back(x);
    }
    return true;
  }
  return false;
}

bool Importer::compute_padding(tfl::Padding padding, int in_h, int in_w, int k_h, int k_w, int s_h,
                               int s_w, int d_h, int d_w, int* top, int* left, int* bottom,
                               int* right) {
  *top = *left = *bottom = *right = 0;
  if (s_h <= 0 || s_w <= 0 || d_h <= 0 || d_w <= 0)
    return op_fail("stride/dilation must be positive");
  if (padding == tfl::Padding::VALID) return true;
  auto same = [](int in, int k, int s, int d, int* before, int* after) {
    const int out = (in + s - 1) / s;
    const int eff = (k - 1) * d + 1;
    const int total = std::max((out - 1) * s + eff - in, 0);
    *before = total / 2;
    *after = total - *before;
  };
  same(in_h, k_h, s_h, d_h, top, bottom);
  same(in_w, k_w, s_w, d_w, left, right);
  return true;
}

bool Importer::map_op(const tfl::Operator* op, int32_t code) {
  const auto& ins = *op->inputs();
  const auto& outs = *op->outputs();
  // Options-type check: a mismatch means a corrupted file (or a schema mistake).
  auto expect = [&](tfl::BuiltinOptions type) {
    return op->builtin_options_type() == type ||
           op->builtin_options_type() == tfl::BuiltinOptions::NONE;
  };
  if (ins.size() == 0 || outs.size() == 0) return op_fail("no inputs or outputs");
  for (int i : ins)
    if (i >= 0 && !tt(i).data && value_map_[i] < 0 && graph_io_u8_[i] < 0)
      return op_fail("input '" + tt(i).name + "' is read before it is produced");
  switch (code) {
    case kConv2D:
      if (!expect(tfl::BuiltinOptions::Conv2DOptions))
        return op_fail("options do not match the op");
      return map_gemm(op, code);
    case kDepthwiseConv2D:
      if (!expect(tfl::BuiltinOptions::DepthwiseConv2DOptions))
        return op_fail("options do not match the op");
      return map_gemm(op, code);
    case kFullyConnected:
      if (!expect(tfl::BuiltinOptions::FullyConnectedOptions))
        return op_fail("options do not match the op");
      return map_gemm(op, code);
    case kAveragePool2D:
    case kMaxPool2D:
      if (op->builtin_options_type() != tfl::BuiltinOptions::Pool2DOptions)
        return op_fail("missing Pool2DOptions");
      return map_pool(op, code);
    case kAdd:
    case kSub:
    case kMul:
    case kDiv:
      return map_binary(op, code);
    case kLogistic:
    case kTanh:
    case kRelu:
    case kRelu6:
    case kHardSwish:
    case kSqrt:
    case kReluN1To1:
      return map_unary(op, code);
    default:
      break;
  }

  const int x_tfl = ins[0];
  if (x_tfl < 0) return op_fail("first input absent");
  const bool quantized = is_quantized_type(x_tfl);
  switch (code) {
    case kReshape:
    case kSqueeze:
    case kExpandDims: {
      const int x = value(x_tfl);
      const int y = output(outs[0]);
      if (y < 0) return op_fail("unsupported output type");
      if (quantized && (scale_of(x_tfl) != scale_of(outs[0]) ||
                        int8_zero_point(x_tfl) != int8_zero_point(outs[0])))
        return op_fail("input and output quantization differ");
      ir::Op r = new_op(ir::OpType::Reshape);
      r.inputs = {x};
      r.outputs = {y};
      r.options.Set(fb::ReshapeOptionsT());
      emit(std::move(r));
      return true;
    }
    case kQuantize: {
      const int x = graph_io_u8_[x_tfl] >= 0 ? graph_io_u8_[x_tfl] : value(x_tfl);
      const int y = output(outs[0]);
      if (y < 0) return op_fail("unsupported output type");
      ir::Op q = new_op(ir::OpType::Quantize);
      q.inputs = {x};
      // A QUANTIZE writing a uint8 graph output writes it directly (no extra twin + Quantize).
      if (!pending_outputs_.empty() && pending_outputs_.back().first == y) {
        q.outputs = {pending_outputs_.back().second};
        pending_outputs_.pop_back();
        value_map_[outs[0]] = -1;
      } else {
        q.outputs = {y};
      }
      emit(std::move(q));
      return true;
    }
    case kDequantize: {
      if (folded_[outs[0]]) return true;  // constant, computed by fold_constant_dequantize
      if (tt(x_tfl).data) return op_fail("cannot dequantize this constant");
      const int x = graph_io_u8_[x_tfl] >= 0 ? graph_io_u8_[x_tfl] : value(x_tfl);
      const int y = output(outs[0]);
      ir::Op d = new_op(ir::OpType::Dequantize);
      d.inputs = {x};
      d.outputs = {y};
      emit(std::move(d));
      return true;
    }
    case kSoftmax: {
      const tfl::SoftmaxOptions* o = op->builtin_options_as_SoftmaxOptions();
      const float beta = o ? o->beta() : 1.0f;
      const int x = value(x_tfl);
      const int y = output(outs[0]);
      ir::Op s = new_op(ir::OpType::Softmax);
      s.inputs = {x};
      s.outputs = {y};
      fb::SoftmaxOptionsT so;
      so.beta = beta;
      so.axis = -1;
      s.options.Set(std::move(so));
      if (quantized) s.lut = make_softmax_table(beta, scale_of(x_tfl));
      emit(std::move(s));
      return true;
    }
    case kMean: {
      std::vector<int64_t> axes;
      if (ins.size() < 2 || !read_int_vector(ins[1], &axes))
        return op_fail("axes must be a constant");
      const tfl::ReducerOptions* o = op->builtin_options_as_ReducerOptions();
      fb::MeanOptionsT mo;
      const int rank = static_cast<int>(tt(x_tfl).shape.size());
      for (int64_t a : axes) {
        const int64_t axis = a < 0 ? a + rank : a;
        if (axis < 0 || axis >= rank) return op_fail("axis out of range");
        mo.axes.push_back(static_cast<int>(axis));
      }
      mo.keep_dims = o && o->keep_dims();
      ir::Op m = new_op(ir::OpType::Mean);
      m.inputs = {value(x_tfl)};
      m.outputs = {output(outs[0])};
      m.options.Set(std::move(mo));
      emit(std::move(m));
      return true;
    }
    case kConcatenation: {
      const tfl::ConcatenationOptions* o = op->builtin_options_as_ConcatenationOptions();
      if (!o) return op_fail("missing ConcatenationOptions");
      bool ok;
      const ir::Activation act = map_activation(o->fused_activation_function(), &ok);
      if (!ok || act != ir::Activation::None)
        return op_fail("fused activation on CONCATENATION is not supported");
      ir::Op c = new_op(ir::OpType::Concat);
      for (int i : ins) c.inputs.push_back(value(i));
      c.outputs = {output(outs[0])};
      const int rank = static_cast<int>(tt(outs[0]).shape.size());
      fb::ConcatOptionsT co;
      co.axis = o->axis() < 0 ? o->axis() + rank : o->axis();
      if (co.axis < 0 || co.axis >= rank) return op_fail("axis out of range");
      c.options.Set(std::move(co));
      emit(std::move(c));
      return true;
    }
    case kPad:
    case kPadV2: {
      std::vector<int64_t> pads;
      if (ins.size() < 2 || !read_int_vector(ins[1], &pads))
        return op_fail("paddings must be a constant");
      if (code == kPadV2 && ins.size() > 2 && ins[2] >= 0) {
        const TflTensor& pv = tt(ins[2]);
        bool is_default = false;
        if (pv.data && pv.data_size >= 1) {
          if (pv.type == tfl::TensorType::FLOAT32) {
            float f;
            std::memcpy(&f, pv.data, 4);
            is_default = !quantized && f == 0.0f;
          } else if (quantized && is_quantized_type(ins[2])) {
            const int v =
                pv.type == tfl::TensorType::INT8 ? static_cast<int8_t>(pv.data[0]) : pv.data[0];
            const int64_t zp = pv.quant.zero_point.empty() ? 0 : pv.quant.zero_point[0];
            is_default = v == zp && scale_of(ins[2]) == scale_of(x_tfl) &&
                         int8_zero_point(ins[2]) == int8_zero_point(x_tfl);
          }
        }
        if (!is_default) return op_fail("only zero padding values are supported");
      }
      if (pads.size() != 2 * tt(x_tfl).shape.size()) return op_fail("paddings must be [rank, 2]");
      fb::PadOptionsT po;
      for (int64_t p : pads) {
        if (p < 0) return op_fail("negative padding");
        po.paddings.push_back(static_cast<int>(p));
      }
      ir::Op p = new_op(ir::OpType::Pad);
      p.inputs = {value(x_tfl)};
      p.outputs = {output(outs[0])};
      p.options.Set(std::move(po));
      emit(std::move(p));
      return true;
    }
    case kTranspose: {
      std::vector<int64_t> perm;
      if (ins.size() < 2 || !read_int_vector(ins[1], &perm))
        return op_fail("perm must be a constant");
      if (perm.size() != tt(x_tfl).shape.size())
        return op_fail("perm must have one entry per axis");
      for (int64_t v : perm)
        if (v < 0 || v >= static_cast<int64_t>(perm.size()))
          return op_fail("perm entry out of range");
      fb::TransposeOptionsT to;
      for (int64_t v : perm) to.perm.push_back(static_cast<int>(v));
      ir::Op t = new_op(ir::OpType::Transpose);
      t.inputs = {value(x_tfl)};
      t.outputs = {output(outs[0])};
      t.options.Set(std::move(to));
      emit(std::move(t));
      return true;
    }
    case kSlice: {
      std::vector<int64_t> begin, size;
      if (ins.size() < 3 || !read_int_vector(ins[1], &begin) || !read_int_vector(ins[2], &size))
        return op_fail("begin/size must be constants");
      if (begin.size() != tt(x_tfl).shape.size() || size.size() != begin.size())
        return op_fail("begin/size must have one entry per axis");
      fb::SliceOptionsT so;
      for (size_t d = 0; d < begin.size(); ++d) {
        if (begin[d] < 0 || begin[d] > tt(x_tfl).shape[d])
          return op_fail("slice begins out of range");
        so.begin.push_back(static_cast<int>(begin[d]));
        const int64_t extent = size[d] < 0 ? tt(x_tfl).shape[d] - begin[d] : size[d];
        so.size.push_back(static_cast<int>(extent));
      }
      ir::Op s = new_op(ir::OpType::Slice);
      s.inputs = {value(x_tfl)};
      s.outputs = {output(outs[0])};
      s.options.Set(std::move(so));
      emit(std::move(s));
      return true;
    }
    default:
      break;
  }
  return op_fail("unsupported TFLite op " + op_name_ + " (output '" + tt(outs[0]).name +
                 "'). Supported ops: " + tflite_supported_ops());
}

bool Importer::map_gemm(const tfl::Operator* op, int32_t code) {
  const auto& ins = *op->inputs();
  const int x_tfl = ins[0], y_tfl = (*op->outputs())[0];
  if (ins.size() < 2 || ins[1] < 0) return op_fail("missing weights");
  const int w_tfl = ins[1];
  const int b_tfl = ins.size() > 2 ? ins[2] : -1;
  const TflTensor& w = tt(w_tfl);
  if (!w.data)
    return op_fail("weights '" + w.name + "' are not constant (Octet needs constant weights)");
  const TflTensor& x = tt(x_tfl);
  const TflTensor& y = tt(y_tfl);
  const bool quantized = is_quantized_type(x_tfl);
  if (quantized != is_quantized_type(y_tfl))
    return op_fail("mixed float/quantized input and output");

  bool ok = true;
  ir::Activation act = ir::Activation::None;
  ir::Op out = new_op(code == kConv2D            ? ir::OpType::Conv2D
                      : code == kDepthwiseConv2D ? ir::OpType::DepthwiseConv2D
                                                 : ir::OpType::FullyConnected);
  std::vector<int32_t> w_shape = w.shape;
  int x_id = value(x_tfl);
  if (code == kConv2D || code == kDepthwiseConv2D) {
    if (x.shape.size() != 4 || y.shape.size() != 4 || w.shape.size() != 4)
      return op_fail("expects rank-4 input, weights and output");
    fb::Conv2DOptionsT co;
    tfl::Padding padding;
    int kh = w.shape[1], kw = w.shape[2];
    if (code == kConv2D) {
      const tfl::Conv2DOptions* o = op->builtin_options_as_Conv2DOptions();
      if (!o) return op_fail("missing Conv2DOptions");
      padding = o->padding();
      co.stride_h = o->stride_h();
      co.stride_w = o->stride_w();
      co.dilation_h = o->dilation_h_factor();
      co.dilation_w = o->dilation_w_factor();
      act = map_activation(o->fused_activation_function(), &ok);
      if (w.shape[3] <= 0 || x.shape[3] % w.shape[3] != 0)
        return op_fail("input channels do not divide by weight channels");
      co.groups = x.shape[3] / w.shape[3];
    } else {
      const tfl::DepthwiseConv2DOptions* o = op->builtin_options_as_DepthwiseConv2DOptions();
      if (!o) return op_fail("missing DepthwiseConv2DOptions");
      padding = o->padding();
      co.stride_h = o->stride_h();
      co.stride_w = o->stride_w();
      co.dilation_h = o->dilation_h_factor();
      co.dilation_w = o->dilation_w_factor();
      act = map_activation(o->fused_activation_function(), &ok);
      if (w.shape[0] != 1) return op_fail("depthwise weights must be [1, KH, KW, C*M]");
      if (x.shape[3] <= 0 || w.shape[3] % x.shape[3] != 0) return op_fail("bad depth multiplier");
      co.depth_multiplier = w.shape[3] / x.shape[3];
      w_shape = {w.shape[1], w.shape[2], w.shape[3]};
    }
    if (!compute_padding(padding, x.shape[1], x.shape[2], kh, kw, co.stride_h, co.stride_w,
                         co.dilation_h, co.dilation_w, &co.pad_top, &co.pad_left, &co.pad_bottom,
                         &co.pad_right))
      return false;
    out.options.Set(std::move(co));
  } else {
    const tfl::FullyConnectedOptions* o = op->builtin_options_as_FullyConnectedOptions();
    if (o) {
      act = map_activation(o->fused_activation_function(), &ok);
      if (o->weights_format() != tfl::FullyConnectedOptionsWeightsFormat::DEFAULT)
        return op_fail("shuffled FULLY_CONNECTED weights are not supported");
    }
    if (w.shape.size() != 2) return op_fail("weights must be [N, K]");
    const int64_t k = w.shape[1];
    int64_t elems = 1;
    for (int32_t d : x.shape) elems *= d;
    if (x.shape.empty() || x.shape.back() != k) {
      if (k <= 0 || elems % k != 0) return op_fail("input size is not a multiple of K");
      // TFLite flattens the input to [-1, K]; Octet's FC reads [..., K]: add the reshape.
      ir::Tensor flat = graph_->tensors[x_id];
      flat.name = x.name + "/flat";
      flat.shape = {static_cast<int32_t>(elems / k), static_cast<int32_t>(k)};
      flat.is_constant = false;
      flat.data.clear();
      const int flat_id = graph_->add_tensor(std::move(flat));
      ir::Op r = new_op(ir::OpType::Reshape);
      r.name += "/flatten";
      r.inputs = {x_id};
      r.outputs = {flat_id};
      r.options.Set(fb::ReshapeOptionsT());
      emit(std::move(r));
      x_id = flat_id;
    }
  }
  if (!ok) return op_fail("unsupported fused activation");
  out.activation = act;
  const ir::OpType type = out.type;
  const WeightLayout layout = weight_layout(type, w_shape);
  const int64_t oc = layout.channels;
  if (b_tfl >= 0) {
    const TflTensor& b = tt(b_tfl);
    if (!b.data) return op_fail("bias must be constant");
    size_t n = 1;
    for (int32_t d : b.shape) n *= d;
    if (static_cast<int64_t>(n) != oc)
      return op_fail("bias has " + std::to_string(n) + " entries for " + std::to_string(oc) +
                     " output channels");
  }
  const std::string wname = w.name;

  if (!quantized) {
    // Float op: float weights (hybrid int8/uint8 weights dequantized, fp16 widened).
    if (w.type != tfl::TensorType::FLOAT32 && !options_.dequantize_hybrid_weights)
      return op_fail("hybrid weights and dequantize_hybrid_weights is off");
    const int w_id = float_constant(w_tfl, wname);
    if (w_id < 0)
      return op_fail("cannot read weights of type " + std::string(tfl::EnumNameTensorType(w.type)));
    graph_->tensors[w_id].shape = w_shape;
    int b_id;
    if (b_tfl >= 0) {
      b_id = float_constant(b_tfl, tt(b_tfl).name);
      if (b_id < 0) return op_fail("cannot read bias");
    } else {
      b_id = graph_->add_tensor(make_const_tensor(out.name + "/bias", ir::DType::Float32,
                                                  {static_cast<int32_t>(oc)},
                                                  std::vector<float>(oc, 0.0f)));
    }
    activation_range_float(act, &out.act_min, &out.act_max);
    out.inputs = {x_id, w_id, b_id};
    out.outputs = {output(y_tfl)};
    emit(std::move(out));
    return true;
  }

  // Quantized op.
  if (!w.quant.present()) return op_fail("quantized op with unquantized weights");
  if (w.type != tfl::TensorType::INT8 && w.type != tfl::TensorType::UINT8)
    return op_fail("quantized op weights must be int8 or uint8");
  const int64_t total = layout.channels * layout.per_channel;
  // Per-channel zero points / scales as the weight layout sees them.
  std::vector<float> w_scales(w.quant.scale.begin(), w.quant.scale.end());
  if (w_scales.size() != 1 && static_cast<int64_t>(w_scales.size()) != oc)
    return op_fail("weight scales are neither per-tensor nor per-output-channel");
  if (w_scales.size() > 1) {
    const int expected_axis = code == kDepthwiseConv2D ? 3 : 0;
    if (w.quant.axis != expected_axis) return op_fail("weights quantized along an unexpected axis");
  }
  std::vector<int32_t> centered(total);
  for (int64_t c = 0; c < oc; ++c) {
    const int64_t zp =
        w.quant.zero_point.size() == 1 ? w.quant.zero_point[0] : w.quant.zero_point[c];
    for (int64_t k = 0; k < layout.per_channel; ++k) {
      const int64_t i = layout.index(c, k);
      const int q = w.type == tfl::TensorType::INT8 ? static_cast<int8_t>(w.data[i]) : w.data[i];
      centered[i] = static_cast<int32_t>(q - zp);
    }
  }
  std::vector<int8_t> w8;
  const int wide =
      split_wide_channels(layout, centered, &w8, &out.wide_channels, &out.wide_weights);
  if (wide > 0 && options_.verbose)
    fprintf(stderr, "tflite: %s: %d of %lld weight channels need more than 8 bits\n",
            out.name.c_str(), wide, static_cast<long long>(oc));
  wide_channels_ += wide;
  if (w_scales.size() == 1 && oc > 1) w_scales.assign(oc, w_scales[0]);

  std::vector<int32_t> bias(oc, 0);
  if (b_tfl >= 0) {
    const TflTensor& b = tt(b_tfl);
    if (b.type != tfl::TensorType::INT32) return op_fail("quantized bias must be int32");
    std::memcpy(bias.data(), b.data, 4 * oc);
  }
  const int32_t zx = int8_zero_point(x_tfl);
  std::vector<int32_t> folded = fold_bias(layout, bias, centered.data(), zx);
  const float sx = scale_of(x_tfl), sy = scale_of(y_tfl);
  out.multiplier = requant_multipliers(sx, w_scales, sy, oc);
  activation_range_quantized(act, sy, int8_zero_point(y_tfl), &out.q_min, &out.q_max);

  ir::Tensor wt = make_const_tensor(wname, ir::DType::Int8, w_shape, w8);
  wt.quant.scale = w_scales;
  wt.quant.zero_point.assign(w_scales.size(), 0);
  wt.quant.axis = type == ir::OpType::DepthwiseConv2D ? 2 : 0;
  const int w_id = graph_->add_tensor(std::move(wt));
  ir::Tensor bt = make_const_tensor(b_tfl >= 0 ? tt(b_tfl).name : out.name + "/bias",
                                    ir::DType::Int32, {static_cast<int32_t>(oc)}, folded);
  const int b_id = graph_->add_tensor(std::move(bt));
  out.inputs = {x_id, w_id, b_id};
  out.outputs = {output(y_tfl)};
  emit(std::move(out));
  return true;
}

bool Importer::map_pool(const tfl::Operator* op, int32_t code) {
  const int x_tfl = (*op->inputs())[0], y_tfl = (*op->outputs())[0];
  const tfl::Pool2DOptions* o = op->builtin_options_as_Pool2DOptions();
  const TflTensor& x = tt(x_tfl);
  if (x.shape.size() != 4) return op_fail("expects a rank-4 input");
  fb::Pool2DOptionsT po;
  po.filter_h = o->filter_height();
  po.filter_w = o->filter_width();
  po.stride_h = o->stride_h();
  po.stride_w = o->stride_w();
  po.count_include_pad = false;  // TFLite averages over the valid taps only
  if (po.filter_h <= 0 || po.filter_w <= 0) return op_fail("bad filter size");
  if (!compute_padding(o->padding(), x.shape[1], x.shape[2], po.filter_h, po.filter_w, po.stride_h,
                       po.stride_w, 1, 1, &po.pad_top, &po.pad_left, &po.pad_bottom, &po.pad_right))
    return false;
  bool ok;
  const ir::Activation act = map_activation(o->fused_activation_function(), &ok);
  if (!ok) return op_fail("unsupported fused activation");
  ir::Op p = new_op(code == kAveragePool2D ? ir::OpType::AveragePool2D : ir::OpType::MaxPool2D);
  p.activation = act;
  p.inputs = {value(x_tfl)};
  p.outputs = {output(y_tfl)};
  p.options.Set(std::move(po));
  if (is_quantized_type(x_tfl))
    activation_range_quantized(act, scale_of(y_tfl), int8_zero_point(y_tfl), &p.q_min, &p.q_max);
  else
    activation_range_float(act, &p.act_min, &p.act_max);
  emit(std::move(p));
  return true;
}

bool Importer::map_binary(const tfl::Operator* op, int32_t code) {
  const auto& ins = *op->inputs();
  if (ins.size() != 2 || ins[0] < 0 || ins[1] < 0) return op_fail("expects two inputs");
  const int y_tfl = (*op->outputs())[0];
  tfl::ActivationFunctionType fa = tfl::ActivationFunctionType::NONE;
  if (code == kAdd) {
    if (auto* o = op->builtin_options_as_AddOptions()) fa = o->fused_activation_function();
  }
  if (code == kSub) {
    if (auto* o = op->builtin_options_as_SubOptions()) fa = o->fused_activation_function();
  }
  if (code == kMul) {
    if (auto* o = op->builtin_options_as_MulOptions()) fa = o->fused_activation_function();
  }
  if (code == kDiv) {
    if (auto* o = op->builtin_options_as_DivOptions()) fa = o->fused_activation_function();
  }
  bool ok;
  const ir::Activation act = map_activation(fa, &ok);
  if (!ok) return op_fail("unsupported fused activation");
  const bool quantized = is_quantized_type(y_tfl);
  if (quantized && code == kDiv) return op_fail("int8 DIV is not supported");
  ir::Op b = new_op(code == kAdd   ? ir::OpType::Add
                    : code == kSub ? ir::OpType::Sub
                    : code == kMul ? ir::OpType::Mul
                                   : ir::OpType::Div);
  b.activation = act;
  for (int i : ins) {
    const int id = value(i);
    if (id < 0) return op_fail("cannot read input '" + tt(i).name + "'");
    if ((graph_->tensors[id].dtype == ir::DType::Float32) == quantized)
      return op_fail("mixed float and quantized operands");
    b.inputs.push_back(id);
  }
  b.outputs = {output(y_tfl)};
  if (quantized)
    activation_range_quantized(act, scale_of(y_tfl), int8_zero_point(y_tfl), &b.q_min, &b.q_max);
  else
    activation_range_float(act, &b.act_min, &b.act_max);
  emit(std::move(b));
  return true;
}

bool Importer::map_unary(const tfl::Operator* op, int32_t code) {
  const int x_tfl = (*op->inputs())[0], y_tfl = (*op->outputs())[0];
  ref::UnaryOp u = ref::UnaryOp::kRelu;
  ir::OpType type = ir::OpType::Relu;
  switch (code) {
    case kLogistic:
      u = ref::UnaryOp::kLogistic;
      type = ir::OpType::Logistic;
      break;
    case kTanh:
      u = ref::UnaryOp::kTanh;
      type = ir::OpType::Tanh;
      break;
    case kRelu:
      u = ref::UnaryOp::kRelu;
      type = ir::OpType::Relu;
      break;
    case kRelu6:
      u = ref::UnaryOp::kRelu6;
      type = ir::OpType::Relu6;
      break;
    case kHardSwish:
      u = ref::UnaryOp::kHardSwish;
      type = ir::OpType::HardSwish;
      break;
    case kSqrt:
      u = ref::UnaryOp::kSqrt;
      type = ir::OpType::Sqrt;
      break;
    case kReluN1To1:
      break;
  }
  const bool quantized = is_quantized_type(x_tfl);
  ir::Op o = new_op(type);
  o.inputs = {value(x_tfl)};
  o.outputs = {output(y_tfl)};
  if (code == kReluN1To1) {
    if (!quantized) return op_fail("float RELU_N1_TO_1 is not supported");
    // Identity clamped to [-1, 1]: a Lut with a Relu table would be wrong; build it directly.
    o.type = ir::OpType::Lut;
    o.lut.resize(256);
    const float sx = scale_of(x_tfl), sy = scale_of(y_tfl);
    const int32_t zx = int8_zero_point(x_tfl), zy = int8_zero_point(y_tfl);
    for (int q = -128; q < 128; ++q) {
      const float v = std::min(1.0f, std::max(-1.0f, sx * static_cast<float>(q - zx)));
      o.lut[static_cast<uint8_t>(q + 128)] =
          static_cast<uint8_t>(static_cast<int8_t>(quantize_float(v / sy, zy, -128, 127)));
    }
    emit(std::move(o));
    return true;
  }
  if (quantized) {
    o.type = ir::OpType::Lut;
    o.lut = make_lut(u, {scale_of(x_tfl), int8_zero_point(x_tfl)},
                     {scale_of(y_tfl), int8_zero_point(y_tfl)}, -128, 127);
  }
  emit(std::move(o));
  return true;
}

}  // namespace

std::string tflite_supported_ops() {
  std::string s;
  for (int i = 0; i < kNumMappedOps; ++i) {
    if (i) s += ", ";
    s += kOpNames[i].name;
  }
  return s;
}

bool import_tflite_buffer(const uint8_t* data, size_t size, const ImportOptions& options,
                          ir::Graph* graph, std::string* error) {
  *graph = ir::Graph();
  Importer importer(data, size, options, graph, error);
  return importer.run() && cleanup_graph(graph, error);
}

bool import_tflite(const std::string& path, const ImportOptions& options, ir::Graph* graph,
                   std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot open '" + path + "'";
    return false;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  // FlatBuffers reads scalars unaligned-safe but the verifier expects a stable buffer; copy is
  // fine.
  if (!import_tflite_buffer(bytes.data(), bytes.size(), options, graph, error)) {
    *error = path + ": " + *error;
    return false;
  }
  return true;
}

}  // namespace octet::convert
