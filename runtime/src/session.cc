// Session creation: ISA choice, arena layout, per-op preparation (kernel choice, geometry,
// quantization parameters), weight repacking when the file lacks the chosen family, and
// the thread pool. Everything lives in one arena:
//   [session][tensor pointers][op states][op aux][thread pool]
//   [planned activation arena][per-thread scratch][repacked weights]
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/src/internal.h"

namespace octet::rt {
namespace {

using fb::DType;
using fb::OpType;

constexpr int kMaxThreads = 64;

// What one op needs beyond the planned arena, for a given ISA.
struct OpNeeds {
  size_t scratch = 0;  // per thread
  size_t repack = 0;   // bytes of repacked weights (64-aligned)
  size_t aux = 0;      // bookkeeping bytes (concat arrays, zero bias)
  struct {             // wide channels run in the GEMM (see plan_wide); 64-aligned byte counts
    size_t columns = 0, row_major = 0, packed = 0;
    bool row_major_in_arena = false;
    size_t total() const { return columns + (row_major_in_arena ? 0 : row_major) + packed; }
  } wide;
};

struct Layout {
  size_t tensor_ptrs = 0, op_states = 0, aux = 0, aux_size = 0, pool = 0;
  size_t activations = 0, scratch = 0, scratch_slot = 0;
  int scratch_slots = 0, first_slot_thread = 0;
  size_t repack = 0, total = 0;
};

const GemmQs8Kernel* pick_gemm(Isa isa) {
  const GemmQs8Kernel* k = gemm_qs8_kernel(isa);
  return k ? k : gemm_qs8_kernel(Isa::kScalar);
}
const DwConvQs8Kernel* pick_dw(Isa isa) {
  const DwConvQs8Kernel* k = dwconv_qs8_kernel(isa);
  return k ? k : dwconv_qs8_kernel(Isa::kScalar);
}

void fill_int8_requant(const octet_model& m, const OpDesc& op, int out_channels, OpState* st) {
  const TensorDesc& x = m.tensors[op.inputs[0]];
  const TensorDesc& y = m.tensors[op.outputs[0]];
  st->x_zero_point = x.zero_points[0];
  st->rq.multiplier = op.multiplier;
  st->rq.per_channel = op.multiplier_count == static_cast<uint32_t>(out_channels);
  st->rq.zero_point = y.zero_points[0];
  st->rq.qmin = op.fb->q_min();
  st->rq.qmax = op.fb->q_max();
  st->qmin = st->rq.qmin;
  st->qmax = st->rq.qmax;
}

// ---- Wide channels (schema WideChannels: weights that need 9 bits) ----
// Ops that run through a GEMM kernel (Conv2D groups 1, FullyConnected) run them exactly inside
// the int8 GEMM: each 9-bit weight splits into int8 parts (clamped to [-127, 127], then the rest,
// at most 127 per part), and the conv driver's gather repeats the input column once per extra
// part (Conv2DQs8Params::extra_columns); the extended weights are built and packed at session
// creation. Pointwise convs and FullyConnected, which read their input in place otherwise, go
// through that gather too: on coral's uint8 MobileNetV2 (1-3 extra columns per op) the copy
// costs less than recomputing the channels. Depthwise and grouped convs recompute those
// channels after their kernel (ref::*_wide).

// Parts after the first that weight v needs: |v| <= 127: 0, <= 254: 1, 255: 2.
int extra_parts(int v) {
  const int a = v < 0 ? -v : v;
  return a <= 127 ? 0 : (a - 127 + 126) / 127;
}

// Extra parts of input column kk: the most any wide channel's weight there needs.
int column_parts(const ref::WideChannels& wide, size_t k, size_t kk) {
  int parts = 0;
  for (int j = 0; j < wide.count; ++j) {
    const int p = extra_parts(wide.weights[j * k + kk]);
    parts = p > parts ? p : parts;
  }
  return parts;
}

// Sets how the op's wide channels run, and what that needs beyond the planned arena.
void plan_wide(const octet_model& m, const OpDesc& op, OpState* st, OpNeeds* needs) {
  if (op.wide.count == 0) return;
  if (st->kind != ExecKind::kConvGemm) {  // recomputed after the kernel
    st->wide = op.wide;
    if (st->kind == ExecKind::kFcRefQs8) {  // as the 1x1 conv over m rows
      ref::ConvGeometry& g = st->conv;
      g.batch = static_cast<int>(st->m);
      g.in_h = g.in_w = g.out_h = g.out_w = 1;
      g.in_c = static_cast<int>(st->k);
      g.out_c = static_cast<int>(st->n);
    }
    return;
  }
  const size_t n = op.gemm_n, k = op.gemm_k;
  int extra = 0;
  for (size_t kk = 0; kk < k; ++kk) extra += column_parts(op.wide, k, kk);
  st->extra_count = extra;
  needs->scratch = conv2d_qs8_scratch_size(st->conv, extra);
  const size_t k_ext = k + static_cast<size_t>(extra);
  const PackFamily family = st->gemm->family;
  needs->wide.columns = align_up(sizeof(int32_t) * static_cast<size_t>(extra), kAlign);
  needs->wide.row_major = align_up(n * k_ext, kAlign);
  needs->wide.packed = family == PackFamily::kRowMajor
                           ? 0
                           : align_up(gemm_qs8_packed_size(family, n, k_ext), kAlign);
  // A packed kernel reads only the packed copy: the row-major one is built in the (still unused)
  // activation arena when it fits there.
  needs->wide.row_major_in_arena = needs->wide.packed != 0 && n * k_ext <= m.arena_used;
}

// Builds the extended weights of a wide GEMM op in `dst` (needs.wide bytes) and points st at
// them. `activations` is the session's activation arena (scratch space at creation).
uint8_t* build_wide(const OpDesc& op, const OpNeeds& needs, uint8_t* activations, uint8_t* dst,
                    OpState* st) {
  const size_t n = op.gemm_n, k = op.gemm_k, k_ext = k + static_cast<size_t>(st->extra_count);
  auto* columns = reinterpret_cast<int32_t*>(dst);
  dst += needs.wide.columns;
  int8_t* w = reinterpret_cast<int8_t*>(needs.wide.row_major_in_arena ? activations : dst);
  if (!needs.wide.row_major_in_arena) dst += needs.wide.row_major;
  size_t e = 0;  // extra column index
  for (size_t kk = 0; kk < k; ++kk)
    for (int part = column_parts(op.wide, k, kk); part > 0; --part)
      columns[e++] = static_cast<int32_t>(kk);
  const auto* w8 = static_cast<const int8_t*>(st->weights);
  for (size_t c = 0; c < n; ++c) {
    memcpy(w + c * k_ext, w8 + c * k, k);
    memset(w + c * k_ext + k, 0, k_ext - k);
  }
  for (int j = 0; j < op.wide.count; ++j) {
    int8_t* row = w + static_cast<size_t>(op.wide.channels[j]) * k_ext;
    const int16_t* wide = op.wide.weights + static_cast<size_t>(j) * k;
    for (size_t kk = 0, extra = k; kk < k; ++kk) {
      int rest = wide[kk];
      const int parts = 1 + column_parts(op.wide, k, kk);
      for (int part = 0; part < parts; ++part) {
        const int v = rest < -127 ? -127 : rest > 127 ? 127 : rest;
        row[part == 0 ? kk : extra + part - 1] = static_cast<int8_t>(v);
        rest -= v;
      }
      extra += parts - 1;
    }
  }
  st->extra_columns = columns;
  st->weights = w;
  if (needs.wide.packed != 0) {
    gemm_qs8_pack(st->gemm->family, n, k_ext, w, static_cast<const int32_t*>(st->bias), dst);
    st->packed = dst;
    dst += needs.wide.packed;
  }
  return dst;
}

// Rewrites a broadcast so that its first dimension is worth splitting across threads:
// equal shapes become one flat dimension, and size-1 output dimensions are dropped.
void simplify_broadcast(const TensorDesc& a, const TensorDesc& b, ref::Broadcast* bc) {
  if (a.num_elements == b.num_elements && a.num_elements == static_cast<uint64_t>([&] {
                                            int64_t n = 1;
                                            for (int d = 0; d < bc->rank; ++d) n *= bc->out[d];
                                            return n;
                                          }())) {
    ref::Broadcast flat;
    flat.rank = 1;
    flat.out[0] = static_cast<int64_t>(a.num_elements);
    flat.a_stride[0] = flat.b_stride[0] = 1;
    *bc = flat;
    return;
  }
  ref::Broadcast kept;
  for (int d = 0; d < bc->rank; ++d) {
    if (bc->out[d] == 1) continue;
    kept.out[kept.rank] = bc->out[d];
    kept.a_stride[kept.rank] = bc->a_stride[d];
    kept.b_stride[kept.rank] = bc->b_stride[d];
    ++kept.rank;
  }
  if (kept.rank > 0) *bc = kept;
}

// Fills everything in `st` that does not depend on where the arena is, and reports needs.
void prepare_op(const octet_model& m, int index, Isa isa, OpState* st, OpNeeds* needs) {
  const OpDesc& op = m.ops[index];
  *st = OpState();
  *needs = OpNeeds();
  st->op_index = index;
  const TensorDesc& x = m.tensors[op.inputs[0] >= 0 ? op.inputs[0] : 0];
  const TensorDesc& y = m.tensors[op.outputs[0]];
  st->act_min = op.fb->act_min();
  st->act_max = op.fb->act_max();
  st->qmin = op.fb->q_min();
  st->qmax = op.fb->q_max();
  st->count = y.num_elements;
  st->elem_size = dtype_size(y.dtype);
  st->in_elem_size = dtype_size(x.dtype);
  if (x.quantized) st->qa = x.qparams();
  if (y.quantized) st->qy = y.qparams();
  const bool int8 = x.dtype == DType::Int8;

  switch (op.type) {
    case OpType::Conv2D:
    case OpType::DepthwiseConv2D: {
      const TensorDesc& w = m.tensors[op.inputs[1]];
      const fb::Conv2DOptions* o = op.fb->options_as_Conv2DOptions();
      ref::ConvGeometry& g = st->conv;
      g.batch = x.shape[0];
      g.in_h = x.shape[1], g.in_w = x.shape[2], g.in_c = x.shape[3];
      g.out_h = y.shape[1], g.out_w = y.shape[2], g.out_c = y.shape[3];
      g.stride_h = o ? o->stride_h() : 1, g.stride_w = o ? o->stride_w() : 1;
      g.dilation_h = o ? o->dilation_h() : 1, g.dilation_w = o ? o->dilation_w() : 1;
      g.pad_top = o ? o->pad_top() : 0, g.pad_left = o ? o->pad_left() : 0;
      const bool depthwise = op.type == OpType::DepthwiseConv2D;
      if (depthwise) {
        g.kernel_h = w.shape[w.rank - 3], g.kernel_w = w.shape[w.rank - 2];
        g.depth_multiplier = o ? o->depth_multiplier() : 1;
      } else {
        g.kernel_h = w.shape[1], g.kernel_w = w.shape[2];
        g.groups = o ? o->groups() : 1;
      }
      if (op.input(2) < 0) needs->aux = align_up(sizeof(float) * g.out_c, 16);
      if (!int8) {
        st->kind = depthwise ? ExecKind::kDwF32 : ExecKind::kConvF32;
        st->f32 = f32_kernels(isa);
        break;
      }
      fill_int8_requant(m, op, g.out_c, st);
      if (depthwise) {
        st->dw = pick_dw(isa);
        st->kind = st->dw ? ExecKind::kDwKernel : ExecKind::kDwRefQs8;
        if (st->dw) needs->scratch = dwconv_qs8_scratch_size(st->dw->isa, g);
      } else if (op.uses_gemm && (st->gemm = pick_gemm(isa))) {
        if (g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
            g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w &&
            op.wide.count == 0) {
          // A pointwise conv is a plain GEMM over pixels: run it as one, so that few
          // pixels (e.g. 1x1 feature maps) still split across threads by N.
          st->kind = ExecKind::kFcGemm;
          st->m = static_cast<size_t>(g.batch) * g.in_h * g.in_w;
          st->n = static_cast<size_t>(g.out_c);
          st->k = static_cast<size_t>(g.in_c);
        } else {
          st->kind = ExecKind::kConvGemm;
          needs->scratch = conv2d_qs8_scratch_size(g);
        }
      } else {
        st->kind = ExecKind::kConvRefQs8;
      }
      break;
    }
    case OpType::FullyConnected: {
      const TensorDesc& w = m.tensors[op.inputs[1]];
      st->n = w.shape[0];
      st->k = w.shape[1];
      st->m = x.num_elements / st->k;
      if (op.input(2) < 0) needs->aux = align_up(sizeof(float) * st->n, 16);
      if (!int8) {
        st->kind = ExecKind::kFcF32;
        st->f32 = f32_kernels(isa);
        break;
      }
      fill_int8_requant(m, op, static_cast<int>(st->n), st);
      st->gemm = pick_gemm(isa);
      st->kind = st->gemm ? ExecKind::kFcGemm : ExecKind::kFcRefQs8;
      if (st->gemm && op.wide.count > 0) {
        // Wide channels run in the GEMM through the conv driver's gather (plan_wide): as the
        // 1x1 conv over m rows.
        ref::ConvGeometry& g = st->conv;
        g.batch = static_cast<int>(st->m);
        g.in_h = g.in_w = g.out_h = g.out_w = 1;
        g.in_c = static_cast<int>(st->k);
        g.out_c = static_cast<int>(st->n);
        st->kind = ExecKind::kConvGemm;
      }
      break;
    }
    case OpType::Add:
    case OpType::Sub:
    case OpType::Mul:
    case OpType::Div: {
      const TensorDesc& b = m.tensors[op.inputs[1]];
      ref::make_broadcast(x.shape, x.rank, b.shape, b.rank, &st->bc);
      simplify_broadcast(x, b, &st->bc);
      if (int8) {
        st->qb = b.qparams();
        st->ew = elementwise_qs8_kernels(isa);
        st->kind = op.type == OpType::Add   ? ExecKind::kAddQs8
                   : op.type == OpType::Sub ? ExecKind::kSubQs8
                                            : ExecKind::kMulQs8;
      } else {
        st->kind = ExecKind::kBinaryF32;
        st->binary = op.type == OpType::Add   ? ref::BinaryOp::kAdd
                     : op.type == OpType::Sub ? ref::BinaryOp::kSub
                     : op.type == OpType::Mul ? ref::BinaryOp::kMul
                                              : ref::BinaryOp::kDiv;
      }
      break;
    }
    case OpType::AveragePool2D:
    case OpType::MaxPool2D: {
      const fb::Pool2DOptions* o = op.fb->options_as_Pool2DOptions();
      ref::PoolGeometry& g = st->pool;
      g.batch = x.shape[0], g.in_h = x.shape[1], g.in_w = x.shape[2], g.channels = x.shape[3];
      g.out_h = y.shape[1], g.out_w = y.shape[2];
      g.filter_h = o->filter_h(), g.filter_w = o->filter_w();
      g.stride_h = o->stride_h(), g.stride_w = o->stride_w();
      g.pad_top = o->pad_top(), g.pad_left = o->pad_left();
      g.count_include_pad = o->count_include_pad();
      const bool avg = op.type == OpType::AveragePool2D;
      st->kind = int8 ? (avg ? ExecKind::kAvgPoolQs8 : ExecKind::kMaxPoolQs8)
                      : (avg ? ExecKind::kAvgPoolF32 : ExecKind::kMaxPoolF32);
      if (int8) st->ew = elementwise_qs8_kernels(isa);
      break;
    }
    case OpType::Mean: {
      const fb::MeanOptions* o = op.fb->options_as_MeanOptions();
      st->rank = x.rank;
      memcpy(st->shape, x.shape, sizeof(st->shape));
      for (unsigned i = 0; i < o->axes()->size(); ++i) {
        int axis = o->axes()->Get(i);
        if (axis < 0) axis += x.rank;
        st->reduce[axis] = true;
      }
      st->kind = int8 ? ExecKind::kMeanQs8 : ExecKind::kMeanF32;
      // A spatial Mean over NHWC (MobileNet's global pool) runs as an average pool.
      if (int8 && mean_qs8_as_global_pool(st->shape, st->rank, st->reduce, &st->pool)) {
        st->ew = elementwise_qs8_kernels(isa);
      }
      break;
    }
    case OpType::Concat: {
      const fb::ConcatOptions* o = op.fb->options_as_ConcatOptions();
      int axis = o ? o->axis() : 0;
      if (axis < 0) axis += y.rank;
      st->outer = 1, st->inner = 1;
      for (int d = 0; d < axis; ++d) st->outer *= y.shape[d];
      for (int d = axis + 1; d < y.rank; ++d) st->inner *= y.shape[d];
      st->num_parts = op.num_inputs;
      st->rank = axis;  // axis, used when binding
      bool requantize = false;
      if (y.quantized) {
        for (int i = 0; i < op.num_inputs; ++i) {
          const TensorDesc& t = m.tensors[op.inputs[i]];
          if (t.scales[0] != y.scales[0] || t.zero_points[0] != y.zero_points[0]) requantize = true;
        }
      }
      st->kind = requantize && y.dtype == DType::Int8 ? ExecKind::kConcatQs8 : ExecKind::kConcat;
      needs->aux =
          align_up(op.num_inputs * (sizeof(void*) + sizeof(int64_t) + sizeof(ref::QParams)), 16);
      break;
    }
    case OpType::Reshape:
      st->kind = ExecKind::kCopy;
      st->count = y.size_bytes;
      break;
    case OpType::Pad: {
      const fb::PadOptions* o = op.fb->options_as_PadOptions();
      st->kind = ExecKind::kPad;
      st->rank = x.rank;
      memcpy(st->shape, x.shape, sizeof(st->shape));
      for (int d = 0; d < x.rank; ++d) {
        st->p0[d] = o->paddings()->Get(2 * d);
        st->p1[d] = o->paddings()->Get(2 * d + 1);
      }
      if (x.quantized) {
        const int8_t zp = static_cast<int8_t>(x.zero_points[0]);
        memcpy(st->pad_value, &zp, 1);
      }
      st->elem_size = dtype_size(x.dtype);
      break;
    }
    case OpType::Softmax: {
      const fb::SoftmaxOptions* o = op.fb->options_as_SoftmaxOptions();
      st->inner = x.shape[x.rank - 1];
      st->outer = static_cast<int64_t>(x.num_elements) / st->inner;
      st->beta = o ? o->beta() : 1.0f;
      st->kind = int8 ? ExecKind::kSoftmaxQs8 : ExecKind::kSoftmaxF32;
      break;
    }
    case OpType::Logistic:
    case OpType::Tanh:
    case OpType::Relu:
    case OpType::Relu6:
    case OpType::HardSwish:
    case OpType::Sqrt:
      st->kind = ExecKind::kUnaryF32;
      st->unary = op.type == OpType::Logistic    ? ref::UnaryOp::kLogistic
                  : op.type == OpType::Tanh      ? ref::UnaryOp::kTanh
                  : op.type == OpType::Relu      ? ref::UnaryOp::kRelu
                  : op.type == OpType::Relu6     ? ref::UnaryOp::kRelu6
                  : op.type == OpType::HardSwish ? ref::UnaryOp::kHardSwish
                                                 : ref::UnaryOp::kSqrt;
      break;
    case OpType::Lut:
      st->kind = ExecKind::kLut;
      st->ew = elementwise_qs8_kernels(isa);
      break;
    case OpType::Quantize:
      if (x.dtype == DType::Float32)
        st->kind = y.dtype == DType::Int8 ? ExecKind::kQuantizeF32S8 : ExecKind::kQuantizeF32U8;
      else if (x.dtype == DType::Int8)
        st->kind = y.dtype == DType::Int8 ? ExecKind::kRequantizeS8S8 : ExecKind::kRequantizeS8U8;
      else
        st->kind = ExecKind::kRequantizeU8S8;
      break;
    case OpType::Dequantize:
      st->kind = x.dtype == DType::Int8 ? ExecKind::kDequantizeS8 : ExecKind::kDequantizeU8;
      break;
    case OpType::Transpose: {
      const fb::TransposeOptions* o = op.fb->options_as_TransposeOptions();
      st->kind = ExecKind::kTranspose;
      st->rank = x.rank;
      memcpy(st->shape, x.shape, sizeof(st->shape));
      for (int d = 0; d < x.rank; ++d) st->p0[d] = o->perm()->Get(d);
      break;
    }
    case OpType::Slice: {
      const fb::SliceOptions* o = op.fb->options_as_SliceOptions();
      st->kind = ExecKind::kSlice;
      st->rank = x.rank;
      memcpy(st->shape, x.shape, sizeof(st->shape));
      for (int d = 0; d < x.rank; ++d) {
        st->p0[d] = o->begin()->Get(d);
        st->p1[d] = y.shape[d];
      }
      break;
    }
    case OpType::BatchMatMul: {
      const TensorDesc& b = m.tensors[op.inputs[1]];
      st->kind = ExecKind::kBatchMatMulF32;
      st->m = x.shape[x.rank - 2];
      st->k = x.shape[x.rank - 1];
      st->n = b.shape[b.rank - 1];
      st->batch = y.num_elements / (st->m * st->n);
      st->a_batch_stride = x.num_elements / (st->m * st->k) == 1 ? 0 : st->m * st->k;
      st->b_batch_stride = b.num_elements / (st->k * st->n) == 1 ? 0 : st->k * st->n;
      break;
    }
  }

  plan_wide(m, op, st, needs);
  if (st->gemm && st->gemm->family != PackFamily::kRowMajor && needs->wide.total() == 0 &&
      !op.packed[static_cast<int>(st->gemm->family)]) {
    needs->repack = align_up(gemm_qs8_packed_size(st->gemm->family, op.gemm_n, op.gemm_k), kAlign);
  }
}

octet_status resolve_isa(const octet_session_options* options, Isa* out) {
  Isa isa;
  const char* source = "options.isa";
  // Read the enum as the int a C caller may have stored (any value is possible there).
  int requested = OCTET_ISA_AUTO;
  static_assert(sizeof(octet_isa) == sizeof(int), "octet_isa is an int-sized enum");
  if (options) memcpy(&requested, &options->isa, sizeof(requested));
  if (requested != OCTET_ISA_AUTO) {
    if (requested < OCTET_ISA_SCALAR || requested > OCTET_ISA_I8MM)
      return set_error(OCTET_ERROR_INVALID_ARGUMENT, "unknown ISA %d", requested);
    isa = static_cast<Isa>(requested);
  } else if (const char* env = getenv("OCTET_ISA"); env && *env) {
    source = "OCTET_ISA";
    if (!isa_from_name(env, &isa))
      return set_error(OCTET_ERROR_INVALID_ARGUMENT,
                       "OCTET_ISA=%s is not one of scalar, avx2, avxvnni, avx512vnni, neon, "
                       "dotprod, i8mm",
                       env);
  } else {
    *out = best_isa();
    return OCTET_OK;
  }
  if (!isa_compiled(isa))
    return set_error(OCTET_ERROR_ISA_UNAVAILABLE,
                     "%s requests ISA %s, which this build does not contain", source,
                     isa_name(isa));
  if (!isa_available(isa))
    return set_error(OCTET_ERROR_ISA_UNAVAILABLE,
                     "%s requests ISA %s, which this CPU does not support", source, isa_name(isa));
  *out = isa;
  return OCTET_OK;
}

int resolve_threads(const octet_session_options* options) {
  int n = options ? options->num_threads : 1;
  if (n < 1) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  return n;
}

Layout compute_layout(const octet_model& m, Isa isa, int threads) {
  Layout l;
  size_t off = align_up(sizeof(octet_session), kAlign);
  l.tensor_ptrs = off;
  off = align_up(off + sizeof(void*) * (m.num_tensors + 1), kAlign);
  l.op_states = off;
  off = align_up(off + sizeof(OpState) * (m.num_ops + 1), kAlign);
  size_t aux = 0, max_scratch = 0, repack = 0;
  bool slot0_needed = false;
  for (int i = 0; i < m.num_ops; ++i) {
    OpState st;
    OpNeeds needs;
    prepare_op(m, i, isa, &st, &needs);
    aux += needs.aux;
    repack += needs.repack + needs.wide.total();
    if (needs.scratch > max_scratch) max_scratch = needs.scratch;
    if (needs.scratch > m.ops[i].scratch_size) slot0_needed = true;
  }
  l.aux = off;
  l.aux_size = aux;
  off = align_up(off + aux, kAlign);
  l.pool = off;
  off = align_up(off + (threads > 1 ? thread_pool_size(threads) : 0), kAlign);
  l.activations = off;
  // Only the bytes the verified plan uses (a corrupt, oversized arena_size costs nothing).
  off = align_up(off + m.arena_used, kAlign);
  l.scratch = off;
  l.scratch_slot = align_up(max_scratch, kAlign);
  l.first_slot_thread = slot0_needed ? 0 : 1;
  l.scratch_slots = max_scratch ? threads - l.first_slot_thread : 0;
  off += l.scratch_slot * l.scratch_slots;
  l.repack = off;
  off += repack;
  l.total = off;
  return l;
}

}  // namespace
}  // namespace octet::rt

using namespace octet;
using namespace octet::rt;

extern "C" {

void octet_session_options_init(octet_session_options* options) {
  if (!options) return;
  options->isa = OCTET_ISA_AUTO;
  options->num_threads = 1;
}

octet_status octet_session_arena_size(const octet_model* model,
                                      const octet_session_options* options, size_t* out_size) {
  if (!model || !out_size) return set_error(OCTET_ERROR_INVALID_ARGUMENT, "null argument");
  Isa isa;
  if (octet_status s = resolve_isa(options, &isa); s != OCTET_OK) return s;
  *out_size = compute_layout(*model, isa, resolve_threads(options)).total;
  return OCTET_OK;
}

octet_status octet_session_create(const octet_model* model, const octet_session_options* options,
                                  void* arena, size_t arena_size, octet_session** out_session) {
  if (!model || !out_session) return set_error(OCTET_ERROR_INVALID_ARGUMENT, "null argument");
  *out_session = nullptr;
  Isa isa;
  if (octet_status s = resolve_isa(options, &isa); s != OCTET_OK) return s;
  const int threads = resolve_threads(options);
  const Layout l = compute_layout(*model, isa, threads);
  bool owns = false;
  if (!arena) {
    if (posix_memalign(&arena, kAlign, l.total ? l.total : kAlign) != 0)
      return set_error(OCTET_ERROR_OUT_OF_MEMORY, "cannot allocate a %zu-byte session arena",
                       l.total);
    owns = true;
  } else {
    if (reinterpret_cast<uintptr_t>(arena) % kAlign != 0)
      return set_error(OCTET_ERROR_INVALID_ARGUMENT, "arena must be %zu-byte aligned", kAlign);
    if (arena_size < l.total)
      return set_error(OCTET_ERROR_ARENA_TOO_SMALL, "arena of %zu bytes, the session needs %zu",
                       arena_size, l.total);
  }
  uint8_t* base = static_cast<uint8_t*>(arena);
  // Bookkeeping starts zeroed (the activation arena is left as the caller gave it).
  memset(base, 0, l.activations);

  auto* s = new (base) octet_session();
  s->model = model;
  s->isa = static_cast<octet_isa>(isa);
  s->num_threads = threads;
  s->owns_arena = owns;
  s->arena_block = owns ? arena : nullptr;
  s->tensor_data = reinterpret_cast<void**>(base + l.tensor_ptrs);
  s->ops = reinterpret_cast<OpState*>(base + l.op_states);
  s->activations = base + l.activations;
  s->thread_scratch = base + l.scratch;
  s->thread_scratch_slot = l.scratch_slot;
  s->first_slot_thread = l.first_slot_thread;

  for (int t = 0; t < model->num_tensors; ++t) {
    const TensorDesc& d = model->tensors[t];
    s->tensor_data[t] = d.constant            ? const_cast<uint8_t*>(d.const_data)
                        : d.arena_offset >= 0 ? s->activations + d.arena_offset
                                              : nullptr;  // never referenced
  }
  uint8_t* aux = base + l.aux;
  uint8_t* repack = base + l.repack;
  for (int i = 0; i < model->num_ops; ++i) {
    const OpDesc& op = model->ops[i];
    OpState* st = new (&s->ops[i]) OpState();
    OpNeeds needs;
    prepare_op(*model, i, isa, st, &needs);
    st->in0 = op.input(0) >= 0 ? s->tensor_data[op.input(0)] : nullptr;
    st->in1 = op.input(1) >= 0 ? s->tensor_data[op.input(1)] : nullptr;
    st->out = s->tensor_data[op.outputs[0]];
    st->weights = st->in1;
    st->bias = op.input(2) >= 0 ? s->tensor_data[op.input(2)] : nullptr;
    if (!st->bias && needs.aux && op.type != fb::OpType::Concat) {
      st->bias = aux;  // zeroed above
      aux += needs.aux;
    }
    if (op.type == fb::OpType::Lut || op.type == fb::OpType::Softmax) st->weights = op.lut;
    if (op.type == fb::OpType::Concat) {
      st->parts = reinterpret_cast<const void**>(aux);
      st->part_sizes = reinterpret_cast<int64_t*>(aux + sizeof(void*) * op.num_inputs);
      st->part_q =
          reinterpret_cast<ref::QParams*>(aux + (sizeof(void*) + sizeof(int64_t)) * op.num_inputs);
      const int axis = st->rank;
      for (int p = 0; p < op.num_inputs; ++p) {
        const TensorDesc& t = model->tensors[op.inputs[p]];
        st->parts[p] = s->tensor_data[op.inputs[p]];
        st->part_sizes[p] = t.shape[axis];
        new (&st->part_q[p]) ref::QParams(t.qparams());
      }
      aux += needs.aux;
    }
    if (needs.scratch) {
      st->scratch_need = needs.scratch;
      if (op.scratch_size >= needs.scratch) st->scratch0 = s->activations + op.scratch_offset;
    }
    if (needs.wide.total() != 0) {
      repack = build_wide(op, needs, s->activations, repack, st);
      s->repacked = 1;
    } else if (st->gemm && st->gemm->family != PackFamily::kRowMajor) {
      const int family = static_cast<int>(st->gemm->family);
      if (op.packed[family]) {
        st->packed = op.packed[family];
      } else {
        gemm_qs8_pack(st->gemm->family, op.gemm_n, op.gemm_k,
                      static_cast<const int8_t*>(st->weights),
                      static_cast<const int32_t*>(st->bias), repack);
        st->packed = repack;
        repack += needs.repack;
        s->repacked = 1;
      }
    }
  }
  if (threads > 1) {
    if (!thread_pool_start(base + l.pool, threads, &s->pool)) {
      if (owns) free(arena);
      return set_error(OCTET_ERROR_RUNTIME, "cannot start %d threads", threads);
    }
  }
  *out_session = s;
  return OCTET_OK;
}

void octet_session_destroy(octet_session* session) {
  if (!session) return;
  if (session->pool) thread_pool_stop(session->pool);
  void* block = session->owns_arena ? session->arena_block : nullptr;
  session->~octet_session();
  free(block);
}

octet_isa octet_session_isa(const octet_session* session) {
  return session ? session->isa : OCTET_ISA_SCALAR;
}
int octet_session_repacked(const octet_session* session) { return session ? session->repacked : 0; }

void* octet_session_input(octet_session* session, int index) {
  if (!session || index < 0 || index >= session->model->num_inputs) return nullptr;
  return session->tensor_data[session->model->inputs[index]];
}
const void* octet_session_output(const octet_session* session, int index) {
  if (!session || index < 0 || index >= session->model->num_outputs) return nullptr;
  return session->tensor_data[session->model->outputs[index]];
}
const void* octet_session_tensor_data(const octet_session* session, int tensor) {
  if (!session || tensor < 0 || tensor >= session->model->num_tensors) return nullptr;
  return session->tensor_data[tensor];
}
void octet_session_set_observer(octet_session* session, octet_observer observer, void* user) {
  if (!session) return;
  session->observer = observer;
  session->observer_user = user;
}

octet_status octet_session_invoke(octet_session* session) {
  if (!session) return set_error(OCTET_ERROR_INVALID_ARGUMENT, "null session");
  const octet_model* m = session->model;
  for (int i = 0; i < m->num_ops; ++i) {
    execute_op(session, session->ops[i]);
    if (session->observer && session->observer(session->observer_user, i) != 0)
      return set_error(OCTET_ERROR_RUNTIME, "observer stopped invoke after operator %d", i);
  }
  return OCTET_OK;
}

}  // extern "C"
