// serialize(): graph validation, arena planning, weight packing and the .octet layout
// [u32 size][flatbuffer Model][zero padding][64-aligned data section].
#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "kernels/common/isa.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/gemm/gemm.h"
#include "tools/ir/graph.h"
#include "tools/ir/memory_plan.h"

namespace octet::ir {
namespace {

constexpr uint32_t kFormatVersion = 1;
constexpr int kMaxRank = 6;

size_t align_up(size_t value, size_t alignment = kArenaAlignment) {
  return (value + alignment - 1) / alignment * alignment;
}

bool fail(std::string* error, const std::string& message) {
  if (error) *error = message;
  return false;
}

std::string shape_string(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string tensor_label(const Graph& g, int index) {
  return "tensor " + std::to_string(index) + " '" + g.tensors[index].name + "'";
}

std::string op_label(const Graph& g, int index) {
  return "op " + std::to_string(index) + " (" + fb::EnumNameOpType(g.ops[index].type) + " '" +
         g.ops[index].name + "')";
}

bool is_gemm_like(OpType type) {
  return type == OpType::Conv2D || type == OpType::DepthwiseConv2D ||
         type == OpType::FullyConnected;
}

// The op's first input is int8: the op runs the int8 contract.
bool is_int8_op(const Graph& g, const Op& op) {
  return !op.inputs.empty() && op.inputs[0] >= 0 && g.tensors[op.inputs[0]].dtype == DType::Int8;
}

bool validate_tensor(const Graph& g, int index, std::string* error) {
  const Tensor& t = g.tensors[index];
  const std::string label = tensor_label(g, index);
  if (static_cast<int>(t.dtype) < 0 || t.dtype > DType::Int32)
    return fail(error, label + ": invalid dtype");
  if (t.shape.size() > kMaxRank)
    return fail(error, label + ": rank " + std::to_string(t.shape.size()) + " exceeds " +
                           std::to_string(kMaxRank));
  for (int32_t d : t.shape)
    if (d < 0) return fail(error, label + ": negative dimension in shape " + shape_string(t.shape));
  if (t.is_constant) {
    if (t.data.size() != t.size_bytes())
      return fail(error, label + ": constant has " + std::to_string(t.data.size()) +
                             " bytes, shape " + shape_string(t.shape) + " " +
                             fb::EnumNameDType(t.dtype) + " needs " +
                             std::to_string(t.size_bytes()));
  } else if (!t.data.empty()) {
    return fail(error, label + ": non-constant tensor carries data");
  }
  const Quant& q = t.quant;
  if (!q.empty() || !q.zero_point.empty()) {
    if (q.scale.size() != q.zero_point.size())
      return fail(error, label + ": quantization has " + std::to_string(q.scale.size()) +
                             " scales and " + std::to_string(q.zero_point.size()) + " zero points");
    if (q.axis == -1) {
      if (q.scale.size() != 1)
        return fail(error, label + ": per-tensor quantization needs exactly one scale");
    } else {
      if (q.axis < 0 || q.axis >= static_cast<int>(t.shape.size()))
        return fail(error, label + ": quantization axis " + std::to_string(q.axis) +
                               " out of range for shape " + shape_string(t.shape));
      if (static_cast<int64_t>(q.scale.size()) != t.shape[q.axis])
        return fail(error, label + ": per-axis quantization has " + std::to_string(q.scale.size()) +
                               " scales, axis " + std::to_string(q.axis) + " has " +
                               std::to_string(t.shape[q.axis]));
    }
    for (float s : q.scale)
      if (!std::isfinite(s) || s < 0.0f)
        return fail(error, label + ": quantization scale must be finite and >= 0");
  }
  return true;
}

// Output channels (N) and reduction length (K) of an int8 GEMM-like op's weights as [N][K].
void gemm_dims(const Op& op, const Tensor& weights, size_t* n, size_t* k) {
  if (op.type == OpType::DepthwiseConv2D) {  // [.., KH, KW, C]: N = C
    *n = weights.shape.empty() ? 0 : static_cast<size_t>(weights.shape.back());
  } else {  // Conv2D [OC][KH][KW][IC/g], FullyConnected [N][K]
    *n = weights.shape.empty() ? 0 : static_cast<size_t>(weights.shape[0]);
  }
  const size_t count = weights.num_elements();
  *k = *n ? count / *n : 0;
}

// Output size implied by one spatial axis of a conv (floor division, as every framework does).
int64_t conv_output_size(int64_t in, int64_t pad_before, int64_t pad_after, int64_t kernel,
                         int64_t stride, int64_t dilation) {
  const int64_t span = dilation * (kernel - 1) + 1;
  return (in + pad_before + pad_after - span) / stride + 1;
}

// Conv2D / DepthwiseConv2D shapes agree with the options (the runtime trusts none of this
// either, but catching it here names the op in the converter's error).
bool validate_conv_shapes(const Graph& g, int index, std::string* error) {
  const Op& op = g.ops[index];
  const std::string label = op_label(g, index);
  const Tensor& x = g.tensors[op.inputs[0]];
  const Tensor& w = g.tensors[op.inputs[1]];
  const Tensor& y = g.tensors[op.outputs[0]];
  const fb::Conv2DOptionsT* o = op.options.AsConv2DOptions();
  if (o->stride_h < 1 || o->stride_w < 1 || o->dilation_h < 1 || o->dilation_w < 1 ||
      o->pad_top < 0 || o->pad_left < 0 || o->pad_bottom < 0 || o->pad_right < 0)
    return fail(error, label + ": strides and dilations must be >= 1, paddings >= 0");
  const size_t r = w.shape.size();
  const int kernel_h = w.shape[r - 3], kernel_w = w.shape[r - 2];
  const int64_t out_h =
      conv_output_size(x.shape[1], o->pad_top, o->pad_bottom, kernel_h, o->stride_h, o->dilation_h);
  const int64_t out_w =
      conv_output_size(x.shape[2], o->pad_left, o->pad_right, kernel_w, o->stride_w, o->dilation_w);
  if (y.shape[0] != x.shape[0] || y.shape[1] != out_h || y.shape[2] != out_w)
    return fail(error, label + ": output shape " + shape_string(y.shape) +
                           " does not follow from input " + shape_string(x.shape) + ", kernel " +
                           std::to_string(kernel_h) + "x" + std::to_string(kernel_w) +
                           " and the options (expected [" + std::to_string(x.shape[0]) + "," +
                           std::to_string(out_h) + "," + std::to_string(out_w) + ",...])");
  if (op.type == OpType::Conv2D) {
    const int groups = o->groups;
    if (groups < 1 || x.shape[3] % groups != 0 || w.shape[3] * groups != x.shape[3] ||
        w.shape[0] != y.shape[3] || y.shape[3] % groups != 0)
      return fail(error, label + ": channels do not agree: input " + shape_string(x.shape) +
                             ", weights " + shape_string(w.shape) + ", output " +
                             shape_string(y.shape) + ", groups " + std::to_string(groups));
  } else {
    if (o->depth_multiplier < 1 || y.shape[3] != x.shape[3] * o->depth_multiplier ||
        w.shape[r - 1] != y.shape[3] || (r == 4 && w.shape[0] != 1))
      return fail(error, label + ": channels do not agree: input " + shape_string(x.shape) +
                             ", weights " + shape_string(w.shape) + ", output " +
                             shape_string(y.shape) + ", depth multiplier " +
                             std::to_string(o->depth_multiplier));
  }
  return true;
}

bool validate_gemm_like(const Graph& g, int index, std::string* error) {
  const Op& op = g.ops[index];
  const std::string label = op_label(g, index);
  if (op.inputs.size() < 2 || op.inputs[0] < 0 || op.inputs[1] < 0)
    return fail(error, label + ": needs an input and a weights tensor");
  const Tensor& x = g.tensors[op.inputs[0]];
  const Tensor& w = g.tensors[op.inputs[1]];
  if (op.type != OpType::FullyConnected) {
    if (op.options.type != fb::OpOptions::Conv2DOptions)
      return fail(error, label + ": missing Conv2DOptions");
    if (x.shape.size() != 4 || g.tensors[op.outputs[0]].shape.size() != 4)
      return fail(error, label + ": input and output must be rank 4 (NHWC)");
    const size_t w_rank = w.shape.size();
    if (op.type == OpType::Conv2D ? w_rank != 4 : (w_rank != 3 && w_rank != 4))
      return fail(error,
                  label + ": weights shape " + shape_string(w.shape) + " has the wrong rank");
  }
  if (op.type != OpType::FullyConnected && !validate_conv_shapes(g, index, error)) return false;
  if (!is_int8_op(g, op)) {
    if (!op.wide_channels.empty()) return fail(error, label + ": wide channels on a float op");
    return true;
  }
  if (!w.is_constant || w.dtype != DType::Int8)
    return fail(error, label + ": int8 op needs constant int8 weights");
  size_t n, k;
  gemm_dims(op, w, &n, &k);
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
    const Tensor& b = g.tensors[op.inputs[2]];
    if (!b.is_constant || b.dtype != DType::Int32 || b.num_elements() != n)
      return fail(error, label + ": int8 bias must be a constant int32 tensor of " +
                             std::to_string(n) + " values");
  }
  if (op.multiplier.size() != 1 && op.multiplier.size() != n)
    return fail(error, label + ": needs 1 or " + std::to_string(n) +
                           " requantization multipliers, has " +
                           std::to_string(op.multiplier.size()));
  for (size_t i = 0; i < op.wide_channels.size(); ++i) {
    const int32_t c = op.wide_channels[i];
    if (c < 0 || static_cast<size_t>(c) >= n || (i > 0 && c <= op.wide_channels[i - 1]))
      return fail(error, label + ": wide channels must be ascending output channels below " +
                             std::to_string(n));
  }
  for (int16_t v : op.wide_weights)
    if (v < -255 || v > 255)
      return fail(error, label + ": wide weight " + std::to_string(v) + " outside [-255, 255]");
  if (op.wide_weights.size() != op.wide_channels.size() * k)
    return fail(error, label + ": " + std::to_string(op.wide_channels.size()) +
                           " wide channels need " + std::to_string(op.wide_channels.size() * k) +
                           " int16 weights, has " + std::to_string(op.wide_weights.size()));
  return true;
}

bool validate(const Graph& g, std::string* error) {
  const int num_tensors = static_cast<int>(g.tensors.size());
  for (int i = 0; i < num_tensors; ++i)
    if (!validate_tensor(g, i, error)) return false;

  std::vector<bool> available(num_tensors, false);  // has a value at this point of execution
  std::vector<int> producer(num_tensors, -1);
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const int t = g.inputs[i];
    if (t < 0 || t >= num_tensors)
      return fail(error, "graph input " + std::to_string(i) + " refers to missing tensor " +
                             std::to_string(t));
    if (g.tensors[t].is_constant)
      return fail(error, "graph input " + tensor_label(g, t) + " is a constant");
    if (available[t]) return fail(error, "graph input " + tensor_label(g, t) + " listed twice");
    available[t] = true;
  }
  for (int t = 0; t < num_tensors; ++t)
    if (g.tensors[t].is_constant) available[t] = true;

  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    const Op& op = g.ops[i];
    const std::string label = op_label(g, i);
    if (op.type > OpType::BatchMatMul) return fail(error, label + ": invalid op type");
    if (op.outputs.empty()) return fail(error, label + ": has no outputs");
    for (int t : op.inputs) {
      if (t == -1) continue;
      if (t < 0 || t >= num_tensors)
        return fail(error, label + ": input refers to missing tensor " + std::to_string(t));
      if (!available[t])
        return fail(error, label + ": reads " + tensor_label(g, t) +
                               " before any op produces it (ops must be in execution order)");
    }
    for (int t : op.outputs) {
      if (t < 0 || t >= num_tensors)
        return fail(error, label + ": output refers to missing tensor " + std::to_string(t));
      if (g.tensors[t].is_constant)
        return fail(error, label + ": writes constant " + tensor_label(g, t));
      if (available[t])
        return fail(error, label + ": writes " + tensor_label(g, t) +
                               ", which is a graph input or another op's output");
      available[t] = true;
      producer[t] = i;
    }
    if (is_gemm_like(op.type) && !validate_gemm_like(g, i, error)) return false;
    if (!is_gemm_like(op.type) && (!op.wide_channels.empty() || !op.wide_weights.empty()))
      return fail(error, label +
                             ": wide channels are only for Conv2D, DepthwiseConv2D and "
                             "FullyConnected");
    if (op.type == OpType::Lut && op.lut.size() != 256)
      return fail(error, label + ": Lut needs a 256-entry table, has " +
                             std::to_string(op.lut.size()) + " bytes");
    if (op.type == OpType::Softmax && is_int8_op(g, op) && op.lut.size() != 256 * sizeof(float))
      return fail(error, label + ": int8 Softmax needs a 256-entry float table");
  }
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const int t = g.outputs[i];
    if (t < 0 || t >= num_tensors)
      return fail(error, "graph output " + std::to_string(i) + " refers to missing tensor " +
                             std::to_string(t));
    if (g.tensors[t].is_constant)
      return fail(error, "graph output " + tensor_label(g, t) + " is a constant");
    if (!available[t])
      return fail(error, "graph output " + tensor_label(g, t) + " is never produced");
  }
  return true;
}

ref::ConvGeometry conv_geometry(const Graph& g, const Op& op) {
  const Tensor& x = g.tensors[op.inputs[0]];
  const Tensor& w = g.tensors[op.inputs[1]];
  const Tensor& y = g.tensors[op.outputs[0]];
  const fb::Conv2DOptionsT* o = op.options.AsConv2DOptions();
  ref::ConvGeometry geometry;
  geometry.batch = x.shape[0];
  geometry.in_h = x.shape[1];
  geometry.in_w = x.shape[2];
  geometry.in_c = x.shape[3];
  geometry.out_h = y.shape[1];
  geometry.out_w = y.shape[2];
  geometry.out_c = y.shape[3];
  const size_t r = w.shape.size();
  geometry.kernel_h = w.shape[r - 3];
  geometry.kernel_w = w.shape[r - 2];
  geometry.stride_h = o->stride_h;
  geometry.stride_w = o->stride_w;
  geometry.dilation_h = o->dilation_h;
  geometry.dilation_w = o->dilation_w;
  geometry.pad_top = o->pad_top;
  geometry.pad_left = o->pad_left;
  geometry.groups = op.type == OpType::Conv2D ? o->groups : 1;
  geometry.depth_multiplier = op.type == OpType::DepthwiseConv2D ? o->depth_multiplier : 1;
  return geometry;
}

// Scratch one thread of this op needs (0 for most ops).
size_t op_scratch_size(const Graph& g, const Op& op) {
  if (!is_int8_op(g, op)) return 0;
  if (op.type == OpType::Conv2D) {
    const ref::ConvGeometry geometry = conv_geometry(g, op);
    return geometry.groups == 1 ? conv2d_qs8_scratch_size(geometry) : 0;
  }
  if (op.type == OpType::DepthwiseConv2D) {
    // The file may run on any CPU: reserve what the hungriest depthwise kernel needs.
    const ref::ConvGeometry geometry = conv_geometry(g, op);
    size_t size = 0;
    for (int isa = 0; isa < kIsaCount; ++isa)
      size = std::max(size, dwconv_qs8_scratch_size(static_cast<Isa>(isa), geometry));
    return size;
  }
  return 0;
}

// Ops whose weights get PackedWeights blobs.
bool is_packable(const Graph& g, const Op& op) {
  if (!is_int8_op(g, op)) return false;
  if (op.type == OpType::FullyConnected) return true;
  return op.type == OpType::Conv2D && op.options.AsConv2DOptions()->groups == 1;
}

class DataSection {
 public:
  fb::Buffer add(const void* data, size_t size) {
    const size_t offset = align_up(bytes_.size());
    bytes_.resize(offset + size, 0);
    if (size) std::memcpy(bytes_.data() + offset, data, size);
    return fb::Buffer(offset, size);
  }
  // Reserves `size` zero bytes and returns where they are.
  uint8_t* reserve(size_t size, fb::Buffer* buffer) {
    const size_t offset = align_up(bytes_.size());
    bytes_.resize(offset + size, 0);
    *buffer = fb::Buffer(offset, size);
    return bytes_.data() + offset;
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

struct PackedBlob {
  PackFamily family;
  fb::Buffer buffer;
};

}  // namespace

std::vector<size_t> plan_buffers(const std::vector<PlanBuffer>& buffers, size_t* arena_size) {
  const size_t count = buffers.size();
  std::vector<size_t> order(count);
  for (size_t i = 0; i < count; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].size > buffers[b].size; });

  std::vector<size_t> offsets(count, 0);
  std::vector<size_t> placed;
  size_t arena_end = 0;
  for (size_t index : order) {
    const PlanBuffer& buffer = buffers[index];
    if (buffer.size == 0) continue;  // occupies no bytes: offset 0 overlaps nothing
    std::vector<size_t> neighbors;   // placed buffers live at the same time
    for (size_t p : placed) {
      const PlanBuffer& other = buffers[p];
      if (other.last_op >= buffer.first_op && buffer.last_op >= other.first_op)
        neighbors.push_back(p);
    }
    std::sort(neighbors.begin(), neighbors.end(), [&](size_t a, size_t b) {
      return offsets[a] != offsets[b] ? offsets[a] < offsets[b] : a < b;
    });
    size_t cursor = 0;  // lowest free (aligned) byte after the neighbors seen so far
    size_t best_offset = 0, best_gap = 0;
    bool found = false;
    for (size_t p : neighbors) {
      if (offsets[p] >= cursor) {
        const size_t gap = offsets[p] - cursor;
        if (gap >= buffer.size && (!found || gap < best_gap)) {
          found = true;
          best_gap = gap;
          best_offset = cursor;
        }
      }
      cursor = std::max(cursor, align_up(offsets[p] + buffers[p].size));
    }
    offsets[index] = found ? best_offset : cursor;
    arena_end = std::max(arena_end, offsets[index] + buffer.size);
    placed.push_back(index);
  }
  *arena_size = align_up(arena_end);
  return offsets;
}

bool serialize(const Graph& graph, const SerializeOptions& options, std::vector<uint8_t>* out,
               std::string* error) {
  if (!validate(graph, error)) return false;
  const int num_tensors = static_cast<int>(graph.tensors.size());
  const int num_ops = static_cast<int>(graph.ops.size());
  const int end_of_graph = std::max(num_ops - 1, 0);

  // ---- live ranges: tensors, then one scratch buffer per op that needs it ----
  std::vector<int> first(num_tensors, -1), last(num_tensors, -1);
  auto touch = [&](int t, int op) {
    if (t < 0 || graph.tensors[t].is_constant) return;
    if (first[t] < 0 || op < first[t]) first[t] = op;
    last[t] = std::max(last[t], op);
  };
  // Graph inputs stay intact for the whole graph (as in TFLite): callers fill them once and
  // invoke again and again (benchmarks, octet-run --repeat), so no intermediate may reuse them.
  for (int t : graph.inputs) {
    touch(t, 0);
    touch(t, end_of_graph);
  }
  for (int i = 0; i < num_ops; ++i) {
    for (int t : graph.ops[i].inputs) touch(t, i);
    for (int t : graph.ops[i].outputs) touch(t, i);
  }
  for (int t : graph.outputs) touch(t, end_of_graph);

  std::vector<PlanBuffer> buffers;
  std::vector<int> buffer_of_tensor(num_tensors, -1);
  for (int t = 0; t < num_tensors; ++t) {
    if (first[t] < 0) continue;  // constant, or never referenced: no arena bytes
    buffer_of_tensor[t] = static_cast<int>(buffers.size());
    buffers.push_back({graph.tensors[t].size_bytes(), first[t], last[t]});
  }
  std::vector<int> buffer_of_scratch(num_ops, -1);
  std::vector<size_t> scratch_size(num_ops, 0);
  for (int i = 0; i < num_ops; ++i) {
    scratch_size[i] = op_scratch_size(graph, graph.ops[i]);
    if (scratch_size[i] == 0) continue;
    buffer_of_scratch[i] = static_cast<int>(buffers.size());
    buffers.push_back({scratch_size[i], i, i});
  }
  size_t arena_size = 0;
  const std::vector<size_t> offsets = plan_buffers(buffers, &arena_size);
  // Never-referenced intermediates still need an in-arena address (the runtime hands out a
  // pointer for every tensor): offset 0, which nothing ever reads or writes through them.
  for (int t = 0; t < num_tensors; ++t)
    if (!graph.tensors[t].is_constant && buffer_of_tensor[t] < 0)
      arena_size = std::max(arena_size, align_up(graph.tensors[t].size_bytes()));

  // ---- data section: constants, then per op multipliers, tables, packed weights ----
  DataSection data;
  std::vector<fb::Buffer> tensor_data(num_tensors);
  for (int t = 0; t < num_tensors; ++t) {
    const Tensor& tensor = graph.tensors[t];
    if (tensor.is_constant) tensor_data[t] = data.add(tensor.data.data(), tensor.data.size());
  }
  std::vector<PackFamily> families;  // requested extra layouts, without duplicates or RowMajor
  for (PackFamily f : options.families)
    if (f != PackFamily::RowMajor &&
        std::find(families.begin(), families.end(), f) == families.end())
      families.push_back(f);
  std::vector<fb::Buffer> multiplier_data(num_ops), lut_data(num_ops), wide_data(num_ops);
  std::vector<std::vector<PackedBlob>> packed(num_ops);
  for (int i = 0; i < num_ops; ++i) {
    const Op& op = graph.ops[i];
    if (!op.multiplier.empty())
      multiplier_data[i] = data.add(op.multiplier.data(), op.multiplier.size() * sizeof(float));
    if (!op.lut.empty()) lut_data[i] = data.add(op.lut.data(), op.lut.size());
    if (!op.wide_channels.empty())
      wide_data[i] = data.add(op.wide_weights.data(), op.wide_weights.size() * sizeof(int16_t));
    if (!is_packable(graph, op)) continue;
    const Tensor& weights = graph.tensors[op.inputs[1]];
    size_t n, k;
    gemm_dims(op, weights, &n, &k);
    std::vector<int32_t> bias(n, 0);
    if (op.inputs.size() > 2 && op.inputs[2] >= 0)
      std::memcpy(bias.data(), graph.tensors[op.inputs[2]].data.data(), n * sizeof(int32_t));
    for (PackFamily family : families) {
      const auto kernel_family = static_cast<octet::PackFamily>(family);
      const size_t size = gemm_qs8_packed_size(kernel_family, n, k);
      if (size == 0) continue;  // family has no packed layout in this build
      PackedBlob blob{family, {}};
      uint8_t* dst = data.reserve(size, &blob.buffer);
      gemm_qs8_pack(kernel_family, n, k, weights.as<int8_t>(), bias.data(), dst);
      packed[i].push_back(blob);
    }
  }
  data.bytes().resize(align_up(data.bytes().size()), 0);
  const size_t data_size = data.bytes().size();

  // ---- flatbuffer; data_offset depends on its size, so build until the size is stable ----
  auto build = [&](uint64_t data_offset, flatbuffers::FlatBufferBuilder* fbb) {
    fbb->ForceDefaults(false);
    std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
    for (int t = 0; t < num_tensors; ++t) {
      const Tensor& tensor = graph.tensors[t];
      flatbuffers::Offset<fb::Quantization> quant = 0;
      if (!tensor.quant.empty())
        quant = fb::CreateQuantizationDirect(*fbb, &tensor.quant.scale, &tensor.quant.zero_point,
                                             tensor.quant.axis);
      int64_t arena_offset = -1;
      if (buffer_of_tensor[t] >= 0) {
        arena_offset = static_cast<int64_t>(offsets[buffer_of_tensor[t]]);
      } else if (!tensor.is_constant) {
        arena_offset = 0;  // unused intermediate, see above
      }
      tensors.push_back(fb::CreateTensorDirect(
          *fbb, tensor.name.c_str(), tensor.dtype, &tensor.shape, quant, tensor.is_constant,
          tensor.is_constant ? &tensor_data[t] : nullptr, arena_offset));
    }
    std::vector<flatbuffers::Offset<fb::Operator>> operators;
    for (int i = 0; i < num_ops; ++i) {
      const Op& op = graph.ops[i];
      std::vector<flatbuffers::Offset<fb::PackedWeights>> blobs;
      for (const PackedBlob& blob : packed[i])
        blobs.push_back(fb::CreatePackedWeights(*fbb, blob.family, &blob.buffer));
      const size_t scratch_offset = buffer_of_scratch[i] >= 0 ? offsets[buffer_of_scratch[i]] : 0;
      flatbuffers::Offset<fb::WideChannels> wide = 0;
      if (!op.wide_channels.empty())
        wide = fb::CreateWideChannelsDirect(*fbb, &op.wide_channels, &wide_data[i]);
      operators.push_back(fb::CreateOperatorDirect(
          *fbb, op.type, op.name.c_str(), &op.inputs, &op.outputs, op.options.type,
          op.options.Pack(*fbb), op.activation, op.act_min, op.act_max, op.q_min, op.q_max,
          op.multiplier.empty() ? nullptr : &multiplier_data[i],
          op.lut.empty() ? nullptr : &lut_data[i], blobs.empty() ? nullptr : &blobs, scratch_offset,
          scratch_size[i], op.keep_float, wide));
    }
    std::vector<flatbuffers::Offset<fb::KeyValue>> metadata;
    for (const auto& [key, value] : graph.metadata)
      metadata.push_back(fb::CreateKeyValueDirect(*fbb, key.c_str(), value.c_str()));
    auto model = fb::CreateModelDirect(*fbb, kFormatVersion, options.producer.c_str(), &tensors,
                                       &operators, &graph.inputs, &graph.outputs, arena_size,
                                       data_offset, data_size, &metadata);
    fb::FinishSizePrefixedModelBuffer(*fbb, model);
  };
  uint64_t data_offset = 1 << 20;  // placeholder: non-zero so the field is always stored
  for (int attempt = 0;; ++attempt) {
    flatbuffers::FlatBufferBuilder fbb(1 << 16);
    build(data_offset, &fbb);
    const uint64_t needed = align_up(fbb.GetSize());
    if (needed == data_offset) {
      out->assign(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
      break;
    }
    if (attempt > 8) return fail(error, "internal error: flatbuffer size does not converge");
    data_offset = needed;
  }
  out->resize(data_offset, 0);
  out->insert(out->end(), data.bytes().begin(), data.bytes().end());
  return true;
}

bool write_file(const std::string& path, const std::vector<uint8_t>& bytes, std::string* error) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return fail(error, "cannot create " + path);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) return fail(error, "cannot write " + path);
  return true;
}

}  // namespace octet::ir
