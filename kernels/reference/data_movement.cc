// Reference data movement: byte copies, element by element where shapes differ.
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

void pad(const int32_t* in_shape, int rank, const int32_t* before, const int32_t* after,
         size_t elem_size, const void* x, const void* pad_value, void* y) {
  int32_t out_shape[kMaxRank];
  for (int d = 0; d < rank; ++d) out_shape[d] = in_shape[d] + before[d] + after[d];
  int64_t in_strides[kMaxRank];
  contiguous_strides(in_shape, rank, in_strides);
  if (element_count(out_shape, rank) == 0) return;
  const auto* in = static_cast<const uint8_t*>(x);
  auto* out = static_cast<uint8_t*>(y);
  int64_t index[kMaxRank] = {};
  do {
    int64_t in_offset = 0;
    bool inside = true;
    for (int d = 0; d < rank; ++d) {
      const int64_t i = index[d] - before[d];
      if (i < 0 || i >= in_shape[d]) {
        inside = false;
        break;
      }
      in_offset += i * in_strides[d];
    }
    std::memcpy(out, inside ? in + in_offset * elem_size : pad_value, elem_size);
    out += elem_size;
  } while (next_index(out_shape, rank, index));
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
