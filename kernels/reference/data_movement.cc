// Reference data movement: byte copies (whole rows where the layout allows).
#include <cstring>

#include "kernels/common/requantize.h"
#include "kernels/reference/reference.h"

namespace octet::ref {
namespace {

// Row-major element strides of `shape`.
void contiguous_strides(const int32_t* shape, int rank, int64_t* strides) {
  int64_t step = 1;
  for (int d = rank - 1; d >= 0; --d) {
    strides[d] = step;
    step *= shape[d];
  }
}

int64_t element_count(const int32_t* shape, int rank) {
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) count *= shape[d];
  return count;
}

// Advances a row-major multi-index over `shape`; returns false after the last one.
bool next_index(const int32_t* shape, int rank, int64_t* index) {
  for (int d = rank - 1; d >= 0; --d) {
    if (++index[d] < shape[d]) return true;
    index[d] = 0;
  }
  return false;
}

}  // namespace

void concat(int num_inputs, const void* const* xs, const int64_t* axis_sizes, int64_t outer,
            int64_t inner, size_t elem_size, void* y) {
  auto* out = static_cast<uint8_t*>(y);
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < num_inputs; ++i) {
      const size_t block = static_cast<size_t>(axis_sizes[i] * inner) * elem_size;
      const auto* in = static_cast<const uint8_t*>(xs[i]) + static_cast<size_t>(o) * block;
      if (block != 0) std::memcpy(out, in, block);
      out += block;
    }
  }
}

void concat_qs8(int num_inputs, const int8_t* const* xs, const QParams* qxs,
                const int64_t* axis_sizes, int64_t outer, int64_t inner, QParams qy, int8_t* y) {
  int8_t* out = y;
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < num_inputs; ++i) {
      const int64_t block = axis_sizes[i] * inner;
      const int8_t* in = xs[i] + o * block;
      // Same formula as requantize_s8_s8; equal parameters give multiplier 1, a copy.
      const float multiplier = qxs[i].scale / qy.scale;
      for (int64_t e = 0; e < block; ++e) {
        const float value =
            static_cast<float>(static_cast<int32_t>(in[e]) - qxs[i].zero_point) * multiplier;
        out[e] = static_cast<int8_t>(quantize_float(value, qy.zero_point, -128, 127));
      }
      out += block;
    }
  }
}

namespace {

// Writes `count` copies of the `elem_size`-byte `value` at `out`.
void fill(uint8_t* out, int64_t count, const uint8_t* value, size_t elem_size) {
  bool uniform = true;
  for (size_t b = 1; b < elem_size; ++b) uniform = uniform && value[b] == value[0];
  if (uniform) {
    std::memset(out, value[0], static_cast<size_t>(count) * elem_size);
    return;
  }
  for (int64_t e = 0; e < count; ++e) std::memcpy(out + e * elem_size, value, elem_size);
}

struct PadPlan {
  int rank;  // dimensions walked: the trailing unpadded ones are merged into the last
  const int32_t* in_shape;
  const int32_t* before;
  const int32_t* after;
  const uint8_t* value;  // the pad value, one element
  size_t elem_size;
  // Elements of one step along d (product of the dimensions after d, merged ones included).
  int64_t out_block[kMaxRank];
  int64_t in_block[kMaxRank];
};

// Pads dimension d: padding rows, then every input row padded recursively, then padding.
// Returns the end of what it wrote.
uint8_t* pad_dim(const PadPlan& p, int d, const uint8_t* in, uint8_t* out) {
  const size_t out_step = static_cast<size_t>(p.out_block[d]) * p.elem_size;
  const size_t in_step = static_cast<size_t>(p.in_block[d]) * p.elem_size;
  fill(out, p.before[d] * p.out_block[d], p.value, p.elem_size);
  out += p.before[d] * out_step;
  if (d == p.rank - 1) {
    const size_t bytes = p.in_shape[d] * in_step;
    if (bytes != 0) std::memcpy(out, in, bytes);
    out += bytes;
  } else {
    for (int32_t i = 0; i < p.in_shape[d]; ++i) out = pad_dim(p, d + 1, in + i * in_step, out);
  }
  fill(out, p.after[d] * p.out_block[d], p.value, p.elem_size);
  return out + p.after[d] * out_step;
}

}  // namespace

void pad(const int32_t* in_shape, int rank, const int32_t* before, const int32_t* after,
         size_t elem_size, const void* x, const void* pad_value, void* y) {
  int32_t out_shape[kMaxRank];
  for (int d = 0; d < rank; ++d) out_shape[d] = in_shape[d] + before[d] + after[d];
  if (element_count(out_shape, rank) == 0) return;
  // Trailing dimensions without padding are contiguous in both tensors: copy them as one
  // element, so the innermost copy is a whole row (e.g. W x C for NHWC spatial padding).
  int inner_rank = rank;
  int64_t merged = 1;  // elements of the merged trailing dimensions
  while (inner_rank > 1 && before[inner_rank - 1] == 0 && after[inner_rank - 1] == 0) {
    merged *= in_shape[inner_rank - 1];
    --inner_rank;
  }
  PadPlan plan;
  plan.rank = inner_rank;
  plan.in_shape = in_shape;
  plan.before = before;
  plan.after = after;
  plan.value = static_cast<const uint8_t*>(pad_value);
  plan.elem_size = elem_size;
  int64_t out_block = merged, in_block = merged;
  for (int d = inner_rank - 1; d >= 0; --d) {
    plan.out_block[d] = out_block;
    plan.in_block[d] = in_block;
    out_block *= out_shape[d];
    in_block *= in_shape[d];
  }
  pad_dim(plan, 0, static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y));
}

void transpose(const int32_t* in_shape, int rank, const int32_t* perm, size_t elem_size,
               const void* x, void* y) {
  int32_t out_shape[kMaxRank];
  int64_t in_strides[kMaxRank];
  contiguous_strides(in_shape, rank, in_strides);
  for (int d = 0; d < rank; ++d) out_shape[d] = in_shape[perm[d]];
  if (element_count(out_shape, rank) == 0) return;
  const auto* in = static_cast<const uint8_t*>(x);
  auto* out = static_cast<uint8_t*>(y);
  int64_t index[kMaxRank] = {};
  do {
    int64_t in_offset = 0;
    for (int d = 0; d < rank; ++d) in_offset += index[d] * in_strides[perm[d]];
    std::memcpy(out, in + in_offset * elem_size, elem_size);
    out += elem_size;
  } while (next_index(out_shape, rank, index));
}

void slice(const int32_t* in_shape, int rank, const int32_t* begin, const int32_t* size,
           size_t elem_size, const void* x, void* y) {
  int32_t out_shape[kMaxRank];
  int64_t in_strides[kMaxRank];
  contiguous_strides(in_shape, rank, in_strides);
  // size -1 means "to the end of the dimension" (TFLite Slice convention).
  for (int d = 0; d < rank; ++d) out_shape[d] = size[d] < 0 ? in_shape[d] - begin[d] : size[d];
  if (element_count(out_shape, rank) == 0) return;
  const auto* in = static_cast<const uint8_t*>(x);
  auto* out = static_cast<uint8_t*>(y);
  int64_t index[kMaxRank] = {};
  do {
    int64_t in_offset = 0;
    for (int d = 0; d < rank; ++d) in_offset += (begin[d] + index[d]) * in_strides[d];
    std::memcpy(out, in + in_offset * elem_size, elem_size);
    out += elem_size;
  } while (next_index(out_shape, rank, index));
}

}  // namespace octet::ref
