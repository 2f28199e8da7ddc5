// ONNX float importer: onnx::ModelProto -> float ir::Graph (NHWC). See onnx_importer.h.
#include "tools/convert/onnx_importer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "onnx/onnx_pb.h"  // defines ONNX_API, then includes onnx-ml.pb.h (ONNX_ML)

namespace octet::convert {
namespace {

using Dims = std::vector<int64_t>;

// Constants larger than this (elements) are rejected: protects against malformed files.
constexpr int64_t kMaxElements = int64_t{1} << 31;
// Constants computed by folding (broadcasts, ConstantOfShape, Range) stay below this.
constexpr int64_t kMaxFolded = int64_t{1} << 26;

const char* const kSupportedOps[] = {"Add",
                                     "AveragePool",
                                     "BatchNormalization",
                                     "Cast",
                                     "Clip",
                                     "Concat",
                                     "Constant",
                                     "ConstantOfShape",
                                     "Conv",
                                     "Div",
                                     "Dropout",
                                     "Equal",
                                     "Flatten",
                                     "Gather",
                                     "Gemm",
                                     "GlobalAveragePool",
                                     "GlobalMaxPool",
                                     "HardSigmoid",
                                     "HardSwish",
                                     "Identity",
                                     "MatMul",
                                     "MaxPool",
                                     "Mul",
                                     "Neg",
                                     "Not",
                                     "Pad",
                                     "Pow",
                                     "Range",
                                     "ReduceMean",
                                     "Relu",
                                     "Reshape",
                                     "Resize",
                                     "Shape",
                                     "Sigmoid",
                                     "Size",
                                     "Slice",
                                     "Softmax",
                                     "Split",
                                     "Sqrt",
                                     "Squeeze",
                                     "Sub",
                                     "Tanh",
                                     "Transpose",
                                     "Unsqueeze",
                                     "Upsample"};

// Channels-last layout of 3-D (NCW -> NWC) and 4-D (NCHW -> NHWC) activations.
bool has_channels_last(size_t rank) { return rank == 3 || rank == 4; }
// ONNX axis -> channels-last stored axis, and back.
int channels_last_axis(int onnx_axis, size_t rank) {
  if (onnx_axis == 0) return 0;
  return onnx_axis == 1 ? static_cast<int>(rank) - 1 : onnx_axis - 1;
}
int onnx_axis_of_channels_last(int stored_axis, size_t rank) {
  if (stored_axis == 0) return 0;
  return stored_axis == static_cast<int>(rank) - 1 ? 1 : stored_axis + 1;
}
// Transpose perms between the two orders (rank 3 or 4).
std::vector<int32_t> to_channels_last_perm(size_t rank) {
  std::vector<int32_t> perm = {0};
  for (size_t i = 2; i < rank; ++i) perm.push_back(static_cast<int32_t>(i));
  perm.push_back(1);
  return perm;
}
std::vector<int32_t> from_channels_last_perm(size_t rank) {
  std::vector<int32_t> perm = {0, static_cast<int32_t>(rank) - 1};
  for (size_t i = 1; i + 1 < rank; ++i) perm.push_back(static_cast<int32_t>(i));
  return perm;
}

int64_t product(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string dims_string(const Dims& dims) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < dims.size(); ++i) s << (i ? "," : "") << dims[i];
  s << "]";
  return s.str();
}

// [N, C, spatial...] -> [N, spatial..., C] (rank 3 or 4).
Dims nchw_to_nhwc(const Dims& d) {
  Dims out = {d[0]};
  out.insert(out.end(), d.begin() + 2, d.end());
  out.push_back(d[1]);
  return out;
}

Dims strides_of(const Dims& dims) {
  Dims s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

int64_t to_int64(double v) {
  if (v >= 9.2e18) return std::numeric_limits<int64_t>::max();
  if (v <= -9.2e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    value =
        mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    value = std::ldexp(static_cast<float>(mantissa + 1024), static_cast<int>(exponent) - 25);
  }
  return sign ? -value : value;
}

// A constant ONNX value (initializer, Constant node or folded subgraph), kept as doubles so one
// code path folds float and integer arithmetic (int64 shape values fit exactly below 2^53).
struct Constant {
  Dims dims;
  std::vector<double> values;
  bool integer = false;

  int64_t size() const { return static_cast<int64_t>(values.size()); }
  std::vector<float> as_float() const { return std::vector<float>(values.begin(), values.end()); }
  std::vector<int64_t> as_int64() const {
    std::vector<int64_t> out;
    for (double v : values) out.push_back(to_int64(v));
    return out;
  }
};

bool read_tensor(const onnx::TensorProto& t, Constant* c, std::string* error) {
  const std::string name = "tensor '" + t.name() + "'";
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    *error = name +
             " uses external data, which is not supported (save the model with the weights inside)";
    return false;
  }
  c->dims.clear();
  int64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && count > kMaxElements / d)) {
      *error = name + " has an invalid shape";
      return false;
    }
    c->dims.push_back(d);
    count *= d;
  }
  const std::string& raw = t.raw_data();
  const bool has_raw = t.has_raw_data();
  auto check = [&](int64_t available, const char* what) {
    if (available != count) {
      *error = name + " holds " + std::to_string(available) + " " + what + " values for shape " +
               dims_string(c->dims);
      return false;
    }
    return true;
  };
  using TP = onnx::TensorProto;
  // Check the stored element count before allocating: a corrupt shape must not allocate.
  int64_t available = -1;
  switch (t.data_type()) {
    case TP::FLOAT:
    case TP::INT32:
      available = has_raw                      ? static_cast<int64_t>(raw.size() / 4)
                  : t.data_type() == TP::FLOAT ? t.float_data_size()
                                               : t.int32_data_size();
      break;
    case TP::DOUBLE:
    case TP::INT64:
      available = has_raw                       ? static_cast<int64_t>(raw.size() / 8)
                  : t.data_type() == TP::DOUBLE ? t.double_data_size()
                                                : t.int64_data_size();
      break;
    case TP::FLOAT16:
    case TP::INT16:
    case TP::UINT16:
      available = has_raw ? static_cast<int64_t>(raw.size() / 2) : t.int32_data_size();
      break;
    case TP::INT8:
    case TP::UINT8:
    case TP::BOOL:
      available = has_raw ? static_cast<int64_t>(raw.size()) : t.int32_data_size();
      break;
    default:
      break;
  }
  if (available >= 0 && available != count) {
    *error =
        name + " holds " + std::to_string(available) + " values for shape " + dims_string(c->dims);
    return false;
  }
  c->values.assign(static_cast<size_t>(count), 0.0);
  c->integer = true;
  auto read_raw = [&](size_t elem_size, auto convert) {
    if (!check(static_cast<int64_t>(raw.size() / elem_size), "raw") || raw.size() % elem_size) {
      if (error->empty()) *error = name + " has a raw_data size that does not match its shape";
      return false;
    }
    for (int64_t i = 0; i < count; ++i) c->values[i] = convert(raw.data() + i * elem_size);
    return true;
  };
  switch (t.data_type()) {
    case TP::FLOAT:
      c->integer = false;
      if (has_raw)
        return read_raw(4, [](const char* p) {
          float v;
          std::memcpy(&v, p, 4);
          return double(v);
        });
      if (!check(t.float_data_size(), "float")) return false;
      for (int64_t i = 0; i < count; ++i) c->values[i] = t.float_data(i);
      return true;
    case TP::DOUBLE:
      c->integer = false;
      if (has_raw)
        return read_raw(8, [](const char* p) {
          double v;
          std::memcpy(&v, p, 8);
          return v;
        });
      if (!check(t.double_data_size(), "double")) return false;
      for (int64_t i = 0; i < count; ++i) c->values[i] = t.double_data(i);
      return true;
    case TP::FLOAT16:
      c->integer = false;
      if (has_raw)
        return read_raw(2, [](const char* p) {
          uint16_t v;
          std::memcpy(&v, p, 2);
          return double(half_to_float(v));
        });
      if (!check(t.int32_data_size(), "float16")) return false;
      for (int64_t i = 0; i < count; ++i)
        c->values[i] = half_to_float(static_cast<uint16_t>(t.int32_data(i)));
      return true;
    case TP::INT64:
      if (has_raw)
        return read_raw(8, [](const char* p) {
          int64_t v;
          std::memcpy(&v, p, 8);
          return double(v);
        });
      if (!check(t.int64_data_size(), "int64")) return false;
      for (int64_t i = 0; i < count; ++i) c->values[i] = static_cast<double>(t.int64_data(i));
      return true;
    case TP::INT32:
      if (has_raw)
        return read_raw(4, [](const char* p) {
          int32_t v;
          std::memcpy(&v, p, 4);
          return double(v);
        });
      break;
    case TP::INT16:
      if (has_raw)
        return read_raw(2, [](const char* p) {
          int16_t v;
          std::memcpy(&v, p, 2);
          return double(v);
        });
      break;
    case TP::UINT16:
      if (has_raw)
        return read_raw(2, [](const char* p) {
          uint16_t v;
          std::memcpy(&v, p, 2);
          return double(v);
        });
      break;
    case TP::INT8:
      if (has_raw) return read_raw(1, [](const char* p) { return double(int8_t(*p)); });
      break;
    case TP::UINT8:
    case TP::BOOL:
      if (has_raw) return read_raw(1, [](const char* p) { return double(uint8_t(*p)); });
      break;
    default:
      *error = name + " has unsupported element type " + std::to_string(t.data_type());
      return false;
  }
  // Small integer types without raw_data are stored in int32_data.
  if (!check(t.int32_data_size(), "int32")) return false;
  for (int64_t i = 0; i < count; ++i) c->values[i] = t.int32_data(i);
  return true;
}

// Numpy broadcasting of two shapes.
bool broadcast_shapes(const Dims& a, const Dims& b, Dims* out) {
  const size_t rank = std::max(a.size(), b.size());
  out->assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    (*out)[i] = da == 1 ? db : da;
  }
  return true;
}

// Element offsets of `shape` broadcast into `out` (right-aligned), one per output element.
std::vector<int64_t> broadcast_offsets(const Dims& shape, const Dims& out) {
  const size_t rank = out.size();
  Dims aligned(rank, 1);
  for (size_t i = 0; i < shape.size(); ++i) aligned[rank - shape.size() + i] = shape[i];
  const Dims in_strides = strides_of(aligned);
  const int64_t n = product(out);
  std::vector<int64_t> offsets(static_cast<size_t>(n));
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (size_t d = 0; d < rank; ++d) offset += aligned[d] == 1 ? 0 : index[d] * in_strides[d];
    offsets[i] = offset;
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      if (++index[d] < out[d]) break;
      index[d] = 0;
    }
  }
  return offsets;
}

bool fold_binary(const Constant& a, const Constant& b,
                 const std::function<double(double, double)>& f, Constant* out) {
  if (!broadcast_shapes(a.dims, b.dims, &out->dims)) return false;
  int64_t total = 1;
  for (int64_t d : out->dims) {
    if (d > 0 && total > kMaxFolded / d) return false;
    total *= d;
  }
  const auto oa = broadcast_offsets(a.dims, out->dims);
  const auto ob = broadcast_offsets(b.dims, out->dims);
  out->values.resize(oa.size());
  for (size_t i = 0; i < oa.size(); ++i) out->values[i] = f(a.values[oa[i]], b.values[ob[i]]);
  return true;
}

Constant transpose_constant(const Constant& c, const std::vector<int>& perm) {
  Constant out;
  out.integer = c.integer;
  const Dims in_strides = strides_of(c.dims);
  for (int p : perm) out.dims.push_back(c.dims[p]);
  const int64_t n = product(out.dims);
  out.values.resize(static_cast<size_t>(n));
  std::vector<int64_t> index(perm.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (size_t d = 0; d < perm.size(); ++d) offset += index[d] * in_strides[perm[d]];
    out.values[i] = c.values[offset];
    for (int d = static_cast<int>(perm.size()) - 1; d >= 0; --d) {
      if (++index[d] < out.dims[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

// Strided sub-block of a constant: out[i] = c[begin + i * step] per axis.
Constant slice_constant(const Constant& c, const Dims& begin, const Dims& size, const Dims& step) {
  Constant out;
  out.integer = c.integer;
  out.dims = size;
  const Dims in_strides = strides_of(c.dims);
  const int64_t n = product(size);
  out.values.resize(static_cast<size_t>(n));
  std::vector<int64_t> index(size.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (size_t d = 0; d < size.size(); ++d)
      offset += (begin[d] + index[d] * step[d]) * in_strides[d];
    out.values[i] = c.values[offset];
    for (int d = static_cast<int>(size.size()) - 1; d >= 0; --d) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

// ONNX Slice semantics for one axis: clamps start/end, returns the element count.
int64_t normalize_slice(int64_t dim, int64_t step, int64_t* start, int64_t* end) {
  if (dim <= 0) {
    *start = *end = 0;
    return 0;
  }
  if (*start < 0) *start += dim;
  if (*end < 0) *end += dim;
  if (step > 0) {
    *start = std::clamp<int64_t>(*start, 0, dim);
    *end = std::clamp<int64_t>(*end, 0, dim);
    return *end > *start ? (*end - *start + step - 1) / step : 0;
  }
  *start = std::clamp<int64_t>(*start, 0, dim - 1);
  *end = std::clamp<int64_t>(*end, -1, dim - 1);
  return *start > *end ? (*start - *end + (-step) - 1) / (-step) : 0;
}

// An ONNX value: either a constant or an activation tensor of the graph. A 4-D activation can be
// stored NHWC (the normal case) or in ONNX's own order (after Reshape and friends); conversions are
// created on demand and cached.
struct Value {
  std::string name;
  bool is_constant = false;
  Constant constant;
  int tensor = -1;
  Dims shape;            // ONNX shape
  bool nhwc = false;     // tensor holds the NHWC permutation of a 4-D ONNX value
  int converted = -1;    // cached tensor in the other layout
  std::string unusable;  // non-empty: reading this value is an error (e.g. an int64 graph input)
};

class Importer {
 public:
  Importer(const ImportOptions& options, ir::Graph* graph) : options_(options), graph_(graph) {}

  bool run(const onnx::ModelProto& model, std::string* error) {
    const bool ok = import(model);
    if (!ok) {
      *error = error_;
      const std::string others = unsupported_ops_in(model);
      if (!others.empty())
        *error += " [ops of this model the importer does not support: " + others + "]";
    }
    return ok;
  }

  // Op types used anywhere in the model (subgraphs included) that the importer cannot handle.
  static std::string unsupported_ops_in(const onnx::ModelProto& model) {
    std::set<std::string> supported(std::begin(kSupportedOps), std::end(kSupportedOps)), found;
    std::function<void(const onnx::GraphProto&)> visit = [&](const onnx::GraphProto& graph) {
      for (const auto& n : graph.node()) {
        const bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
        if (!default_domain || !supported.count(n.op_type()))
          found.insert(default_domain ? n.op_type() : n.domain() + "." + n.op_type());
        for (const auto& a : n.attribute()) {
          if (a.has_g()) visit(a.g());
          for (const auto& g : a.graphs()) visit(g);
        }
      }
    };
    visit(model.graph());
    std::string out;
    for (const auto& op : found) out += (out.empty() ? "" : ", ") + op;
    return out;
  }

 private:
  // ---- errors ----
  bool fail(const std::string& message) {
    if (node_) {
      error_ = "ONNX node '" + node_->name() + "' (" + node_->op_type() + "): " + message;
    } else {
      error_ = message;
    }
    return false;
  }

  // ---- attributes ----
  const onnx::AttributeProto* attr(const std::string& name) const {
    for (const auto& a : node_->attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  int64_t attr_i(const std::string& name, int64_t fallback) const {
    const auto* a = attr(name);
    return a ? a->i() : fallback;
  }
  float attr_f(const std::string& name, float fallback) const {
    const auto* a = attr(name);
    return a ? a->f() : fallback;
  }
  std::string attr_s(const std::string& name, const std::string& fallback) const {
    const auto* a = attr(name);
    return a ? a->s() : fallback;
  }
  Dims attr_ints(const std::string& name, const Dims& fallback) const {
    const auto* a = attr(name);
    if (!a) return fallback;
    return Dims(a->ints().begin(), a->ints().end());
  }

  // ---- values ----
  bool has_input(int i) const { return i < node_->input_size() && !node_->input(i).empty(); }
  bool input(int i, Value** v) {
    if (!has_input(i)) return fail("missing input " + std::to_string(i));
    auto it = values_.find(node_->input(i));
    if (it == values_.end())
      return fail("input '" + node_->input(i) + "' is not defined before use");
    if (!it->second.unusable.empty()) return fail(it->second.unusable);
    *v = &it->second;
    return true;
  }
  bool const_input(int i, const Constant** c) {
    Value* v;
    if (!input(i, &v)) return false;
    if (!v->is_constant)
      return fail("input " + std::to_string(i) + " ('" + v->name + "') must be a constant");
    *c = &v->constant;
    return true;
  }
  bool act_input(int i, Value** v) {
    if (!input(i, v)) return false;
    if ((*v)->is_constant)
      return fail("input " + std::to_string(i) + " ('" + (*v)->name +
                  "') must not be a constant here");
    return true;
  }
  bool define_constant(const std::string& name, Constant c) {
    if (product(c.dims) != c.size()) return fail("internal: constant size mismatch for " + name);
    Value v;
    v.name = name;
    v.is_constant = true;
    v.constant = std::move(c);
    values_[name] = std::move(v);
    return true;
  }
  // `name` becomes another name of `from` (Identity, fusions): the current node consumed one
  // read of the tensor, the new name brings its own readers.
  void alias(const std::string& name, const Value& from) {
    Value v = from;
    v.name = name;
    if (!v.is_constant && v.tensor >= 0) reads_[v.tensor] += uses(name) - 1;
    values_[name] = std::move(v);
  }
  int uses(const std::string& name) const {
    auto it = use_count_.find(name);
    return it == use_count_.end() ? 0 : it->second;
  }

  std::string unique_name(const std::string& base) {
    std::string name = base;
    for (int i = 1; used_names_.count(name); ++i) name = base + "_" + std::to_string(i);
    used_names_.insert(name);
    return name;
  }

  bool check_dims(const Dims& dims) {
    int64_t count = 1;
    for (int64_t d : dims) {
      if (d <= 0 || d > std::numeric_limits<int32_t>::max() || count > kMaxElements / d)
        return fail("invalid or empty tensor shape " + dims_string(dims));
      count *= d;
    }
    return true;
  }

  int add_tensor(const std::string& name, const Dims& shape, bool constant) {
    ir::Tensor t;
    t.name = unique_name(name);
    t.dtype = ir::DType::Float32;
    int64_t count = 1;
    for (int64_t d : shape) {
      if ((d <= 0 || d > std::numeric_limits<int32_t>::max() || count > kMaxElements / d) &&
          bad_shape_.empty())
        bad_shape_ = "tensor '" + name + "' would have the invalid shape " + dims_string(shape);
      if (d > 0) count *= std::min<int64_t>(d, kMaxElements);
      t.shape.push_back(static_cast<int32_t>(std::clamp<int64_t>(d, 0, INT32_MAX)));
    }
    t.is_constant = constant;
    producer_.push_back(-1);
    reads_.push_back(0);
    return graph_->add_tensor(std::move(t));
  }
  int add_const_tensor(const std::string& name, const Dims& shape, const std::vector<float>& data) {
    const int index = add_tensor(name, shape, true);
    auto& bytes = graph_->tensors[index].data;
    bytes.resize(data.size() * sizeof(float));
    if (!data.empty()) std::memcpy(bytes.data(), data.data(), bytes.size());
    return index;
  }
  std::vector<float> const_data(int tensor) const {
    const auto& bytes = graph_->tensors[tensor].data;
    std::vector<float> out(bytes.size() / sizeof(float));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  void set_const_data(int tensor, const std::vector<float>& data) {
    auto& bytes = graph_->tensors[tensor].data;
    bytes.resize(data.size() * sizeof(float));
    if (!data.empty()) std::memcpy(bytes.data(), data.data(), bytes.size());
  }

  // Defines ONNX output `out` of the current node as a new activation tensor.
  int new_output(int out, const Dims& onnx_shape, bool nhwc) {
    const std::string& name = node_->output(out);
    Value v;
    v.name = name;
    v.shape = onnx_shape;
    v.nhwc = nhwc && has_channels_last(onnx_shape.size());
    v.tensor = add_tensor(name, v.nhwc ? nchw_to_nhwc(onnx_shape) : onnx_shape, false);
    const int tensor = v.tensor;
    reads_[tensor] = uses(name);
    values_[name] = std::move(v);
    return tensor;
  }

  std::string op_name(const std::string& suffix = "") const {
    std::string base = node_ ? (node_->name().empty() ? node_->output(0) : node_->name()) : "io";
    return suffix.empty() ? base : base + "/" + suffix;
  }

  int emit(ir::OpType type, std::vector<int> inputs, std::vector<int> outputs,
           fb::OpOptionsUnion options = {}, const std::string& suffix = "") {
    ir::Op op;
    op.type = type;
    op.name = op_name(suffix);
    op.inputs = std::move(inputs);
    op.outputs = std::move(outputs);
    op.options = std::move(options);
    const int index = graph_->add_op(std::move(op));
    for (int t : graph_->ops[index].outputs) producer_[t] = index;
    return index;
  }

  template <class T>
  static fb::OpOptionsUnion options_of(T value) {
    fb::OpOptionsUnion u;
    u.Set(std::move(value));
    return u;
  }

  Dims stored_shape(const Value& v) const { return v.nhwc ? nchw_to_nhwc(v.shape) : v.shape; }
  static int stored_axis(const Value& v, int onnx_axis) {
    return v.nhwc ? channels_last_axis(onnx_axis, v.shape.size()) : onnx_axis;
  }

  // The activation's tensor in the requested layout (only 3-D and 4-D values can be channels
  // last): inserts a Transpose, or a Reshape when both orders have the same bytes (C == 1 or
  // all spatial dims 1).
  int tensor_in(Value& v, bool want_nhwc) {
    const size_t rank = v.shape.size();
    want_nhwc = want_nhwc && has_channels_last(rank);
    if (v.nhwc == want_nhwc) return v.tensor;
    if (v.converted >= 0) return v.converted;
    const Dims out_shape = want_nhwc ? nchw_to_nhwc(v.shape) : v.shape;
    const int out = add_tensor(v.name + (want_nhwc ? "/nhwc" : "/nchw"), out_shape, false);
    const bool same_bytes = v.shape[1] == 1 || product(v.shape) == v.shape[0] * v.shape[1];
    if (same_bytes) {
      emit(ir::OpType::Reshape, {v.tensor}, {out}, options_of(fb::ReshapeOptionsT{}),
           want_nhwc ? "to_nhwc" : "to_nchw");
    } else {
      fb::TransposeOptionsT t;
      t.perm = want_nhwc ? to_channels_last_perm(rank) : from_channels_last_perm(rank);
      emit(ir::OpType::Transpose, {v.tensor}, {out}, options_of(std::move(t)),
           want_nhwc ? "to_nhwc" : "to_nchw");
    }
    v.converted = out;
    return out;
  }

  // Op producing `v` if `v` can be rewritten in place (fused into): its tensor has this node as
  // its only reader under any of its names, is not a graph output and has not been converted to
  // the other layout.
  int fusable_producer(const Value& v) const {
    if (v.is_constant || v.converted >= 0 || v.tensor < 0) return -1;
    if (reads_[v.tensor] != 1) return -1;
    const int op = producer_[v.tensor];
    if (op < 0 || graph_->ops[op].outputs.size() != 1 || graph_->ops[op].outputs[0] != v.tensor)
      return -1;
    auto view = view_of_.find(op);  // 1-D conv/pool: fuse into the 2-D op behind the Reshape
    return view == view_of_.end() ? op : view->second;
  }
  // The current node's output `out` becomes the same tensor as `v` (after fusing into its
  // producer).
  void fuse_into(const Value& v, int out) {
    alias(node_->output(out), v);
    graph_->tensors[v.tensor].name = unique_name(node_->output(out));
  }
  static bool is_gemm_like(ir::OpType t) {
    return t == ir::OpType::Conv2D || t == ir::OpType::DepthwiseConv2D ||
           t == ir::OpType::FullyConnected;
  }
  static bool has_activation(const ir::Op& op) {
    return op.activation != ir::Activation::None || std::isfinite(op.act_min) ||
           std::isfinite(op.act_max);
  }

  // Constant operand of an elementwise op against activation `act`, laid out like the stored
  // activation (right-aligned broadcast, NHWC permutation when `act` is stored NHWC).
  Constant constant_like(const Constant& c, const Value& act) const {
    if (!act.nhwc) return c;
    const size_t rank = act.shape.size();
    Constant expanded = c;
    expanded.dims.insert(expanded.dims.begin(), rank - c.dims.size(), 1);
    const auto perm = to_channels_last_perm(rank);
    return transpose_constant(expanded, std::vector<int>(perm.begin(), perm.end()));
  }

  // ---- import ----
  bool import(const onnx::ModelProto& model) {
    for (const auto& o : model.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = static_cast<int>(o.version());
    if (!model.has_graph()) return fail("the file has no graph (not an ONNX model?)");
    if (opset_ == 0) opset_ = model.ir_version() <= 3 ? 8 : 0;
    if (opset_ == 0) return fail("the model declares no ai.onnx opset");
    const onnx::GraphProto& g = model.graph();
    if (g.output_size() == 0)
      return fail("the graph has no outputs (not an ONNX model, or truncated)");

    for (const auto& init : g.initializer()) {
      Constant c;
      std::string err;
      if (!read_tensor(init, &c, &err)) return fail(err);
      if (!define_constant(init.name(), std::move(c))) return false;
    }
    for (const auto& in : g.input()) {
      if (values_.count(in.name())) continue;  // an initializer (IR < 4 lists them as inputs)
      if (!add_graph_input(in)) return false;
    }
    for (const auto& n : g.node())
      for (const auto& i : n.input()) ++use_count_[i];
    for (const auto& o : g.output()) ++use_count_[o.name()];

    for (const auto& n : g.node()) {
      node_ = &n;
      if (!import_node()) return false;
      if (!bad_shape_.empty()) return fail(bad_shape_);
      for (const auto& o : n.output())
        if (!o.empty() && !values_.count(o) && node_->op_type() != "Dropout")
          return fail("internal: output '" + o + "' was not produced");
      if (options_.verbose)
        fprintf(stderr, "onnx: %s '%s'\n", n.op_type().c_str(), n.name().c_str());
    }
    node_ = nullptr;

    for (const auto& o : g.output()) {
      auto it = values_.find(o.name());
      if (it == values_.end()) return fail("graph output '" + o.name() + "' is never produced");
      Value& v = it->second;
      if (!v.unusable.empty()) return fail(v.unusable);
      if (v.is_constant)
        return fail("graph output '" + o.name() +
                    "' is a constant; constant outputs are not supported");
      const int tensor = tensor_in(v, v.shape.size() == 4);  // 4-D outputs NHWC, others ONNX order
      if (tensor != v.tensor) {  // the converted tensor carries the ONNX output name
        std::swap(graph_->tensors[tensor].name, graph_->tensors[v.tensor].name);
      }
      graph_->outputs.push_back(tensor);
    }
    remove_dead_ops();
    graph_->metadata["source_format"] = "onnx";
    graph_->metadata["onnx_opset"] = std::to_string(opset_);
    if (!model.producer_name().empty()) graph_->metadata["onnx_producer"] = model.producer_name();
    graph_->metadata["source_layout"] = "NCHW";
    graph_->metadata["input_layout"] = "NHWC";
    graph_->metadata["source_input_shapes"] = source_input_shapes_;
    return true;
  }

  // Drops ops whose results nobody reads (left behind by fusions such as HardSwish) and then
  // unreferenced tensors (the serializer plans every non-constant tensor it is given).
  void remove_dead_ops() {
    std::vector<bool> needed(graph_->tensors.size(), false);
    for (int t : graph_->outputs) needed[t] = true;
    std::vector<ir::Op> kept;
    for (auto it = graph_->ops.rbegin(); it != graph_->ops.rend(); ++it) {
      bool live = false;
      for (int t : it->outputs) live = live || needed[t];
      if (!live) continue;
      for (int t : it->inputs)
        if (t >= 0) needed[t] = true;
      kept.push_back(std::move(*it));
    }
    graph_->ops.assign(std::make_move_iterator(kept.rbegin()),
                       std::make_move_iterator(kept.rend()));
    // Drop the tensors nothing references any more and renumber the rest.
    std::vector<int> remap(graph_->tensors.size(), -1);
    auto mark = [&](int t) {
      if (t >= 0) remap[t] = 0;
    };
    for (const auto& op : graph_->ops) {
      for (int t : op.inputs) mark(t);
      for (int t : op.outputs) mark(t);
    }
    for (int t : graph_->inputs) mark(t);
    for (int t : graph_->outputs) mark(t);
    std::vector<ir::Tensor> tensors;
    for (size_t i = 0; i < graph_->tensors.size(); ++i) {
      if (remap[i] < 0) continue;
      remap[i] = static_cast<int>(tensors.size());
      tensors.push_back(std::move(graph_->tensors[i]));
    }
    graph_->tensors = std::move(tensors);
    auto renumber = [&](std::vector<int>* list) {
      for (int& t : *list)
        if (t >= 0) t = remap[t];
    };
    for (auto& op : graph_->ops) {
      renumber(&op.inputs);
      renumber(&op.outputs);
    }
    renumber(&graph_->inputs);
    renumber(&graph_->outputs);
  }

  bool add_graph_input(const onnx::ValueInfoProto& in) {
    const std::string& name = in.name();
    if (!in.type().has_tensor_type()) return fail("graph input '" + name + "' is not a tensor");
    const auto& tt = in.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT) {
      // Only an error if an op reads it as data (Shape of it would still fold).
      Value v;
      v.name = name;
      v.unusable = "graph input '" + name + "' has element type " + std::to_string(tt.elem_type()) +
                   "; only float32 inputs are supported";
      values_[name] = std::move(v);
      return true;
    }
    Dims shape;
    auto given = options_.input_shapes.find(name);
    if (given != options_.input_shapes.end()) {
      shape.assign(given->second.begin(), given->second.end());
      if (tt.has_shape() && tt.shape().dim_size() != static_cast<int>(shape.size()))
        return fail("input shape given for '" + name + "' has rank " +
                    std::to_string(shape.size()) + ", the model's input has rank " +
                    std::to_string(tt.shape().dim_size()));
    } else {
      if (!tt.has_shape())
        return fail("graph input '" + name + "' has no shape; give it with the input shape option");
      for (int i = 0; i < tt.shape().dim_size(); ++i) {
        const auto& d = tt.shape().dim(i);
        if (d.has_dim_value() && d.dim_value() > 0) {
          shape.push_back(d.dim_value());
        } else if (i == 0 && options_.default_dynamic_dim > 0) {
          shape.push_back(options_.default_dynamic_dim);  // dynamic batch
        } else {
          return fail("graph input '" + name + "' has a dynamic dimension " + std::to_string(i) +
                      (d.has_dim_param() ? " ('" + d.dim_param() + "')" : std::string()) +
                      "; give its shape with the input shape option (e.g. " + name +
                      ":1,3,224,224)");
        }
      }
    }
    if (!check_dims(shape)) return fail("graph input '" + name + "': " + error_);
    Value v;
    v.name = name;
    v.shape = shape;
    v.nhwc = shape.size() == 4;
    v.tensor = add_tensor(name, v.nhwc ? nchw_to_nhwc(shape) : shape, false);
    graph_->inputs.push_back(v.tensor);
    // "name:1x3x224x224;..." in ONNX order, so tools can tell users what the model expected.
    std::string dims;
    for (int64_t d : shape) dims += (dims.empty() ? "" : "x") + std::to_string(d);
    source_input_shapes_ += (source_input_shapes_.empty() ? "" : ";") + name + ":" + dims;
    values_[name] = std::move(v);
    return true;
  }

  bool import_node() {
    const std::string& type = node_->op_type();
    if (!node_->domain().empty() && node_->domain() != "ai.onnx") return unsupported();
    if (node_->output_size() == 0) return fail("node has no outputs");
    bool folded = false;
    if (!try_fold(&folded)) return false;
    if (folded) return true;

    if (type == "Identity" || type == "Dropout") {
      Value* x;
      if (!input(0, &x)) return false;
      alias(node_->output(0), *x);
      return true;
    }
    if (type == "Conv") return conv();
    if (type == "Gemm") return gemm();
    if (type == "MatMul") return matmul();
    if (type == "BatchNormalization") return batch_norm();
    if (type == "Add" || type == "Sub" || type == "Mul" || type == "Div") return binary();
    if (type == "Pow") return pow();
    if (type == "Neg") return scale_shift(-1.0f, 0.0f, -INFINITY, INFINITY);
    if (type == "HardSigmoid") {
      const float alpha = attr_f("alpha", 0.2f), beta = attr_f("beta", 0.5f);
      if (std::fabs(alpha - 1.0f / 6.0f) < 1e-6f && beta == 0.5f)  // x * this = HardSwish(x)
        hard_sigmoid_of_.emplace(node_->output(0), node_->input(0));
      return scale_shift(alpha, beta, 0.0f, 1.0f);
    }
    if (type == "Relu") return clamp(0.0f, INFINITY);
    if (type == "Clip") return clip();
    if (type == "Sigmoid") return unary(ir::OpType::Logistic);
    if (type == "Tanh") return unary(ir::OpType::Tanh);
    if (type == "Sqrt") return unary(ir::OpType::Sqrt);
    if (type == "HardSwish") return unary(ir::OpType::HardSwish);
    if (type == "GlobalAveragePool") return global_pool(true);
    if (type == "GlobalMaxPool") return global_pool(false);
    if (type == "ReduceMean") return reduce_mean();
    if (type == "AveragePool" || type == "MaxPool") return pool(type == "MaxPool");
    if (type == "Concat") return concat();
    if (type == "Reshape" || type == "Flatten" || type == "Squeeze" || type == "Unsqueeze")
      return reshape_like();
    if (type == "Transpose") return transpose();
    if (type == "Softmax") return softmax();
    if (type == "Pad") return pad();
    if (type == "Slice") return slice();
    if (type == "Split") return split();
    if (type == "Gather") return gather();
    if (type == "Cast") return cast();
    if (type == "Resize" || type == "Upsample") return resize();
    return unsupported();
  }

  bool unsupported() {
    const std::string& type = node_->op_type();
    std::string domain = node_->domain().empty() ? "" : node_->domain() + ".";
    static const std::set<std::string> kConstantOnly = {"ConstantOfShape", "Equal", "Not", "Range"};
    std::string detail;
    if (type == "Cast") detail = " (to a non-float type on an activation)";
    if (domain.empty() && kConstantOnly.count(type))
      detail = " on activations (only constant inputs are supported, by folding)";
    return fail("unsupported ONNX op '" + domain + type + "'" + detail +
                "; supported ops: " + onnx_supported_ops());
  }

  // ---- constant folding ----
  bool all_inputs_constant() const {
    for (int i = 0; i < node_->input_size(); ++i) {
      if (node_->input(i).empty()) continue;
      auto it = values_.find(node_->input(i));
      if (it == values_.end() || !it->second.is_constant) return false;
    }
    return true;
  }

  bool try_fold(bool* folded) {
    const std::string& type = node_->op_type();
    *folded = true;
    if (type == "Constant") return fold_constant_node();
    if (type == "Shape" || type == "Size") {
      Value* x;
      if (!input(0, &x)) return false;
      const Dims& shape = x->is_constant ? x->constant.dims : x->shape;
      Constant c;
      c.integer = true;
      if (type == "Size") {
        c.values = {static_cast<double>(product(shape))};
      } else {
        const int64_t rank = static_cast<int64_t>(shape.size());
        int64_t start = attr_i("start", 0), end = attr_i("end", rank);
        normalize_slice(rank, 1, &start, &end);
        for (int64_t i = start; i < end; ++i) c.values.push_back(static_cast<double>(shape[i]));
        c.dims = {static_cast<int64_t>(c.values.size())};
      }
      return define_constant(node_->output(0), std::move(c));
    }
    if (type == "ConstantOfShape") {
      const Constant* shape;
      if (!const_input(0, &shape)) return false;
      Constant c;
      c.dims = shape->as_int64();
      int64_t total = 1;
      for (int64_t d : c.dims) {
        if (d < 0 || (d > 0 && total > kMaxFolded / d))
          return fail("invalid shape " + dims_string(c.dims));
        total *= d;
      }
      if (const auto* a = attr("value")) {
        Constant v;
        std::string err;
        if (!read_tensor(a->t(), &v, &err)) return fail(err);
        if (v.size() != 1) return fail("'value' must hold one element");
        c.integer = v.integer;
        c.values.assign(static_cast<size_t>(product(c.dims)), v.values[0]);
      } else {
        c.values.assign(static_cast<size_t>(product(c.dims)), 0.0);
      }
      return define_constant(node_->output(0), std::move(c));
    }
    static const std::set<std::string> kFoldable = {
        "Identity", "Cast",  "Gather", "Concat", "Unsqueeze", "Squeeze", "Reshape",
        "Flatten",  "Slice", "Add",    "Sub",    "Mul",       "Div",     "Neg",
        "Sqrt",     "Equal", "Not",    "Range",  "Transpose", "Relu",    "Pow"};
    if (!kFoldable.count(type) || node_->input_size() == 0 || !all_inputs_constant()) {
      *folded = false;
      return true;
    }
    Constant out;
    if (!fold_node(&out)) return false;
    return define_constant(node_->output(0), std::move(out));
  }

  bool fold_constant_node() {
    Constant c;
    if (const auto* a = attr("value")) {
      std::string err;
      if (!read_tensor(a->t(), &c, &err)) return fail(err);
    } else if (const auto* a = attr("value_float")) {
      c.values = {a->f()};
    } else if (const auto* a = attr("value_floats")) {
      c.values.assign(a->floats().begin(), a->floats().end());
      c.dims = {static_cast<int64_t>(c.values.size())};
    } else if (const auto* a = attr("value_int")) {
      c.integer = true;
      c.values = {static_cast<double>(a->i())};
    } else if (const auto* a = attr("value_ints")) {
      c.integer = true;
      for (int64_t v : a->ints()) c.values.push_back(static_cast<double>(v));
      c.dims = {static_cast<int64_t>(c.values.size())};
    } else {
      return fail("Constant without a supported value attribute");
    }
    return define_constant(node_->output(0), std::move(c));
  }

  int normalize_axis(int64_t axis, size_t rank) const {
    if (axis < 0) axis += static_cast<int64_t>(rank);
    return axis < 0 || axis >= static_cast<int64_t>(rank) ? -1 : static_cast<int>(axis);
  }

  // Squeeze/Unsqueeze axes: attribute before opset 13, second input from 13.
  bool axes_operand(int input_index, Dims* axes, bool* present) {
    *present = false;
    if (const auto* a = attr("axes")) {
      axes->assign(a->ints().begin(), a->ints().end());
      *present = true;
    } else if (has_input(input_index)) {
      const Constant* c;
      if (!const_input(input_index, &c)) return false;
      *axes = c->as_int64();
      *present = true;
    }
    return true;
  }

  // ONNX shape after Reshape / Flatten / Squeeze / Unsqueeze of `in` (the current node).
  bool reshape_shape(const Dims& in, Dims* out) {
    const std::string& type = node_->op_type();
    if (type == "Flatten") {
      int64_t axis = attr_i("axis", 1);
      if (axis < 0) axis += static_cast<int64_t>(in.size());
      if (axis < 0 || axis > static_cast<int64_t>(in.size())) return fail("invalid axis");
      int64_t outer = 1;
      for (int64_t i = 0; i < axis; ++i) outer *= in[i];
      *out = {outer, product(in) / std::max<int64_t>(outer, 1)};
      if (outer == 0) *out = {0, 0};
      return true;
    }
    if (type == "Squeeze") {
      Dims axes;
      bool present;
      if (!axes_operand(1, &axes, &present)) return false;
      std::set<int> drop;
      for (int64_t a : axes) {
        const int axis = normalize_axis(a, in.size());
        if (axis < 0 || in[axis] != 1) return fail("cannot squeeze axis " + std::to_string(a));
        drop.insert(axis);
      }
      out->clear();
      for (size_t i = 0; i < in.size(); ++i)
        if (present ? !drop.count(static_cast<int>(i)) : in[i] != 1) out->push_back(in[i]);
      return true;
    }
    if (type == "Unsqueeze") {
      Dims axes;
      bool present;
      if (!axes_operand(1, &axes, &present)) return false;
      if (!present) return fail("Unsqueeze needs axes");
      const size_t rank = in.size() + axes.size();
      std::vector<bool> inserted(rank, false);
      for (int64_t a : axes) {
        const int axis = normalize_axis(a, rank);
        if (axis < 0 || inserted[axis]) return fail("invalid axes");
        inserted[axis] = true;
      }
      out->clear();
      size_t next = 0;
      for (size_t i = 0; i < rank; ++i) out->push_back(inserted[i] ? 1 : in[next++]);
      return true;
    }
    // Reshape: target from the second input (opset >= 5) or the 'shape' attribute.
    Dims spec;
    if (has_input(1)) {
      const Constant* c;
      if (!const_input(1, &c)) return false;
      spec = c->as_int64();
    } else {
      spec = attr_ints("shape", {});
    }
    const bool allow_zero = attr_i("allowzero", 0) != 0;
    out->clear();
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < spec.size(); ++i) {
      int64_t d = spec[i];
      if (d == 0 && !allow_zero) {
        if (i >= in.size()) return fail("shape entry 0 beyond the input rank");
        d = in[i];
      }
      if (d == -1) {
        if (infer >= 0) return fail("more than one -1 in the target shape");
        infer = static_cast<int>(i);
        d = 1;
      } else if (d < 0) {
        return fail("invalid target shape " + dims_string(spec));
      }
      out->push_back(d);
      known *= d;
    }
    const int64_t total = product(in);
    if (infer >= 0) {
      if (known == 0 || total % known) return fail("cannot infer -1 in " + dims_string(spec));
      (*out)[infer] = total / known;
    }
    if (product(*out) != total)
      return fail("cannot reshape " + dims_string(in) + " to " + dims_string(spec));
    return true;
  }

  bool fold_node(Constant* out) {
    const std::string& type = node_->op_type();
    const Constant* a;
    if (!const_input(0, &a)) return false;
    if (type == "Identity") {
      *out = *a;
      return true;
    }
    if (type == "Cast") {
      const int64_t to = attr_i("to", onnx::TensorProto::FLOAT);
      *out = *a;
      out->integer = !(to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE ||
                       to == onnx::TensorProto::FLOAT16);
      if (out->integer)
        for (double& v : out->values)
          v = to == onnx::TensorProto::BOOL ? (v != 0.0) : std::trunc(v);
      else if (to == onnx::TensorProto::FLOAT)
        for (double& v : out->values) v = static_cast<float>(v);
      return true;
    }
    if (type == "Neg" || type == "Sqrt" || type == "Not" || type == "Relu") {
      *out = *a;
      for (double& v : out->values)
        v = type == "Neg"    ? -v
            : type == "Sqrt" ? std::sqrt(v)
            : type == "Not"  ? (v == 0.0)
                             : std::max(v, 0.0);
      return true;
    }
    if (type == "Add" || type == "Sub" || type == "Mul" || type == "Div" || type == "Equal" ||
        type == "Pow") {
      const Constant* b;
      if (!const_input(1, &b)) return false;
      const bool integer = a->integer && b->integer;
      std::function<double(double, double)> f;
      if (type == "Add") f = [](double x, double y) { return x + y; };
      if (type == "Sub") f = [](double x, double y) { return x - y; };
      if (type == "Mul") f = [](double x, double y) { return x * y; };
      if (type == "Pow") f = [](double x, double y) { return std::pow(x, y); };
      if (type == "Equal") f = [](double x, double y) { return x == y ? 1.0 : 0.0; };
      if (type == "Div")
        f = [integer](double x, double y) {
          if (!integer) return x / y;
          return y == 0 ? 0.0 : std::trunc(x / y);
        };
      if (!fold_binary(*a, *b, f, out))
        return fail("shapes do not broadcast (or result too large)");
      out->integer = type == "Equal" || integer;
      if (!integer && type != "Equal")
        for (double& v : out->values) v = static_cast<float>(v);
      return true;
    }
    if (type == "Range") {
      const Constant *limit, *delta;
      if (!const_input(1, &limit) || !const_input(2, &delta)) return false;
      if (a->size() != 1 || limit->size() != 1 || delta->size() != 1 || delta->values[0] == 0)
        return fail("Range needs scalar start/limit/non-zero delta");
      const double start = a->values[0], step = delta->values[0];
      const double steps = std::ceil((limit->values[0] - start) / step);
      if (!std::isfinite(steps) || steps > static_cast<double>(kMaxFolded))
        return fail("Range too large");
      const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(steps));
      out->integer = a->integer;
      for (int64_t i = 0; i < n; ++i) out->values.push_back(start + i * step);
      out->dims = {n};
      return true;
    }
    if (type == "Unsqueeze" || type == "Squeeze" || type == "Reshape" || type == "Flatten") {
      *out = *a;
      return reshape_shape(a->dims, &out->dims);
    }
    if (type == "Transpose") {
      std::vector<int> perm;
      if (!transpose_perm(a->dims.size(), &perm)) return false;
      *out = transpose_constant(*a, perm);
      return true;
    }
    if (type == "Concat") {
      std::vector<const Constant*> parts;
      for (int i = 0; i < node_->input_size(); ++i) {
        if (node_->input(i).empty()) continue;
        const Constant* c;
        if (!const_input(i, &c)) return false;
        parts.push_back(c);
      }
      const int axis = normalize_axis(attr_i("axis", 0), a->dims.size());
      if (axis < 0) return fail("invalid axis");
      *out = Constant{};
      out->dims = a->dims;
      out->dims[axis] = 0;
      out->integer = true;
      for (const Constant* c : parts) {
        if (c->dims.size() != a->dims.size()) return fail("rank mismatch");
        for (size_t d = 0; d < c->dims.size(); ++d)
          if (static_cast<int>(d) != axis && c->dims[d] != a->dims[d])
            return fail("shape mismatch");
        out->dims[axis] += c->dims[axis];
        out->integer = out->integer && c->integer;
      }
      int64_t outer = 1;
      for (int i = 0; i < axis; ++i) outer *= a->dims[i];
      if (outer == 0) return true;
      for (int64_t o = 0; o < outer; ++o)
        for (const Constant* c : parts) {
          const int64_t chunk = c->size() / outer;
          out->values.insert(out->values.end(), c->values.begin() + o * chunk,
                             c->values.begin() + (o + 1) * chunk);
        }
      if (product(out->dims) != out->size()) return fail("shape mismatch between inputs");
      return true;
    }
    if (type == "Gather") {
      const Constant* indices;
      if (!const_input(1, &indices)) return false;
      const int axis = normalize_axis(attr_i("axis", 0), a->dims.size());
      if (axis < 0) return fail("invalid axis");
      int64_t outer = 1, inner = 1;
      for (int i = 0; i < axis; ++i) outer *= a->dims[i];
      for (size_t i = axis + 1; i < a->dims.size(); ++i) inner *= a->dims[i];
      const int64_t dim = a->dims[axis];
      out->integer = a->integer;
      out->dims.assign(a->dims.begin(), a->dims.begin() + axis);
      out->dims.insert(out->dims.end(), indices->dims.begin(), indices->dims.end());
      out->dims.insert(out->dims.end(), a->dims.begin() + axis + 1, a->dims.end());
      for (int64_t o = 0; o < outer; ++o)
        for (double iv : indices->values) {
          int64_t idx = to_int64(iv);
          if (idx < 0) idx += dim;
          if (idx < 0 || idx >= dim) return fail("index out of range");
          const auto begin = a->values.begin() + (o * dim + idx) * inner;
          out->values.insert(out->values.end(), begin, begin + inner);
        }
      return true;
    }
    if (type == "Slice") {
      Dims begin, size, step;
      if (!slice_params(a->dims, &begin, &size, &step)) return false;
      *out = slice_constant(*a, begin, size, step);
      return true;
    }
    return fail("internal: no folding rule");
  }

  // ---- op helpers ----
  bool transpose_perm(size_t rank, std::vector<int>* perm) {
    Dims p = attr_ints("perm", {});
    perm->clear();
    if (p.empty()) {
      for (int i = static_cast<int>(rank) - 1; i >= 0; --i) perm->push_back(i);
      return true;
    }
    if (p.size() != rank) return fail("perm does not match the input rank");
    std::vector<bool> seen(rank, false);
    for (int64_t v : p) {
      if (v < 0 || v >= static_cast<int64_t>(rank) || seen[v]) return fail("invalid perm");
      seen[v] = true;
      perm->push_back(static_cast<int>(v));
    }
    return true;
  }

  // Per-axis (ONNX order) begin/size/step of the current Slice node applied to `dims`.
  bool slice_params(const Dims& dims, Dims* begin, Dims* size, Dims* step) {
    Dims starts, ends, axes, steps;
    if (opset_ < 10) {
      starts = attr_ints("starts", {});
      ends = attr_ints("ends", {});
      axes = attr_ints("axes", {});
    } else {
      const Constant *s, *e;
      if (!const_input(1, &s) || !const_input(2, &e)) return false;
      starts = s->as_int64();
      ends = e->as_int64();
      if (has_input(3)) {
        const Constant* c;
        if (!const_input(3, &c)) return false;
        axes = c->as_int64();
      }
      if (has_input(4)) {
        const Constant* c;
        if (!const_input(4, &c)) return false;
        steps = c->as_int64();
      }
    }
    if (starts.size() != ends.size()) return fail("starts and ends differ in length");
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size())
      return fail("axes/steps length mismatch");
    begin->assign(dims.size(), 0);
    *size = dims;
    step->assign(dims.size(), 1);
    for (size_t i = 0; i < starts.size(); ++i) {
      const int axis = normalize_axis(axes[i], dims.size());
      if (axis < 0) return fail("invalid axis " + std::to_string(axes[i]));
      if (steps[i] == 0) return fail("step 0");
      int64_t s = starts[i], e = ends[i];
      (*size)[axis] = normalize_slice(dims[axis], steps[i], &s, &e);
      (*begin)[axis] = s;
      (*step)[axis] = steps[i];
    }
    return true;
  }

  struct Window {
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
    int64_t pt = 0, pl = 0, pb = 0, pr = 0;
    int64_t out_h = 0, out_w = 0;
  };

  // Kernel / stride / dilation / padding of Conv and pooling nodes on an NCHW input.
  // A 1-D window (3-D input [N, C, L]) is the 2-D window of [N, C, 1, L] with kh == 1.
  bool window(const Dims& input_shape, int64_t kh, int64_t kw, bool ceil_mode_ok, Window* w) {
    const bool one_d = input_shape.size() == 3;
    const Dims in = one_d ? Dims{input_shape[0], input_shape[1], 1, input_shape[2]} : input_shape;
    w->kh = kh;
    w->kw = kw;
    Dims strides = attr_ints("strides", one_d ? Dims{1} : Dims{1, 1});
    Dims dilations = attr_ints("dilations", one_d ? Dims{1} : Dims{1, 1});
    if (one_d && strides.size() == 1 && dilations.size() == 1) {
      strides.insert(strides.begin(), 1);
      dilations.insert(dilations.begin(), 1);
    }
    if (strides.size() != 2 || dilations.size() != 2)
      return fail("strides/dilations do not match the 1-D or 2-D window");
    w->sh = strides[0];
    w->sw = strides[1];
    w->dh = dilations[0];
    w->dw = dilations[1];
    if (w->sh <= 0 || w->sw <= 0 || w->dh <= 0 || w->dw <= 0 || kh <= 0 || kw <= 0 ||
        kh > (int64_t{1} << 24) || kw > (int64_t{1} << 24) || w->dh > (int64_t{1} << 24) ||
        w->dw > (int64_t{1} << 24))
      return fail("invalid kernel, strides or dilations");
    const int64_t ekh = (kh - 1) * w->dh + 1, ekw = (kw - 1) * w->dw + 1;
    const std::string auto_pad = attr_s("auto_pad", "NOTSET");
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      auto same = [&](int64_t size, int64_t stride, int64_t extent, int64_t* before,
                      int64_t* after) {
        const int64_t out = (size + stride - 1) / stride;
        const int64_t total = std::max<int64_t>(0, (out - 1) * stride + extent - size);
        *before = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        *after = total - *before;
      };
      same(in[2], w->sh, ekh, &w->pt, &w->pb);
      same(in[3], w->sw, ekw, &w->pl, &w->pr);
    } else if (auto_pad == "NOTSET") {
      Dims pads = attr_ints("pads", one_d ? Dims{0, 0} : Dims{0, 0, 0, 0});
      if (one_d && pads.size() == 2) pads = {0, pads[0], 0, pads[1]};
      if (pads.size() != 4) return fail("pads must have 2 entries per spatial axis");
      w->pt = pads[0];
      w->pl = pads[1];
      w->pb = pads[2];
      w->pr = pads[3];
      if (w->pt < 0 || w->pl < 0 || w->pb < 0 || w->pr < 0) return fail("negative pads");
    } else if (auto_pad != "VALID") {
      return fail("unknown auto_pad '" + auto_pad + "'");
    }
    constexpr int64_t kMaxWindow = int64_t{1} << 24;
    for (int64_t v : {w->kh, w->kw, w->sh, w->sw, w->dh, w->dw, w->pt, w->pl, w->pb, w->pr})
      if (v > kMaxWindow) return fail("kernel, stride, dilation or padding out of range");
    const int64_t span_h = in[2] + w->pt + w->pb - ekh, span_w = in[3] + w->pl + w->pr - ekw;
    if (span_h < 0 || span_w < 0) return fail("kernel larger than the padded input");
    w->out_h = span_h / w->sh + 1;
    w->out_w = span_w / w->sw + 1;
    if (attr_i("ceil_mode", 0) != 0) {
      if (!ceil_mode_ok) return fail("ceil_mode is not supported here");
      // ceil_mode adds a last window when it would start inside the input or the begin padding.
      auto ceil_extra = [](int64_t span, int64_t stride, int64_t in_size, int64_t pad_begin,
                           int64_t* pad_end) {
        if (span % stride == 0) return;
        const int64_t last_start = (span / stride + 1) * stride;
        if (last_start >= in_size + pad_begin) return;
        *pad_end += stride - span % stride;
      };
      ceil_extra(span_h, w->sh, in[2], w->pt, &w->pb);
      ceil_extra(span_w, w->sw, in[3], w->pl, &w->pr);
      w->out_h = (in[2] + w->pt + w->pb - ekh) / w->sh + 1;
      w->out_w = (in[3] + w->pl + w->pr - ekw) / w->sw + 1;
    }
    return true;
  }

  // ---- ops ----
  bool conv() {
    Value* x;
    const Constant* w;
    if (!act_input(0, &x) || !const_input(1, &w)) return false;
    const bool one_d = x->shape.size() == 3 && w->dims.size() == 3;
    if (!one_d && (x->shape.size() != 4 || w->dims.size() != 4))
      return fail(
          "only 1-D and 2-D convolution (3-D or 4-D input and weights) are supported, input is " +
          dims_string(x->shape));
    const int64_t group = attr_i("group", 1);
    const int64_t oc = w->dims[0], icg = w->dims[1], kh = one_d ? 1 : w->dims[2],
                  kw = w->dims.back();
    const int64_t c = x->shape[1];
    if (group <= 0 || icg * group != c || oc % group)
      return fail("weights " + dims_string(w->dims) + " do not match input channels " +
                  std::to_string(c) + " with group " + std::to_string(group));
    std::vector<float> bias(static_cast<size_t>(oc), 0.0f);
    if (has_input(2)) {
      const Constant* b;
      if (!const_input(2, &b)) return false;
      if (b->size() != oc) return fail("bias size does not match output channels");
      bias = b->as_float();
    }
    Window win;
    if (!window(x->shape, kh, kw, false, &win)) return false;
    const Dims in = x->shape;
    int xt = tensor_in(*x, true);
    if (one_d) xt = view_as_2d(xt, {in[0], 1, in[2], c});
    const bool depthwise = group > 1 && group == c && icg == 1;
    std::vector<float> weights(static_cast<size_t>(w->size()));
    Dims weight_shape;
    if (depthwise) {  // [KH][KW][OC]
      weight_shape = {kh, kw, oc};
      for (int64_t o = 0; o < oc; ++o)
        for (int64_t i = 0; i < kh * kw; ++i) weights[i * oc + o] = w->values[o * kh * kw + i];
    } else {  // [OC][KH][KW][IC/groups]
      weight_shape = {oc, kh, kw, icg};
      for (int64_t o = 0; o < oc; ++o)
        for (int64_t ci = 0; ci < icg; ++ci)
          for (int64_t k = 0; k < kh * kw; ++k)
            weights[(o * kh * kw + k) * icg + ci] = w->values[(o * icg + ci) * kh * kw + k];
    }
    const int wt = add_const_tensor(node_->input(1), weight_shape, weights);
    const int bt = add_const_tensor(has_input(2) ? node_->input(2) : op_name("bias"), {oc}, bias);
    fb::Conv2DOptionsT o;
    o.stride_h = static_cast<int32_t>(win.sh);
    o.stride_w = static_cast<int32_t>(win.sw);
    o.dilation_h = static_cast<int32_t>(win.dh);
    o.dilation_w = static_cast<int32_t>(win.dw);
    o.pad_top = static_cast<int32_t>(win.pt);
    o.pad_left = static_cast<int32_t>(win.pl);
    o.pad_bottom = static_cast<int32_t>(win.pb);
    o.pad_right = static_cast<int32_t>(win.pr);
    if (depthwise) {
      o.depth_multiplier = static_cast<int32_t>(oc / c);
    } else {
      o.groups = static_cast<int32_t>(group);
    }
    const ir::OpType type = depthwise ? ir::OpType::DepthwiseConv2D : ir::OpType::Conv2D;
    if (one_d) {
      const int y4 = add_tensor(op_name("2d"), {in[0], 1, win.out_w, oc}, false);
      const int op = emit(type, {xt, wt, bt}, {y4}, options_of(std::move(o)));
      const int out = new_output(0, {in[0], oc, win.out_w}, true);
      view_of_[emit(ir::OpType::Reshape, {y4}, {out}, options_of(fb::ReshapeOptionsT{}), "as_1d")] =
          op;
      return true;
    }
    const int out = new_output(0, {in[0], oc, win.out_h, win.out_w}, true);
    emit(type, {xt, wt, bt}, {out}, options_of(std::move(o)));
    return true;
  }

  // [N, L, C] tensor viewed as [N, 1, L, C] for the 2-D kernels (same bytes: a Reshape).
  int view_as_2d(int tensor, const Dims& shape4) {
    const int out = add_tensor(graph_->tensors[tensor].name + "/2d", shape4, false);
    emit(ir::OpType::Reshape, {tensor}, {out}, options_of(fb::ReshapeOptionsT{}), "as_2d");
    return out;
  }

  // FullyConnected y = x * W^T + bias on the activation `x` (ONNX order), weights [N][K].
  int fully_connected(Value& x, const std::vector<float>& weights, int64_t n, int64_t k,
                      const std::vector<float>& bias, const std::string& weight_name,
                      int out_index) {
    const int xt = tensor_in(x, false);
    const int wt = add_const_tensor(weight_name, {n, k}, weights);
    const int bt = add_const_tensor(op_name("bias"), {n}, bias);
    Dims out_shape = x.shape;
    out_shape.back() = n;
    const int out = new_output(out_index, out_shape, false);
    emit(ir::OpType::FullyConnected, {xt, wt, bt}, {out});
    return out;
  }

  bool gemm() {
    Value* a;
    const Constant* b;
    if (!act_input(0, &a)) return false;
    if (!const_input(1, &b))
      return fail("Gemm with a non-constant B is not supported (use MatMul)");
    if (a->shape.size() != 2 || b->dims.size() != 2) return fail("Gemm needs 2-D A and B");
    const bool trans_a = attr_i("transA", 0) != 0, trans_b = attr_i("transB", 0) != 0;
    const float alpha = attr_f("alpha", 1.0f), beta = attr_f("beta", 1.0f);
    Value a_value = *a;
    if (trans_a) {  // materialise A^T with a Transpose op
      const int at = tensor_in(*a, false);
      a_value.shape = {a->shape[1], a->shape[0]};
      a_value.tensor = add_tensor(a->name + "/T", a_value.shape, false);
      a_value.converted = -1;
      fb::TransposeOptionsT t;
      t.perm = {1, 0};
      emit(ir::OpType::Transpose, {at}, {a_value.tensor}, options_of(std::move(t)), "transpose_a");
    }
    const int64_t m = a_value.shape[0], k = a_value.shape[1];
    const int64_t n = trans_b ? b->dims[0] : b->dims[1];
    if ((trans_b ? b->dims[1] : b->dims[0]) != k)
      return fail("A " + dims_string(a_value.shape) + " and B " + dims_string(b->dims) +
                  " do not match");
    std::vector<float> weights(static_cast<size_t>(n * k));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < k; ++j)
        weights[i * k + j] =
            alpha * static_cast<float>(trans_b ? b->values[i * k + j] : b->values[j * n + i]);
    std::vector<float> bias(static_cast<size_t>(n), 0.0f);
    const Constant* c = nullptr;
    bool c_as_bias = true;
    if (has_input(2)) {
      if (!const_input(2, &c)) return false;
      Dims full;
      if (!broadcast_shapes(c->dims, {m, n}, &full) || full != Dims{m, n})
        return fail("C " + dims_string(c->dims) + " does not broadcast to [M,N]");
      const Dims aligned = [&] {
        Dims d(2 - std::min<size_t>(2, c->dims.size()), 1);
        d.insert(d.end(), c->dims.begin(), c->dims.end());
        return d;
      }();
      c_as_bias = aligned[0] == 1;
      if (c_as_bias)
        for (int64_t i = 0; i < n; ++i)
          bias[i] = beta * static_cast<float>(c->values[aligned[1] == 1 ? 0 : i]);
    }
    if (c_as_bias) {
      fully_connected(a_value, weights, n, k, bias, node_->input(1), 0);
      return true;
    }
    // C varies over rows: FC, then Add of beta * C.
    const int fc_out = add_tensor(op_name("fc"), {m, n}, false);
    const int at = tensor_in(a_value, false);
    const int wt = add_const_tensor(node_->input(1), {n, k}, weights);
    const int bt = add_const_tensor(op_name("bias"), {n}, bias);
    emit(ir::OpType::FullyConnected, {at, wt, bt}, {fc_out}, {}, "fc");
    std::vector<float> cv = c->as_float();
    for (float& v : cv) v *= beta;
    const int ct = add_const_tensor(node_->input(2), c->dims, cv);
    const int out = new_output(0, {m, n}, false);
    emit(ir::OpType::Add, {fc_out, ct}, {out});
    return true;
  }

  bool matmul() {
    Value *a, *bv;
    if (!input(0, &a) || !input(1, &bv)) return false;
    if (a->is_constant) return fail("MatMul with a constant first operand is not supported");
    if (a->shape.size() < 2) return fail("MatMul with a 1-D first operand is not supported");
    if (bv->is_constant) {
      const Constant& b = bv->constant;
      if (b.dims.size() != 2)
        return fail("MatMul with constant B of rank " + std::to_string(b.dims.size()) +
                    " is not supported");
      const int64_t k = b.dims[0], n = b.dims[1];
      if (a->shape.back() != k) return fail("inner dimensions do not match");
      std::vector<float> weights(static_cast<size_t>(n * k));
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < k; ++j)
          weights[i * k + j] = static_cast<float>(b.values[j * n + i]);
      fully_connected(*a, weights, n, k, std::vector<float>(static_cast<size_t>(n), 0.0f),
                      node_->input(1), 0);
      return true;
    }
    if (bv->shape.size() < 2) return fail("MatMul with a 1-D second operand is not supported");
    const Dims& as = a->shape;
    const Dims& bs = bv->shape;
    if (as.back() != bs[bs.size() - 2]) return fail("inner dimensions do not match");
    Dims batch;
    if (!broadcast_shapes(Dims(as.begin(), as.end() - 2), Dims(bs.begin(), bs.end() - 2), &batch))
      return fail("batch dimensions do not broadcast");
    Dims out_shape = batch;
    out_shape.push_back(as[as.size() - 2]);
    out_shape.push_back(bs.back());
    const int at = tensor_in(*a, false), bt = tensor_in(*bv, false);
    const int out = new_output(0, out_shape, false);
    emit(ir::OpType::BatchMatMul, {at, bt}, {out});
    return true;
  }

  // Scales and shifts the output channels of a Conv/FC op in place: y' = y * scale + shift.
  void fold_affine_into(int op_index, const std::vector<float>& scale,
                        const std::vector<float>& shift) {
    ir::Op& op = graph_->ops[op_index];
    const int wt = op.inputs[1], bt = op.inputs[2];
    std::vector<float> w = const_data(wt), b = const_data(bt);
    const size_t oc = b.size();
    auto at = [](const std::vector<float>& v, size_t i) { return v.size() == 1 ? v[0] : v[i]; };
    if (op.type == ir::OpType::DepthwiseConv2D) {
      for (size_t i = 0; i < w.size(); ++i) w[i] *= at(scale, i % oc);
    } else {
      const size_t per_channel = w.size() / oc;
      for (size_t i = 0; i < w.size(); ++i) w[i] *= at(scale, i / per_channel);
    }
    for (size_t c = 0; c < oc; ++c) b[c] = b[c] * at(scale, c) + at(shift, c);
    set_const_data(wt, w);
    set_const_data(bt, b);
  }

  // Per-output-channel values of constant `c` applied to the stored output of GEMM-like op
  // `op`, or false if `c` varies along anything but the channel (last stored) axis.
  bool channel_vector(const Constant& stored_c, int op_index, std::vector<float>* out) {
    const ir::Op& op = graph_->ops[op_index];
    const auto& y_shape = graph_->tensors[op.outputs[0]].shape;
    if (stored_c.dims.size() > y_shape.size()) return false;
    const size_t oc = static_cast<size_t>(y_shape.back());
    for (size_t i = 0; i + 1 < stored_c.dims.size(); ++i)
      if (stored_c.dims[i] != 1) return false;
    const int64_t last = stored_c.dims.empty() ? 1 : stored_c.dims.back();
    if (last != 1 && last != static_cast<int64_t>(oc)) return false;
    *out = stored_c.as_float();
    return true;
  }

  bool batch_norm() {
    Value* x;
    const Constant *scale, *bias, *mean, *var;
    if (!act_input(0, &x) || !const_input(1, &scale) || !const_input(2, &bias) ||
        !const_input(3, &mean) || !const_input(4, &var))
      return false;
    if (x->shape.size() < 2) return fail("input must have a channel axis");
    const int64_t c = x->shape[1];
    if (scale->size() != c || bias->size() != c || mean->size() != c || var->size() != c)
      return fail("parameters do not match channel count");
    const double eps = attr_f("epsilon", 1e-5f);
    std::vector<float> s(static_cast<size_t>(c)), t(static_cast<size_t>(c));
    for (int64_t i = 0; i < c; ++i) {
      const double k = scale->values[i] / std::sqrt(var->values[i] + eps);
      s[i] = static_cast<float>(k);
      t[i] = static_cast<float>(bias->values[i] - mean->values[i] * k);
    }
    const int producer = fusable_producer(*x);
    const bool channel_last = x->nhwc || x->shape.size() == 2;
    if (producer >= 0 && is_gemm_like(graph_->ops[producer].type) &&
        !has_activation(graph_->ops[producer]) && channel_last) {
      fold_affine_into(producer, s, t);
      fuse_into(*x, 0);
      return true;
    }
    // Mul + Add with per-channel constants shaped to broadcast along the stored channel axis.
    Dims cshape;
    if (channel_last) {
      cshape = {c};
    } else {
      cshape.assign(x->shape.size() - 1, 1);
      cshape[0] = c;
    }
    const int xt = x->tensor;
    const Dims out_shape = x->shape;
    const bool nhwc = x->nhwc;
    const int st = add_const_tensor(op_name("scale"), cshape, s);
    const int tt = add_const_tensor(op_name("shift"), cshape, t);
    const int mid =
        add_tensor(op_name("scaled"), nhwc ? nchw_to_nhwc(out_shape) : out_shape, false);
    emit(ir::OpType::Mul, {xt, st}, {mid}, {}, "scale");
    const int out = new_output(0, out_shape, nhwc);
    emit(ir::OpType::Add, {mid, tt}, {out}, {}, "shift");
    return true;
  }

  bool binary() {
    const std::string& type = node_->op_type();
    const ir::OpType op_type = type == "Add"   ? ir::OpType::Add
                               : type == "Sub" ? ir::OpType::Sub
                               : type == "Mul" ? ir::OpType::Mul
                                               : ir::OpType::Div;
    Value *a, *b;
    if (!input(0, &a) || !input(1, &b)) return false;
    const Dims a_shape = a->is_constant ? a->constant.dims : a->shape;
    const Dims b_shape = b->is_constant ? b->constant.dims : b->shape;
    Dims out_shape;
    if (!broadcast_shapes(a_shape, b_shape, &out_shape))
      return fail("shapes " + dims_string(a_shape) + " and " + dims_string(b_shape) +
                  " do not broadcast");
    if (a->is_constant || b->is_constant) {
      Value& act = a->is_constant ? *b : *a;
      const Constant& c = a->is_constant ? a->constant : b->constant;
      const bool nhwc = act.nhwc && c.dims.size() <= act.shape.size();
      Value act_view = act;
      act_view.nhwc = nhwc;
      const Constant stored_c = constant_like(c, act_view);
      // Fold per-channel constants into a preceding Conv / FC (bias add, BN-like scale).
      const int producer = fusable_producer(act);
      std::vector<float> channel;
      if (producer >= 0 && is_gemm_like(graph_->ops[producer].type) &&
          !has_activation(graph_->ops[producer]) && out_shape == act.shape && nhwc == act.nhwc &&
          (nhwc || act.shape.size() == 2 ||
           graph_->ops[producer].type == ir::OpType::FullyConnected) &&
          channel_vector(stored_c, producer, &channel)) {
        const std::vector<float> one(1, 1.0f), zero(1, 0.0f);
        bool folded = true;
        if (op_type == ir::OpType::Add) {
          fold_affine_into(producer, one, channel);
        } else if (op_type == ir::OpType::Sub && !a->is_constant) {
          for (float& v : channel) v = -v;
          fold_affine_into(producer, one, channel);
        } else if (op_type == ir::OpType::Mul) {
          fold_affine_into(producer, channel, zero);
        } else if (op_type == ir::OpType::Div && !a->is_constant) {
          for (float& v : channel) v = 1.0f / v;
          fold_affine_into(producer, channel, zero);
        } else {
          folded = false;
        }
        if (folded) {
          fuse_into(act, 0);
          return true;
        }
      }
      const int xt = tensor_in(act, nhwc);
      const int ct = add_const_tensor(a->is_constant ? node_->input(0) : node_->input(1),
                                      stored_c.dims, stored_c.as_float());
      const int out = new_output(0, out_shape, nhwc);
      emit(op_type, a->is_constant ? std::vector<int>{ct, xt} : std::vector<int>{xt, ct}, {out});
      return true;
    }
    // x * HardSigmoid(x) (alpha 1/6, beta 1/2) is HardSwish(x); the HardSigmoid ops become dead.
    if (op_type == ir::OpType::Mul) {
      for (int i = 0; i < 2; ++i) {
        auto it = hard_sigmoid_of_.find(node_->input(i));
        if (it == hard_sigmoid_of_.end() || it->second != node_->input(1 - i)) continue;
        Value* x = i == 0 ? b : a;
        const int xt = x->tensor;
        const int out = new_output(0, x->shape, x->nhwc);
        emit(ir::OpType::HardSwish, {xt}, {out});
        return true;
      }
    }
    // Two activations: NHWC when both are 4-D, ONNX order otherwise.
    const bool nhwc = a->shape.size() == b->shape.size() && has_channels_last(a->shape.size()) &&
                      (a->nhwc || b->nhwc);
    const int at = tensor_in(*a, nhwc), bt = tensor_in(*b, nhwc);
    const int out = new_output(0, out_shape, nhwc);
    emit(op_type, {at, bt}, {out});
    return true;
  }

  bool pow() {
    Value* x;
    const Constant* e;
    if (!act_input(0, &x) || !const_input(1, &e)) return false;
    if (e->size() != 1) return fail("only a scalar exponent is supported");
    const double p = e->values[0];
    const int xt = x->tensor;
    if (p == 1.0) {
      alias(node_->output(0), *x);
      return true;
    }
    if (p == 0.5) {
      const int out = new_output(0, x->shape, x->nhwc);
      emit(ir::OpType::Sqrt, {xt}, {out});
      return true;
    }
    if (p == 2.0) {
      const int out = new_output(0, x->shape, x->nhwc);
      emit(ir::OpType::Mul, {xt, xt}, {out});
      return true;
    }
    return fail("only exponents 0.5, 1 and 2 are supported, got " + std::to_string(p));
  }

  // y = clamp(x * scale + shift, lo, hi) (Neg, HardSigmoid).
  bool scale_shift(float scale, float shift, float lo, float hi) {
    Value* x;
    if (!act_input(0, &x)) return false;
    const bool nhwc = x->nhwc;
    const Dims shape = x->shape;
    int t = x->tensor;
    const int st = add_const_tensor(op_name("scale"), {1}, {scale});
    const int ht = add_const_tensor(op_name("shift"), {1}, {shift});
    const int mid = add_tensor(op_name("scaled"), nhwc ? nchw_to_nhwc(shape) : shape, false);
    emit(ir::OpType::Mul, {t, st}, {mid}, {}, "scale");
    const int out = new_output(0, shape, nhwc);
    const int op = emit(ir::OpType::Add, {mid, ht}, {out}, {}, "shift");
    set_clamp(&graph_->ops[op], lo, hi);
    return true;
  }

  static void set_clamp(ir::Op* op, float lo, float hi) {
    op->act_min = std::max(op->act_min, lo);
    op->act_max = std::min(op->act_max, hi);
    if (op->act_min == 0.0f && std::isinf(op->act_max)) {
      op->activation = ir::Activation::Relu;
    } else if (op->act_min == 0.0f && op->act_max == 6.0f) {
      op->activation = ir::Activation::Relu6;
    } else if (op->act_min == -1.0f && op->act_max == 1.0f) {
      op->activation = ir::Activation::ReluN1To1;
    } else {
      op->activation = ir::Activation::None;
    }
  }

  // Relu / Clip: fused into the producer when possible, else Relu / Relu6 ops, else an
  // "x + 0" Add carrying the clamp (float ops clamp to act_min/act_max).
  bool clamp(float lo, float hi) {
    Value* x;
    if (!act_input(0, &x)) return false;
    if (lo > hi) return fail("min > max");
    const int producer = fusable_producer(*x);
    if (producer >= 0) {
      const ir::OpType t = graph_->ops[producer].type;
      if (is_gemm_like(t) || t == ir::OpType::Add || t == ir::OpType::Sub || t == ir::OpType::Mul ||
          t == ir::OpType::Div) {
        set_clamp(&graph_->ops[producer], lo, hi);
        fuse_into(*x, 0);
        return true;
      }
    }
    const int xt = x->tensor;
    const int out = new_output(0, x->shape, x->nhwc);
    if (lo == 0.0f && std::isinf(hi)) {
      emit(ir::OpType::Relu, {xt}, {out});
    } else if (lo == 0.0f && hi == 6.0f) {
      emit(ir::OpType::Relu6, {xt}, {out});
    } else {
      const int zero = add_const_tensor(op_name("zero"), {1}, {0.0f});
      const int op = emit(ir::OpType::Add, {xt, zero}, {out});
      set_clamp(&graph_->ops[op], lo, hi);
    }
    return true;
  }

  bool clip() {
    float lo = -INFINITY, hi = INFINITY;
    if (opset_ < 11) {
      lo = attr_f("min", lo);
      hi = attr_f("max", hi);
    } else {
      for (int i = 1; i <= 2; ++i) {
        if (!has_input(i)) continue;
        const Constant* c;
        if (!const_input(i, &c)) return false;
        if (c->size() != 1) return fail("min/max must be scalars");
        (i == 1 ? lo : hi) = static_cast<float>(c->values[0]);
      }
    }
    return clamp(lo, hi);
  }

  bool unary(ir::OpType type) {
    Value* x;
    if (!act_input(0, &x)) return false;
    const int xt = x->tensor;
    const int out = new_output(0, x->shape, x->nhwc);
    emit(type, {xt}, {out});
    return true;
  }

  bool global_pool(bool average) {
    Value* x;
    if (!act_input(0, &x)) return false;
    const Dims in = x->shape;
    if (in.size() == 3 && average) {  // [N, C, L] -> Mean over L of the NLC tensor
      const int xt = tensor_in(*x, true);
      const int out = new_output(0, {in[0], in[1], 1}, true);
      fb::MeanOptionsT m;
      m.axes = {1};
      m.keep_dims = true;
      emit(ir::OpType::Mean, {xt}, {out}, options_of(std::move(m)));
      return true;
    }
    if (in.size() != 4)
      return fail("only 4-D inputs (and 3-D for GlobalAveragePool) are supported");
    const int xt = tensor_in(*x, true);
    const int out = new_output(0, {in[0], in[1], 1, 1}, true);
    if (average) {
      fb::MeanOptionsT m;
      m.axes = {1, 2};
      m.keep_dims = true;
      emit(ir::OpType::Mean, {xt}, {out}, options_of(std::move(m)));
    } else {
      fb::Pool2DOptionsT p;
      p.filter_h = static_cast<int32_t>(in[2]);
      p.filter_w = static_cast<int32_t>(in[3]);
      p.stride_h = p.filter_h;
      p.stride_w = p.filter_w;
      emit(ir::OpType::MaxPool2D, {xt}, {out}, options_of(std::move(p)));
    }
    return true;
  }

  bool reduce_mean() {
    Value* x;
    if (!act_input(0, &x)) return false;
    const size_t rank = x->shape.size();
    Dims axes = attr_ints("axes", {});
    if (axes.empty() && has_input(1)) {  // opset 18 form
      const Constant* c;
      if (!const_input(1, &c)) return false;
      axes = c->as_int64();
    }
    const bool keep = attr_i("keepdims", 1) != 0;
    std::vector<bool> reduce(rank, axes.empty());
    for (int64_t a : axes) {
      const int axis = normalize_axis(a, rank);
      if (axis < 0) return fail("invalid axis " + std::to_string(a));
      reduce[axis] = true;
    }
    Dims out_shape;
    for (size_t i = 0; i < rank; ++i)
      if (!reduce[i] || keep) out_shape.push_back(reduce[i] ? 1 : x->shape[i]);
    // Without keepdims, the kept axes must come out in ONNX order: stay NHWC only if they do.
    bool nhwc = x->nhwc;
    if (nhwc && !keep) {
      int previous = -1;
      for (int s = 0; s < static_cast<int>(rank); ++s) {
        const int onnx_axis = onnx_axis_of_channels_last(s, rank);
        if (reduce[onnx_axis]) continue;
        if (onnx_axis < previous) nhwc = false;
        previous = onnx_axis;
      }
    }
    Value view = *x;
    view.nhwc = nhwc;
    const int xt = tensor_in(*x, nhwc);
    fb::MeanOptionsT m;
    for (size_t i = 0; i < rank; ++i)
      if (reduce[i]) m.axes.push_back(stored_axis(view, static_cast<int>(i)));
    std::sort(m.axes.begin(), m.axes.end());
    m.keep_dims = keep;
    const int out = new_output(0, out_shape, nhwc && keep);
    emit(ir::OpType::Mean, {xt}, {out}, options_of(std::move(m)));
    return true;
  }

  bool pool(bool max) {
    Value* x;
    if (!act_input(0, &x)) return false;
    const bool one_d = x->shape.size() == 3;
    if (!one_d && x->shape.size() != 4)
      return fail("only 1-D and 2-D pooling (3-D or 4-D input) are supported");
    Dims kernel = attr_ints("kernel_shape", {});
    if (one_d && kernel.size() == 1) kernel.insert(kernel.begin(), 1);
    if (kernel.size() != 2) return fail("kernel_shape does not match the input rank");
    Window win;
    if (!window(x->shape, kernel[0], kernel[1], true, &win)) return false;
    if (win.dh != 1 || win.dw != 1) return fail("dilated pooling is not supported");
    const Dims in = x->shape;
    int xt = tensor_in(*x, true);
    if (one_d) xt = view_as_2d(xt, {in[0], 1, in[2], in[1]});
    const int out = one_d ? add_tensor(op_name("2d"), {in[0], 1, win.out_w, in[1]}, false)
                          : new_output(0, {in[0], in[1], win.out_h, win.out_w}, true);
    fb::Pool2DOptionsT p;
    p.filter_h = static_cast<int32_t>(win.kh);
    p.filter_w = static_cast<int32_t>(win.kw);
    p.stride_h = static_cast<int32_t>(win.sh);
    p.stride_w = static_cast<int32_t>(win.sw);
    p.pad_top = static_cast<int32_t>(win.pt);
    p.pad_left = static_cast<int32_t>(win.pl);
    p.pad_bottom = static_cast<int32_t>(win.pb);
    p.pad_right = static_cast<int32_t>(win.pr);
    p.count_include_pad = !max && attr_i("count_include_pad", 0) != 0;
    const int op = emit(max ? ir::OpType::MaxPool2D : ir::OpType::AveragePool2D, {xt}, {out},
                        options_of(std::move(p)));
    if (one_d) {
      const int y = new_output(0, {in[0], in[1], win.out_w}, true);
      view_of_[emit(ir::OpType::Reshape, {out}, {y}, options_of(fb::ReshapeOptionsT{}), "as_1d")] =
          op;
    }
    return true;
  }

  bool concat() {
    std::vector<Value*> parts;
    bool any_nhwc = false;
    for (int i = 0; i < node_->input_size(); ++i) {
      if (node_->input(i).empty()) continue;
      Value* v;
      if (!input(i, &v)) return false;
      parts.push_back(v);
      any_nhwc = any_nhwc || (!v->is_constant && v->nhwc);
    }
    if (parts.empty()) return fail("Concat without inputs");
    const Dims& first = parts[0]->is_constant ? parts[0]->constant.dims : parts[0]->shape;
    const int axis = normalize_axis(attr_i("axis", 0), first.size());
    if (axis < 0) return fail("invalid axis");
    Dims out_shape = first;
    out_shape[axis] = 0;
    for (Value* v : parts) {
      const Dims& s = v->is_constant ? v->constant.dims : v->shape;
      if (s.size() != first.size()) return fail("inputs differ in rank");
      for (size_t d = 0; d < s.size(); ++d)
        if (static_cast<int>(d) != axis && s[d] != first[d]) return fail("inputs differ in shape");
      out_shape[axis] += s[axis];
    }
    const bool nhwc = any_nhwc && has_channels_last(first.size());
    Value view;  // the output's layout
    view.nhwc = nhwc;
    view.shape = out_shape;
    std::vector<int> inputs;
    for (Value* v : parts) {
      if (v->is_constant) {
        const Constant c = constant_like(v->constant, view);
        inputs.push_back(add_const_tensor(v->name, c.dims, c.as_float()));
      } else {
        inputs.push_back(tensor_in(*v, nhwc));
      }
    }
    fb::ConcatOptionsT c;
    c.axis = stored_axis(view, axis);
    const int out = new_output(0, out_shape, nhwc);
    emit(ir::OpType::Concat, inputs, {out}, options_of(std::move(c)));
    return true;
  }

  bool reshape_like() {
    Value* x;
    if (!act_input(0, &x)) return false;
    Dims out_shape;
    if (!reshape_shape(x->shape, &out_shape)) return false;
    const int xt = tensor_in(*x, false);  // reshape semantics follow ONNX (NCHW) memory order
    const int out = new_output(0, out_shape, false);
    emit(ir::OpType::Reshape, {xt}, {out}, options_of(fb::ReshapeOptionsT{}));
    return true;
  }

  bool transpose() {
    Value* x;
    if (!act_input(0, &x)) return false;
    std::vector<int> perm;
    if (!transpose_perm(x->shape.size(), &perm)) return false;
    Dims out_shape;
    for (int p : perm) out_shape.push_back(x->shape[p]);
    // Stored permutation from the input's stored layout to the output's (NHWC if 4-D).
    const bool out_nhwc = out_shape.size() == 4;
    std::vector<int32_t> stored_perm;
    bool identity = true;
    for (size_t i = 0; i < perm.size(); ++i) {
      const int out_onnx_axis =
          out_nhwc ? onnx_axis_of_channels_last(static_cast<int>(i), 4) : static_cast<int>(i);
      const int q = stored_axis(*x, perm[out_onnx_axis]);
      identity = identity && q == static_cast<int>(i);
      stored_perm.push_back(q);
    }
    if (identity) {
      Value v = *x;
      v.shape = out_shape;
      v.nhwc = out_nhwc;
      v.converted = -1;
      alias(node_->output(0), v);
      return true;
    }
    const int xt = x->tensor;
    const int out = new_output(0, out_shape, out_nhwc);
    fb::TransposeOptionsT t;
    t.perm = stored_perm;
    emit(ir::OpType::Transpose, {xt}, {out}, options_of(std::move(t)));
    return true;
  }

  bool softmax() {
    Value* x;
    if (!act_input(0, &x)) return false;
    const size_t rank = x->shape.size();
    const int axis = normalize_axis(attr_i("axis", opset_ < 13 ? 1 : -1), rank);
    if (axis < 0) return fail("invalid axis");
    const Dims shape = x->shape;
    if (opset_ < 13 && axis != static_cast<int>(rank) - 1) {
      // Before opset 13 Softmax normalises over all axes from `axis` on: reshape to 2-D.
      int64_t outer = 1;
      for (int i = 0; i < axis; ++i) outer *= shape[i];
      const int xt = tensor_in(*x, false);
      const int flat = add_tensor(op_name("2d"), {outer, product(shape) / outer}, false);
      emit(ir::OpType::Reshape, {xt}, {flat}, options_of(fb::ReshapeOptionsT{}), "to_2d");
      const int soft = add_tensor(op_name("softmax"), {outer, product(shape) / outer}, false);
      fb::SoftmaxOptionsT s;
      emit(ir::OpType::Softmax, {flat}, {soft}, options_of(std::move(s)));
      const int out = new_output(0, shape, false);
      emit(ir::OpType::Reshape, {soft}, {out}, options_of(fb::ReshapeOptionsT{}), "from_2d");
      return true;
    }
    const int s_axis = stored_axis(*x, axis);
    const Dims stored = stored_shape(*x);
    const bool nhwc = x->nhwc;
    const int xt = x->tensor;
    if (s_axis == static_cast<int>(rank) - 1) {
      const int out = new_output(0, shape, nhwc);
      emit(ir::OpType::Softmax, {xt}, {out}, options_of(fb::SoftmaxOptionsT{}));
      return true;
    }
    // Move the axis last, softmax, move it back.
    std::vector<int32_t> perm, inverse(rank);
    for (size_t i = 0; i < rank; ++i)
      if (static_cast<int>(i) != s_axis) perm.push_back(static_cast<int32_t>(i));
    perm.push_back(s_axis);
    for (size_t i = 0; i < rank; ++i) inverse[perm[i]] = static_cast<int32_t>(i);
    Dims moved;
    for (int32_t p : perm) moved.push_back(stored[p]);
    const int t1 = add_tensor(op_name("axis_last"), moved, false);
    fb::TransposeOptionsT to;
    to.perm = perm;
    emit(ir::OpType::Transpose, {xt}, {t1}, options_of(std::move(to)), "axis_last");
    const int t2 = add_tensor(op_name("softmax"), moved, false);
    emit(ir::OpType::Softmax, {t1}, {t2}, options_of(fb::SoftmaxOptionsT{}));
    const int out = new_output(0, shape, nhwc);
    fb::TransposeOptionsT back;
    back.perm = inverse;
    emit(ir::OpType::Transpose, {t2}, {out}, options_of(std::move(back)), "axis_back");
    return true;
  }

  bool pad() {
    Value* x;
    if (!act_input(0, &x)) return false;
    const std::string mode = attr_s("mode", "constant");
    if (mode != "constant") return fail("only mode 'constant' is supported, got '" + mode + "'");
    Dims pads;
    float value = 0.0f;
    if (opset_ < 11) {
      pads = attr_ints("pads", {});
      value = attr_f("value", 0.0f);
    } else {
      const Constant* p;
      if (!const_input(1, &p)) return false;
      pads = p->as_int64();
      if (has_input(2)) {
        const Constant* v;
        if (!const_input(2, &v)) return false;
        if (v->size() != 1) return fail("constant_value must be a scalar");
        value = static_cast<float>(v->values[0]);
      }
      if (has_input(3)) return fail("the axes input is not supported");
    }
    const size_t rank = x->shape.size();
    if (pads.size() != 2 * rank) return fail("pads must have 2 * rank entries");
    if (value != 0.0f) return fail("only zero padding is supported");
    Dims out_shape = x->shape;
    fb::PadOptionsT p;
    p.paddings.assign(2 * rank, 0);
    for (size_t i = 0; i < rank; ++i) {
      if (pads[i] < 0 || pads[i + rank] < 0)
        return fail("negative pads (cropping) are not supported");
      out_shape[i] += pads[i] + pads[i + rank];
      const int s = stored_axis(*x, static_cast<int>(i));
      p.paddings[2 * s] = static_cast<int32_t>(pads[i]);
      p.paddings[2 * s + 1] = static_cast<int32_t>(pads[i + rank]);
    }
    const int xt = x->tensor;
    const int out = new_output(0, out_shape, x->nhwc);
    emit(ir::OpType::Pad, {xt}, {out}, options_of(std::move(p)));
    return true;
  }

  // Slice op on activation `x` with ONNX-order begin/size; defines output `out_index`.
  bool emit_slice(Value& x, const Dims& begin, const Dims& size, int out_index,
                  const std::string& suffix) {
    for (int64_t s : size)
      if (s <= 0) return fail("empty slices are not supported");
    fb::SliceOptionsT s;
    const size_t rank = x.shape.size();
    s.begin.assign(rank, 0);
    s.size.assign(rank, 0);
    for (size_t i = 0; i < rank; ++i) {
      const int a = stored_axis(x, static_cast<int>(i));
      s.begin[a] = static_cast<int32_t>(begin[i]);
      s.size[a] = static_cast<int32_t>(size[i]);
    }
    const int xt = x.tensor;
    const bool nhwc = x.nhwc;
    const int out = new_output(out_index, size, nhwc);
    emit(ir::OpType::Slice, {xt}, {out}, options_of(std::move(s)), suffix);
    return true;
  }

  bool slice() {
    Value* x;
    if (!act_input(0, &x)) return false;
    Dims begin, size, step;
    if (!slice_params(x->shape, &begin, &size, &step)) return false;
    for (int64_t s : step)
      if (s != 1) return fail("only step 1 is supported on activations");
    if (size == x->shape) {
      alias(node_->output(0), *x);
      return true;
    }
    return emit_slice(*x, begin, size, 0, "");
  }

  bool split() {
    Value* x;
    if (!act_input(0, &x)) return false;
    const int axis = normalize_axis(attr_i("axis", 0), x->shape.size());
    if (axis < 0) return fail("invalid axis");
    Dims sizes = attr_ints("split", {});
    if (sizes.empty() && has_input(1)) {
      const Constant* c;
      if (!const_input(1, &c)) return false;
      sizes = c->as_int64();
    }
    const int outputs = node_->output_size();
    const int64_t dim = x->shape[axis];
    if (sizes.empty()) {
      const int64_t chunk = (dim + outputs - 1) / outputs;
      for (int i = 0; i < outputs; ++i) sizes.push_back(std::min(chunk, dim - chunk * i));
    }
    if (static_cast<int>(sizes.size()) != outputs) return fail("split sizes do not match outputs");
    int64_t offset = 0;
    Value xv = *x;  // values_ may rehash while outputs are defined
    for (int i = 0; i < outputs; ++i) {
      Dims begin(x->shape.size(), 0), size = xv.shape;
      begin[axis] = offset;
      size[axis] = sizes[i];
      offset += sizes[i];
      if (offset > dim) return fail("split sizes exceed the axis");
      if (node_->output(i).empty()) continue;
      if (!emit_slice(xv, begin, size, i, "part" + std::to_string(i))) return false;
    }
    return true;
  }

  bool gather() {
    Value* x;
    const Constant* indices;
    if (!act_input(0, &x) || !const_input(1, &indices)) return false;
    const int axis = normalize_axis(attr_i("axis", 0), x->shape.size());
    if (axis < 0) return fail("invalid axis");
    const int64_t dim = x->shape[axis];
    std::vector<int64_t> idx = indices->as_int64();
    for (int64_t& i : idx) {
      if (i < 0) i += dim;
      if (i < 0 || i >= dim) return fail("index out of range");
    }
    for (size_t i = 1; i < idx.size(); ++i)
      if (idx[i] != idx[i - 1] + 1)
        return fail("Gather on an activation needs constant consecutive indices");
    if (idx.empty() || indices->dims.size() > 1)
      return fail("Gather indices must be a scalar or 1-D");
    Dims begin(x->shape.size(), 0), size = x->shape;
    begin[axis] = idx[0];
    size[axis] = static_cast<int64_t>(idx.size());
    if (!indices->dims.empty()) return emit_slice(*x, begin, size, 0, "");
    // Scalar index: slice, then drop the axis with a Reshape (ONNX order).
    const int xt = tensor_in(*x, false);
    fb::SliceOptionsT s;
    for (size_t i = 0; i < size.size(); ++i) {
      s.begin.push_back(static_cast<int32_t>(begin[i]));
      s.size.push_back(static_cast<int32_t>(size[i]));
    }
    const int mid = add_tensor(op_name("slice"), size, false);
    emit(ir::OpType::Slice, {xt}, {mid}, options_of(std::move(s)), "slice");
    Dims out_shape = size;
    out_shape.erase(out_shape.begin() + axis);
    const int out = new_output(0, out_shape, false);
    emit(ir::OpType::Reshape, {mid}, {out}, options_of(fb::ReshapeOptionsT{}));
    return true;
  }

  // Nearest-neighbour Resize / Upsample by integer factors on H and W: every output pixel copies
  // one input pixel, so it becomes Concat (k copies) + Reshape per axis on the NHWC tensor.
  bool resize() {
    Value* x;
    if (!act_input(0, &x)) return false;
    if (x->shape.size() != 4) return fail("only 4-D (NCHW) inputs are supported");
    const std::string mode = attr_s("mode", "nearest");
    if (mode != "nearest")
      return fail("only mode 'nearest' with integer scale factors is supported, got '" + mode +
                  "'");
    const bool is_upsample = node_->op_type() == "Upsample";
    std::vector<double> scales;
    Dims sizes;
    if (is_upsample && opset_ < 9) {
      if (const auto* a = attr("scales"))
        for (float f : a->floats()) scales.push_back(f);
    } else {
      const int scales_input = is_upsample || opset_ < 11 ? 1 : 2;
      if (has_input(scales_input)) {
        const Constant* c;
        if (!const_input(scales_input, &c)) return false;
        scales = c->values;
      }
      if (scales.empty() && !is_upsample && opset_ >= 11 && has_input(3)) {
        const Constant* c;
        if (!const_input(3, &c)) return false;
        sizes = c->as_int64();
      }
    }
    Dims factor(4, 1);
    for (int i = 0; i < 4; ++i) {
      const int64_t in = x->shape[i];
      int64_t out;
      if (!scales.empty()) {
        if (scales.size() != 4) return fail("scales must have 4 entries");
        if (!(scales[i] >= 1.0 && scales[i] <= 4096.0))
          return fail("only integer upscaling is supported (scale " + std::to_string(scales[i]) +
                      ")");
        out = static_cast<int64_t>(std::floor(in * scales[i]));
      } else if (!sizes.empty()) {
        if (sizes.size() != 4) return fail("sizes must have 4 entries");
        out = sizes[i];
      } else {
        return fail("needs constant scales or sizes");
      }
      if (out < in || out % in)
        return fail("only integer upscaling is supported (axis " + std::to_string(i) + ": " +
                    std::to_string(in) + " -> " + std::to_string(out) + ")");
      factor[i] = out / in;
    }
    if (factor[0] != 1 || factor[1] != 1) return fail("only H and W can be resized");
    if (!is_upsample && opset_ >= 11 && (factor[2] > 1 || factor[3] > 1)) {
      const std::string coord = attr_s("coordinate_transformation_mode", "half_pixel");
      const std::string nearest = attr_s("nearest_mode", "round_prefer_floor");
      const bool half_pixel = coord == "half_pixel" || coord == "pytorch_half_pixel";
      const bool replicates =
          (half_pixel && (nearest == "round_prefer_floor" || nearest == "round_prefer_ceil")) ||
          ((coord == "asymmetric" || coord == "tf_half_pixel_for_nn") && nearest == "floor");
      if (!replicates)
        return fail("coordinate_transformation_mode '" + coord + "' with nearest_mode '" + nearest +
                    "' does not replicate pixels; not supported");
    }
    const Dims in = x->shape;
    int t = tensor_in(*x, true);
    if (factor[2] == 1 && factor[3] == 1) {
      alias(node_->output(0), *x);
      return true;
    }
    int64_t h = in[2], w = in[3];
    const int64_t n = in[0], c = in[1];
    auto repeat = [&](int axis, int64_t k, const Dims& concat_shape, const Dims& reshape_shape,
                      int out) {
      const int cat = add_tensor(op_name("repeat"), concat_shape, false);
      fb::ConcatOptionsT o;
      o.axis = axis;
      emit(ir::OpType::Concat, std::vector<int>(static_cast<size_t>(k), t), {cat},
           options_of(std::move(o)), axis == 3 ? "repeat_w" : "repeat_h");
      const int reshaped = out >= 0 ? out : add_tensor(op_name("rows"), reshape_shape, false);
      emit(ir::OpType::Reshape, {cat}, {reshaped}, options_of(fb::ReshapeOptionsT{}),
           axis == 3 ? "merge_w" : "merge_h");
      t = reshaped;
    };
    const int out = new_output(0, {n, c, h * factor[2], w * factor[3]}, true);
    if (factor[3] > 1) {
      repeat(3, factor[3], {n, h, w, c * factor[3]}, {n, h, w * factor[3], c},
             factor[2] > 1 ? -1 : out);
      w *= factor[3];
    }
    if (factor[2] > 1) {
      repeat(2, factor[2], {n, h, w * factor[2], c}, {n, h * factor[2], w, c}, out);
    }
    return true;
  }

  bool cast() {
    Value* x;
    if (!act_input(0, &x)) return false;
    const int64_t to = attr_i("to", 0);
    if (to != onnx::TensorProto::FLOAT) return unsupported();
    alias(node_->output(0), *x);
    return true;
  }

  const ImportOptions& options_;
  ir::Graph* graph_;
  const onnx::NodeProto* node_ = nullptr;
  int opset_ = 0;
  std::string error_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> use_count_;
  std::vector<int> producer_;  // tensor index -> op index
  std::vector<int> reads_;     // tensor index -> ONNX readers over all its names (outputs count)
  std::set<std::string> used_names_;
  std::map<std::string, std::string> hard_sigmoid_of_;  // HardSigmoid(1/6, 1/2) output -> input
  std::string source_input_shapes_;
  std::map<int, int> view_of_;  // Reshape op back to 1-D -> the 2-D op it views (for fusions)
  std::string bad_shape_;       // first invalid tensor shape created (reported after the node)
};

}  // namespace

std::string onnx_supported_ops() {
  std::string out;
  for (const char* op : kSupportedOps) {
    if (!out.empty()) out += ", ";
    out += op;
  }
  return out;
}

bool import_onnx_buffer(const void* data, size_t size, const ImportOptions& options,
                        ir::Graph* graph, std::string* error) {
  if (size == 0 || size > static_cast<size_t>(std::numeric_limits<int>::max())) {
    *error = "ONNX model is empty or larger than 2 GiB";
    return false;
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) {
    *error = "not a valid ONNX model (protobuf parse failed: truncated or corrupt file)";
    return false;
  }
  *graph = ir::Graph{};
  try {  // host-only code: a model too large for memory ends in a message, not a crash
    Importer importer(options, graph);
    return importer.run(model, error);
  } catch (const std::bad_alloc&) {
    *error = "out of memory while importing the ONNX model";
    return false;
  }
}

bool import_onnx(const std::string& path, const ImportOptions& options, ir::Graph* graph,
                 std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot open ONNX model '" + path + "'";
    return false;
  }
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (!file.good() && !file.eof()) {
    *error = "cannot read ONNX model '" + path + "'";
    return false;
  }
  if (!import_onnx_buffer(bytes.data(), bytes.size(), options, graph, error)) {
    *error = path + ": " + *error;
    return false;
  }
  return true;
}

}  // namespace octet::convert
