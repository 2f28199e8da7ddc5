// Semantic checks of every operator (the kernels trust these) and of the memory plan.
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "runtime/src/internal.h"

namespace octet::rt {
namespace {

using fb::DType;
using fb::OpType;

class OpChecker {
 public:
  OpChecker(octet_model& m, int index) : m_(m), index_(index), op_(m.ops[index]) {}

  octet_status run();

 private:
  octet_status fail(const char* format, ...) __attribute__((format(printf, 2, 3))) {
    char message[384];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    return set_error(OCTET_ERROR_INVALID_MODEL, "operator %d (%s '%s'): %s", index_,
                     fb::EnumNameOpType(op_.type), op_.name, message);
  }
  octet_status unsupported(const char* what) {
    return set_error(OCTET_ERROR_UNSUPPORTED, "operator %d (%s '%s'): %s", index_,
                     fb::EnumNameOpType(op_.type), op_.name, what);
  }
  const TensorDesc* in(int i) const {
    const int t = op_.input(i);
    return t < 0 ? nullptr : &m_.tensors[t];
  }
  const TensorDesc* out(int i) const { return &m_.tensors[op_.outputs[i]]; }

  // Input/output counts, and every required input present.
  octet_status counts(int min_in, int max_in, int required_in) {
    if (op_.num_inputs < min_in || op_.num_inputs > max_in)
      return fail("has %d inputs, expected %d..%d", op_.num_inputs, min_in, max_in);
    if (op_.num_outputs != 1) return fail("has %d outputs, expected 1", op_.num_outputs);
    for (int i = 0; i < required_in && i < op_.num_inputs; ++i)
      if (op_.inputs[i] < 0) return fail("input %d is required", i);
    return OCTET_OK;
  }
  octet_status per_tensor_q8(const TensorDesc* t, const char* what) {
    if (!t->quantized || t->num_scales != 1)
      return fail("%s tensor '%s' needs per-tensor quantization", what, t->name);
    return OCTET_OK;
  }
  octet_status q_range() {
    const int32_t qmin = op_.fb->q_min(), qmax = op_.fb->q_max();
    if (qmin < -128 || qmax > 127 || qmin > qmax)
      return fail("output clamp [%d, %d] is not inside [-128, 127]", qmin, qmax);
    return OCTET_OK;
  }
  bool same_shape(const TensorDesc* a, const TensorDesc* b) const {
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; ++i)
      if (a->shape[i] != b->shape[i]) return false;
    return true;
  }

  octet_status conv();
  octet_status fully_connected();
  octet_status binary();
  octet_status pool();
  octet_status mean();
  octet_status concat();
  octet_status pad();
  octet_status softmax();
  octet_status unary_float();
  octet_status quantize();
  octet_status transpose();
  octet_status slice();
  octet_status batch_matmul();
  octet_status gemm_like_int8(const TensorDesc* x, const TensorDesc* w, const TensorDesc* b,
                              const TensorDesc* y, int out_channels);

  octet_model& m_;
  int index_;
  OpDesc& op_;
};

// Output extent of a window op; -1 when the window does not fit.
int64_t window_out(int64_t in, int64_t pad_a, int64_t pad_b, int64_t kernel, int64_t dilation,
                   int64_t stride) {
  const int64_t span = dilation * (kernel - 1) + 1;
  const int64_t padded = in + pad_a + pad_b;
  if (padded < span) return -1;
  return (padded - span) / stride + 1;
}

octet_status OpChecker::gemm_like_int8(const TensorDesc* x, const TensorDesc* w,
                                       const TensorDesc* b, const TensorDesc* y, int out_channels) {
  if (x->dtype != DType::Int8 || w->dtype != DType::Int8 || y->dtype != DType::Int8)
    return fail("int8 op needs int8 input, weights and output");
  if (octet_status s = per_tensor_q8(x, "input"); s != OCTET_OK) return s;
  if (octet_status s = per_tensor_q8(y, "output"); s != OCTET_OK) return s;
  if (!w->constant) return fail("weights must be constant");
  if (b && (b->dtype != DType::Int32 || !b->constant || b->num_elements != uint64_t(out_channels)))
    return fail("bias must be a constant int32 tensor of %d elements", out_channels);
  if (!op_.multiplier ||
      (op_.multiplier_count != 1 && op_.multiplier_count != uint32_t(out_channels)))
    return fail("needs 1 or %d requantization multipliers, has %u", out_channels,
                op_.multiplier_count);
  if (op_.wide.count > 0) {
    const uint64_t per_channel = w->num_elements / uint64_t(out_channels);
    for (int i = 0; i < op_.wide.count; ++i) {
      const int32_t c = op_.wide.channels[i];
      if (c < 0 || c >= out_channels || (i > 0 && c <= op_.wide.channels[i - 1]))
        return fail("wide channel %d is %d: must be ascending output channels below %d", i, c,
                    out_channels);
    }
    if (op_.wide_weights_size != uint64_t(op_.wide.count) * per_channel * sizeof(int16_t))
      return fail("%d wide channels of %llu weights need %llu bytes, have %llu", op_.wide.count,
                  static_cast<unsigned long long>(per_channel),
                  static_cast<unsigned long long>(op_.wide.count * per_channel * 2),
                  static_cast<unsigned long long>(op_.wide_weights_size));
    for (uint64_t i = 0; i < op_.wide.count * per_channel; ++i)
      if (op_.wide.weights[i] < -255 || op_.wide.weights[i] > 255)
        return fail("wide weight %llu is %d, outside [-255, 255]",
                    static_cast<unsigned long long>(i), op_.wide.weights[i]);
    op_.wide_checked = true;
  }
  return q_range();
}

octet_status OpChecker::conv() {
  const bool depthwise = op_.type == OpType::DepthwiseConv2D;
  if (octet_status s = counts(2, 3, 2); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *w = in(1), *b = in(2), *y = out(0);
  if (x->rank != 4 || y->rank != 4) return fail("input and output must be NHWC (rank 4)");
  if (!w->constant) return fail("weights must be constant");
  const fb::Conv2DOptions* o = op_.fb->options_as_Conv2DOptions();
  const int stride_h = o ? o->stride_h() : 1, stride_w = o ? o->stride_w() : 1;
  const int dil_h = o ? o->dilation_h() : 1, dil_w = o ? o->dilation_w() : 1;
  const int pt = o ? o->pad_top() : 0, pl = o ? o->pad_left() : 0;
  const int pb = o ? o->pad_bottom() : 0, pr = o ? o->pad_right() : 0;
  const int groups = o ? o->groups() : 1, mult = o ? o->depth_multiplier() : 1;
  if (stride_h < 1 || stride_w < 1 || dil_h < 1 || dil_w < 1 || pt < 0 || pl < 0 || pb < 0 ||
      pr < 0 || pt > 65535 || pl > 65535 || pb > 65535 || pr > 65535 || stride_h > 65535 ||
      stride_w > 65535 || dil_h > 65535 || dil_w > 65535)
    return fail("bad stride/dilation/padding");
  const int in_c = x->shape[3], out_c = y->shape[3];
  int kh = 0, kw = 0;
  if (depthwise) {
    if (w->rank == 3) {
      kh = w->shape[0], kw = w->shape[1];
    } else if (w->rank == 4 && w->shape[0] == 1) {
      kh = w->shape[1], kw = w->shape[2];
    } else {
      return fail("depthwise weights must be [KH][KW][C*multiplier]");
    }
    if (mult < 1 || int64_t(in_c) * mult != out_c || w->shape[w->rank - 1] != out_c)
      return fail("depthwise channels: input %d x multiplier %d != output %d (weights %d)", in_c,
                  mult, out_c, w->shape[w->rank - 1]);
  } else {
    if (w->rank != 4) return fail("weights must be [OC][KH][KW][IC/groups]");
    kh = w->shape[1], kw = w->shape[2];
    if (groups < 1 || in_c % groups != 0 || out_c % groups != 0 ||
        int64_t(w->shape[3]) * groups != in_c || w->shape[0] != out_c)
      return fail(
          "weights [%d,%d,%d,%d] do not match input channels %d, output channels %d, "
          "groups %d",
          w->shape[0], w->shape[1], w->shape[2], w->shape[3], in_c, out_c, groups);
  }
  const int64_t oh = window_out(x->shape[1], pt, pb, kh, dil_h, stride_h);
  const int64_t ow = window_out(x->shape[2], pl, pr, kw, dil_w, stride_w);
  if (y->shape[0] != x->shape[0] || oh != y->shape[1] || ow != y->shape[2])
    return fail("output [%d,%d,%d,%d] does not match the geometry (expected [%d,%lld,%lld,%d])",
                y->shape[0], y->shape[1], y->shape[2], y->shape[3], x->shape[0],
                static_cast<long long>(oh), static_cast<long long>(ow), out_c);
  if (x->dtype == DType::Float32) {
    if (w->dtype != DType::Float32 || y->dtype != DType::Float32 ||
        (b && (b->dtype != DType::Float32 || b->num_elements != uint64_t(out_c) || !b->constant)))
      return fail("float op needs float weights, bias [%d] and output", out_c);
    return OCTET_OK;
  }
  if (!b) return fail("int8 op needs its folded int32 bias");
  if (octet_status s = gemm_like_int8(x, w, b, y, out_c); s != OCTET_OK) return s;
  if (!depthwise && groups == 1) {
    op_.uses_gemm = true;
    op_.gemm_n = static_cast<size_t>(out_c);
    op_.gemm_k = static_cast<size_t>(kh) * kw * in_c;
  }
  return OCTET_OK;
}

octet_status OpChecker::fully_connected() {
  if (octet_status s = counts(2, 3, 2); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *w = in(1), *b = in(2), *y = out(0);
  if (w->rank != 2 || !w->constant) return fail("weights must be a constant [N][K] tensor");
  const uint64_t n = w->shape[0], k = w->shape[1];
  if (x->rank < 1 || x->num_elements % k != 0)
    return fail("input of %llu elements is not a multiple of K=%llu",
                static_cast<unsigned long long>(x->num_elements),
                static_cast<unsigned long long>(k));
  const uint64_t rows = x->num_elements / k;
  if (y->rank < 1 || uint64_t(y->shape[y->rank - 1]) != n || y->num_elements != rows * n)
    return fail("output must be [%llu rows][N=%llu]", static_cast<unsigned long long>(rows),
                static_cast<unsigned long long>(n));
  if (x->dtype == DType::Float32) {
    if (w->dtype != DType::Float32 || y->dtype != DType::Float32 ||
        (b && (b->dtype != DType::Float32 || b->num_elements != n || !b->constant)))
      return fail("float op needs float weights, bias [N] and output");
    return OCTET_OK;
  }
  if (!b) return fail("int8 op needs its folded int32 bias");
  if (octet_status s = gemm_like_int8(x, w, b, y, static_cast<int>(n)); s != OCTET_OK) return s;
  op_.uses_gemm = true;
  op_.gemm_n = n;
  op_.gemm_k = k;
  return OCTET_OK;
}

octet_status OpChecker::binary() {
  if (octet_status s = counts(2, 2, 2); s != OCTET_OK) return s;
  const TensorDesc *a = in(0), *b = in(1), *y = out(0);
  if (a->dtype != y->dtype || b->dtype != y->dtype) return fail("operand dtypes differ");
  ref::Broadcast bc;
  if (!ref::make_broadcast(a->shape, a->rank, b->shape, b->rank, &bc))
    return fail("operands are not broadcastable");
  int out_rank = a->rank > b->rank ? a->rank : b->rank;
  if (y->rank != out_rank) return fail("output rank %d, expected %d", y->rank, out_rank);
  for (int i = 0; i < out_rank; ++i) {
    const int32_t da = i - (out_rank - a->rank) >= 0 ? a->shape[i - (out_rank - a->rank)] : 1;
    const int32_t db = i - (out_rank - b->rank) >= 0 ? b->shape[i - (out_rank - b->rank)] : 1;
    const int32_t d = da > db ? da : db;
    if (y->shape[i] != d)
      return fail("output dimension %d is %d, broadcast gives %d", i, y->shape[i], d);
  }
  if (y->dtype == DType::Float32) return OCTET_OK;
  if (y->dtype != DType::Int8 || op_.type == OpType::Div)
    return unsupported("only float32 (and int8 Add/Sub/Mul) are supported");
  for (const TensorDesc* t : {a, b, y})
    if (octet_status s = per_tensor_q8(t, "operand"); s != OCTET_OK) return s;
  return q_range();
}

octet_status OpChecker::pool() {
  if (octet_status s = counts(1, 1, 1); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *y = out(0);
  const fb::Pool2DOptions* o = op_.fb->options_as_Pool2DOptions();
  if (!o) return fail("missing Pool2DOptions");
  if (x->rank != 4 || y->rank != 4) return fail("input and output must be NHWC (rank 4)");
  const int fh = o->filter_h(), fw = o->filter_w();
  if (fh < 1 || fw < 1 || o->stride_h() < 1 || o->stride_w() < 1 || o->pad_top() < 0 ||
      o->pad_left() < 0 || o->pad_bottom() < 0 || o->pad_right() < 0 || o->pad_top() >= fh ||
      o->pad_bottom() >= fh || o->pad_left() >= fw || o->pad_right() >= fw || fh > 65535 ||
      fw > 65535 || o->stride_h() > 65535 || o->stride_w() > 65535)
    return fail("bad filter/stride/padding (padding must be smaller than the filter)");
  const int64_t oh = window_out(x->shape[1], o->pad_top(), o->pad_bottom(), fh, 1, o->stride_h());
  const int64_t ow = window_out(x->shape[2], o->pad_left(), o->pad_right(), fw, 1, o->stride_w());
  if (y->shape[0] != x->shape[0] || y->shape[1] != oh || y->shape[2] != ow ||
      y->shape[3] != x->shape[3])
    return fail("output shape does not match the pooling geometry");
  if (x->dtype != y->dtype) return fail("input and output dtypes differ");
  if (x->dtype == DType::Float32) return OCTET_OK;
  if (x->dtype != DType::Int8) return unsupported("pooling supports float32 and int8");
  if (octet_status s = per_tensor_q8(x, "input"); s != OCTET_OK) return s;
  if (octet_status s = per_tensor_q8(y, "output"); s != OCTET_OK) return s;
  return q_range();
}

octet_status OpChecker::mean() {
  if (octet_status s = counts(1, 2, 1); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *y = out(0);
  if (x->rank < 1) return fail("needs a tensor of rank >= 1");
  const fb::MeanOptions* o = op_.fb->options_as_MeanOptions();
  if (!o || !o->axes()) return fail("missing MeanOptions axes");
  bool reduce[OCTET_MAX_RANK] = {};
  for (unsigned i = 0; i < o->axes()->size(); ++i) {
    int axis = o->axes()->Get(i);
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= x->rank) return fail("axis %d out of range", o->axes()->Get(i));
    reduce[axis] = true;
  }
  uint64_t kept = 1;
  for (int i = 0; i < x->rank; ++i)
    if (!reduce[i]) kept *= uint64_t(x->shape[i]);
  if (y->num_elements != kept)
    return fail("output has %llu elements, expected %llu",
                static_cast<unsigned long long>(y->num_elements),
                static_cast<unsigned long long>(kept));
  if (x->dtype != y->dtype) return fail("input and output dtypes differ");
  if (x->dtype == DType::Float32) return OCTET_OK;
  if (x->dtype != DType::Int8) return unsupported("Mean supports float32 and int8");
  if (octet_status s = per_tensor_q8(x, "input"); s != OCTET_OK) return s;
  if (octet_status s = per_tensor_q8(y, "output"); s != OCTET_OK) return s;
  return q_range();
}

octet_status OpChecker::concat() {
  if (op_.num_inputs < 1 || op_.num_outputs != 1) return fail("needs >= 1 inputs and 1 output");
  if (op_.num_inputs > 4096) return fail("too many inputs");
  const TensorDesc* y = out(0);
  const fb::ConcatOptions* o = op_.fb->options_as_ConcatOptions();
  int axis = o ? o->axis() : 0;
  if (axis < 0) axis += y->rank;
  if (axis < 0 || axis >= y->rank) return fail("axis out of range");
  int64_t total = 0;
  for (int i = 0; i < op_.num_inputs; ++i) {
    const TensorDesc* x = in(i);
    if (!x) return fail("input %d is absent", i);
    if (x->dtype != y->dtype || x->rank != y->rank) return fail("input %d dtype/rank differs", i);
    for (int d = 0; d < y->rank; ++d)
      if (d != axis && x->shape[d] != y->shape[d])
        return fail("input %d dimension %d differs", i, d);
    total += x->shape[axis];
    if (y->dtype == DType::Int8 || y->dtype == DType::UInt8)
      if (octet_status s = per_tensor_q8(x, "input"); s != OCTET_OK) return s;
  }
  if (total != y->shape[axis])
    return fail("inputs add up to %lld along the axis, output has %d",
                static_cast<long long>(total), y->shape[axis]);
  if (y->dtype == DType::Int8 || y->dtype == DType::UInt8) {
    if (octet_status s = per_tensor_q8(y, "output"); s != OCTET_OK) return s;
    // Only int8 has a requantizing concat; uint8 inputs must already share the output's q.
    for (int i = 0; y->dtype == DType::UInt8 && i < op_.num_inputs; ++i)
      if (in(i)->scales[0] != y->scales[0] || in(i)->zero_points[0] != y->zero_points[0])
        return unsupported("uint8 Concat with differing quantization");
  }
  return OCTET_OK;
}

octet_status OpChecker::pad() {
  if (octet_status s = counts(1, 2, 1); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *y = out(0);
  if (x->rank < 1) return fail("needs a tensor of rank >= 1");
  const fb::PadOptions* o = op_.fb->options_as_PadOptions();
  if (!o || !o->paddings() || int(o->paddings()->size()) != 2 * x->rank)
    return fail("paddings must hold 2 values per dimension");
  if (x->dtype != y->dtype || x->rank != y->rank) return fail("input/output dtype or rank differ");
  for (int d = 0; d < x->rank; ++d) {
    const int64_t before = o->paddings()->Get(2 * d), after = o->paddings()->Get(2 * d + 1);
    if (before < 0 || after < 0) return fail("negative padding");
    if (x->shape[d] + before + after != y->shape[d]) return fail("output dimension %d mismatch", d);
  }
  return OCTET_OK;
}

octet_status OpChecker::softmax() {
  if (octet_status s = counts(1, 1, 1); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *y = out(0);
  if (!same_shape(x, y) || x->rank < 1) return fail("input and output shapes differ");
  const fb::SoftmaxOptions* o = op_.fb->options_as_SoftmaxOptions();
  const int axis = o ? o->axis() : -1;
  if (axis != -1 && axis != x->rank - 1) return unsupported("softmax only over the last axis");
  if (x->dtype == DType::Float32 && y->dtype == DType::Float32) {
    if (o && !std::isfinite(o->beta())) return fail("beta is not finite");
    return OCTET_OK;
  }
  if (x->dtype != DType::Int8 || y->dtype != DType::Int8) return unsupported("softmax dtypes");
  if (octet_status s = per_tensor_q8(x, "input"); s != OCTET_OK) return s;
  if (octet_status s = per_tensor_q8(y, "output"); s != OCTET_OK) return s;
  if (!op_.lut || op_.lut_size != 256 * sizeof(float))
    return fail("int8 softmax needs a 256-entry float table in lut");
  const float* table = reinterpret_cast<const float*>(op_.lut);
  for (int i = 0; i < 256; ++i)
    if (!std::isfinite(table[i]) || table[i] < 0.0f)
      return fail("softmax table entry %d is bad", i);
  return OCTET_OK;
}

octet_status OpChecker::unary_float() {
  if (octet_status s = counts(1, 1, 1); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *y = out(0);
  if (x->dtype != DType::Float32 || y->dtype != DType::Float32)
    return unsupported("only float32 here: int8 activations must be converted to Lut ops");
  if (x->num_elements != y->num_elements) return fail("element counts differ");
  return OCTET_OK;
}

octet_status OpChecker::quantize() {
  if (octet_status s = counts(1, 1, 1); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *y = out(0);
  if (x->num_elements != y->num_elements) return fail("element counts differ");
  const bool x8 = x->dtype == DType::Int8 || x->dtype == DType::UInt8;
  const bool y8 = y->dtype == DType::Int8 || y->dtype == DType::UInt8;
  if (x8)
    if (octet_status s = per_tensor_q8(x, "input"); s != OCTET_OK) return s;
  if (y8)
    if (octet_status s = per_tensor_q8(y, "output"); s != OCTET_OK) return s;
  if (op_.type == OpType::Dequantize) {
    if (!x8 || y->dtype != DType::Float32) return fail("Dequantize is int8/uint8 -> float32");
    return OCTET_OK;
  }
  if (op_.type == OpType::Lut) {
    if (x->dtype != DType::Int8 || y->dtype != DType::Int8) return fail("Lut is int8 -> int8");
    if (!op_.lut || op_.lut_size != 256) return fail("Lut needs a 256-byte table");
    return OCTET_OK;
  }
  if (!y8) return fail("Quantize output must be int8 or uint8");
  if (x->dtype == DType::Float32) return OCTET_OK;
  if (x8 && !(x->dtype == DType::UInt8 && y->dtype == DType::UInt8)) return OCTET_OK;
  return unsupported("Quantize supports float->s8/u8, s8->s8, s8<->u8");
}

octet_status OpChecker::transpose() {
  if (octet_status s = counts(1, 2, 1); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *y = out(0);
  if (x->rank < 1) return fail("needs a tensor of rank >= 1");
  const fb::TransposeOptions* o = op_.fb->options_as_TransposeOptions();
  if (!o || !o->perm() || int(o->perm()->size()) != x->rank || y->rank != x->rank)
    return fail("perm must have one entry per dimension");
  if (x->dtype != y->dtype) return fail("dtypes differ");
  bool seen[OCTET_MAX_RANK] = {};
  for (int d = 0; d < x->rank; ++d) {
    const int p = o->perm()->Get(d);
    if (p < 0 || p >= x->rank || seen[p]) return fail("perm is not a permutation");
    seen[p] = true;
    if (y->shape[d] != x->shape[p]) return fail("output dimension %d mismatch", d);
  }
  return OCTET_OK;
}

octet_status OpChecker::slice() {
  if (octet_status s = counts(1, 3, 1); s != OCTET_OK) return s;
  const TensorDesc *x = in(0), *y = out(0);
  if (x->rank < 1) return fail("needs a tensor of rank >= 1");
  const fb::SliceOptions* o = op_.fb->options_as_SliceOptions();
  if (!o || !o->begin() || !o->size() || int(o->begin()->size()) != x->rank ||
      int(o->size()->size()) != x->rank || y->rank != x->rank)
    return fail("begin and size must have one entry per dimension");
  if (x->dtype != y->dtype) return fail("dtypes differ");
  for (int d = 0; d < x->rank; ++d) {
    const int64_t begin = o->begin()->Get(d);
    int64_t size = o->size()->Get(d);
    if (begin < 0 || begin >= x->shape[d]) return fail("begin %d out of range", d);
    if (size == -1) size = x->shape[d] - begin;
    if (size < 1 || begin + size > x->shape[d] || size != y->shape[d])
      return fail("size %d out of range or not the output's", d);
  }
  return OCTET_OK;
}

octet_status OpChecker::batch_matmul() {
  if (octet_status s = counts(2, 2, 2); s != OCTET_OK) return s;
  const TensorDesc *a = in(0), *b = in(1), *y = out(0);
  if (a->dtype != DType::Float32 || b->dtype != DType::Float32 || y->dtype != DType::Float32)
    return unsupported("BatchMatMul is float32 only");
  if (a->rank < 2 || b->rank < 2 || y->rank < 2) return fail("operands need rank >= 2");
  const int64_t m = a->shape[a->rank - 2], k = a->shape[a->rank - 1];
  const int64_t n = b->shape[b->rank - 1];
  if (b->shape[b->rank - 2] != k || y->shape[y->rank - 2] != m || y->shape[y->rank - 1] != n)
    return fail("shapes do not multiply");
  const uint64_t batch_a = a->num_elements / uint64_t(m * k);
  const uint64_t batch_b = b->num_elements / uint64_t(k * n);
  const uint64_t batch_y = y->num_elements / uint64_t(m * n);
  if ((batch_a != batch_y && batch_a != 1) || (batch_b != batch_y && batch_b != 1))
    return unsupported("BatchMatMul batch broadcast beyond 1-vs-N");
  return OCTET_OK;
}

octet_status OpChecker::run() {
  switch (op_.type) {
    case OpType::Conv2D:
    case OpType::DepthwiseConv2D:
      return conv();
    case OpType::FullyConnected:
      return fully_connected();
    case OpType::Add:
    case OpType::Mul:
    case OpType::Sub:
    case OpType::Div:
      return binary();
    case OpType::AveragePool2D:
    case OpType::MaxPool2D:
      return pool();
    case OpType::Mean:
      return mean();
    case OpType::Concat:
      return concat();
    case OpType::Reshape: {
      if (octet_status s = counts(1, 2, 1); s != OCTET_OK) return s;
      if (in(0)->dtype != out(0)->dtype || in(0)->num_elements != out(0)->num_elements)
        return fail("Reshape changes the dtype or the element count");
      return OCTET_OK;
    }
    case OpType::Pad:
      return pad();
    case OpType::Softmax:
      return softmax();
    case OpType::Logistic:
    case OpType::Tanh:
    case OpType::Relu:
    case OpType::Relu6:
    case OpType::HardSwish:
    case OpType::Sqrt:
      return unary_float();
    case OpType::Quantize:
    case OpType::Dequantize:
    case OpType::Lut:
      return quantize();
    case OpType::Transpose:
      return transpose();
    case OpType::Slice:
      return slice();
    case OpType::BatchMatMul:
      return batch_matmul();
  }
  return unsupported("unknown op type");
}

struct Region {
  uint64_t begin, end;  // bytes [begin, end)
  int live_begin, live_end;
  int id;  // tensor index, or -(op index) - 1 for scratch
};

void describe(const Region& r, char* out, size_t size) {
  if (r.id >= 0)
    snprintf(out, size, "tensor %d", r.id);
  else
    snprintf(out, size, "scratch of operator %d", -r.id - 1);
}

}  // namespace

octet_status verify_operator(octet_model& model, int op_index) {
  OpChecker checker(model, op_index);
  octet_status status = checker.run();
  if (status != OCTET_OK) return status;
  OpDesc& op = model.ops[op_index];
  if (op.wide.count > 0 && !op.wide_checked)
    return set_error(OCTET_ERROR_INVALID_MODEL,
                     "operator %d '%s': wide channels are only for int8 Conv2D, "
                     "DepthwiseConv2D and FullyConnected",
                     op_index, op.name);
  if (op.uses_gemm) {
    for (int f = 0; f < kPackFamilyCount; ++f) {
      if (!op.packed[f]) continue;
      const uint64_t expected =
          gemm_qs8_packed_size(static_cast<PackFamily>(f), op.gemm_n, op.gemm_k);
      if (op.packed_size[f] != expected)
        return set_error(OCTET_ERROR_INVALID_MODEL,
                         "operator %d '%s': packed weights for %s hold %llu bytes, expected %llu",
                         op_index, op.name, pack_family_name(static_cast<PackFamily>(f)),
                         static_cast<unsigned long long>(op.packed_size[f]),
                         static_cast<unsigned long long>(expected));
    }
  }
  return OCTET_OK;
}

octet_status verify_memory_plan(octet_model& m) {
  const int last_op = m.num_ops > 0 ? m.num_ops - 1 : 0;
  for (int t = 0; t < m.num_tensors; ++t) {
    TensorDesc& d = m.tensors[t];
    d.live_begin = 0;
    d.live_end = -1;
    d.producer = -1;
  }
  // Graph inputs are live from the start.
  for (int i = 0; i < m.num_inputs; ++i) {
    TensorDesc& d = m.tensors[m.inputs[i]];
    d.live_begin = 0;
    d.live_end = 0;
    d.producer = -2;  // "written by the caller"
  }
  for (int o = 0; o < m.num_ops; ++o) {
    const OpDesc& op = m.ops[o];
    for (int i = 0; i < op.num_inputs; ++i) {
      if (op.inputs[i] < 0) continue;
      TensorDesc& d = m.tensors[op.inputs[i]];
      if (d.constant) continue;
      if (d.producer == -1)
        return set_error(OCTET_ERROR_INVALID_MODEL,
                         "operator %d '%s' reads tensor %d '%s' before anything writes it", o,
                         op.name, op.inputs[i], d.name);
      d.live_end = o;
    }
    for (int i = 0; i < op.num_outputs; ++i) {
      TensorDesc& d = m.tensors[op.outputs[i]];
      if (d.producer != -1)
        return set_error(OCTET_ERROR_INVALID_MODEL,
                         "operator %d '%s' writes tensor %d '%s', which already has a writer", o,
                         op.name, op.outputs[i], d.name);
      d.producer = o;
      d.live_begin = o;
      d.live_end = o;
    }
  }
  for (int i = 0; i < m.num_outputs; ++i) {
    TensorDesc& d = m.tensors[m.outputs[i]];
    if (d.producer == -1)
      return set_error(OCTET_ERROR_INVALID_MODEL, "graph output %d (tensor %d) is never written", i,
                       m.outputs[i]);
    d.live_end = last_op;
  }
  for (int t = 0; t < m.num_tensors; ++t) {
    TensorDesc& d = m.tensors[t];
    if (d.constant) continue;
    const bool used = d.producer != -1;
    if (d.arena_offset < 0) {
      if (used)
        return set_error(OCTET_ERROR_INVALID_MODEL,
                         "tensor %d '%s' is used but has no arena offset", t, d.name);
      continue;
    }
    const uint64_t offset = static_cast<uint64_t>(d.arena_offset);
    const bool inside = offset <= m.arena_size && d.size_bytes <= m.arena_size - offset;
    const bool aligned = offset % dtype_size(d.dtype) == 0;
    if (!used && (!inside || !aligned)) {
      d.arena_offset = -1;  // nothing references it: ignore its placement, give it no address
      continue;
    }
    if (!inside)
      return set_error(OCTET_ERROR_INVALID_MODEL,
                       "tensor %d '%s': arena range [%llu, +%llu) exceeds the arena (%llu bytes)",
                       t, d.name, static_cast<unsigned long long>(offset),
                       static_cast<unsigned long long>(d.size_bytes),
                       static_cast<unsigned long long>(m.arena_size));
    if (!aligned)
      return set_error(OCTET_ERROR_INVALID_MODEL, "tensor %d '%s': arena offset %llu is misaligned",
                       t, d.name, static_cast<unsigned long long>(offset));
  }

  // Collect live regions, sort by start byte, and look for two that share bytes and time.
  const size_t max_regions = static_cast<size_t>(m.num_tensors) + m.num_ops + 1;
  auto* regions = static_cast<Region*>(malloc(max_regions * sizeof(Region)));
  if (!regions) return set_error(OCTET_ERROR_OUT_OF_MEMORY, "out of memory");
  size_t count = 0;
  m.arena_used = 0;
  for (int t = 0; t < m.num_tensors; ++t) {
    const TensorDesc& d = m.tensors[t];
    if (d.constant || d.arena_offset < 0) continue;
    // Every tensor pointer must stay inside what the session reserves, live or not.
    const uint64_t end = static_cast<uint64_t>(d.arena_offset) + d.size_bytes;
    if (end > m.arena_used) m.arena_used = end;
    if (d.producer == -1 || d.size_bytes == 0) continue;
    regions[count++] = {static_cast<uint64_t>(d.arena_offset),
                        static_cast<uint64_t>(d.arena_offset) + d.size_bytes, d.live_begin,
                        d.live_end, t};
  }
  for (int o = 0; o < m.num_ops; ++o) {
    const OpDesc& op = m.ops[o];
    if (op.scratch_size == 0) continue;
    if (op.scratch_offset > m.arena_size || op.scratch_size > m.arena_size - op.scratch_offset) {
      free(regions);
      return set_error(OCTET_ERROR_INVALID_MODEL,
                       "operator %d '%s': scratch [%llu, +%llu) exceeds the arena (%llu bytes)", o,
                       op.name, static_cast<unsigned long long>(op.scratch_offset),
                       static_cast<unsigned long long>(op.scratch_size),
                       static_cast<unsigned long long>(m.arena_size));
    }
    regions[count++] = {op.scratch_offset, op.scratch_offset + op.scratch_size, o, o, -o - 1};
    if (op.scratch_offset + op.scratch_size > m.arena_used)
      m.arena_used = op.scratch_offset + op.scratch_size;
  }
  qsort(regions, count, sizeof(Region), [](const void* a, const void* b) {
    const auto* ra = static_cast<const Region*>(a);
    const auto* rb = static_cast<const Region*>(b);
    return ra->begin < rb->begin ? -1 : (ra->begin > rb->begin ? 1 : 0);
  });
  for (size_t i = 0; i < count; ++i) {
    for (size_t j = i + 1; j < count && regions[j].begin < regions[i].end; ++j) {
      const Region &a = regions[i], &b = regions[j];
      if (a.live_begin <= b.live_end && b.live_begin <= a.live_end) {
        char na[64], nb[64];
        describe(a, na, sizeof(na));
        describe(b, nb, sizeof(nb));
        free(regions);
        return set_error(OCTET_ERROR_INVALID_MODEL,
                         "memory plan: %s and %s share arena bytes while both are live", na, nb);
      }
    }
  }
  free(regions);
  return OCTET_OK;
}

}  // namespace octet::rt
