// Reference broadcasting binary ops and quantize / dequantize / requantize.
// Int8 results are computed in fp32 from the tensor scales and quantized with
// quantize_float(), following the formulas in reference.h exactly.
#include <algorithm>
#include <type_traits>

#include "kernels/common/requantize.h"
#include "kernels/reference/reference.h"

namespace octet::ref {
namespace {

// Calls visit(out_index, a_offset, b_offset) for every output element, row-major.
template <typename Visit>
void for_each_broadcast(const Broadcast& bc, Visit visit) {
  int64_t total = 1;
  for (int d = 0; d < bc.rank; ++d) total *= bc.out[d];
  int64_t index[kMaxRank] = {};
  int64_t a_offset = 0, b_offset = 0;
  for (int64_t i = 0; i < total; ++i) {
    visit(i, a_offset, b_offset);
    // Odometer increment from the innermost dimension.
    for (int d = bc.rank - 1; d >= 0; --d) {
      ++index[d];
      a_offset += bc.a_stride[d];
      b_offset += bc.b_stride[d];
      if (index[d] < bc.out[d]) break;
      a_offset -= bc.a_stride[d] * index[d];
      b_offset -= bc.b_stride[d] * index[d];
      index[d] = 0;
    }
  }
}

enum class QuantBinary { kAdd, kSub, kMul };

struct QuantBinaryParams {
  QParams qa, qb, qy;
  int32_t qmin, qmax;
  float a_multiplier, b_multiplier, product_multiplier;
};

// The one int8 binary formula (reference.h), for one pair of elements.
template <QuantBinary kOp>
inline int8_t quantized_binary(int8_t a, int8_t b, const QuantBinaryParams& p) {
  const int32_t a_centered = static_cast<int32_t>(a) - p.qa.zero_point;
  const int32_t b_centered = static_cast<int32_t>(b) - p.qb.zero_point;
  float value;
  if (kOp == QuantBinary::kAdd) {
    value = static_cast<float>(a_centered) * p.a_multiplier +
            static_cast<float>(b_centered) * p.b_multiplier;
  } else if (kOp == QuantBinary::kSub) {
    value = static_cast<float>(a_centered) * p.a_multiplier -
            static_cast<float>(b_centered) * p.b_multiplier;
  } else {
    value = static_cast<float>(a_centered * b_centered) * p.product_multiplier;
  }
  return static_cast<int8_t>(quantize_float(value, p.qy.zero_point, p.qmin, p.qmax));
}

// True when neither operand is broadcast: a, b and y are walked in lockstep.
bool is_elementwise(const Broadcast& bc) {
  int64_t step = 1;
  for (int d = bc.rank - 1; d >= 0; --d) {
    if (bc.out[d] != 1 && (bc.a_stride[d] != step || bc.b_stride[d] != step)) return false;
    step *= bc.out[d];
  }
  return true;
}

template <QuantBinary kOp>
void binary_qs8(const Broadcast& bc, const int8_t* a, const int8_t* b, const QuantBinaryParams& p,
                int8_t* y) {
  if (is_elementwise(bc)) {  // the common residual-add case: a plain loop compilers vectorize
    int64_t total = 1;
    for (int d = 0; d < bc.rank; ++d) total *= bc.out[d];
    for (int64_t i = 0; i < total; ++i) y[i] = quantized_binary<kOp>(a[i], b[i], p);
    return;
  }
  for_each_broadcast(bc, [&](int64_t i, int64_t ai, int64_t bi) {
    y[i] = quantized_binary<kOp>(a[ai], b[bi], p);
  });
}

QuantBinaryParams make_params(QParams qa, QParams qb, QParams qy, int32_t qmin, int32_t qmax) {
  return QuantBinaryParams{qa,
                           qb,
                           qy,
                           qmin,
                           qmax,
                           qa.scale / qy.scale,
                           qb.scale / qy.scale,
                           qa.scale * qb.scale / qy.scale};
}

}  // namespace

bool make_broadcast(const int32_t* a_shape, int a_rank, const int32_t* b_shape, int b_rank,
                    Broadcast* bc) {
  if (a_rank < 0 || b_rank < 0 || a_rank > kMaxRank || b_rank > kMaxRank) return false;
  const int rank = std::max(a_rank, b_rank);
  Broadcast result;
  result.rank = rank;
  int64_t a_step = 1, b_step = 1;  // contiguous strides of each operand
  for (int d = rank - 1; d >= 0; --d) {
    const int a_dim_index = d - (rank - a_rank);
    const int b_dim_index = d - (rank - b_rank);
    const int64_t a_dim = a_dim_index >= 0 ? a_shape[a_dim_index] : 1;
    const int64_t b_dim = b_dim_index >= 0 ? b_shape[b_dim_index] : 1;
    if (a_dim < 0 || b_dim < 0) return false;
    if (a_dim != b_dim && a_dim != 1 && b_dim != 1) return false;
    result.out[d] = a_dim == 1 ? b_dim : a_dim;
    result.a_stride[d] = a_dim == 1 ? 0 : a_step;
    result.b_stride[d] = b_dim == 1 ? 0 : b_step;
    a_step *= a_dim;
    b_step *= b_dim;
  }
  *bc = result;
  return true;
}

void add_qs8(const Broadcast& bc, const int8_t* a, QParams qa, const int8_t* b, QParams qb,
             QParams qy, int32_t qmin, int32_t qmax, int8_t* y) {
  binary_qs8<QuantBinary::kAdd>(bc, a, b, make_params(qa, qb, qy, qmin, qmax), y);
}

void sub_qs8(const Broadcast& bc, const int8_t* a, QParams qa, const int8_t* b, QParams qb,
             QParams qy, int32_t qmin, int32_t qmax, int8_t* y) {
  binary_qs8<QuantBinary::kSub>(bc, a, b, make_params(qa, qb, qy, qmin, qmax), y);
}

void mul_qs8(const Broadcast& bc, const int8_t* a, QParams qa, const int8_t* b, QParams qb,
             QParams qy, int32_t qmin, int32_t qmax, int8_t* y) {
  binary_qs8<QuantBinary::kMul>(bc, a, b, make_params(qa, qb, qy, qmin, qmax), y);
}

void binary_f32(BinaryOp op, const Broadcast& bc, const float* a, const float* b, float act_min,
                float act_max, float* y) {
  for_each_broadcast(bc, [&](int64_t i, int64_t ai, int64_t bi) {
    float value;
    switch (op) {
      case BinaryOp::kAdd:
        value = a[ai] + b[bi];
        break;
      case BinaryOp::kSub:
        value = a[ai] - b[bi];
        break;
      case BinaryOp::kMul:
        value = a[ai] * b[bi];
        break;
      case BinaryOp::kDiv:
      default:
        value = a[ai] / b[bi];
        break;
    }
    y[i] = std::min(std::max(value, act_min), act_max);
  });
}

void quantize_f32_s8(size_t n, const float* x, QParams qy, int8_t* y) {
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<int8_t>(quantize_float(x[i] / qy.scale, qy.zero_point, -128, 127));
  }
}

void quantize_f32_u8(size_t n, const float* x, QParams qy, uint8_t* y) {
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<uint8_t>(quantize_float(x[i] / qy.scale, qy.zero_point, 0, 255));
  }
}

void dequantize_s8_f32(size_t n, const int8_t* x, QParams qx, float* y) {
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - qx.zero_point) * qx.scale;
  }
}

void dequantize_u8_f32(size_t n, const uint8_t* x, QParams qx, float* y) {
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - qx.zero_point) * qx.scale;
  }
}

namespace {

// An 8-bit input takes only 256 values: for long tensors evaluate the formula once per value
// and look up (same bytes as evaluating it per element).
template <typename In, typename Out>
void requantize_8bit(size_t n, const In* x, QParams qx, QParams qy, int32_t qmin, int32_t qmax,
                     Out* y) {
  const float multiplier = qx.scale / qy.scale;
  auto requantize = [&](int32_t v) {
    const float value = static_cast<float>(v - qx.zero_point) * multiplier;
    return static_cast<Out>(quantize_float(value, qy.zero_point, qmin, qmax));
  };
  if (n <= 1024) {
    for (size_t i = 0; i < n; ++i) y[i] = requantize(x[i]);
    return;
  }
  constexpr int kFirst = std::is_signed<In>::value ? -128 : 0;
  Out table[256];
  for (int v = kFirst; v < kFirst + 256; ++v) table[v - kFirst] = requantize(v);
  for (size_t i = 0; i < n; ++i) y[i] = table[static_cast<int32_t>(x[i]) - kFirst];
}

}  // namespace

void requantize_s8_s8(size_t n, const int8_t* x, QParams qx, QParams qy, int8_t* y) {
  requantize_8bit(n, x, qx, qy, -128, 127, y);
}

void requantize_u8_s8(size_t n, const uint8_t* x, QParams qx, QParams qy, int8_t* y) {
  requantize_8bit(n, x, qx, qy, -128, 127, y);
}

void requantize_s8_u8(size_t n, const int8_t* x, QParams qx, QParams qy, uint8_t* y) {
  requantize_8bit(n, x, qx, qy, 0, 255, y);
}

}  // namespace octet::ref
