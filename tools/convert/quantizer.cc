#include "tools/convert/quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include "kernels/common/requantize.h"
#include "tools/convert/importer.h"
#include "tools/convert/quant_utils.h"

namespace octet::convert {

bool glob_match(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

// Lower Cholesky factor of the symmetric positive definite k x k matrix `a` (row-major) in place.
bool cholesky_lower(std::vector<double>* a, int64_t k) {
  double* m = a->data();
  for (int64_t j = 0; j < k; ++j) {
    double d = m[j * k + j];
    for (int64_t p = 0; p < j; ++p) d -= m[j * k + p] * m[j * k + p];
    if (!(d > 0.0)) return false;
    d = std::sqrt(d);
    m[j * k + j] = d;
    for (int64_t i = j + 1; i < k; ++i) {
      double v = m[i * k + j];
      for (int64_t p = 0; p < j; ++p) v -= m[i * k + p] * m[j * k + p];
      m[i * k + j] = v / d;
    }
    for (int64_t i = 0; i < j; ++i) m[i * k + j] = 0.0;
  }
  return true;
}

}  // namespace

bool inverse_cholesky_upper(const double* h, int64_t k, double damp, std::vector<double>* u) {
  double mean_diag = 0.0;
  for (int64_t i = 0; i < k; ++i) mean_diag += h[i * k + i];
  mean_diag /= std::max<int64_t>(k, 1);
  if (!(mean_diag > 0.0)) return false;
  for (int attempt = 0; attempt < 6; ++attempt, damp *= 10.0) {
    std::vector<double> l(k * k);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = i; j < k; ++j) l[i * k + j] = l[j * k + i] = h[i * k + j];
    for (int64_t i = 0; i < k; ++i)
      l[i * k + i] = (h[i * k + i] > 0.0 ? h[i * k + i] : mean_diag) + damp * mean_diag;
    if (!cholesky_lower(&l, k)) continue;
    // inv(L) (lower), then H^-1 = inv(L)^T inv(L).
    std::vector<double> li(k * k, 0.0);
    for (int64_t j = 0; j < k; ++j) {
      li[j * k + j] = 1.0 / l[j * k + j];
      for (int64_t i = j + 1; i < k; ++i) {
        double v = 0.0;
        for (int64_t p = j; p < i; ++p) v += l[i * k + p] * li[p * k + j];
        li[i * k + j] = -v / l[i * k + i];
      }
    }
    std::vector<double> inv(k * k, 0.0);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t i = 0; i <= p; ++i) {
        const double a = li[p * k + i];
        if (a == 0.0) continue;
        for (int64_t j = 0; j <= p; ++j) inv[i * k + j] += a * li[p * k + j];
      }
    if (!cholesky_lower(&inv, k)) continue;
    u->assign(k * k, 0.0);  // U = L'^T with H^-1 = L' L'^T = U^T U
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = i; j < k; ++j) (*u)[i * k + j] = inv[j * k + i];
    return true;
  }
  return false;
}

bool round_compensated(const double* u, int64_t k, std::vector<double> w, int8_t* q) {
  for (int64_t j = 0; j < k; ++j) {
    const double d = u[j * k + j];
    if (!(d > 0.0)) return false;
    const double r = std::clamp(std::nearbyint(w[j]), -127.0, 127.0);
    q[j] = static_cast<int8_t>(r);
    const double err = (w[j] - r) / d;
    for (int64_t t = j + 1; t < k; ++t) w[t] -= err * u[j * k + t];
  }
  return true;
}

namespace {

bool int8_capable(ir::OpType t) {
  switch (t) {
    case ir::OpType::Conv2D:
    case ir::OpType::DepthwiseConv2D:
    case ir::OpType::FullyConnected:
    case ir::OpType::Add:
    case ir::OpType::Sub:
    case ir::OpType::Mul:
    case ir::OpType::AveragePool2D:
    case ir::OpType::MaxPool2D:
    case ir::OpType::Mean:
    case ir::OpType::Concat:
    case ir::OpType::Reshape:
    case ir::OpType::Pad:
    case ir::OpType::Transpose:
    case ir::OpType::Slice:
    case ir::OpType::Softmax:
    case ir::OpType::Logistic:
    case ir::OpType::Tanh:
    case ir::OpType::Relu:
    case ir::OpType::Relu6:
    case ir::OpType::HardSwish:
    case ir::OpType::Sqrt:
      return true;
    default:
      return false;
  }
}

// Ops whose int8 output reuses the input's quantization (pure byte moves, or max).
bool passes_quant_through(ir::OpType t) {
  return t == ir::OpType::Reshape || t == ir::OpType::Pad || t == ir::OpType::Transpose ||
         t == ir::OpType::Slice || t == ir::OpType::MaxPool2D;
}

ref::UnaryOp unary_of(ir::OpType t) {
  switch (t) {
    case ir::OpType::Relu6:
      return ref::UnaryOp::kRelu6;
    case ir::OpType::Logistic:
      return ref::UnaryOp::kLogistic;
    case ir::OpType::Tanh:
      return ref::UnaryOp::kTanh;
    case ir::OpType::HardSwish:
      return ref::UnaryOp::kHardSwish;
    case ir::OpType::Sqrt:
      return ref::UnaryOp::kSqrt;
    default:
      return ref::UnaryOp::kRelu;
  }
}

class Quantizer {
 public:
  Quantizer(const ir::Graph& fg, const CalibrationResult& calib, const QuantizeOptions& options,
            ir::Graph* out, QuantizeInfo* info, std::string* error)
      : fg_(fg), calib_(calib), options_(options), out_(out), info_(info), error_(error) {}

  bool run();

 private:
  bool keep_float(const ir::Op& op, std::string* reason) const;
  bool activation_quant(int t, ir::Quant* q);
  int get_float(int t);
  int get_int8(int t);
  int new_tensor(const ir::Tensor& like, ir::DType dtype, const std::string& name, ir::Quant q) {
    ir::Tensor n;
    n.name = name;
    n.dtype = dtype;
    n.shape = like.shape;
    n.quant = std::move(q);
    return out_->add_tensor(std::move(n));
  }
  bool quantize_op(const ir::Op& op);
  void round_weights_compensated(const ir::Op& op, const WeightLayout& layout, const float* w,
                                 const std::vector<float>& scales, std::vector<int8_t>* w8);
  void copy_float_op(const ir::Op& op, const std::string& reason);

  const ir::Graph& fg_;
  const CalibrationResult& calib_;
  const QuantizeOptions& options_;
  ir::Graph* out_;
  QuantizeInfo* info_;
  std::string* error_;
  std::vector<int> fmap_, qmap_;
  std::map<int, ir::Quant> forced_quant_;  // tensors whose quantization an op decided
};

bool Quantizer::keep_float(const ir::Op& op, std::string* reason) const {
  for (const std::string& name : options_.keep_float_ops)
    if (name == op.name) return *reason = "automatic: SQNR target", true;
  const std::string type = op_type_name(op.type);
  const std::string out_name = op.outputs.empty() ? "" : fg_.tensors[op.outputs[0]].name;
  for (const std::string& p : options_.keep_float_patterns)
    if (glob_match(p, op.name) || glob_match(p, out_name) || glob_match(p, type))
      return *reason = "--keep-float " + p, true;
  if (!int8_capable(op.type)) return *reason = "no int8 kernel for " + type, true;
  for (int i : op.inputs)
    if (i >= 0 && fg_.tensors[i].dtype != ir::DType::Float32)
      return *reason = "non-float input", true;
  for (int o : op.outputs)
    if (fg_.tensors[o].dtype != ir::DType::Float32) return *reason = "non-float output", true;
  if (is_gemm_like(op.type) && (op.inputs.size() < 2 || !fg_.tensors[op.inputs[1]].is_constant))
    return *reason = "weights are not constant", true;
  if (is_gemm_like(op.type) && op.inputs.size() > 2 && op.inputs[2] >= 0 &&
      !fg_.tensors[op.inputs[2]].is_constant)
    return *reason = "bias is not constant", true;
  return false;
}

bool Quantizer::activation_quant(int t, ir::Quant* q) {
  auto forced = forced_quant_.find(t);
  if (forced != forced_quant_.end()) {
    *q = forced->second;
    return true;
  }
  const ir::Tensor& tensor = fg_.tensors[t];
  float lo, hi;
  if (tensor.is_constant) {
    const float* v = tensor.as<float>();
    lo = hi = 0.0f;
    for (size_t i = 0; i < tensor.num_elements(); ++i) {
      lo = std::min(lo, v[i]);
      hi = std::max(hi, v[i]);
    }
  } else {
    auto it = calib_.stats.find(tensor.name);
    if (it == calib_.stats.end() || !it->second.seen) {
      *error_ = "no calibration statistics for tensor '" + tensor.name + "'";
      return false;
    }
    // Graph inputs are data (pixels, features) quantized at the boundary: never clip them.
    const bool graph_input = std::find(fg_.inputs.begin(), fg_.inputs.end(), t) != fg_.inputs.end();
    choose_range(it->second, graph_input ? CalibrationMethod::kMinMax : options_.method,
                 options_.percentile, &lo, &hi);
    info_->ranges[tensor.name] = {lo, hi};
  }
  float scale;
  int32_t zp;
  choose_activation_quant(lo, hi, &scale, &zp);
  *q = ir::Quant::per_tensor(scale, zp);
  forced_quant_[t] = *q;
  return true;
}

int Quantizer::get_float(int t) {
  if (t < 0) return -1;
  if (fmap_[t] >= 0) return fmap_[t];
  const ir::Tensor& src = fg_.tensors[t];
  if (src.is_constant) {
    fmap_[t] = out_->add_tensor(src);
    return fmap_[t];
  }
  if (qmap_[t] < 0) return -1;
  const int f = new_tensor(src, ir::DType::Float32, src.name + "/float", {});
  ir::Op d;
  d.type = ir::OpType::Dequantize;
  d.name = src.name + "/dequantize";
  d.inputs = {qmap_[t]};
  d.outputs = {f};
  out_->add_op(std::move(d));
  fmap_[t] = f;
  return f;
}

int Quantizer::get_int8(int t) {
  if (t < 0) return -1;
  if (qmap_[t] >= 0) return qmap_[t];
  const ir::Tensor& src = fg_.tensors[t];
  ir::Quant q;
  if (!activation_quant(t, &q)) return -1;
  if (src.is_constant) {
    std::vector<int8_t> v(src.num_elements());
    const float* f = src.as<float>();
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<int8_t>(quantize_float(f[i] / q.scale[0], q.zero_point[0], -128, 127));
    ir::Tensor c = make_const_tensor(src.name, ir::DType::Int8, src.shape, v);
    c.quant = q;
    qmap_[t] = out_->add_tensor(std::move(c));
    return qmap_[t];
  }
  const int f = get_float(t);
  if (f < 0) return -1;
  const int id = new_tensor(src, ir::DType::Int8, src.name + "/int8", q);
  ir::Op op;
  op.type = ir::OpType::Quantize;
  op.name = src.name + "/quantize";
  op.inputs = {f};
  op.outputs = {id};
  out_->add_op(std::move(op));
  qmap_[t] = id;
  return id;
}

void Quantizer::copy_float_op(const ir::Op& op, const std::string& reason) {
  ir::Op c = op;
  for (int& i : c.inputs) {
    if (i < 0) continue;
    const ir::Tensor& src = fg_.tensors[i];
    i = src.dtype == ir::DType::Float32 || src.is_constant
            ? get_float(i)
            : (fmap_[i] >= 0 ? fmap_[i] : get_float(i));
  }
  for (int& o : c.outputs) {
    const ir::Tensor& src = fg_.tensors[o];
    const int id = out_->add_tensor([&] {
      ir::Tensor t = src;
      return t;
    }());
    fmap_[o] = id;
    info_->tensor_in_quantized[src.name] = src.name;
    o = id;
  }
  c.keep_float = int8_capable(op.type);
  info_->kept_float.push_back({op.name, op_type_name(op.type), reason});
  out_->add_op(std::move(c));
}

void Quantizer::round_weights_compensated(const ir::Op& op, const WeightLayout& layout,
                                          const float* w, const std::vector<float>& scales,
                                          std::vector<int8_t>* w8) {
  auto it = calib_.moments.find(op.name);
  if (it == calib_.moments.end()) return;
  const InputMoments& m = it->second;
  if (m.k != layout.per_channel || (m.groups != 1 && m.groups != layout.channels)) return;
  // GPTQ's damping: 1 % of the mean diagonal.
  constexpr double kDamping = 0.01;
  std::vector<double> u;
  bool have_u = false;
  std::vector<double> units(m.k);
  std::vector<int8_t> q(m.k);
  int compensated = 0;
  // Natural weight order. (GPTQ's act-order - largest input moment first - gave ResNet-8
  // 26.9 dB output SQNR instead of 27.5.)
  for (int64_t c = 0; c < layout.channels; ++c) {
    if (m.groups != 1 || !have_u) {
      const int64_t g = m.groups == 1 ? 0 : c;
      have_u = inverse_cholesky_upper(m.h.data() + g * m.k * m.k, m.k, kDamping, &u);
      if (!have_u) continue;  // this channel keeps nearest rounding
    }
    const double s = scales[c];
    for (int64_t k = 0; k < m.k; ++k) units[k] = w[layout.index(c, k)] / s;
    if (!round_compensated(u.data(), m.k, units, q.data())) continue;
    for (int64_t k = 0; k < m.k; ++k) (*w8)[layout.index(c, k)] = q[k];
    ++compensated;
  }
  if (compensated > 0) ++info_->compensated_ops;
}

bool Quantizer::quantize_op(const ir::Op& op) {
  const int x = op.inputs.empty() ? -1 : op.inputs[0];
  const int y = op.outputs[0];
  const ir::Tensor& yt = fg_.tensors[y];
  ir::Op q;
  q.type = op.type;
  q.name = op.name;
  q.options = op.options;
  q.activation = op.activation;

  // Output quantization.
  ir::Quant qy;
  float fixed_scale;
  int32_t fixed_zp;
  const int x8 = get_int8(x);
  if (x8 < 0) return false;
  const ir::Quant qx = out_->tensors[x8].quant;
  if (fixed_output_quant(op.type, &fixed_scale, &fixed_zp)) {
    qy = ir::Quant::per_tensor(fixed_scale, fixed_zp);
  } else if (passes_quant_through(op.type)) {
    qy = qx;
  } else if (!activation_quant(y, &qy)) {
    return false;
  }
  forced_quant_[y] = qy;
  const float sx = qx.scale[0], sy = qy.scale[0];
  const int32_t zx = qx.zero_point[0], zy = qy.zero_point[0];
  activation_range_quantized(op.activation, sy, zy, &q.q_min, &q.q_max);

  if (is_gemm_like(op.type)) {
    const ir::Tensor& w = fg_.tensors[op.inputs[1]];
    const WeightLayout layout = weight_layout(op.type, w.shape);
    std::vector<int8_t> w8;
    std::vector<float> w_scales;
    quantize_weights(layout, w.as<float>(), options_.per_channel, &w8, &w_scales);
    if (options_.weight_rounding == QuantizeOptions::WeightRounding::kCompensated)
      round_weights_compensated(op, layout, w.as<float>(), w_scales, &w8);
    float wmin = 0.0f, wmax = 0.0f;
    for (size_t i = 0; i < w.num_elements(); ++i) {
      wmin = std::min(wmin, w.as<float>()[i]);
      wmax = std::max(wmax, w.as<float>()[i]);
    }
    info_->weight_ranges[op.name] = {wmin, wmax};
    std::vector<int32_t> bias(layout.channels, 0);
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
      const ir::Tensor& b = fg_.tensors[op.inputs[2]];
      for (int64_t c = 0; c < layout.channels; ++c) {
        const double v = std::nearbyint(static_cast<double>(b.as<float>()[c]) /
                                        (static_cast<double>(sx) * w_scales[c]));
        bias[c] = static_cast<int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
      }
    }
    const std::vector<int32_t> folded = fold_bias(layout, bias, w8.data(), zx);
    q.multiplier = requant_multipliers(sx, w_scales, sy, layout.channels);
    ir::Tensor wt = make_const_tensor(w.name, ir::DType::Int8, w.shape, w8);
    wt.quant.scale = w_scales;
    wt.quant.zero_point.assign(w_scales.size(), 0);
    wt.quant.axis =
        op.type == ir::OpType::DepthwiseConv2D ? static_cast<int>(w.shape.size()) - 1 : 0;
    const int w_id = out_->add_tensor(std::move(wt));
    const int b_id =
        out_->add_tensor(make_const_tensor(op.name + "/bias_folded", ir::DType::Int32,
                                           {static_cast<int32_t>(layout.channels)}, folded));
    q.inputs = {x8, w_id, b_id};
  } else if (op.type == ir::OpType::Softmax) {
    float beta = 1.0f;
    if (auto* so = op.options.AsSoftmaxOptions()) beta = so->beta;
    q.lut = make_softmax_table(beta, sx);
    q.inputs = {x8};
  } else if (op.type == ir::OpType::Relu || op.type == ir::OpType::Relu6 ||
             op.type == ir::OpType::Logistic || op.type == ir::OpType::Tanh ||
             op.type == ir::OpType::HardSwish || op.type == ir::OpType::Sqrt) {
    q.type = ir::OpType::Lut;
    q.options = fb::OpOptionsUnion();
    q.lut = make_lut(unary_of(op.type), {sx, zx}, {sy, zy}, -128, 127);
    q.activation = ir::Activation::None;
    q.inputs = {x8};
  } else {
    q.inputs.clear();
    for (int i : op.inputs) {
      const int id = get_int8(i);
      if (id < 0 && i >= 0) return false;
      q.inputs.push_back(id);
    }
  }
  const int y8 = new_tensor(yt, ir::DType::Int8, yt.name, qy);
  q.outputs = {y8};
  qmap_[y] = y8;
  info_->tensor_in_quantized[yt.name] = yt.name;
  out_->add_op(std::move(q));
  ++info_->quantized_ops;
  return true;
}

bool Quantizer::run() {
  *out_ = ir::Graph();
  out_->metadata = fg_.metadata;
  fmap_.assign(fg_.tensors.size(), -1);
  qmap_.assign(fg_.tensors.size(), -1);
  for (int in : fg_.inputs) {
    const ir::Tensor& t = fg_.tensors[in];
    if (options_.int8_io && t.dtype == ir::DType::Float32) {
      ir::Quant q;
      if (!activation_quant(in, &q)) return false;
      const int id = new_tensor(t, ir::DType::Int8, t.name, q);
      qmap_[in] = id;
      out_->inputs.push_back(id);
    } else {
      const int id = out_->add_tensor(t);
      fmap_[in] = id;
      out_->inputs.push_back(id);
    }
    info_->tensor_in_quantized[t.name] = t.name;
  }
  for (const ir::Op& op : fg_.ops) {
    std::string reason;
    if (op.outputs.size() != 1 || keep_float(op, &reason)) {
      if (reason.empty()) reason = "several outputs";
      copy_float_op(op, reason);
      continue;
    }
    if (!quantize_op(op)) {
      if (error_->empty()) *error_ = "cannot quantize " + op.name;
      return false;
    }
  }
  // Graph outputs: float (a Dequantize named like the float graph's output) unless int8_io.
  for (int o : fg_.outputs) {
    const std::string name = fg_.tensors[o].name;
    int id;
    if (options_.int8_io && qmap_[o] >= 0) {
      id = qmap_[o];
    } else if (fmap_[o] >= 0) {
      id = fmap_[o];
    } else {
      const int q = qmap_[o];
      out_->tensors[q].name = name + "/int8";
      info_->tensor_in_quantized[name] = name + "/int8";
      id = get_float(o);
      out_->tensors[id].name = name;
    }
    out_->outputs.push_back(id);
  }
  remove_dead_and_identity_ops(out_);
  remove_unused_tensors(out_);
  out_->metadata["quantized_by"] = "octet-convert";
  out_->metadata["calibration_method"] = calibration_method_name(options_.method);
  out_->metadata["weight_rounding"] =
      options_.weight_rounding == QuantizeOptions::WeightRounding::kCompensated ? "gptq"
                                                                                : "nearest";
  return validate_graph(*out_, error_);
}

}  // namespace

bool quantize_graph(const ir::Graph& float_graph, const CalibrationResult& calibration,
                    const QuantizeOptions& options, ir::Graph* out, QuantizeInfo* info,
                    std::string* error) {
  *info = QuantizeInfo();
  error->clear();
  Quantizer q(float_graph, calibration, options, out, info, error);
  return q.run();
}

double LayerError::sqnr_db() const {
  if (noise <= 0.0) return 200.0;
  if (signal <= 0.0) return -200.0;
  return 10.0 * std::log10(signal / noise);
}

namespace {

// Runs a graph on one sample and captures every op output as float, by tensor name.
bool capture(GraphRunner& runner, const Sample& sample,
             std::map<std::string, std::vector<float>>* out, std::string* error) {
  out->clear();
  if (!runner.set_inputs(sample, error)) return false;
  auto observer = [&](int op) {
    for (int t : runner.op_outputs(op))
      if (t >= 0 && runner.info(t).name) (*out)[runner.info(t).name] = runner.tensor_as_float(t);
  };
  return runner.invoke(observer, error);
}

void accumulate(const std::vector<float>& ref, const std::vector<float>& test, LayerError* e) {
  if (ref.size() != test.size()) return;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(test[i]) - ref[i];
    e->signal += static_cast<double>(ref[i]) * ref[i];
    e->noise += d * d;
  }
}

}  // namespace

bool compare_graphs(const ir::Graph& float_graph, const ir::Graph& quantized_graph,
                    const QuantizeInfo& info, const std::vector<Sample>& samples, bool progress,
                    Comparison* comparison, std::string* error) {
  GraphRunner fr, qr;
  if (!fr.open(float_graph, error) || !qr.open(quantized_graph, error)) return false;
  comparison->layers.clear();
  std::set<std::string> kept;
  for (const KeptFloat& k : info.kept_float) kept.insert(k.op);
  for (const ir::Op& op : float_graph.ops) {
    if (op.outputs.empty()) continue;
    LayerError e;
    e.op = op.name;
    e.type = op_type_name(op.type);
    e.tensor = float_graph.tensors[op.outputs[0]].name;
    e.kept_float = kept.count(op.name) > 0;
    comparison->layers.push_back(e);
  }
  comparison->output = LayerError();
  comparison->output.op = "graph output";
  if (!float_graph.outputs.empty())
    comparison->output.tensor = float_graph.tensors[float_graph.outputs[0]].name;
  Progress bar("comparing float vs int8 ", static_cast<int>(samples.size()), progress);
  std::map<std::string, std::vector<float>> fvals, qvals;
  for (size_t s = 0; s < samples.size(); ++s) {
    if (!capture(fr, samples[s], &fvals, error) || !capture(qr, samples[s], &qvals, error))
      return false;
    for (LayerError& e : comparison->layers) {
      auto name = info.tensor_in_quantized.find(e.tensor);
      if (name == info.tensor_in_quantized.end()) continue;
      auto f = fvals.find(e.tensor);
      auto q = qvals.find(name->second);
      if (f != fvals.end() && q != qvals.end()) accumulate(f->second, q->second, &e);
    }
    accumulate(fr.output_as_float(0), qr.output_as_float(0), &comparison->output);
    bar.update(static_cast<int>(s + 1));
  }
  bar.finish();
  return true;
}

namespace {

// Per-channel mean of an NHWC / [N, C] activation (channels = last dimension).
std::vector<double> channel_means(const std::vector<float>& v, size_t channels) {
  std::vector<double> m(channels, 0.0);
  if (channels == 0 || v.size() % channels != 0 || v.empty()) return m;
  for (size_t k = 0; k < v.size(); ++k) m[k % channels] += v[k];
  const double positions = static_cast<double>(v.size() / channels);
  for (double& x : m) x /= positions;
  return m;
}

}  // namespace

int correct_bias(const ir::Graph& float_graph, ir::Graph* qg, const QuantizeInfo& info,
                 const std::vector<Sample>& samples, std::string* error, bool progress) {
  std::map<std::string, std::string> float_of;  // quantized name -> float name
  for (const auto& [f, q] : info.tensor_in_quantized) float_of[q] = f;
  // The GEMM ops to correct: quantized op index, float output tensor name, channels.
  struct Target {
    size_t op;
    std::string float_name;
    size_t channels;
  };
  std::vector<Target> targets;
  for (size_t i = 0; i < qg->ops.size(); ++i) {
    const ir::Op& op = qg->ops[i];
    if (!is_gemm_like(op.type) || op.keep_float || op.inputs.size() < 3 ||
        qg->tensors[op.outputs[0]].dtype != ir::DType::Int8)
      continue;
    const ir::Tensor& out = qg->tensors[op.outputs[0]];
    auto name = float_of.find(out.name);
    if (name == float_of.end() || out.shape.empty()) continue;
    targets.push_back({i, name->second, static_cast<size_t>(out.shape.back())});
  }
  // Float per-channel means once per sample (the shift is a difference of means, so the full
  // activations need not be kept).
  std::map<std::string, size_t> channels_of;
  for (const Target& t : targets) channels_of[t.float_name] = t.channels;
  GraphRunner fr;
  if (!fr.open(float_graph, error)) return -1;
  std::vector<std::map<std::string, std::vector<double>>> fmeans(samples.size());
  for (size_t s = 0; s < samples.size(); ++s) {
    if (!fr.set_inputs(samples[s], error)) return -1;
    auto observer = [&](int o) {
      for (int t : fr.op_outputs(o)) {
        if (t < 0 || !fr.info(t).name) continue;
        auto it = channels_of.find(fr.info(t).name);
        if (it != channels_of.end())
          fmeans[s][it->first] = channel_means(fr.tensor_as_float(t), it->second);
      }
    };
    if (!fr.invoke(observer, error)) return -1;
  }
  // Layer by layer in execution order, so each correction sees the already-corrected inputs
  // (correcting all layers at once double-counts upstream shifts).
  int changed = 0;
  Progress bar("bias correction         ", static_cast<int>(targets.size()), progress);
  for (size_t ti = 0; ti < targets.size(); ++ti) {
    bar.update(static_cast<int>(ti));
    const Target& target = targets[ti];
    ir::Op& op = qg->ops[target.op];
    const ir::Tensor& out = qg->tensors[op.outputs[0]];
    const size_t channels = target.channels;
    // Mean over samples of each sample's mean shift per channel. (Skipping channels whose shift
    // is within 1 or 2 standard errors of zero was tried: no consistent gain over the models.)
    std::vector<double> sum(channels, 0.0);
    int64_t count = 0;
    GraphRunner qr;
    if (!qr.open(*qg, error)) return -1;
    const int t = qr.tensor_index(out.name);
    for (size_t s = 0; s < samples.size(); ++s) {
      std::vector<double> q;
      if (!qr.set_inputs(samples[s], error)) return -1;
      // The ops after this one cannot change its output: stop there.
      auto observer = [&](int o) {
        for (int x : qr.op_outputs(o))
          if (x == t) {
            q = channel_means(qr.tensor_as_float(t), channels);
            return true;
          }
        return false;
      };
      if (!qr.invoke_until(observer, error)) return -1;
      const auto f = fmeans[s].find(target.float_name);
      if (f == fmeans[s].end() || f->second.size() != q.size()) continue;
      for (size_t c = 0; c < channels; ++c) {
        sum[c] += q[c] - f->second[c];
      }
      ++count;
    }
    if (count == 0) continue;
    const float sx = qg->tensors[op.inputs[0]].quant.scale[0];
    const ir::Tensor& w = qg->tensors[op.inputs[1]];
    ir::Tensor& b = qg->tensors[op.inputs[2]];  // one folded bias per op (made by the quantizer)
    for (size_t c = 0; c < channels; ++c) {
      const double mean = sum[c] / count;
      const double sw = w.quant.scale.size() == 1 ? w.quant.scale[0] : w.quant.scale[c];
      const double shift = std::nearbyint(mean / (static_cast<double>(sx) * sw));
      b.as<int32_t>()[c] = static_cast<int32_t>(
          std::clamp(static_cast<double>(b.as<int32_t>()[c]) - shift, -2147483648.0, 2147483647.0));
    }
    ++changed;
  }
  bar.update(static_cast<int>(targets.size()));
  bar.finish();
  return changed;
}

bool auto_keep_float(const ir::Graph& float_graph, const CalibrationResult& calibration,
                     QuantizeOptions options, const std::vector<Sample>& samples, double target_db,
                     int max_ops, ir::Graph* out, QuantizeInfo* info, std::string* error) {
  // Producer of each float tensor, to find an op's input SQNR.
  std::map<std::string, std::string> producer_of;
  for (const ir::Op& op : float_graph.ops)
    for (int o : op.outputs) producer_of[float_graph.tensors[o].name] = op.name;
  for (int round = 0;; ++round) {
    if (!quantize_graph(float_graph, calibration, options, out, info, error)) return false;
    Comparison cmp;
    if (!compare_graphs(float_graph, *out, *info, samples, false, &cmp, error)) return false;
    fprintf(stderr,
            "auto-keep-float: round %d, output SQNR %.2f dB (target %.2f), %zu ops in float\n",
            round, cmp.output.sqnr_db(), target_db, options.keep_float_ops.size());
    if (cmp.output.sqnr_db() >= target_db ||
        static_cast<int>(options.keep_float_ops.size()) >= max_ops)
      return true;
    std::map<std::string, double> sqnr_of_op;
    for (const LayerError& e : cmp.layers) sqnr_of_op[e.op] = e.sqnr_db();
    double worst_loss = -1e30;
    std::string worst;
    for (const ir::Op& op : float_graph.ops) {
      const auto& layer = sqnr_of_op.find(op.name);
      if (layer == sqnr_of_op.end()) continue;
      bool already = false;
      for (const KeptFloat& k : info->kept_float) already = already || k.op == op.name;
      if (already) continue;
      double input_sqnr = 200.0;
      for (int i : op.inputs) {
        if (i < 0 || float_graph.tensors[i].is_constant) continue;
        auto p = producer_of.find(float_graph.tensors[i].name);
        if (p != producer_of.end()) input_sqnr = std::min(input_sqnr, sqnr_of_op[p->second]);
      }
      const double loss = std::min(input_sqnr, 100.0) - layer->second;
      if (loss > worst_loss) {
        worst_loss = loss;
        worst = op.name;
      }
    }
    if (worst.empty()) return true;
    fprintf(stderr, "auto-keep-float: keeping '%s' in float (loses %.2f dB)\n", worst.c_str(),
            worst_loss);
    options.keep_float_ops.push_back(worst);
  }
}

}  // namespace octet::convert
