#include "tools/convert/quant_utils.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace octet::convert {

void activation_range_float(ir::Activation act, float* lo, float* hi) {
  const float inf = std::numeric_limits<float>::infinity();
  *lo = -inf;
  *hi = inf;
  switch (act) {
    case ir::Activation::Relu:
      *lo = 0.0f;
      break;
    case ir::Activation::Relu6:
      *lo = 0.0f;
      *hi = 6.0f;
      break;
    case ir::Activation::ReluN1To1:
      *lo = -1.0f;
      *hi = 1.0f;
      break;
    default:
      break;
  }
}

void activation_range_quantized(ir::Activation act, float scale, int32_t zero_point, int32_t* q_min,
                                int32_t* q_max) {
  float lo, hi;
  activation_range_float(act, &lo, &hi);
  *q_min = -128;
  *q_max = 127;
  auto quantize = [&](float v) {
    return zero_point + static_cast<int32_t>(std::nearbyint(v / scale));
  };
  if (std::isfinite(lo)) *q_min = std::max(*q_min, quantize(lo));
  if (std::isfinite(hi)) *q_max = std::min(*q_max, quantize(hi));
}

WeightLayout weight_layout(ir::OpType type, const std::vector<int32_t>& shape) {
  WeightLayout layout;
  int64_t total = 1;
  for (int32_t d : shape) total *= d;
  if (shape.empty()) return layout;
  if (type == ir::OpType::DepthwiseConv2D) {
    layout.channels = shape.back();
    layout.channel_minor = true;
  } else {
    layout.channels = shape.front();
  }
  layout.per_channel = layout.channels > 0 ? total / layout.channels : 0;
  return layout;
}

int split_wide_channels(const WeightLayout& layout, const std::vector<int32_t>& values,
                        std::vector<int8_t>* out, std::vector<int32_t>* wide_channels,
                        std::vector<int16_t>* wide_weights) {
  out->assign(values.size(), 0);
  wide_channels->clear();
  wide_weights->clear();
  for (int64_t c = 0; c < layout.channels; ++c) {
    int32_t absmax = 0;
    for (int64_t k = 0; k < layout.per_channel; ++k)
      absmax = std::max(absmax, std::abs(values[layout.index(c, k)]));
    const bool wide = absmax > 127;
    if (wide) wide_channels->push_back(static_cast<int32_t>(c));
    for (int64_t k = 0; k < layout.per_channel; ++k) {
      const int32_t v = values[layout.index(c, k)];
      if (wide) {
        wide_weights->push_back(static_cast<int16_t>(v));
      } else {
        (*out)[layout.index(c, k)] = static_cast<int8_t>(v);
      }
    }
  }
  return static_cast<int>(wide_channels->size());
}

void quantize_weights(const WeightLayout& layout, const float* weights, bool per_channel,
                      std::vector<int8_t>* out, std::vector<float>* scales) {
  const int64_t total = layout.channels * layout.per_channel;
  out->assign(total, 0);
  scales->assign(layout.channels, 1.0f);
  float tensor_absmax = 0.0f;
  for (int64_t i = 0; i < total; ++i)
    tensor_absmax = std::max(tensor_absmax, std::fabs(weights[i]));
  for (int64_t c = 0; c < layout.channels; ++c) {
    float absmax = tensor_absmax;
    if (per_channel) {
      absmax = 0.0f;
      for (int64_t k = 0; k < layout.per_channel; ++k)
        absmax = std::max(absmax, std::fabs(weights[layout.index(c, k)]));
    }
    // An all-zero channel still needs a positive scale (multipliers divide by nothing, but
    // a zero scale would make the bias quantization blow up).
    const float scale = absmax > 0.0f ? absmax / 127.0f : 1.0f;
    (*scales)[c] = scale;
    for (int64_t k = 0; k < layout.per_channel; ++k) {
      const int64_t i = layout.index(c, k);
      const float q = std::nearbyint(weights[i] / scale);
      (*out)[i] = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
    }
  }
}

namespace {
template <class Weight>
std::vector<int32_t> fold_bias_impl(const WeightLayout& layout, const std::vector<int32_t>& bias,
                                    const Weight* weights, int32_t input_zero_point) {
  std::vector<int32_t> folded(layout.channels, 0);
  for (int64_t c = 0; c < layout.channels; ++c) {
    int64_t sum = 0;
    for (int64_t k = 0; k < layout.per_channel; ++k) sum += weights[layout.index(c, k)];
    const int64_t b = bias.empty() ? 0 : bias[c];
    const int64_t v = b - static_cast<int64_t>(input_zero_point) * sum;
    folded[c] = static_cast<int32_t>(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                                         std::numeric_limits<int32_t>::max()));
  }
  return folded;
}
}  // namespace

std::vector<int32_t> fold_bias(const WeightLayout& layout, const std::vector<int32_t>& bias,
                               const int8_t* weights, int32_t input_zero_point) {
  return fold_bias_impl(layout, bias, weights, input_zero_point);
}
std::vector<int32_t> fold_bias(const WeightLayout& layout, const std::vector<int32_t>& bias,
                               const int32_t* weights, int32_t input_zero_point) {
  return fold_bias_impl(layout, bias, weights, input_zero_point);
}

std::vector<float> requant_multipliers(float input_scale, const std::vector<float>& weight_scales,
                                       float output_scale, int64_t channels) {
  std::vector<float> m(channels);
  for (int64_t c = 0; c < channels; ++c) {
    const double sw = weight_scales.size() == 1 ? weight_scales[0] : weight_scales[c];
    m[c] = static_cast<float>(static_cast<double>(input_scale) * sw / output_scale);
  }
  return m;
}

namespace {
float relu_fn(float x) { return ref::unary_f32_scalar(ref::UnaryOp::kRelu, x); }
float relu6_fn(float x) { return ref::unary_f32_scalar(ref::UnaryOp::kRelu6, x); }
float logistic_fn(float x) { return ref::unary_f32_scalar(ref::UnaryOp::kLogistic, x); }
float tanh_fn(float x) { return ref::unary_f32_scalar(ref::UnaryOp::kTanh, x); }
float hardswish_fn(float x) { return ref::unary_f32_scalar(ref::UnaryOp::kHardSwish, x); }
float sqrt_fn(float x) { return ref::unary_f32_scalar(ref::UnaryOp::kSqrt, x); }
}  // namespace

std::vector<uint8_t> make_lut(ref::UnaryOp op, ref::QParams qx, ref::QParams qy, int32_t q_min,
                              int32_t q_max) {
  float (*fn)(float) = relu_fn;
  switch (op) {
    case ref::UnaryOp::kRelu:
      fn = relu_fn;
      break;
    case ref::UnaryOp::kRelu6:
      fn = relu6_fn;
      break;
    case ref::UnaryOp::kLogistic:
      fn = logistic_fn;
      break;
    case ref::UnaryOp::kTanh:
      fn = tanh_fn;
      break;
    case ref::UnaryOp::kHardSwish:
      fn = hardswish_fn;
      break;
    case ref::UnaryOp::kSqrt:
      fn = sqrt_fn;
      break;
  }
  std::vector<uint8_t> table(256);
  ref::build_lut_s8(fn, qx, qy, q_min, q_max, reinterpret_cast<int8_t*>(table.data()));
  return table;
}

std::vector<uint8_t> make_softmax_table(float beta, float input_scale) {
  std::vector<float> table(256);
  ref::build_softmax_table(beta, input_scale, table.data());
  std::vector<uint8_t> bytes(256 * sizeof(float));
  std::memcpy(bytes.data(), table.data(), bytes.size());
  return bytes;
}

bool fixed_output_quant(ir::OpType type, float* scale, int32_t* zero_point) {
  switch (type) {
    case ir::OpType::Logistic:
    case ir::OpType::Softmax:
      *scale = 1.0f / 256.0f;
      *zero_point = -128;
      return true;
    case ir::OpType::Tanh:
      *scale = 1.0f / 128.0f;
      *zero_point = 0;
      return true;
    default:
      return false;
  }
}

void choose_activation_quant(float lo, float hi, float* scale, int32_t* zero_point) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  if (!(hi - lo > 1e-8f)) {  // constant (or NaN) tensor: any positive scale works
    *scale = 1.0f / 255.0f;
    *zero_point = -128;
    return;
  }
  *scale = (hi - lo) / 255.0f;
  const double zp = -128.0 - std::nearbyint(lo / *scale);
  *zero_point = static_cast<int32_t>(std::clamp(zp, -128.0, 127.0));
}

ir::Tensor make_const_tensor(const std::string& name, ir::DType dtype, std::vector<int32_t> shape,
                             const void* data, size_t bytes) {
  ir::Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.is_constant = true;
  t.data.resize(bytes);
  if (bytes) std::memcpy(t.data.data(), data, bytes);
  return t;
}

const char* op_type_name(ir::OpType type) { return fb::EnumNameOpType(type); }

bool is_gemm_like(ir::OpType type) {
  return type == ir::OpType::Conv2D || type == ir::OpType::DepthwiseConv2D ||
         type == ir::OpType::FullyConnected;
}

}  // namespace octet::convert
