// Test helpers for the ONNX importer: an ONNX model builder (protobuf API) and a plain float
// evaluator of ir::Graph written from the Octet op contract (NHWC, Octet weight layouts), so the
// importer's graphs can be checked numerically against ONNX (NCHW) semantics computed in the tests.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "tools/convert/onnx_importer.h"
#ifdef OCTET_ONNX_TEST_RUNTIME
#include "octet/octet.h"
#endif

namespace octet::onnx_test {

using Dims = std::vector<int64_t>;

inline int64_t count(const Dims& d) {
  int64_t n = 1;
  for (int64_t v : d) n *= v;
  return n;
}

// ---------------------------------------------------------------- model builder
class ModelBuilder {
 public:
  explicit ModelBuilder(int opset = 13) {
    model_.set_ir_version(8);
    model_.set_producer_name("octet-test");
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    graph_ = model_.mutable_graph();
    graph_->set_name("test");
  }
  // dims < 0 are symbolic ("N").
  void input(const std::string& name, const Dims& dims) {
    auto* v = graph_->add_input();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = t->mutable_shape();
    for (int64_t d : dims) {
      auto* dim = shape->add_dim();
      if (d >= 0) {
        dim->set_dim_value(d);
      } else {
        dim->set_dim_param("dynamic");
      }
    }
  }
  void output(const std::string& name) { graph_->add_output()->set_name(name); }
  void init(const std::string& name, const Dims& dims, const std::vector<float>& values) {
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
  }
  void init_i64(const std::string& name, const Dims& dims, const std::vector<int64_t>& values) {
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t v : values) t->add_int64_data(v);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    auto* n = graph_->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + "_" + std::to_string(graph_->node_size()) : name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }
  static void attr_i(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_f(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr_s(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void attr_ints(onnx::NodeProto* n, const std::string& name, const Dims& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  std::string bytes() const { return model_.SerializeAsString(); }
  onnx::ModelProto& model() { return model_; }

 private:
  onnx::ModelProto model_;
  onnx::GraphProto* graph_;
};

inline std::vector<float> random_values(int64_t n, uint32_t seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// NCHW <-> NHWC for test data.
inline std::vector<float> nchw_to_nhwc(const std::vector<float>& x, const Dims& nchw) {
  const int64_t n = nchw[0], c = nchw[1], h = nchw[2], w = nchw[3];
  std::vector<float> y(x.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < h * w; ++i) y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
  return y;
}
inline std::vector<float> nhwc_to_nchw(const std::vector<float>& x, const Dims& nchw) {
  const int64_t n = nchw[0], c = nchw[1], h = nchw[2], w = nchw[3];
  std::vector<float> y(x.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < h * w; ++i) y[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
  return y;
}

// ---------------------------------------------------------------- float graph evaluator
class GraphEvaluator {
 public:
  explicit GraphEvaluator(const ir::Graph& g) : g_(g), values_(g.tensors.size()) {
    for (size_t i = 0; i < g.tensors.size(); ++i)
      if (g.tensors[i].is_constant) {
        values_[i].resize(g.tensors[i].data.size() / 4);
        if (!values_[i].empty())
          std::memcpy(values_[i].data(), g.tensors[i].data.data(), g.tensors[i].data.size());
      }
  }

  // Inputs in the graph's own (stored, NHWC) layout. Returns "" or an error.
  std::string run(const std::vector<std::vector<float>>& inputs) {
    if (inputs.size() != g_.inputs.size()) return "input count";
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (static_cast<int64_t>(inputs[i].size()) != elements(g_.inputs[i])) return "input size";
      values_[g_.inputs[i]] = inputs[i];
    }
    for (const ir::Op& op : g_.ops) {
      std::string e = run_op(op);
      if (!e.empty()) return op.name + ": " + e;
    }
    return "";
  }
  const std::vector<float>& value(int tensor) const { return values_[tensor]; }
  const std::vector<float>& output(int i) const { return values_[g_.outputs[i]]; }

 private:
  Dims shape(int t) const { return Dims(g_.tensors[t].shape.begin(), g_.tensors[t].shape.end()); }
  int64_t elements(int t) const { return count(shape(t)); }
  static float clampf(const ir::Op& op, float v) {
    return std::min(std::max(v, op.act_min), op.act_max);
  }

  static std::vector<int64_t> strides(const Dims& d) {
    std::vector<int64_t> s(d.size(), 1);
    for (int i = static_cast<int>(d.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * d[i + 1];
    return s;
  }
  // Calls f(out_index, multi_index) over all elements of `dims`.
  template <class F>
  static void for_each(const Dims& dims, F f) {
    std::vector<int64_t> idx(dims.size(), 0);
    const int64_t n = count(dims);
    for (int64_t i = 0; i < n; ++i) {
      f(i, idx);
      for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
        if (++idx[d] < dims[d]) break;
        idx[d] = 0;
      }
    }
  }

  std::string run_op(const ir::Op& op) {
    using T = ir::OpType;
    const int y = op.outputs[0];
    const Dims ys = shape(y);
    std::vector<float>& out = values_[y];
    out.assign(static_cast<size_t>(count(ys)), 0.0f);
    const std::vector<float>& x = values_[op.inputs[0]];
    const Dims xs = shape(op.inputs[0]);
    if (static_cast<int64_t>(x.size()) != count(xs)) return "input not computed";
    switch (op.type) {
      case T::Conv2D:
      case T::DepthwiseConv2D: {
        const auto* o = op.options.AsConv2DOptions();
        if (!o) return "no options";
        const auto& w = values_[op.inputs[1]];
        const Dims ws = shape(op.inputs[1]);
        const bool dw = op.type == T::DepthwiseConv2D;
        const int64_t n = xs[0], ih = xs[1], iw = xs[2], ic = xs[3], oh = ys[1], ow = ys[2],
                      oc = ys[3];
        const int64_t kh = dw ? ws[ws.size() - 3] : ws[1], kw = dw ? ws[ws.size() - 2] : ws[2];
        const int64_t groups = dw ? ic : o->groups;
        const int64_t icg = ic / groups, ocg = oc / groups;
        if (dw && ws.back() != oc) return "depthwise weight shape";
        if (!dw && (ws[0] != oc || ws[3] != icg)) return "conv weight shape";
        for (int64_t b = 0; b < n; ++b)
          for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox)
              for (int64_t c = 0; c < oc; ++c) {
                const int64_t g = c / ocg;
                float acc =
                    op.inputs.size() > 2 && op.inputs[2] >= 0 ? values_[op.inputs[2]][c] : 0.0f;
                for (int64_t ky = 0; ky < kh; ++ky)
                  for (int64_t kx = 0; kx < kw; ++kx) {
                    const int64_t yy = oy * o->stride_h - o->pad_top + ky * o->dilation_h;
                    const int64_t xx = ox * o->stride_w - o->pad_left + kx * o->dilation_w;
                    if (yy < 0 || yy >= ih || xx < 0 || xx >= iw) continue;
                    const float* px = &x[((b * ih + yy) * iw + xx) * ic];
                    if (dw) {
                      acc += px[c / o->depth_multiplier] * w[(ky * kw + kx) * oc + c];
                    } else {
                      for (int64_t ci = 0; ci < icg; ++ci)
                        acc += px[g * icg + ci] * w[((c * kh + ky) * kw + kx) * icg + ci];
                    }
                  }
                out[((b * oh + oy) * ow + ox) * oc + c] = clampf(op, acc);
              }
        return "";
      }
      case T::FullyConnected: {
        const auto& w = values_[op.inputs[1]];
        const Dims ws = shape(op.inputs[1]);
        const int64_t n = ws[0], k = ws[1], m = count(xs) / k;
        if (xs.back() != k || ys.back() != n) return "fc shapes";
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            float acc = op.inputs.size() > 2 && op.inputs[2] >= 0 ? values_[op.inputs[2]][j] : 0.0f;
            for (int64_t kk = 0; kk < k; ++kk) acc += x[i * k + kk] * w[j * k + kk];
            out[i * n + j] = clampf(op, acc);
          }
        return "";
      }
      case T::Add:
      case T::Sub:
      case T::Mul:
      case T::Div: {
        const auto& b = values_[op.inputs[1]];
        const Dims bs = shape(op.inputs[1]);
        const auto ao = offsets(xs, ys), bo = offsets(bs, ys);
        if (ao.empty() || bo.empty()) return "broadcast";
        for (size_t i = 0; i < out.size(); ++i) {
          const float p = x[ao[i]], q = b[bo[i]];
          const float r = op.type == T::Add   ? p + q
                          : op.type == T::Sub ? p - q
                          : op.type == T::Mul ? p * q
                                              : p / q;
          out[i] = clampf(op, r);
        }
        return "";
      }
      case T::AveragePool2D:
      case T::MaxPool2D: {
        const auto* o = op.options.AsPool2DOptions();
        if (!o) return "no options";
        const int64_t n = xs[0], ih = xs[1], iw = xs[2], c = xs[3], oh = ys[1], ow = ys[2];
        for (int64_t b = 0; b < n; ++b)
          for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox)
              for (int64_t ch = 0; ch < c; ++ch) {
                float acc = op.type == T::MaxPool2D ? -INFINITY : 0.0f;
                int counted = 0;
                for (int64_t ky = 0; ky < o->filter_h; ++ky)
                  for (int64_t kx = 0; kx < o->filter_w; ++kx) {
                    const int64_t yy = oy * o->stride_h - o->pad_top + ky,
                                  xx = ox * o->stride_w - o->pad_left + kx;
                    const bool inside = yy >= 0 && yy < ih && xx >= 0 && xx < iw;
                    if (o->count_include_pad && yy < ih + o->pad_bottom && xx < iw + o->pad_right)
                      ++counted;
                    if (!inside) continue;
                    if (!o->count_include_pad) ++counted;
                    const float v = x[((b * ih + yy) * iw + xx) * c + ch];
                    acc = op.type == T::MaxPool2D ? std::max(acc, v) : acc + v;
                  }
                out[((b * oh + oy) * ow + ox) * c + ch] =
                    clampf(op, op.type == T::MaxPool2D ? acc : acc / counted);
              }
        return "";
      }
      case T::Mean: {
        const auto* o = op.options.AsMeanOptions();
        if (!o) return "no options";
        std::vector<bool> reduce(xs.size(), false);
        for (int a : o->axes) reduce[a] = true;
        Dims kept;
        for (size_t i = 0; i < xs.size(); ++i) kept.push_back(reduce[i] ? 1 : xs[i]);
        const auto ks = strides(kept);
        int64_t group = 1;
        for (size_t i = 0; i < xs.size(); ++i)
          if (reduce[i]) group *= xs[i];
        for_each(xs, [&](int64_t i, const std::vector<int64_t>& idx) {
          int64_t o_index = 0;
          for (size_t d = 0; d < idx.size(); ++d) o_index += (reduce[d] ? 0 : idx[d]) * ks[d];
          out[o_index] += x[i] / group;
        });
        return "";
      }
      case T::Concat: {
        const auto* o = op.options.AsConcatOptions();
        if (!o) return "no options";
        const int axis = o->axis < 0 ? o->axis + static_cast<int>(ys.size()) : o->axis;
        int64_t outer = 1, inner = 1;
        for (int i = 0; i < axis; ++i) outer *= ys[i];
        for (size_t i = axis + 1; i < ys.size(); ++i) inner *= ys[i];
        size_t pos = 0;
        for (int64_t b = 0; b < outer; ++b)
          for (int in : op.inputs) {
            const int64_t chunk = shape(in)[axis] * inner;
            const auto& v = values_[in];
            std::copy(v.begin() + b * chunk, v.begin() + (b + 1) * chunk, out.begin() + pos);
            pos += chunk;
          }
        return "";
      }
      case T::Reshape:
        if (x.size() != out.size()) return "reshape size";
        out = x;
        return "";
      case T::Pad: {
        const auto* o = op.options.AsPadOptions();
        if (!o) return "no options";
        const auto os = strides(ys);
        for_each(xs, [&](int64_t i, const std::vector<int64_t>& idx) {
          int64_t o_index = 0;
          for (size_t d = 0; d < idx.size(); ++d) o_index += (idx[d] + o->paddings[2 * d]) * os[d];
          out[o_index] = x[i];
        });
        return "";
      }
      case T::Softmax: {
        const int64_t depth = xs.back(), outer = count(xs) / depth;
        for (int64_t r = 0; r < outer; ++r) {
          float mx = -INFINITY, sum = 0.0f;
          for (int64_t i = 0; i < depth; ++i) mx = std::max(mx, x[r * depth + i]);
          for (int64_t i = 0; i < depth; ++i)
            sum += out[r * depth + i] = std::exp(x[r * depth + i] - mx);
          for (int64_t i = 0; i < depth; ++i) out[r * depth + i] /= sum;
        }
        return "";
      }
      case T::Logistic:
      case T::Tanh:
      case T::Relu:
      case T::Relu6:
      case T::HardSwish:
      case T::Sqrt:
        for (size_t i = 0; i < x.size(); ++i) {
          const float v = x[i];
          float r = 0.0f;
          switch (op.type) {
            case T::Logistic:
              r = 1.0f / (1.0f + std::exp(-v));
              break;
            case T::Tanh:
              r = std::tanh(v);
              break;
            case T::Relu:
              r = std::max(v, 0.0f);
              break;
            case T::Relu6:
              r = std::min(std::max(v, 0.0f), 6.0f);
              break;
            case T::HardSwish:
              r = v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f;
              break;
            default:
              r = std::sqrt(v);
              break;
          }
          out[i] = r;
        }
        return "";
      case T::Transpose: {
        const auto* o = op.options.AsTransposeOptions();
        if (!o || o->perm.size() != xs.size()) return "perm";
        const auto in_strides = strides(xs);
        for_each(ys, [&](int64_t i, const std::vector<int64_t>& idx) {
          int64_t off = 0;
          for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * in_strides[o->perm[d]];
          out[i] = x[off];
        });
        return "";
      }
      case T::Slice: {
        const auto* o = op.options.AsSliceOptions();
        if (!o) return "no options";
        const auto in_strides = strides(xs);
        for (size_t d = 0; d < ys.size(); ++d)
          if (o->size[d] != ys[d] || o->begin[d] + o->size[d] > xs[d]) return "slice geometry";
        for_each(ys, [&](int64_t i, const std::vector<int64_t>& idx) {
          int64_t off = 0;
          for (size_t d = 0; d < idx.size(); ++d) off += (idx[d] + o->begin[d]) * in_strides[d];
          out[i] = x[off];
        });
        return "";
      }
      case T::BatchMatMul: {
        const auto& b = values_[op.inputs[1]];
        const Dims bs = shape(op.inputs[1]);
        const int64_t m = xs[xs.size() - 2], k = xs.back(), n = bs.back();
        const int64_t batches = count(ys) / (m * n);
        const int64_t a_batches = count(xs) / (m * k), b_batches = count(bs) / (k * n);
        for (int64_t bb = 0; bb < batches; ++bb) {
          const float* pa = &x[(a_batches == 1 ? 0 : bb) * m * k];
          const float* pb = &b[(b_batches == 1 ? 0 : bb) * k * n];
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              float acc = 0.0f;
              for (int64_t kk = 0; kk < k; ++kk) acc += pa[i * k + kk] * pb[kk * n + j];
              out[(bb * m + i) * n + j] = acc;
            }
        }
        return "";
      }
      default:
        return std::string("op not handled by the test evaluator: ") + fb::EnumNameOpType(op.type);
    }
  }

  // Numpy broadcast offsets of `s` into `out` (empty if not broadcastable).
  static std::vector<int64_t> offsets(const Dims& s, const Dims& out) {
    if (s.size() > out.size()) return {};
    Dims aligned(out.size() - s.size(), 1);
    aligned.insert(aligned.end(), s.begin(), s.end());
    for (size_t d = 0; d < out.size(); ++d)
      if (aligned[d] != 1 && aligned[d] != out[d]) return {};
    const auto st = strides(aligned);
    std::vector<int64_t> r(static_cast<size_t>(count(out)));
    for_each(out, [&](int64_t i, const std::vector<int64_t>& idx) {
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d) off += aligned[d] == 1 ? 0 : idx[d] * st[d];
      r[i] = off;
    });
    return r;
  }

  const ir::Graph& g_;
  std::vector<std::vector<float>> values_;
};

#ifdef OCTET_ONNX_TEST_RUNTIME
// Serializes `graph` and runs it through the Octet runtime on stored-layout inputs.
inline std::string run_through_runtime(const ir::Graph& graph,
                                       const std::vector<std::vector<float>>& inputs,
                                       std::vector<std::vector<float>>* outputs) {
  std::vector<uint8_t> bytes;
  std::string error;
  if (!ir::serialize(graph, ir::SerializeOptions{}, &bytes, &error)) return "serialize: " + error;
  std::vector<uint8_t> storage(bytes.size() + 64);
  uint8_t* aligned = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
  std::memcpy(aligned, bytes.data(), bytes.size());
  octet_model* model = nullptr;
  if (octet_model_open_buffer(aligned, bytes.size(), &model) != OCTET_OK)
    return std::string("runtime rejected the model: ") + octet_last_error();
  octet_session_options options;
  octet_session_options_init(&options);
  octet_session* session = nullptr;
  std::string result;
  if (octet_session_create(model, &options, nullptr, 0, &session) != OCTET_OK) {
    result = std::string("session: ") + octet_last_error();
  } else {
    for (size_t i = 0; i < inputs.size(); ++i)
      std::memcpy(octet_session_input(session, static_cast<int>(i)), inputs[i].data(),
                  inputs[i].size() * 4);
    if (octet_session_invoke(session) != OCTET_OK) {
      result = std::string("invoke: ") + octet_last_error();
    } else {
      outputs->clear();
      for (size_t i = 0; i < graph.outputs.size(); ++i) {
        const float* y =
            static_cast<const float*>(octet_session_output(session, static_cast<int>(i)));
        int64_t n = 1;
        for (int32_t d : graph.tensors[graph.outputs[i]].shape) n *= d;
        outputs->emplace_back(y, y + n);
      }
    }
    octet_session_destroy(session);
  }
  octet_model_close(model);
  return result;
}
#endif

// Imports `model` and runs it on ONNX-layout inputs; returns ONNX-layout outputs. When the
// runtime is linked, the graph also goes through serialize + the Octet runtime, whose outputs
// must match the evaluator's.
inline ::testing::AssertionResult run_model(const ModelBuilder& model,
                                            const std::vector<std::vector<float>>& inputs,
                                            std::vector<std::vector<float>>* outputs,
                                            ir::Graph* graph_out = nullptr,
                                            const convert::ImportOptions& options = {}) {
  const std::string bytes = model.bytes();
  ir::Graph graph;
  std::string error;
  if (!convert::import_onnx_buffer(bytes.data(), bytes.size(), options, &graph, &error))
    return ::testing::AssertionFailure() << "import failed: " << error;
  // ONNX input shapes are the graph's shapes in NCHW order.
  std::vector<std::vector<float>> stored;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& s = graph.tensors[graph.inputs[i]].shape;
    if (s.size() == 4) {
      stored.push_back(nchw_to_nhwc(inputs[i], {s[0], s[3], s[1], s[2]}));
    } else {
      stored.push_back(inputs[i]);
    }
  }
  GraphEvaluator eval(graph);
  const std::string e = eval.run(stored);
  if (!e.empty()) return ::testing::AssertionFailure() << "evaluation failed: " << e;
#ifdef OCTET_ONNX_TEST_RUNTIME
  std::vector<std::vector<float>> runtime_outputs;
  const std::string runtime_error = run_through_runtime(graph, stored, &runtime_outputs);
  if (!runtime_error.empty()) return ::testing::AssertionFailure() << "runtime: " << runtime_error;
  for (size_t i = 0; i < graph.outputs.size(); ++i) {
    const auto& expected = eval.output(static_cast<int>(i));
    for (size_t k = 0; k < expected.size(); ++k)
      if (!(std::fabs(runtime_outputs[i][k] - expected[k]) <=
            1e-4f * (1.0f + std::fabs(expected[k]))))
        return ::testing::AssertionFailure()
               << "runtime output " << i << " element " << k << ": " << runtime_outputs[i][k]
               << " != evaluator " << expected[k];
  }
#endif
  outputs->clear();
  for (size_t i = 0; i < graph.outputs.size(); ++i) {
    const auto& s = graph.tensors[graph.outputs[i]].shape;
    if (s.size() == 4) {
      outputs->push_back(nhwc_to_nchw(eval.output(static_cast<int>(i)), {s[0], s[3], s[1], s[2]}));
    } else {
      outputs->push_back(eval.output(static_cast<int>(i)));
    }
  }
  if (graph_out) *graph_out = std::move(graph);
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult all_near(const std::vector<float>& actual,
                                           const std::vector<float>& expected, float tolerance) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure() << "size " << actual.size() << " != " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i)
    if (!(std::fabs(actual[i] - expected[i]) <= tolerance * (1.0f + std::fabs(expected[i]))))
      return ::testing::AssertionFailure()
             << "element " << i << ": " << actual[i] << " != " << expected[i];
  return ::testing::AssertionSuccess();
}

inline int count_ops(const ir::Graph& g, ir::OpType type) {
  return static_cast<int>(
      std::count_if(g.ops.begin(), g.ops.end(), [&](const ir::Op& op) { return op.type == type; }));
}

}  // namespace octet::onnx_test
