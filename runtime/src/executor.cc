// Executor: runs one prepared operator. GEMM-like int8 ops are split across the pool
// (conv by output pixels, FullyConnected by rows or by N in nr blocks, depthwise by output
// rows); int8 Add/Sub/Mul, pooling, spatial Mean and Lut run the session ISA's elementwise
// kernels (kernels/elementwise); other ops run their reference kernel. No allocation.
#include <cstring>

#include "runtime/src/internal.h"

namespace octet::rt {
namespace {

// [begin, end) of `total` items for thread t of n (static, contiguous).
void split(size_t total, int t, int n, size_t* begin, size_t* end) {
  const size_t chunk = (total + n - 1) / n;
  *begin = chunk * t < total ? chunk * t : total;
  *end = *begin + chunk < total ? *begin + chunk : total;
}

struct Task {
  octet_session* session;
  const OpState* st;
};

// Recomputes the wide channels (schema WideChannels) of an op that does not run them inside its
// GEMM (see plan_wide) for output pixels [begin, end), on the thread that wrote them.
void run_wide(const OpState& st, size_t begin, size_t end) {
  if (st.wide.count == 0 || begin >= end) return;
  const auto* x = static_cast<const int8_t*>(st.in0);
  const auto* bias = static_cast<const int32_t*>(st.bias);
  auto* y = static_cast<int8_t*>(st.out);
  if (st.kind == ExecKind::kDwKernel || st.kind == ExecKind::kDwRefQs8) {
    ref::dwconv2d_qs8_wide(st.conv, begin, end, x, st.x_zero_point, st.wide, bias, st.rq, y);
  } else {
    ref::conv2d_qs8_wide(st.conv, begin, end, x, st.x_zero_point, st.wide, bias, st.rq, y);
  }
}

void run_conv_gemm(void* ctx, int t, int n) {
  const Task& task = *static_cast<const Task*>(ctx);
  const OpState& st = *task.st;
  Conv2DQs8Params p;
  p.g = st.conv;
  const size_t pixels = static_cast<size_t>(st.conv.batch) * st.conv.out_h * st.conv.out_w;
  split(pixels, t, n, &p.pixel_begin, &p.pixel_end);
  if (p.pixel_begin >= p.pixel_end) return;
  p.x = static_cast<const int8_t*>(st.in0);
  p.x_zero_point = st.x_zero_point;
  p.w = static_cast<const int8_t*>(st.weights);
  p.bias = static_cast<const int32_t*>(st.bias);
  p.packed = st.packed;
  p.rq = st.rq;
  p.y = static_cast<int8_t*>(st.out);
  p.scratch = reinterpret_cast<int8_t*>(op_scratch(task.session, st, t));
  p.extra_columns = st.extra_columns;
  p.extra_count = st.extra_count;
  conv2d_qs8(*st.gemm, p);
}

void run_fc_gemm(void* ctx, int t, int n) {
  const Task& task = *static_cast<const Task*>(ctx);
  const OpState& st = *task.st;
  GemmQs8Params p;
  p.n = st.n;
  p.k = st.k;
  p.a_stride = st.k;
  p.c_stride = st.n;
  p.w = static_cast<const int8_t*>(st.weights);
  p.bias = static_cast<const int32_t*>(st.bias);
  p.packed = st.packed;
  p.multiplier = st.rq.multiplier;
  p.per_channel = st.rq.per_channel;
  p.zero_point = st.rq.zero_point;
  p.qmin = st.rq.qmin;
  p.qmax = st.rq.qmax;
  const auto* a = static_cast<const int8_t*>(st.in0);
  auto* c = static_cast<int8_t*>(st.out);
  if (st.m >= static_cast<size_t>(n)) {
    size_t row_begin, row_end;
    split(st.m, t, n, &row_begin, &row_end);
    if (row_begin >= row_end) return;
    p.m = row_end - row_begin;
    p.a = a + row_begin * st.k;
    p.c = c + row_begin * st.n;
    p.n_begin = 0;
    p.n_end = st.n;
  } else {
    // Few rows (GEMV): split N in whole nr blocks.
    const size_t nr = st.gemm->nr ? st.gemm->nr : 1;
    size_t block_begin, block_end;
    split((st.n + nr - 1) / nr, t, n, &block_begin, &block_end);
    if (block_begin >= block_end) return;
    p.m = st.m;
    p.a = a;
    p.c = c;
    p.n_begin = block_begin * nr;
    p.n_end = block_end * nr < st.n ? block_end * nr : st.n;
  }
  st.gemm->run(p);
}

void run_dwconv(void* ctx, int t, int n) {
  const Task& task = *static_cast<const Task*>(ctx);
  const OpState& st = *task.st;
  DwConvQs8Params p;
  p.g = st.conv;
  size_t begin, end;
  split(static_cast<size_t>(st.conv.out_h), t, n, &begin, &end);
  if (begin >= end) return;
  p.oh_begin = static_cast<int>(begin);
  p.oh_end = static_cast<int>(end);
  p.x = static_cast<const int8_t*>(st.in0);
  p.x_zero_point = st.x_zero_point;
  p.w = static_cast<const int8_t*>(st.weights);
  p.bias = static_cast<const int32_t*>(st.bias);
  p.rq = st.rq;
  p.y = static_cast<int8_t*>(st.out);
  p.scratch = op_scratch(task.session, st, t);
  p.scratch_size = p.scratch ? st.scratch_need : 0;
  st.dw->run(p);
  const size_t row = static_cast<size_t>(st.conv.out_w);
  for (size_t b = 0; b < static_cast<size_t>(st.conv.batch); ++b)
    run_wide(st, (b * st.conv.out_h + begin) * row, (b * st.conv.out_h + end) * row);
}

// Float Conv2D: output pixels, or output channels when there are fewer pixels than threads.
void run_conv_f32(void* ctx, int t, int n) {
  const OpState& st = *static_cast<const Task*>(ctx)->st;
  const ref::ConvGeometry& g = st.conv;
  const size_t pixels = static_cast<size_t>(g.batch) * g.out_h * g.out_w;
  size_t pixel_begin = 0, pixel_end = pixels, oc_begin = 0, oc_end = g.out_c;
  if (pixels >= static_cast<size_t>(n))
    split(pixels, t, n, &pixel_begin, &pixel_end);
  else
    split(static_cast<size_t>(g.out_c), t, n, &oc_begin, &oc_end);
  if (pixel_begin >= pixel_end || oc_begin >= oc_end) return;
  st.f32->conv2d(g, static_cast<const float*>(st.in0), static_cast<const float*>(st.weights),
                 static_cast<const float*>(st.bias), st.act_min, st.act_max,
                 static_cast<float*>(st.out), pixel_begin, pixel_end, static_cast<int>(oc_begin),
                 static_cast<int>(oc_end));
}

void run_dwconv_f32(void* ctx, int t, int n) {
  const OpState& st = *static_cast<const Task*>(ctx)->st;
  const ref::ConvGeometry& g = st.conv;
  size_t begin, end;
  split(static_cast<size_t>(g.batch) * g.out_h * g.out_w, t, n, &begin, &end);
  if (begin >= end) return;
  st.f32->dwconv2d(g, static_cast<const float*>(st.in0), static_cast<const float*>(st.weights),
                   static_cast<const float*>(st.bias), st.act_min, st.act_max,
                   static_cast<float*>(st.out), begin, end);
}

// Float FullyConnected: rows, or columns when there are fewer rows than threads.
void run_fc_f32(void* ctx, int t, int n) {
  const OpState& st = *static_cast<const Task*>(ctx)->st;
  size_t m_begin = 0, m_end = st.m, n_begin = 0, n_end = st.n;
  if (st.m >= static_cast<size_t>(n))
    split(st.m, t, n, &m_begin, &m_end);
  else
    split(st.n, t, n, &n_begin, &n_end);
  if (m_begin >= m_end || n_begin >= n_end) return;
  st.f32->fully_connected(st.m, st.n, st.k, static_cast<const float*>(st.in0),
                          static_cast<const float*>(st.weights), static_cast<const float*>(st.bias),
                          st.act_min, st.act_max, static_cast<float*>(st.out), m_begin, m_end,
                          n_begin, n_end);
}

// Elementwise ops are split only when there is enough work to pay for waking the pool.
constexpr size_t kMinParallelElements = 16384;

void run_binary_chunk(const OpState& st, const ref::Broadcast& bc, const uint8_t* a,
                      const uint8_t* b, uint8_t* y) {
  if (st.ew) {  // int8 Add/Sub/Mul through the session ISA's kernels (same bytes)
    const BinaryQs8Op op = st.kind == ExecKind::kAddQs8   ? BinaryQs8Op::kAdd
                           : st.kind == ExecKind::kSubQs8 ? BinaryQs8Op::kSub
                                                          : BinaryQs8Op::kMul;
    binary_qs8(*st.ew, op, bc, reinterpret_cast<const int8_t*>(a), st.qa,
               reinterpret_cast<const int8_t*>(b), st.qb, st.qy, st.qmin, st.qmax,
               reinterpret_cast<int8_t*>(y));
    return;
  }
  switch (st.kind) {
    case ExecKind::kAddQs8:
      ref::add_qs8(bc, reinterpret_cast<const int8_t*>(a), st.qa,
                   reinterpret_cast<const int8_t*>(b), st.qb, st.qy, st.qmin, st.qmax,
                   reinterpret_cast<int8_t*>(y));
      break;
    case ExecKind::kSubQs8:
      ref::sub_qs8(bc, reinterpret_cast<const int8_t*>(a), st.qa,
                   reinterpret_cast<const int8_t*>(b), st.qb, st.qy, st.qmin, st.qmax,
                   reinterpret_cast<int8_t*>(y));
      break;
    case ExecKind::kMulQs8:
      ref::mul_qs8(bc, reinterpret_cast<const int8_t*>(a), st.qa,
                   reinterpret_cast<const int8_t*>(b), st.qb, st.qy, st.qmin, st.qmax,
                   reinterpret_cast<int8_t*>(y));
      break;
    default:
      ref::binary_f32(st.binary, bc, reinterpret_cast<const float*>(a),
                      reinterpret_cast<const float*>(b), st.act_min, st.act_max,
                      reinterpret_cast<float*>(y));
      break;
  }
}

// Binary ops split along the first (simplified) broadcast dimension.
void run_binary(void* ctx, int t, int n) {
  const Task& task = *static_cast<const Task*>(ctx);
  const OpState& st = *task.st;
  size_t begin, end;
  split(static_cast<size_t>(st.bc.out[0]), t, n, &begin, &end);
  if (begin >= end) return;
  ref::Broadcast sub = st.bc;
  sub.out[0] = static_cast<int64_t>(end - begin);
  size_t inner = 1;
  for (int d = 1; d < st.bc.rank; ++d) inner *= static_cast<size_t>(st.bc.out[d]);
  const size_t es = st.elem_size;
  run_binary_chunk(st, sub, static_cast<const uint8_t*>(st.in0) + begin * st.bc.a_stride[0] * es,
                   static_cast<const uint8_t*>(st.in1) + begin * st.bc.b_stride[0] * es,
                   static_cast<uint8_t*>(st.out) + begin * inner * es);
}

void run_flat_chunk(const OpState& st, size_t count, const void* x, void* y) {
  switch (st.kind) {
    case ExecKind::kUnaryF32:
      ref::unary_f32(st.unary, count, static_cast<const float*>(x), static_cast<float*>(y));
      break;
    case ExecKind::kLut:
      if (st.ew) {
        st.ew->lut(count, static_cast<const int8_t*>(x), static_cast<const int8_t*>(st.weights),
                   static_cast<int8_t*>(y));
        break;
      }
      ref::lut_s8(count, static_cast<const int8_t*>(x), static_cast<const int8_t*>(st.weights),
                  static_cast<int8_t*>(y));
      break;
    case ExecKind::kQuantizeF32S8:
      ref::quantize_f32_s8(count, static_cast<const float*>(x), st.qy, static_cast<int8_t*>(y));
      break;
    case ExecKind::kQuantizeF32U8:
      ref::quantize_f32_u8(count, static_cast<const float*>(x), st.qy, static_cast<uint8_t*>(y));
      break;
    case ExecKind::kRequantizeS8S8:
      ref::requantize_s8_s8(count, static_cast<const int8_t*>(x), st.qa, st.qy,
                            static_cast<int8_t*>(y));
      break;
    case ExecKind::kRequantizeU8S8:
      ref::requantize_u8_s8(count, static_cast<const uint8_t*>(x), st.qa, st.qy,
                            static_cast<int8_t*>(y));
      break;
    case ExecKind::kRequantizeS8U8:
      ref::requantize_s8_u8(count, static_cast<const int8_t*>(x), st.qa, st.qy,
                            static_cast<uint8_t*>(y));
      break;
    case ExecKind::kDequantizeS8:
      ref::dequantize_s8_f32(count, static_cast<const int8_t*>(x), st.qa, static_cast<float*>(y));
      break;
    case ExecKind::kDequantizeU8:
      ref::dequantize_u8_f32(count, static_cast<const uint8_t*>(x), st.qa, static_cast<float*>(y));
      break;
    default:
      break;
  }
}

// Element-by-element ops split into contiguous ranges.
void run_flat(void* ctx, int t, int n) {
  const Task& task = *static_cast<const Task*>(ctx);
  const OpState& st = *task.st;
  size_t begin, end;
  split(st.count, t, n, &begin, &end);
  if (begin >= end) return;
  run_flat_chunk(st, end - begin, static_cast<const uint8_t*>(st.in0) + begin * st.in_elem_size,
                 static_cast<uint8_t*>(st.out) + begin * st.elem_size);
}

// int8 pooling (and spatial Mean as a global average pool) split by output pixels.
void run_pool_qs8(void* ctx, int t, int n) {
  const OpState& st = *static_cast<const Task*>(ctx)->st;
  const ref::PoolGeometry& g = st.pool;
  size_t begin, end;
  split(static_cast<size_t>(g.batch) * g.out_h * g.out_w, t, n, &begin, &end);
  if (begin >= end) return;
  const auto* x = static_cast<const int8_t*>(st.in0);
  auto* y = static_cast<int8_t*>(st.out);
  if (st.kind == ExecKind::kMaxPoolQs8)
    maxpool_qs8(*st.ew, g, x, st.qa, st.qy, st.qmin, st.qmax, y, begin, end);
  else
    avgpool_qs8(*st.ew, g, x, st.qa, st.qy, st.qmin, st.qmax, y, begin, end);
}

void run_parallel(octet_session* s, const OpState& st, void (*fn)(void*, int, int)) {
  Task task{s, &st};
  if (s->pool)
    thread_pool_run(s->pool, fn, &task);
  else
    fn(&task, 0, 1);
}

template <class T>
const T* in0(const OpState& st) {
  return static_cast<const T*>(st.in0);
}
template <class T>
const T* in1(const OpState& st) {
  return static_cast<const T*>(st.in1);
}
template <class T>
T* out(const OpState& st) {
  return static_cast<T*>(st.out);
}

}  // namespace

void execute_op(octet_session* s, const OpState& st) {
  switch (st.kind) {
    case ExecKind::kConvGemm:
      run_parallel(s, st, run_conv_gemm);
      break;
    case ExecKind::kConvRefQs8:
      ref::conv2d_qs8(st.conv, in0<int8_t>(st), st.x_zero_point,
                      static_cast<const int8_t*>(st.weights), static_cast<const int32_t*>(st.bias),
                      st.rq, out<int8_t>(st));
      run_wide(st, 0, st.count / st.conv.out_c);
      break;
    case ExecKind::kConvF32:
      if (st.f32) {
        run_parallel(s, st, run_conv_f32);
        break;
      }
      ref::conv2d_f32(st.conv, in0<float>(st), static_cast<const float*>(st.weights),
                      static_cast<const float*>(st.bias), st.act_min, st.act_max, out<float>(st));
      break;
    case ExecKind::kDwKernel:
      run_parallel(s, st, run_dwconv);
      break;
    case ExecKind::kDwRefQs8:
      ref::dwconv2d_qs8(st.conv, in0<int8_t>(st), st.x_zero_point,
                        static_cast<const int8_t*>(st.weights),
                        static_cast<const int32_t*>(st.bias), st.rq, out<int8_t>(st));
      run_wide(st, 0, st.count / st.conv.out_c);
      break;
    case ExecKind::kDwF32:
      if (st.f32) {
        run_parallel(s, st, run_dwconv_f32);
        break;
      }
      ref::dwconv2d_f32(st.conv, in0<float>(st), static_cast<const float*>(st.weights),
                        static_cast<const float*>(st.bias), st.act_min, st.act_max, out<float>(st));
      break;
    case ExecKind::kFcGemm:
      run_parallel(s, st, run_fc_gemm);
      break;
    case ExecKind::kFcRefQs8:
      ref::fully_connected_qs8(st.m, st.n, st.k, in0<int8_t>(st),
                               static_cast<const int8_t*>(st.weights),
                               static_cast<const int32_t*>(st.bias), st.rq, out<int8_t>(st));
      run_wide(st, 0, st.m);
      break;
    case ExecKind::kFcF32:
      if (st.f32) {
        run_parallel(s, st, run_fc_f32);
        break;
      }
      ref::fully_connected_f32(
          st.m, st.n, st.k, in0<float>(st), static_cast<const float*>(st.weights),
          static_cast<const float*>(st.bias), st.act_min, st.act_max, out<float>(st));
      break;
    case ExecKind::kAddQs8:
    case ExecKind::kSubQs8:
    case ExecKind::kMulQs8:
    case ExecKind::kBinaryF32:
      if (s->pool && st.count >= kMinParallelElements) {
        run_parallel(s, st, run_binary);
      } else {
        Task task{s, &st};
        run_binary(&task, 0, 1);
      }
      break;
    case ExecKind::kAvgPoolQs8:
    case ExecKind::kMaxPoolQs8:
    case ExecKind::kMeanQs8:
      if (st.ew) {
        const size_t pixels = static_cast<size_t>(st.pool.batch) * st.pool.out_h * st.pool.out_w;
        const size_t work = st.count * st.pool.filter_h * st.pool.filter_w;
        if (s->pool && pixels > 1 && work >= kMinParallelElements) {
          run_parallel(s, st, run_pool_qs8);
        } else {
          Task task{s, &st};
          run_pool_qs8(&task, 0, 1);
        }
        break;
      }
      if (st.kind == ExecKind::kMeanQs8) {
        ref::mean_qs8(st.shape, st.rank, st.reduce, in0<int8_t>(st), st.qa, st.qy, st.qmin, st.qmax,
                      out<int8_t>(st));
      } else if (st.kind == ExecKind::kMaxPoolQs8) {
        ref::maxpool_qs8(st.pool, in0<int8_t>(st), st.qa, st.qy, st.qmin, st.qmax, out<int8_t>(st));
      } else {
        ref::avgpool_qs8(st.pool, in0<int8_t>(st), st.qa, st.qy, st.qmin, st.qmax, out<int8_t>(st));
      }
      break;
    case ExecKind::kAvgPoolF32:
      ref::avgpool_f32(st.pool, in0<float>(st), st.act_min, st.act_max, out<float>(st));
      break;
    case ExecKind::kMaxPoolF32:
      ref::maxpool_f32(st.pool, in0<float>(st), st.act_min, st.act_max, out<float>(st));
      break;
    case ExecKind::kMeanF32:
      ref::mean_f32(st.shape, st.rank, st.reduce, in0<float>(st), out<float>(st));
      break;
    case ExecKind::kConcat:
      ref::concat(st.num_parts, st.parts, st.part_sizes, st.outer, st.inner, st.elem_size, st.out);
      break;
    case ExecKind::kConcatQs8:
      ref::concat_qs8(st.num_parts, reinterpret_cast<const int8_t* const*>(st.parts), st.part_q,
                      st.part_sizes, st.outer, st.inner, st.qy, out<int8_t>(st));
      break;
    case ExecKind::kCopy:
      if (st.out != st.in0) memmove(st.out, st.in0, st.count);
      break;
    case ExecKind::kPad:
      ref::pad(st.shape, st.rank, st.p0, st.p1, st.elem_size, st.in0, st.pad_value, st.out);
      break;
    case ExecKind::kSoftmaxF32:
      ref::softmax_f32(static_cast<size_t>(st.outer), static_cast<size_t>(st.inner), st.beta,
                       in0<float>(st), out<float>(st));
      break;
    case ExecKind::kSoftmaxQs8:
      ref::softmax_qs8(static_cast<size_t>(st.outer), static_cast<size_t>(st.inner),
                       in0<int8_t>(st), static_cast<const float*>(st.weights), st.qy,
                       out<int8_t>(st));
      break;
    case ExecKind::kUnaryF32:
    case ExecKind::kLut:
    case ExecKind::kQuantizeF32S8:
    case ExecKind::kQuantizeF32U8:
    case ExecKind::kRequantizeS8S8:
    case ExecKind::kRequantizeU8S8:
    case ExecKind::kRequantizeS8U8:
    case ExecKind::kDequantizeS8:
    case ExecKind::kDequantizeU8:
      if (s->pool && st.count >= kMinParallelElements)
        run_parallel(s, st, run_flat);
      else
        run_flat_chunk(st, st.count, st.in0, st.out);
      break;
    case ExecKind::kTranspose:
      ref::transpose(st.shape, st.rank, st.p0, st.elem_size, st.in0, st.out);
      break;
    case ExecKind::kSlice:
      ref::slice(st.shape, st.rank, st.p0, st.p1, st.elem_size, st.in0, st.out);
      break;
    case ExecKind::kBatchMatMulF32:
      ref::batch_matmul_f32(st.batch, st.m, st.n, st.k, in0<float>(st), st.a_batch_stride,
                            in1<float>(st), st.b_batch_stride, out<float>(st));
      break;
  }
}

}  // namespace octet::rt
