// Building blocks shared by the TFLite int8 importer and the quantizer: both must produce
// exactly the int8 op contract of docs/ARCHITECTURE.md (folded bias, fp32 multipliers,
// q_min/q_max from the fused activation, Lut / softmax tables).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/reference/reference.h"
#include "tools/ir/graph.h"

namespace octet::convert {

// Fused activation clamp in float: [lo, hi] (infinities for None).
void activation_range_float(ir::Activation act, float* lo, float* hi);
// Fused activation clamp in the quantized output domain (TFLite's rule: zp + round(bound/scale),
// intersected with [-128, 127]).
void activation_range_quantized(ir::Activation act, float scale, int32_t zero_point, int32_t* q_min,
                                int32_t* q_max);

// Weight layout facts of the GEMM-like ops: output channel count and, for every output channel,
// which elements belong to it. Conv2D [OC][KH][KW][IC] and FullyConnected [N][K] are
// channel-major; depthwise [KH][KW][C] is channel-minor.
struct WeightLayout {
  int64_t channels = 0;
  int64_t per_channel = 0;  // elements per output channel
  bool channel_minor = false;
  int64_t index(int64_t channel, int64_t k) const {
    return channel_minor ? k * channels + channel : channel * per_channel + k;
  }
};
WeightLayout weight_layout(ir::OpType type, const std::vector<int32_t>& shape);

// Integer weights (zero point already subtracted, any range) -> Octet's int8 weights. A channel
// whose values fit [-127, 127] is stored as it is; any other channel (legacy asymmetric uint8
// weights span up to [-255, 255]) becomes a wide channel (schema WideChannels): its int8 weights
// are zero placeholders and its exact values go to *wide_weights. Returns the wide channel count.
int split_wide_channels(const WeightLayout& layout, const std::vector<int32_t>& values,
                        std::vector<int8_t>* out, std::vector<int32_t>* wide_channels,
                        std::vector<int16_t>* wide_weights);

// Float weights -> symmetric int8 absmax per output channel (or one scale for the whole tensor).
void quantize_weights(const WeightLayout& layout, const float* weights, bool per_channel,
                      std::vector<int8_t>* out, std::vector<float>* scales);

// b'[c] = b[c] - zp_x * sum_k w[c, k]  (bias may be empty: treated as zeros).
std::vector<int32_t> fold_bias(const WeightLayout& layout, const std::vector<int32_t>& bias,
                               const int8_t* weights, int32_t input_zero_point);
std::vector<int32_t> fold_bias(const WeightLayout& layout, const std::vector<int32_t>& bias,
                               const int32_t* weights, int32_t input_zero_point);

// multiplier[c] = s_x * s_w[c] / s_y, computed in double, one per output channel.
std::vector<float> requant_multipliers(float input_scale, const std::vector<float>& weight_scales,
                                       float output_scale, int64_t channels);

// 256-entry int8 table of a unary function for the Lut op.
std::vector<uint8_t> make_lut(ref::UnaryOp op, ref::QParams qx, ref::QParams qy, int32_t q_min,
                              int32_t q_max);
// 256 float entries (as bytes) for int8 Softmax.
std::vector<uint8_t> make_softmax_table(float beta, float input_scale);

// Output quantization Octet (and TFLite) fixes for bounded functions: Logistic [0,1) -> 1/256,
// -128; Tanh (-1,1) -> 1/128, 0; Softmax -> 1/256, -128. Returns false for other ops.
bool fixed_output_quant(ir::OpType type, float* scale, int32_t* zero_point);

// Asymmetric int8 parameters covering [lo, hi] (range first widened to include 0, so that
// zero is exactly representable - padding and ReLU rely on it).
void choose_activation_quant(float lo, float hi, float* scale, int32_t* zero_point);

// Helpers to make tensors.
ir::Tensor make_const_tensor(const std::string& name, ir::DType dtype, std::vector<int32_t> shape,
                             const void* data, size_t bytes);
template <class T>
ir::Tensor make_const_tensor(const std::string& name, ir::DType dtype, std::vector<int32_t> shape,
                             const std::vector<T>& values) {
  return make_const_tensor(name, dtype, std::move(shape), values.data(), values.size() * sizeof(T));
}

const char* op_type_name(ir::OpType type);
bool is_gemm_like(ir::OpType type);

}  // namespace octet::convert
