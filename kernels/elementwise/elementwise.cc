// Elementwise kernel registry and the portable drivers: broadcast walking and pooling
// windows, computed exactly as kernels/reference does, around the per-ISA row/pixel kernels.
#include "kernels/elementwise/elementwise.h"

#include <algorithm>

#include "kernels/elementwise/elementwise_impl.h"

namespace octet {
namespace {

#define OCTET_ELEMENTWISE_KERNELS(isa_enum, suffix)                                             \
  ElementwiseQs8Kernels {                                                                       \
    isa_enum, qs8_vbinary_##suffix, qs8_maxpool_##suffix, qs8_avgpool_##suffix, x8_lut_##suffix \
  }

const ElementwiseQs8Kernels kScalarKernels = OCTET_ELEMENTWISE_KERNELS(Isa::kScalar, scalar);
#ifdef OCTET_HAVE_AVX2
const ElementwiseQs8Kernels kAvx2Kernels = OCTET_ELEMENTWISE_KERNELS(Isa::kAvx2, avx2);
#endif
#ifdef OCTET_HAVE_AVX512VNNI
const ElementwiseQs8Kernels kAvx512Kernels = OCTET_ELEMENTWISE_KERNELS(Isa::kAvx512Vnni, avx512);
#endif
#ifdef OCTET_HAVE_NEON
const ElementwiseQs8Kernels kNeonKernels = OCTET_ELEMENTWISE_KERNELS(Isa::kNeon, neon);
#endif

using Window = ref::PoolWindow;
using ref::pool_window;

// Calls pixel_kernel for every output pixel in [begin, end) with the window filled in;
// finish(pixel, window) sets the op-specific fields.
template <typename Finish>
void for_each_pool_pixel(const ref::PoolGeometry& g, const int8_t* x, int8_t* y, PoolQs8Pixel pixel,
                         size_t begin, size_t end, void (*pixel_kernel)(const PoolQs8Pixel&),
                         Finish finish) {
  const size_t channels = static_cast<size_t>(g.channels);
  const size_t per_image = static_cast<size_t>(g.out_h) * g.out_w;
  pixel.row_stride = static_cast<size_t>(g.in_w) * channels;
  pixel.channels = channels;
  for (size_t index = begin; index < end; ++index) {
    const size_t b = index / per_image;
    const int oh = static_cast<int>(index % per_image / g.out_w);
    const int ow = static_cast<int>(index % g.out_w);
    const Window win = pool_window(g, oh, ow);
    pixel.rows = std::max(0, win.h_end - win.h_begin);
    pixel.cols = std::max(0, win.w_end - win.w_begin);
    if (pixel.rows == 0 || pixel.cols == 0) pixel.rows = pixel.cols = 0;
    pixel.x = x + ((b * g.in_h + (pixel.rows ? win.h_begin : 0)) * g.in_w +
                   (pixel.cols ? win.w_begin : 0)) *
                      channels;
    pixel.y = y + index * channels;
    finish(&pixel, win);
    pixel_kernel(pixel);
  }
}

}  // namespace

const ElementwiseQs8Kernels* elementwise_qs8_kernels(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return &kScalarKernels;
#ifdef OCTET_HAVE_AVX2
    case Isa::kAvx2:
    case Isa::kAvxVnni:  // VNNI adds nothing here: the AVX2 kernels
      return &kAvx2Kernels;
#endif
#ifdef OCTET_HAVE_AVX512VNNI
    case Isa::kAvx512Vnni:
      return &kAvx512Kernels;
#endif
#ifdef OCTET_HAVE_NEON
    case Isa::kNeon:
    case Isa::kDotprod:  // sdot / smmla add nothing here: the NEON kernels
    case Isa::kI8mm:
      return &kNeonKernels;
#endif
    default:
      return nullptr;
  }
}

BinaryQs8Params make_binary_qs8_params(ref::QParams qa, ref::QParams qb, ref::QParams qy,
                                       int32_t qmin, int32_t qmax) {
  BinaryQs8Params p;
  p.a_zero_point = qa.zero_point;
  p.b_zero_point = qb.zero_point;
  p.y_zero_point = qy.zero_point;
  p.a_multiplier = qa.scale / qy.scale;
  p.b_multiplier = qb.scale / qy.scale;
  p.product_multiplier = qa.scale * qb.scale / qy.scale;
  p.lo = static_cast<float>(qmin - qy.zero_point);
  p.hi = static_cast<float>(qmax - qy.zero_point);
  return p;
}

void binary_qs8(const ElementwiseQs8Kernels& k, BinaryQs8Op op, const ref::Broadcast& bc,
                const int8_t* a, ref::QParams qa, const int8_t* b, ref::QParams qb, ref::QParams qy,
                int32_t qmin, int32_t qmax, int8_t* y) {
  // Drop size-1 dimensions and merge neighbours both operands walk contiguously, so that the
  // innermost dimension is as long as possible.
  int64_t out[ref::kMaxRank], a_stride[ref::kMaxRank], b_stride[ref::kMaxRank];
  int rank = 0;
  for (int d = 0; d < bc.rank; ++d) {
    if (bc.out[d] == 0) return;
    if (bc.out[d] == 1) continue;
    if (rank > 0 && a_stride[rank - 1] == bc.a_stride[d] * bc.out[d] &&
        b_stride[rank - 1] == bc.b_stride[d] * bc.out[d]) {
      out[rank - 1] *= bc.out[d];
      a_stride[rank - 1] = bc.a_stride[d];
      b_stride[rank - 1] = bc.b_stride[d];
      continue;
    }
    out[rank] = bc.out[d];
    a_stride[rank] = bc.a_stride[d];
    b_stride[rank] = bc.b_stride[d];
    ++rank;
  }
  const BinaryQs8Params p = make_binary_qs8_params(qa, qb, qy, qmin, qmax);
  if (rank == 0) {  // one element
    k.binary(op, 1, a, 0, b, 0, p, y);
    return;
  }
  const int inner = rank - 1;
  const int64_t n = out[inner];
  if ((a_stride[inner] != 0 && a_stride[inner] != 1) ||
      (b_stride[inner] != 0 && b_stride[inner] != 1)) {
    // Not a layout make_broadcast produces; keep the reference's answer.
    switch (op) {
      case BinaryQs8Op::kAdd:
        return ref::add_qs8(bc, a, qa, b, qb, qy, qmin, qmax, y);
      case BinaryQs8Op::kSub:
        return ref::sub_qs8(bc, a, qa, b, qb, qy, qmin, qmax, y);
      case BinaryQs8Op::kMul:
        return ref::mul_qs8(bc, a, qa, b, qb, qy, qmin, qmax, y);
    }
  }
  int64_t rows = 1;
  for (int d = 0; d < inner; ++d) rows *= out[d];
  int64_t index[ref::kMaxRank] = {};
  int64_t a_offset = 0, b_offset = 0;
  for (int64_t row = 0; row < rows; ++row) {
    k.binary(op, static_cast<size_t>(n), a + a_offset, static_cast<size_t>(a_stride[inner]),
             b + b_offset, static_cast<size_t>(b_stride[inner]), p, y + row * n);
    for (int d = inner - 1; d >= 0; --d) {  // odometer over the outer dimensions
      ++index[d];
      a_offset += a_stride[d];
      b_offset += b_stride[d];
      if (index[d] < out[d]) break;
      a_offset -= a_stride[d] * index[d];
      b_offset -= b_stride[d] * index[d];
      index[d] = 0;
    }
  }
}

void maxpool_qs8(const ElementwiseQs8Kernels& k, const ref::PoolGeometry& g, const int8_t* x,
                 ref::QParams qx, ref::QParams qy, int32_t qmin, int32_t qmax, int8_t* y,
                 size_t pixel_begin, size_t pixel_end) {
  PoolQs8Pixel pixel;
  pixel.x_zero_point = qx.zero_point;
  pixel.multiplier = qx.scale / qy.scale;
  pixel.y_zero_point = qy.zero_point;
  pixel.lo = static_cast<float>(qmin - qy.zero_point);
  pixel.hi = static_cast<float>(qmax - qy.zero_point);
  for_each_pool_pixel(g, x, y, pixel, pixel_begin, pixel_end, k.max_pool_pixel,
                      [](PoolQs8Pixel*, const Window&) {});
}

void avgpool_qs8(const ElementwiseQs8Kernels& k, const ref::PoolGeometry& g, const int8_t* x,
                 ref::QParams qx, ref::QParams qy, int32_t qmin, int32_t qmax, int8_t* y,
                 size_t pixel_begin, size_t pixel_end) {
  PoolQs8Pixel pixel;
  pixel.x_zero_point = qx.zero_point;
  pixel.y_zero_point = qy.zero_point;
  pixel.lo = static_cast<float>(qmin - qy.zero_point);
  pixel.hi = static_cast<float>(qmax - qy.zero_point);
  for_each_pool_pixel(g, x, y, pixel, pixel_begin, pixel_end, k.avg_pool_pixel,
                      [&](PoolQs8Pixel* px, const Window& win) {
                        const int valid = px->rows * px->cols;
                        const int count = g.count_include_pad ? win.padded_count : valid;
                        // ref: (sum + (count - valid) * zx - count * zx) * sx / (sy * count), 0 if
                        // count is 0.
                        px->sum_bias = (count - valid) * qx.zero_point - count * qx.zero_point;
                        px->multiplier =
                            count > 0 ? qx.scale / (qy.scale * static_cast<float>(count)) : 0.0f;
                      });
}

bool mean_qs8_as_global_pool(const int32_t* shape, int rank, const bool* reduce,
                             ref::PoolGeometry* g) {
  if (rank != 4 || reduce[0] || !reduce[1] || !reduce[2] || reduce[3]) return false;
  if (shape[1] <= 0 || shape[2] <= 0) return false;
  // int32 sums stay exact (|x| <= 128 per element) and the count converts to float exactly.
  if (static_cast<int64_t>(shape[1]) * shape[2] > (int64_t{1} << 23)) return false;
  ref::PoolGeometry pool;
  pool.batch = shape[0];
  pool.in_h = shape[1], pool.in_w = shape[2], pool.channels = shape[3];
  pool.out_h = 1, pool.out_w = 1;
  pool.filter_h = shape[1], pool.filter_w = shape[2];
  pool.stride_h = pool.stride_w = 1;
  *g = pool;
  return true;
}

}  // namespace octet
