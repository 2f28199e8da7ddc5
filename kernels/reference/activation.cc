// Reference unary activations, lookup tables and softmax.
#include <algorithm>
#include <cmath>

#include "kernels/common/requantize.h"
#include "kernels/reference/reference.h"

namespace octet::ref {

void lut_s8(size_t n, const int8_t* x, const int8_t* table, int8_t* y) {
  for (size_t i = 0; i < n; ++i) {
    y[i] = table[static_cast<uint8_t>(static_cast<int32_t>(x[i]) + 128)];
  }
}

void build_lut_s8(float (*f)(float), QParams qx, QParams qy, int32_t qmin, int32_t qmax,
                  int8_t* table) {
  for (int32_t q = -128; q <= 127; ++q) {
    const float x = static_cast<float>(q - qx.zero_point) * qx.scale;
    table[q + 128] =
        static_cast<int8_t>(quantize_float(f(x) / qy.scale, qy.zero_point, qmin, qmax));
  }
}

float unary_f32_scalar(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::kRelu:
      return x > 0.0f ? x : 0.0f;
    case UnaryOp::kRelu6:
      return std::min(std::max(x, 0.0f), 6.0f);
    case UnaryOp::kLogistic:
      return 1.0f / (1.0f + std::exp(-x));
    case UnaryOp::kTanh:
      return std::tanh(x);
    case UnaryOp::kHardSwish:
      return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
    case UnaryOp::kSqrt:
    default:
      return std::sqrt(x);
  }
}

void unary_f32(UnaryOp op, size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = unary_f32_scalar(op, x[i]);
}

void softmax_f32(size_t outer, size_t depth, float beta, const float* x, float* y) {
  for (size_t o = 0; o < outer; ++o) {
    const float* x_row = x + o * depth;
    float* y_row = y + o * depth;
    if (depth == 0) continue;
    float max_value = x_row[0];
    for (size_t i = 1; i < depth; ++i) max_value = std::max(max_value, x_row[i]);
    float sum = 0.0f;
    for (size_t i = 0; i < depth; ++i) {
      y_row[i] = std::exp(beta * (x_row[i] - max_value));
      sum += y_row[i];
    }
    const float inverse_sum = 1.0f / sum;
    for (size_t i = 0; i < depth; ++i) y_row[i] *= inverse_sum;
  }
}

void softmax_qs8(size_t outer, size_t depth, const int8_t* x, const float* exp_table, QParams qy,
                 int8_t* y) {
  for (size_t o = 0; o < outer; ++o) {
    const int8_t* x_row = x + o * depth;
    int8_t* y_row = y + o * depth;
    if (depth == 0) continue;
    int32_t max_value = x_row[0];
    for (size_t i = 1; i < depth; ++i) max_value = std::max<int32_t>(max_value, x_row[i]);
    // Sequential fp32 sum: every implementation must add in this order to get the same bytes.
    float sum = 0.0f;
    for (size_t i = 0; i < depth; ++i) sum += exp_table[max_value - x_row[i]];
    for (size_t i = 0; i < depth; ++i) {
      const float probability = exp_table[max_value - x_row[i]] / sum;
      y_row[i] =
          static_cast<int8_t>(quantize_float(probability / qy.scale, qy.zero_point, -128, 127));
    }
  }
}

void build_softmax_table(float beta, float input_scale, float* exp_table) {
  const float step = -beta * input_scale;
  for (int d = 0; d < 256; ++d) exp_table[d] = std::exp(step * static_cast<float>(d));
}

}  // namespace octet::ref
