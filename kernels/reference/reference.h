// Portable scalar reference kernels: slow, obviously correct, the ground truth
// every optimized kernel must match byte for byte (int8) and the float path
// used for calibration and for layers kept in float.
//
// Layout conventions: activations NHWC, row-major. Conv2D weights
// [OC][KH][KW][IC/groups]; depthwise weights [KH][KW][C*multiplier];
// FullyConnected weights [N][K]. Int8 biases are folded (DESIGN.md):
// b'[c] = b[c] - x_zp * sum_k w[c,k], so kernels start accumulators at b' and
// padding contributes x_zp (which the fold cancels).
#pragma once
#include <cstddef>
#include <cstdint>

namespace octet::ref {

constexpr int kMaxRank = 6;

struct QParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// Output requantization for GEMM-like int8 ops.
struct Requant {
  const float* multiplier = nullptr;  // s_in * s_w[c] / s_out
  bool per_channel = true;            // multiplier has out_c entries, else 1
  int32_t zero_point = 0;
  int32_t qmin = -128;
  int32_t qmax = 127;
};

struct ConvGeometry {
  int batch = 1;
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;
  int groups = 1;            // Conv2D
  int depth_multiplier = 1;  // DepthwiseConv2D: out_c == in_c * depth_multiplier
};

struct PoolGeometry {
  int batch = 1;
  int in_h = 0, in_w = 0, channels = 0;
  int out_h = 0, out_w = 0;
  int filter_h = 1, filter_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  bool count_include_pad = false;
};

// The input window of output pixel (oh, ow), clipped to the input; padded_count also counts
// the padded positions inside the window (bottom/right padding implied by the output size).
struct PoolWindow {
  int h_begin, h_end, w_begin, w_end;
  int padded_count;
};
PoolWindow pool_window(const PoolGeometry& g, int oh, int ow);

// Numpy-style broadcast of two operands to `out` (rank <= kMaxRank).
// Strides are in elements; 0 for a broadcast dimension.
struct Broadcast {
  int rank = 0;
  int64_t out[kMaxRank] = {};
  int64_t a_stride[kMaxRank] = {};
  int64_t b_stride[kMaxRank] = {};
};
// Fills `bc` from two shapes (right-aligned). Returns false if not broadcastable.
bool make_broadcast(const int32_t* a_shape, int a_rank, const int32_t* b_shape, int b_rank,
                    Broadcast* bc);

// ---- GEMM-like ----
void conv2d_qs8(const ConvGeometry& g, const int8_t* x, int32_t x_zero_point, const int8_t* w,
                const int32_t* bias, const Requant& rq, int8_t* y);
void conv2d_f32(const ConvGeometry& g, const float* x, const float* w, const float* bias,
                float act_min, float act_max, float* y);

// Output channels whose weights need more than 8 bits: legacy TFLite models quantize weights
// per tensor to asymmetric uint8, so w - zp spans up to [-255, 255]. Ops that run through a GEMM
// compute them inside it (extra im2col columns, kernels/conv2d); depthwise and grouped convs run
// their kernel as usual (it writes placeholders for these channels), then recompute just these
// channels here, exactly, for output pixels [pixel_begin, pixel_end) of batch * out_h * out_w.
// FullyConnected is the 1x1 conv with batch = rows, in_c = K, out_c = N.
struct WideChannels {
  int count = 0;
  const int32_t* channels = nullptr;  // strictly ascending output channels
  const int16_t* weights = nullptr;   // [count][weights per output channel], the op's tap order
};
void conv2d_qs8_wide(const ConvGeometry& g, size_t pixel_begin, size_t pixel_end, const int8_t* x,
                     int32_t x_zero_point, const WideChannels& wide, const int32_t* bias,
                     const Requant& rq, int8_t* y);
void dwconv2d_qs8_wide(const ConvGeometry& g, size_t pixel_begin, size_t pixel_end, const int8_t* x,
                       int32_t x_zero_point, const WideChannels& wide, const int32_t* bias,
                       const Requant& rq, int8_t* y);
void dwconv2d_qs8(const ConvGeometry& g, const int8_t* x, int32_t x_zero_point, const int8_t* w,
                  const int32_t* bias, const Requant& rq, int8_t* y);
void dwconv2d_f32(const ConvGeometry& g, const float* x, const float* w, const float* bias,
                  float act_min, float act_max, float* y);
// y[m][n] = requant(bias[n] + sum_k x[m][k] * w[n][k])
void fully_connected_qs8(size_t m, size_t n, size_t k, const int8_t* x, const int8_t* w,
                         const int32_t* bias, const Requant& rq, int8_t* y);
void fully_connected_f32(size_t m, size_t n, size_t k, const float* x, const float* w,
                         const float* bias, float act_min, float act_max, float* y);
// Batched float matmul y[b] = a[b] (m x k) * b[b] (k x n), with broadcast batch strides (0 =
// shared).
void batch_matmul_f32(size_t batch, size_t m, size_t n, size_t k, const float* a,
                      size_t a_batch_stride, const float* b, size_t b_batch_stride, float* y);

// ---- Elementwise binary (broadcasting) ----
// int8: y = quantize((a - za) * sa + (b - zb) * sb) / sy, computed in fp32 as
//   ((a - za) * (sa / sy)) + ((b - zb) * (sb / sy)) for Add (minus for Sub),
//   ((a - za) * (b - zb)) * (sa * sb / sy) for Mul. Clamped to [qmin, qmax].
void add_qs8(const Broadcast& bc, const int8_t* a, QParams qa, const int8_t* b, QParams qb,
             QParams qy, int32_t qmin, int32_t qmax, int8_t* y);
void sub_qs8(const Broadcast& bc, const int8_t* a, QParams qa, const int8_t* b, QParams qb,
             QParams qy, int32_t qmin, int32_t qmax, int8_t* y);
void mul_qs8(const Broadcast& bc, const int8_t* a, QParams qa, const int8_t* b, QParams qb,
             QParams qy, int32_t qmin, int32_t qmax, int8_t* y);
enum class BinaryOp { kAdd, kSub, kMul, kDiv };
void binary_f32(BinaryOp op, const Broadcast& bc, const float* a, const float* b, float act_min,
                float act_max, float* y);

// ---- Pooling / reduction ----
// int8 average: y = quantize((sum - count*zx) * (sx / (sy * count)))
void avgpool_qs8(const PoolGeometry& g, const int8_t* x, QParams qx, QParams qy, int32_t qmin,
                 int32_t qmax, int8_t* y);
void maxpool_qs8(const PoolGeometry& g, const int8_t* x, QParams qx, QParams qy, int32_t qmin,
                 int32_t qmax, int8_t* y);
void avgpool_f32(const PoolGeometry& g, const float* x, float act_min, float act_max, float* y);
void maxpool_f32(const PoolGeometry& g, const float* x, float act_min, float act_max, float* y);
// Mean over the axes flagged in reduce[] (rank <= kMaxRank); output keeps size-1 dims.
void mean_qs8(const int32_t* shape, int rank, const bool* reduce, const int8_t* x, QParams qx,
              QParams qy, int32_t qmin, int32_t qmax, int8_t* y);
void mean_f32(const int32_t* shape, int rank, const bool* reduce, const float* x, float* y);

// ---- Data movement (dtype-agnostic, elem_size bytes per element) ----
// Concatenate along an axis: input i is [outer][axis_sizes[i] * inner].
void concat(int num_inputs, const void* const* xs, const int64_t* axis_sizes, int64_t outer,
            int64_t inner, size_t elem_size, void* y);
// int8 concat where input scales differ: each input requantized to qy.
void concat_qs8(int num_inputs, const int8_t* const* xs, const QParams* qxs,
                const int64_t* axis_sizes, int64_t outer, int64_t inner, QParams qy, int8_t* y);
void pad(const int32_t* in_shape, int rank, const int32_t* before, const int32_t* after,
         size_t elem_size, const void* x, const void* pad_value, void* y);
void transpose(const int32_t* in_shape, int rank, const int32_t* perm, size_t elem_size,
               const void* x, void* y);
void slice(const int32_t* in_shape, int rank, const int32_t* begin, const int32_t* size,
           size_t elem_size, const void* x, void* y);

// ---- Unary ----
// int8 -> int8 through a 256-entry table indexed by (uint8_t)(x + 128).
void lut_s8(size_t n, const int8_t* x, const int8_t* table, int8_t* y);
// Builds the table for y = f(x) from quantization parameters (host and tests).
void build_lut_s8(float (*f)(float), QParams qx, QParams qy, int32_t qmin, int32_t qmax,
                  int8_t* table);
enum class UnaryOp { kRelu, kRelu6, kLogistic, kTanh, kHardSwish, kSqrt };
void unary_f32(UnaryOp op, size_t n, const float* x, float* y);
float unary_f32_scalar(UnaryOp op, float x);  // the same math, one value

// ---- Softmax ----
void softmax_f32(size_t outer, size_t depth, float beta, const float* x, float* y);
// int8 softmax over the last axis via a table exp_table[d] = exp(-beta * sx * d), d = max - x in
// [0, 255]: y = quantize(exp_table[max - x] / sum / sy). Same bytes on every CPU.
void softmax_qs8(size_t outer, size_t depth, const int8_t* x, const float* exp_table, QParams qy,
                 int8_t* y);
void build_softmax_table(float beta, float input_scale, float* exp_table);

// ---- Quantize / dequantize ----
// y = clamp(round_half_even(x / qy.scale) + zp) into [-128,127] (s8) or [0,255] (u8)
void quantize_f32_s8(size_t n, const float* x, QParams qy, int8_t* y);
void quantize_f32_u8(size_t n, const float* x, QParams qy, uint8_t* y);
void dequantize_s8_f32(size_t n, const int8_t* x, QParams qx, float* y);
void dequantize_u8_f32(size_t n, const uint8_t* x, QParams qx, float* y);
// Re-quantize between 8-bit types: y = clamp(round_half_even((x - zx) * (sx / sy)) + zy).
void requantize_s8_s8(size_t n, const int8_t* x, QParams qx, QParams qy, int8_t* y);
void requantize_u8_s8(size_t n, const uint8_t* x, QParams qx, QParams qy, int8_t* y);
void requantize_s8_u8(size_t n, const int8_t* x, QParams qx, QParams qy, uint8_t* y);

}  // namespace octet::ref
