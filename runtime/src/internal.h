// Internal structures shared by the loader, the verifier, the session and the executor.
#pragma once
#include <pthread.h>

#include <cstddef>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/f32/f32.h"
#include "kernels/gemm/gemm.h"
#include "kernels/reference/reference.h"
#include "octet/octet.h"
#include "octet_generated.h"

namespace octet::rt {

constexpr size_t kAlign = OCTET_ARENA_ALIGNMENT;

inline size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

// Records `status` and a printf-style message as the calling thread's last error.
octet_status set_error(octet_status status, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

size_t dtype_size(fb::DType dtype);

// A tensor as the verifier validated it; everything the session needs without
// re-reading the flatbuffer.
struct TensorDesc {
  const char* name = "";
  fb::DType dtype = fb::DType::Float32;
  int rank = 0;
  int32_t shape[OCTET_MAX_RANK] = {};
  uint64_t num_elements = 1;
  uint64_t size_bytes = 0;
  bool constant = false;
  const uint8_t* const_data = nullptr;  // constants: inside the data section
  int64_t arena_offset = -1;            // non-constants
  bool quantized = false;
  int quant_axis = -1;
  int num_scales = 0;
  const float* scales = nullptr;
  const int32_t* zero_points = nullptr;
  // Live range in op indices (inclusive); first_use > last_use means never live.
  int live_begin = 0, live_end = -1;
  int producer = -1;

  ref::QParams qparams() const {
    ref::QParams q;
    if (quantized) {
      q.scale = scales[0];
      q.zero_point = zero_points[0];
    }
    return q;
  }
};

struct OpDesc {
  fb::OpType type = fb::OpType::Conv2D;
  const fb::Operator* fb = nullptr;
  const char* name = "";
  int num_inputs = 0, num_outputs = 0;
  const int32_t* inputs = nullptr;  // -1 marks an absent optional input
  const int32_t* outputs = nullptr;
  const float* multiplier = nullptr;  // int8 GEMM-like ops
  uint32_t multiplier_count = 0;
  const uint8_t* lut = nullptr;
  uint64_t lut_size = 0;
  // GEMM-like int8 ops that go through a GEMM kernel (Conv2D groups 1, FullyConnected).
  bool uses_gemm = false;
  size_t gemm_n = 0, gemm_k = 0;
  const void* packed[kPackFamilyCount] = {};
  uint64_t packed_size[kPackFamilyCount] = {};
  uint64_t scratch_offset = 0, scratch_size = 0;
  // int8 Conv2D / DepthwiseConv2D / FullyConnected: channels recomputed with int16 weights.
  ref::WideChannels wide;
  uint64_t wide_weights_size = 0;  // bytes, checked against the op's shape by the verifier
  bool wide_checked = false;       // set by the int8 GEMM-like checks

  int input(int i) const { return i < num_inputs ? inputs[i] : -1; }
};

}  // namespace octet::rt

struct octet_model {
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  bool mapped = false;  // bytes is our mmap (unmap on close)
  const octet::fb::Model* fb = nullptr;
  const uint8_t* data = nullptr;  // data section
  uint64_t data_size = 0;
  uint64_t arena_size = 0;  // as stored in the file
  uint64_t arena_used = 0;  // end of the highest planned region (what sessions reserve)
  int num_tensors = 0, num_ops = 0, num_inputs = 0, num_outputs = 0;
  octet::rt::TensorDesc* tensors = nullptr;
  octet::rt::OpDesc* ops = nullptr;
  const int32_t* inputs = nullptr;
  const int32_t* outputs = nullptr;
};

namespace octet::rt {

// Verifies `model->bytes` completely and fills the descriptors. The model's arrays are
// allocated here (freed by free_model_arrays). Returns OCTET_OK or an error with a message.
octet_status load_model(octet_model* model);
void free_model_arrays(octet_model* model);

// Per-op semantic checks (shapes, dtypes, options, quantization); called by load_model.
octet_status verify_operator(octet_model& model, int op_index);
// Memory plan check: offsets inside the arena, live ranges, no shared bytes.
octet_status verify_memory_plan(octet_model& model);

// ---- Session ----

// How an operator is executed, chosen at session creation.
enum class ExecKind : uint8_t {
  kConvGemm,    // int8 Conv2D groups 1 through the conv2d driver + GEMM kernel
  kConvRefQs8,  // int8 grouped conv
  kConvF32,
  kDwKernel,  // int8 depthwise through the ISA registry
  kDwRefQs8,
  kDwF32,
  kFcGemm,
  kFcRefQs8,
  kFcF32,
  kAddQs8,
  kSubQs8,
  kMulQs8,
  kBinaryF32,
  kAvgPoolQs8,
  kMaxPoolQs8,
  kAvgPoolF32,
  kMaxPoolF32,
  kMeanQs8,
  kMeanF32,
  kConcat,
  kConcatQs8,
  kCopy,  // Reshape
  kPad,
  kSoftmaxF32,
  kSoftmaxQs8,
  kUnaryF32,
  kLut,
  kQuantizeF32S8,
  kQuantizeF32U8,
  kRequantizeS8S8,
  kRequantizeU8S8,
  kRequantizeS8U8,
  kDequantizeS8,
  kDequantizeU8,
  kTranspose,
  kSlice,
  kBatchMatMulF32,
};

struct OpState {
  ExecKind kind = ExecKind::kCopy;
  int op_index = 0;
  const void* in0 = nullptr;
  const void* in1 = nullptr;
  const void* weights = nullptr;
  const void* bias = nullptr;
  void* out = nullptr;
  ref::ConvGeometry conv;
  ref::PoolGeometry pool;
  ref::Broadcast bc;
  ref::Requant rq;
  ref::QParams qa, qb, qy;
  int32_t x_zero_point = 0;
  int32_t qmin = -128, qmax = 127;
  float act_min = 0, act_max = 0;
  const GemmQs8Kernel* gemm = nullptr;
  const DwConvQs8Kernel* dw = nullptr;
  const F32Kernels* f32 = nullptr;  // float Conv/DwConv/FC fast paths (null: reference)
  // int8 Add/Sub/Mul, pooling, global Mean (as pool), Lut for the session's ISA (null: reference)
  const ElementwiseQs8Kernels* ew = nullptr;
  const void* packed = nullptr;
  // Wide channels (legacy uint8 weights): through the GEMM as extra columns (kConvGemm), or
  // recomputed after the kernel over the same pixels (`wide`, geometry `conv`).
  const int32_t* extra_columns = nullptr;
  int extra_count = 0;
  ref::WideChannels wide;
  size_t m = 0, n = 0, k = 0;
  size_t count = 0;  // elements (unary, quantize, copy bytes)
  // Per-thread scratch: slot 0 is the planned scratch when it is large enough.
  uint8_t* scratch0 = nullptr;
  size_t scratch_need = 0;
  // Shapes for data movement / reductions.
  int rank = 0;
  int32_t shape[OCTET_MAX_RANK] = {};
  int32_t p0[OCTET_MAX_RANK] = {};  // perm / pad before / slice begin
  int32_t p1[OCTET_MAX_RANK] = {};  // pad after / slice size
  bool reduce[OCTET_MAX_RANK] = {};
  uint8_t pad_value[4] = {};
  float beta = 1.0f;
  ref::BinaryOp binary = ref::BinaryOp::kAdd;
  ref::UnaryOp unary = ref::UnaryOp::kRelu;
  // Concat
  int num_parts = 0;
  const void** parts = nullptr;
  int64_t* part_sizes = nullptr;
  ref::QParams* part_q = nullptr;
  int64_t outer = 0, inner = 0;
  size_t elem_size = 1;     // output element bytes
  size_t in_elem_size = 1;  // input element bytes
  // BatchMatMul
  size_t batch = 0, a_batch_stride = 0, b_batch_stride = 0;
};

struct ThreadPool;

}  // namespace octet::rt

struct octet_session {
  const octet_model* model = nullptr;
  octet_isa isa = OCTET_ISA_SCALAR;
  int num_threads = 1;
  int repacked = 0;
  bool owns_arena = false;
  void* arena_block = nullptr;  // what to free when owns_arena
  void** tensor_data = nullptr;
  octet::rt::OpState* ops = nullptr;
  uint8_t* activations = nullptr;
  uint8_t* thread_scratch = nullptr;  // num_threads slots of thread_scratch_slot bytes
  size_t thread_scratch_slot = 0;
  int first_slot_thread = 0;  // 1 when thread 0 always uses the planned scratch
  octet::rt::ThreadPool* pool = nullptr;
  octet_observer observer = nullptr;
  void* observer_user = nullptr;
};

namespace octet::rt {

// Thread pool living in the session arena. parallel_run calls fn(ctx, t, n) for every
// t in [0, n) (t == 0 on the calling thread) and returns when all are done.
size_t thread_pool_size(int num_threads);
bool thread_pool_start(void* memory, int num_threads, ThreadPool** out);
void thread_pool_stop(ThreadPool* pool);
void thread_pool_run(ThreadPool* pool, void (*fn)(void* ctx, int thread, int num_threads),
                     void* ctx);

// Executes operator `st` (all threads).
void execute_op(octet_session* session, const OpState& st);
// Scratch for thread t of the op (never null when the op needs scratch).
inline uint8_t* op_scratch(const octet_session* s, const OpState& st, int thread) {
  if (st.scratch_need == 0) return nullptr;
  if (thread == 0 && st.scratch0) return st.scratch0;
  return s->thread_scratch +
         static_cast<size_t>(thread - s->first_slot_thread) * s->thread_scratch_slot;
}

}  // namespace octet::rt
