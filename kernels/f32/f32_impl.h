// ISA-independent drivers of the float kernels, instantiated once per ISA file (f32_avx512.cc,
// f32_avx2.cc, f32_neon.cc) with that file's vector traits `T`:
//
//   T::V        a vector of T::kLanes floats;   T::Q  a vector of 4 floats
//   zero, load, load_partial(p, n < kLanes), fma(a, b, acc), store, store_partial(p, v, n),
//   vmin, vmax, dup;  reduce4(a, b, c, d) -> Q of the four horizontal sums;
//   qload, qadd, qmin, qmax, qdup, qstore, qstore_partial(p, q, n < 4), transpose4(q0..q3)
//   kMR / kMR1: pixels per register tile of the outer-product conv (2 / 1 vectors of channels)
//
// Three forms: FullyConnected and grouped Conv2D are dot products along contiguous K runs with
// a horizontal reduction per output (no packing at all); Conv2D with groups == 1 is an outer
// product over a weight block transposed into a stack buffer (conv2d_packed); depthwise is
// vectorized over channels.
//
// Include only from those files (the intrinsics need the file's -m flags). Non-template helpers
// are `static` so each ISA file keeps its own copy (never a linker-shared one built for another
// ISA).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/reference/reference.h"

#define OCTET_F32_INLINE inline __attribute__((always_inline))

namespace octet::f32_impl {

// Padding taps read these zeros, so a tile of pixels shares one loop whatever its borders.
// Runs longer than this are cut into chunks.
constexpr int kZeroFloats = 2048;
extern const float kZeros[kZeroFloats];  // f32.cc

// Conv taps of one tile are listed once and reused for every output-channel tile; kernels with
// more runs than this recompute the list per channel tile.
constexpr int kMaxRuns = 128;

// Accumulators of a 4 pixel (or row) x 4 channel tile, and of a 1 x 8 tile.
template <class T>
struct Acc4x4 {
  typename T::V a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33;
};
template <class T>
struct Acc1x8 {
  typename T::V a0, a1, a2, a3, a4, a5, a6, a7;
};

template <class T>
OCTET_F32_INLINE void zero(Acc4x4<T>& a) {
  a.a00 = a.a01 = a.a02 = a.a03 = a.a10 = a.a11 = a.a12 = a.a13 = T::zero();
  a.a20 = a.a21 = a.a22 = a.a23 = a.a30 = a.a31 = a.a32 = a.a33 = T::zero();
}
template <class T>
OCTET_F32_INLINE void zero(Acc1x8<T>& a) {
  a.a0 = a.a1 = a.a2 = a.a3 = a.a4 = a.a5 = a.a6 = a.a7 = T::zero();
}

// acc[p][c] += dot(x_p[0..len), w_c[0..len)), len <= kZeroFloats for chunked callers.
template <class T>
OCTET_F32_INLINE void dot_4x4(const float* x0, const float* x1, const float* x2, const float* x3,
                              const float* w0, const float* w1, const float* w2, const float* w3,
                              int len, Acc4x4<T>& acc) {
  using V = typename T::V;
  V a00 = acc.a00, a01 = acc.a01, a02 = acc.a02, a03 = acc.a03;
  V a10 = acc.a10, a11 = acc.a11, a12 = acc.a12, a13 = acc.a13;
  V a20 = acc.a20, a21 = acc.a21, a22 = acc.a22, a23 = acc.a23;
  V a30 = acc.a30, a31 = acc.a31, a32 = acc.a32, a33 = acc.a33;
  int i = 0;
  for (; i + T::kLanes <= len; i += T::kLanes) {
    const V wa = T::load(w0 + i), wb = T::load(w1 + i), wc = T::load(w2 + i), wd = T::load(w3 + i);
    V xv = T::load(x0 + i);
    a00 = T::fma(xv, wa, a00), a01 = T::fma(xv, wb, a01);
    a02 = T::fma(xv, wc, a02), a03 = T::fma(xv, wd, a03);
    xv = T::load(x1 + i);
    a10 = T::fma(xv, wa, a10), a11 = T::fma(xv, wb, a11);
    a12 = T::fma(xv, wc, a12), a13 = T::fma(xv, wd, a13);
    xv = T::load(x2 + i);
    a20 = T::fma(xv, wa, a20), a21 = T::fma(xv, wb, a21);
    a22 = T::fma(xv, wc, a22), a23 = T::fma(xv, wd, a23);
    xv = T::load(x3 + i);
    a30 = T::fma(xv, wa, a30), a31 = T::fma(xv, wb, a31);
    a32 = T::fma(xv, wc, a32), a33 = T::fma(xv, wd, a33);
  }
  if (i < len) {
    const int n = len - i;
    const V wa = T::load_partial(w0 + i, n), wb = T::load_partial(w1 + i, n),
            wc = T::load_partial(w2 + i, n), wd = T::load_partial(w3 + i, n);
    V xv = T::load_partial(x0 + i, n);
    a00 = T::fma(xv, wa, a00), a01 = T::fma(xv, wb, a01);
    a02 = T::fma(xv, wc, a02), a03 = T::fma(xv, wd, a03);
    xv = T::load_partial(x1 + i, n);
    a10 = T::fma(xv, wa, a10), a11 = T::fma(xv, wb, a11);
    a12 = T::fma(xv, wc, a12), a13 = T::fma(xv, wd, a13);
    xv = T::load_partial(x2 + i, n);
    a20 = T::fma(xv, wa, a20), a21 = T::fma(xv, wb, a21);
    a22 = T::fma(xv, wc, a22), a23 = T::fma(xv, wd, a23);
    xv = T::load_partial(x3 + i, n);
    a30 = T::fma(xv, wa, a30), a31 = T::fma(xv, wb, a31);
    a32 = T::fma(xv, wc, a32), a33 = T::fma(xv, wd, a33);
  }
  acc.a00 = a00, acc.a01 = a01, acc.a02 = a02, acc.a03 = a03;
  acc.a10 = a10, acc.a11 = a11, acc.a12 = a12, acc.a13 = a13;
  acc.a20 = a20, acc.a21 = a21, acc.a22 = a22, acc.a23 = a23;
  acc.a30 = a30, acc.a31 = a31, acc.a32 = a32, acc.a33 = a33;
}

template <class T>
OCTET_F32_INLINE void dot_1x8(const float* x, const float* const* w, int len, Acc1x8<T>& acc) {
  using V = typename T::V;
  const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
  const float *w4 = w[4], *w5 = w[5], *w6 = w[6], *w7 = w[7];
  V a0 = acc.a0, a1 = acc.a1, a2 = acc.a2, a3 = acc.a3;
  V a4 = acc.a4, a5 = acc.a5, a6 = acc.a6, a7 = acc.a7;
  int i = 0;
  for (; i + T::kLanes <= len; i += T::kLanes) {
    const V xv = T::load(x + i);
    a0 = T::fma(xv, T::load(w0 + i), a0), a1 = T::fma(xv, T::load(w1 + i), a1);
    a2 = T::fma(xv, T::load(w2 + i), a2), a3 = T::fma(xv, T::load(w3 + i), a3);
    a4 = T::fma(xv, T::load(w4 + i), a4), a5 = T::fma(xv, T::load(w5 + i), a5);
    a6 = T::fma(xv, T::load(w6 + i), a6), a7 = T::fma(xv, T::load(w7 + i), a7);
  }
  if (i < len) {
    const int n = len - i;
    const V xv = T::load_partial(x + i, n);
    a0 = T::fma(xv, T::load_partial(w0 + i, n), a0);
    a1 = T::fma(xv, T::load_partial(w1 + i, n), a1);
    a2 = T::fma(xv, T::load_partial(w2 + i, n), a2);
    a3 = T::fma(xv, T::load_partial(w3 + i, n), a3);
    a4 = T::fma(xv, T::load_partial(w4 + i, n), a4);
    a5 = T::fma(xv, T::load_partial(w5 + i, n), a5);
    a6 = T::fma(xv, T::load_partial(w6 + i, n), a6);
    a7 = T::fma(xv, T::load_partial(w7 + i, n), a7);
  }
  acc.a0 = a0, acc.a1 = a1, acc.a2 = a2, acc.a3 = a3;
  acc.a4 = a4, acc.a5 = a5, acc.a6 = a6, acc.a7 = a7;
}

// Four channel sums + bias, clamped, stored to y[0..count) (count <= 4).
template <class T>
OCTET_F32_INLINE void finish4(typename T::Q sums, const float* bias, int count, typename T::Q lo,
                              typename T::Q hi, float* y) {
  if (count == 4) {
    if (bias != nullptr) sums = T::qadd(sums, T::qload(bias));
    T::qstore(y, T::qmin(T::qmax(sums, lo), hi));
  } else {
    if (bias != nullptr) {
      float b[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (int c = 0; c < count; ++c) b[c] = bias[c];
      sums = T::qadd(sums, T::qload(b));
    }
    T::qstore_partial(y, T::qmin(T::qmax(sums, lo), hi), count);
  }
}

template <class T>
OCTET_F32_INLINE void finish_4x4(const Acc4x4<T>& a, const float* bias, int channels, float lo,
                                 float hi, float* y0, float* y1, float* y2, float* y3, int rows) {
  const typename T::Q qlo = T::qdup(lo), qhi = T::qdup(hi);
  finish4<T>(T::reduce4(a.a00, a.a01, a.a02, a.a03), bias, channels, qlo, qhi, y0);
  if (rows > 1) finish4<T>(T::reduce4(a.a10, a.a11, a.a12, a.a13), bias, channels, qlo, qhi, y1);
  if (rows > 2) finish4<T>(T::reduce4(a.a20, a.a21, a.a22, a.a23), bias, channels, qlo, qhi, y2);
  if (rows > 3) finish4<T>(T::reduce4(a.a30, a.a31, a.a32, a.a33), bias, channels, qlo, qhi, y3);
}

template <class T>
OCTET_F32_INLINE void finish_1x8(const Acc1x8<T>& a, const float* bias, int channels, float lo,
                                 float hi, float* y) {
  const typename T::Q qlo = T::qdup(lo), qhi = T::qdup(hi);
  finish4<T>(T::reduce4(a.a0, a.a1, a.a2, a.a3), bias, std::min(channels, 4), qlo, qhi, y);
  if (channels > 4) {
    finish4<T>(T::reduce4(a.a4, a.a5, a.a6, a.a7), bias != nullptr ? bias + 4 : nullptr,
               channels - 4, qlo, qhi, y + 4);
  }
}

// ---- FullyConnected ----

template <class T>
void fully_connected(size_t m, size_t n, size_t k, const float* x, const float* w,
                     const float* bias, float act_min, float act_max, float* y, size_t m_begin,
                     size_t m_end, size_t n_begin, size_t n_end) {
  m_end = std::min(m_end, m);
  n_end = std::min(n_end, n);
  if (m_begin >= m_end || n_begin >= n_end) return;
  // Runs of K are cut into int-sized chunks; the zero buffer is not needed (no padding).
  constexpr size_t kChunk = size_t{1} << 30;
  size_t i = m_begin;
  for (; i + 4 <= m_end; i += 4) {
    const float* x0 = x + i * k;
    for (size_t j = n_begin; j < n_end; j += 4) {
      const int channels = static_cast<int>(std::min<size_t>(4, n_end - j));
      const float* wc[4];
      for (int c = 0; c < 4; ++c) wc[c] = w + (j + std::min(c, channels - 1)) * k;
      Acc4x4<T> acc;
      zero(acc);
      for (size_t c0 = 0; c0 < k; c0 += kChunk) {
        const int len = static_cast<int>(std::min(kChunk, k - c0));
        dot_4x4<T>(x0 + c0, x0 + k + c0, x0 + 2 * k + c0, x0 + 3 * k + c0, wc[0] + c0, wc[1] + c0,
                   wc[2] + c0, wc[3] + c0, len, acc);
      }
      float* y0 = y + i * n + j;
      finish_4x4<T>(acc, bias != nullptr ? bias + j : nullptr, channels, act_min, act_max, y0,
                    y0 + n, y0 + 2 * n, y0 + 3 * n, 4);
    }
  }
  // Remaining rows (and GEMV): one row x 8 columns, 8 independent accumulators.
  for (; i < m_end; ++i) {
    const float* xr = x + i * k;
    for (size_t j = n_begin; j < n_end; j += 8) {
      const int channels = static_cast<int>(std::min<size_t>(8, n_end - j));
      const float* wc[8];
      for (int c = 0; c < 8; ++c) wc[c] = w + (j + std::min(c, channels - 1)) * k;
      Acc1x8<T> acc;
      zero(acc);
      for (size_t c0 = 0; c0 < k; c0 += kChunk) {
        const float* wo[8];
        for (int c = 0; c < 8; ++c) wo[c] = wc[c] + c0;
        dot_1x8<T>(xr + c0, wo, static_cast<int>(std::min(kChunk, k - c0)), acc);
      }
      finish_1x8<T>(acc, bias != nullptr ? bias + j : nullptr, channels, act_min, act_max,
                    y + i * n + j);
    }
  }
}

// ---- Conv2D ----

// One contiguous stretch of the dot product for each pixel of a tile: x[p] (nullptr = padding,
// reads zeros) and the weights at w_offset from the output channel's row, `len` floats.
struct Run {
  const float* x[4];
  size_t w_offset;
  int len;
};

struct PixelPos {
  const float* x_image;  // batch image base
  int ih0, iw0;          // input coordinates of tap (0, 0)
  bool full_w;           // every kw tap inside horizontally
};

// Positions of `count` consecutive pixels from `pixel` (one division, then steps); entries
// from `valid` on repeat the last valid pixel (tile tails).
static inline void pixel_positions(const ref::ConvGeometry& g, const float* x, size_t pixel,
                                   int count, int valid, PixelPos* pos) {
  const size_t per_image = static_cast<size_t>(g.out_h) * g.out_w;
  const size_t image_floats = static_cast<size_t>(g.in_h) * g.in_w * g.in_c;
  size_t b = pixel / per_image;
  const int rem = static_cast<int>(pixel - b * per_image);
  int oh = rem / g.out_w, ow = rem - oh * g.out_w;
  for (int p = 0; p < count; ++p) {
    if (p < valid) {
      if (p > 0 && ++ow == g.out_w) {
        ow = 0;
        if (++oh == g.out_h) oh = 0, ++b;
      }
      pos[p].x_image = x + b * image_floats;
      pos[p].ih0 = oh * g.stride_h - g.pad_top;
      pos[p].iw0 = ow * g.stride_w - g.pad_left;
      pos[p].full_w = pos[p].iw0 >= 0 && pos[p].iw0 + (g.kernel_w - 1) * g.dilation_w < g.in_w;
    } else {
      pos[p] = pos[valid - 1];
    }
  }
}

static inline PixelPos pixel_pos(const ref::ConvGeometry& g, const float* x, size_t pixel) {
  const size_t per_image = static_cast<size_t>(g.out_h) * g.out_w;
  const size_t b = pixel / per_image;
  const int rem = static_cast<int>(pixel - b * per_image);
  const int oh = rem / g.out_w, ow = rem % g.out_w;
  PixelPos p;
  p.x_image = x + b * static_cast<size_t>(g.in_h) * g.in_w * g.in_c;
  p.ih0 = oh * g.stride_h - g.pad_top;
  p.iw0 = ow * g.stride_w - g.pad_left;
  p.full_w = p.iw0 >= 0 && p.iw0 + (g.kernel_w - 1) * g.dilation_w < g.in_w;
  return p;
}

// Lists runs [first, first + count) of a tile of `pixels` pixels (1..4; missing ones repeat
// the last). With `fused`, run r is kernel row r (all kw taps, contiguous when groups == 1 and
// dilation_w == 1); otherwise run r is tap (r / KW, r % KW). Runs where every pixel reads
// padding are dropped. Returns the number kept.
static inline int collect_runs(const ref::ConvGeometry& g, const PixelPos* pos, int pixels,
                               int ic_offset, int group_in_c, bool fused, int first, int count,
                               Run* runs) {
  int kept = 0;
  for (int r = first; r < first + count; ++r) {
    const int kh = fused ? r : r / g.kernel_w;
    const int kw = fused ? 0 : r % g.kernel_w;
    Run run;
    bool any = false;
    for (int p = 0; p < 4; ++p) {
      const PixelPos& pp = pos[std::min(p, pixels - 1)];
      const int ih = pp.ih0 + kh * g.dilation_h;
      const int iw = pp.iw0 + kw * g.dilation_w;
      const bool valid = ih >= 0 && ih < g.in_h && (fused ? pp.full_w : iw >= 0 && iw < g.in_w);
      run.x[p] = valid ? pp.x_image + (static_cast<size_t>(ih) * g.in_w + iw) * g.in_c + ic_offset
                       : nullptr;
      any |= valid;
    }
    if (!any) continue;
    run.w_offset = (static_cast<size_t>(kh) * g.kernel_w + kw) * group_in_c;
    run.len = fused ? g.kernel_w * group_in_c : group_in_c;
    runs[kept++] = run;
  }
  return kept;
}

// Accumulates runs into a 4 x 4 tile for output-channel weight rows wc[0..3].
template <class T>
OCTET_F32_INLINE void accumulate_runs(const Run* runs, int count, const float* const* wc,
                                      Acc4x4<T>& acc) {
  for (int r = 0; r < count; ++r) {
    const Run& run = runs[r];
    for (int c0 = 0; c0 < run.len; c0 += kZeroFloats) {
      const int len = std::min(kZeroFloats, run.len - c0);
      const size_t wo = run.w_offset + c0;
      dot_4x4<T>(run.x[0] ? run.x[0] + c0 : kZeros, run.x[1] ? run.x[1] + c0 : kZeros,
                 run.x[2] ? run.x[2] + c0 : kZeros, run.x[3] ? run.x[3] + c0 : kZeros, wc[0] + wo,
                 wc[1] + wo, wc[2] + wo, wc[3] + wo, len, acc);
    }
  }
}

template <class T>
OCTET_F32_INLINE void accumulate_runs_1x8(const Run* runs, int count, const float* const* wc,
                                          Acc1x8<T>& acc) {
  for (int r = 0; r < count; ++r) {
    const Run& run = runs[r];  // x[0] is never null: single-pixel padding runs are dropped
    const float* wo[8];
    for (int c = 0; c < 8; ++c) wo[c] = wc[c] + run.w_offset;
    dot_1x8<T>(run.x[0], wo, run.len, acc);
  }
}

// Dot-product form: any groups, no packing at all (used for grouped convolutions).
template <class T>
void conv2d_dot(const ref::ConvGeometry& g, const float* x, const float* w, const float* bias,
                float act_min, float act_max, float* y, size_t pixel_begin, size_t pixel_end,
                int oc_begin, int oc_end) {
  const size_t total = static_cast<size_t>(g.batch) * g.out_h * g.out_w;
  pixel_end = std::min(pixel_end, total);
  const int group_in_c = g.in_c / g.groups;
  const int group_out_c = g.out_c / g.groups;
  const size_t w_per_oc = static_cast<size_t>(g.kernel_h) * g.kernel_w * group_in_c;
  // Kernel rows are one contiguous run in x and w when the kw taps are adjacent pixels.
  const bool fusable = g.groups == 1 && g.dilation_w == 1;
  Run runs[kMaxRuns];

  for (size_t p0 = pixel_begin; p0 < pixel_end; p0 += 4) {
    const int pixels = static_cast<int>(std::min<size_t>(4, pixel_end - p0));
    PixelPos pos[4];
    for (int p = 0; p < pixels; ++p) pos[p] = pixel_pos(g, x, p0 + p);
    float* y_tile = y + p0 * g.out_c;
    for (int group = 0; group < g.groups; ++group) {
      const int ic_offset = group * group_in_c;
      const int oc_first = group * group_out_c;
      // This call's output channels within the group: [oc_lo, oc_hi).
      const int oc_lo = std::max(0, oc_begin - oc_first);
      const int oc_hi = std::min(group_out_c, oc_end - oc_first);
      if (oc_lo >= oc_hi) continue;
      if (pixels == 4) {
        // Fused rows need every pixel fully inside horizontally (rows outside read zeros).
        bool fused = fusable;
        for (int p = 0; p < 4; ++p) fused = fused && pos[p].full_w;
        const int n_runs = fused ? g.kernel_h : g.kernel_h * g.kernel_w;
        const bool list_once = n_runs <= kMaxRuns;
        const int kept =
            list_once ? collect_runs(g, pos, 4, ic_offset, group_in_c, fused, 0, n_runs, runs) : 0;
        for (int oc = oc_lo; oc < oc_hi; oc += 4) {
          const int channels = std::min(4, oc_hi - oc);
          const float* wc[4];
          for (int c = 0; c < 4; ++c) {
            wc[c] = w + static_cast<size_t>(oc_first + oc + std::min(c, channels - 1)) * w_per_oc;
          }
          Acc4x4<T> acc;
          zero(acc);
          if (list_once) {
            accumulate_runs<T>(runs, kept, wc, acc);
          } else {
            for (int r0 = 0; r0 < n_runs; r0 += kMaxRuns) {
              const int k = collect_runs(g, pos, 4, ic_offset, group_in_c, fused, r0,
                                         std::min(kMaxRuns, n_runs - r0), runs);
              accumulate_runs<T>(runs, k, wc, acc);
            }
          }
          float* yo = y_tile + oc_first + oc;
          finish_4x4<T>(acc, bias != nullptr ? bias + oc_first + oc : nullptr, channels, act_min,
                        act_max, yo, yo + g.out_c, yo + 2 * g.out_c, yo + 3 * g.out_c, 4);
        }
        continue;
      }
      // Range tail: one pixel at a time, 8 channels per tile, padding taps skipped.
      for (int p = 0; p < pixels; ++p) {
        const bool fused = fusable && pos[p].full_w;
        const int n_runs = fused ? g.kernel_h : g.kernel_h * g.kernel_w;
        const bool list_once = n_runs <= kMaxRuns;
        const int kept =
            list_once ? collect_runs(g, &pos[p], 1, ic_offset, group_in_c, fused, 0, n_runs, runs)
                      : 0;
        for (int oc = oc_lo; oc < oc_hi; oc += 8) {
          const int channels = std::min(8, oc_hi - oc);
          const float* wc[8];
          for (int c = 0; c < 8; ++c) {
            wc[c] = w + static_cast<size_t>(oc_first + oc + std::min(c, channels - 1)) * w_per_oc;
          }
          Acc1x8<T> acc;
          zero(acc);
          if (list_once) {
            accumulate_runs_1x8<T>(runs, kept, wc, acc);
          } else {
            for (int r0 = 0; r0 < n_runs; r0 += kMaxRuns) {
              const int k = collect_runs(g, &pos[p], 1, ic_offset, group_in_c, fused, r0,
                                         std::min(kMaxRuns, n_runs - r0), runs);
              accumulate_runs_1x8<T>(runs, k, wc, acc);
            }
          }
          finish_1x8<T>(acc, bias != nullptr ? bias + oc_first + oc : nullptr, channels, act_min,
                        act_max, y_tile + static_cast<size_t>(p) * g.out_c + oc_first + oc);
        }
      }
    }
  }
}

// ---- Conv2D, outer-product form (groups == 1) ----
//
// The dot-product form above pays a horizontal reduction per output, which dominates when
// the input channel run is short (stems, 1x1 convs on 16-32 channels). This form broadcasts
// one input value at a time against a vector of output channels, like a packed GEMM: for each
// tile of NR output channels and block of at most KB reduction steps, the weights are
// transposed into a fixed stack buffer (kPackFloats floats; no heap, no caller scratch) and
// reused for every pixel of the range. Partial sums live in y between blocks.

constexpr int kPackFloats = 4096;  // 16 KiB of stack

// One block of the reduction: taps [tap_begin, tap_end) x input channels [ic_begin, ic_end).
struct KBlock {
  int tap_begin, tap_end, ic_begin, ic_end;
};

// Accumulates `steps` packed rows: acc[p][v] += x_p[c] * packed[c][v * L ..].
template <class T, int MR, int NV>
OCTET_F32_INLINE void packed_steps(const float* const* xp, const float* wp, int steps,
                                   typename T::V (&acc0)[MR], typename T::V (&acc1)[MR]) {
  using V = typename T::V;
  constexpr int L = T::kLanes;
  for (int c = 0; c < steps; ++c, wp += NV * L) {
    V w0 = T::load(wp), w1 = NV > 1 ? T::load(wp + L) : w0;
    // Keeps the weight vectors in registers: without this GCC 12 spills them to the stack
    // and reads every FMA operand from memory (half speed).
#if defined(__aarch64__) || defined(__arm__)
    __asm__("" : "+w"(w0), "+w"(w1));  // "w": NEON register ("v" is x86-only)
#else
    __asm__("" : "+v"(w0), "+v"(w1));
#endif
#pragma GCC unroll 16
    for (int p = 0; p < MR; ++p) {
      const V xb = T::dup(xp[p][c]);
      acc0[p] = T::fma(xb, w0, acc0[p]);
      if (NV > 1) acc1[p] = T::fma(xb, w1, acc1[p]);
    }
  }
}

// MR pixels (the last `MR - pixels` repeat the last one and are not stored) x NV vectors of
// output channels [oc0, oc0 + channels), over reduction block `kb` of the packed weights.
template <class T, int MR, int NV>
OCTET_F32_INLINE void packed_tile(const ref::ConvGeometry& g, const float* x, size_t pixel,
                                  int pixels, const KBlock& kb, const float* packed, bool first,
                                  bool last, const float* bias, int oc0, int channels,
                                  float act_min, float act_max, float* y) {
  using V = typename T::V;
  constexpr int L = T::kLanes;
  const int n0 = std::min(channels, L);      // channels in the first vector
  const int n1 = std::max(channels - L, 0);  // channels in the second
  V acc0[MR], acc1[MR];
  PixelPos pos[MR];
  pixel_positions(g, x, pixel, MR, pixels, pos);
  if (first) {
    V b0 = T::zero(), b1 = T::zero();
    if (bias != nullptr) {
      b0 = n0 == L ? T::load(bias + oc0) : T::load_partial(bias + oc0, n0);
      if (n1 > 0) b1 = n1 == L ? T::load(bias + oc0 + L) : T::load_partial(bias + oc0 + L, n1);
    }
#pragma GCC unroll 16
    for (int p = 0; p < MR; ++p) acc0[p] = b0, acc1[p] = b1;
  } else {
#pragma GCC unroll 16
    for (int p = 0; p < MR; ++p) {
      const float* yp = y + (pixel + std::min(p, pixels - 1)) * g.out_c + oc0;
      acc0[p] = n0 == L ? T::load(yp) : T::load_partial(yp, n0);
      acc1[p] = n1 == L ? T::load(yp + L) : n1 > 0 ? T::load_partial(yp + L, n1) : T::zero();
    }
  }
  const int run = kb.ic_end - kb.ic_begin;
  // Whole kernel rows are one contiguous run of kernel_w * in_c floats in x and in the packed
  // block when the row's taps are adjacent pixels, all inside for every pixel of the tile.
  bool rows_fusable = g.dilation_w == 1 && g.kernel_w > 1 && run == g.in_c;
#pragma GCC unroll 16
  for (int p = 0; p < MR; ++p) rows_fusable = rows_fusable && pos[p].full_w;
  const float* wp = packed;
  for (int tap = kb.tap_begin; tap < kb.tap_end;) {
    const int kh = tap / g.kernel_w, kw = tap - kh * g.kernel_w;
    const bool fuse = rows_fusable && kw == 0 && tap + g.kernel_w <= kb.tap_end;
    const int taps_here = fuse ? g.kernel_w : 1;
    const int steps = run * taps_here;
    const float* xp[MR];
    bool any = false;
#pragma GCC unroll 16
    for (int p = 0; p < MR; ++p) {
      const int ih = pos[p].ih0 + kh * g.dilation_h, iw = pos[p].iw0 + kw * g.dilation_w;
      const bool valid = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
      xp[p] = valid
                  ? pos[p].x_image + (static_cast<size_t>(ih) * g.in_w + iw) * g.in_c + kb.ic_begin
                  : kZeros;
      any |= valid;
    }
    if (any) packed_steps<T, MR, NV>(xp, wp, steps, acc0, acc1);
    wp += static_cast<size_t>(steps) * NV * L;
    tap += taps_here;
  }
  const V lo = T::dup(act_min), hi = T::dup(act_max);
#pragma GCC unroll 16
  for (int p = 0; p < MR; ++p) {
    if (p >= pixels) break;
    float* yp = y + (pixel + p) * g.out_c + oc0;
    V v0 = acc0[p], v1 = acc1[p];
    if (last) v0 = T::vmin(T::vmax(v0, lo), hi), v1 = T::vmin(T::vmax(v1, lo), hi);
    if (n0 == L) {
      T::store(yp, v0);
    } else {
      T::store_partial(yp, v0, n0);
    }
    if (NV > 1) {
      if (n1 == L) {
        T::store(yp + L, v1);
      } else if (n1 > 0) {
        T::store_partial(yp + L, v1, n1);
      }
    }
  }
}

// Output channels [oc0, oc0 + channels) (channels <= NV * kLanes) for every pixel of the range.
template <class T, int NV>
void packed_channel_tile(const ref::ConvGeometry& g, const float* x, const float* w,
                         const float* bias, float act_min, float act_max, float* y,
                         size_t pixel_begin, size_t pixel_end, int oc0, int channels,
                         float* packed) {
  constexpr int NR = NV * T::kLanes;
  constexpr int KB = kPackFloats / NR;
  constexpr int MR = NV == 1 ? T::kMR1 : T::kMR;
  static_assert(KB <= kZeroFloats, "padding taps read KB zeros");
  const int taps = g.kernel_h * g.kernel_w;
  const size_t k_total = static_cast<size_t>(taps) * g.in_c;
  // Blocks: whole taps while in_c fits in KB, else one tap cut into in_c chunks.
  KBlock kb{0, 0, 0, 0};
  while (kb.tap_end < taps || kb.ic_end < g.in_c) {
    const bool first = kb.tap_end == 0 && kb.ic_end == 0;
    if (g.in_c <= KB) {
      kb.tap_begin = kb.tap_end;
      kb.tap_end = std::min(taps, kb.tap_begin + KB / g.in_c);
      kb.ic_begin = 0;
      kb.ic_end = g.in_c;
    } else {
      if (kb.ic_end == g.in_c || kb.tap_end == 0) {
        kb.tap_begin = kb.tap_end;
        kb.tap_end = kb.tap_begin + 1;
        kb.ic_begin = 0;
      } else {
        kb.ic_begin = kb.ic_end;
      }
      kb.ic_end = std::min(g.in_c, kb.ic_begin + KB);
    }
    const bool last = kb.tap_end == taps && kb.ic_end == g.in_c;
    // packed[j][o] = w[oc0 + o][k_j] for the block's k_j, zero for missing channels.
    const int run = kb.ic_end - kb.ic_begin;
    const int steps = (kb.tap_end - kb.tap_begin) * run;
    int o = 0;
    // Four channels at a time: 4x4 transposes of Q vectors.
    for (; o + 4 <= channels; o += 4) {
      const float* w_oc = w + static_cast<size_t>(oc0 + o) * k_total;
      int j = 0;
      for (int tap = kb.tap_begin; tap < kb.tap_end; ++tap) {
        const float* src = w_oc + static_cast<size_t>(tap) * g.in_c + kb.ic_begin;
        int c = 0;
        for (; c + 4 <= run; c += 4, j += 4) {
          typename T::Q q0 = T::qload(src + c), q1 = T::qload(src + k_total + c),
                        q2 = T::qload(src + 2 * k_total + c), q3 = T::qload(src + 3 * k_total + c);
          T::transpose4(q0, q1, q2, q3);
          T::qstore(packed + j * NR + o, q0);
          T::qstore(packed + (j + 1) * NR + o, q1);
          T::qstore(packed + (j + 2) * NR + o, q2);
          T::qstore(packed + (j + 3) * NR + o, q3);
        }
        for (; c < run; ++c, ++j) {
          for (int r = 0; r < 4; ++r) packed[j * NR + o + r] = src[r * k_total + c];
        }
      }
    }
    for (; o < NR; ++o) {
      if (o >= channels) {
        for (int j = 0; j < steps; ++j) packed[j * NR + o] = 0.0f;
        continue;
      }
      const float* w_oc = w + static_cast<size_t>(oc0 + o) * k_total;
      int j = 0;
      for (int tap = kb.tap_begin; tap < kb.tap_end; ++tap) {
        const float* src = w_oc + static_cast<size_t>(tap) * g.in_c + kb.ic_begin;
        for (int c = 0; c < run; ++c, ++j) packed[j * NR + o] = src[c];
      }
    }
    size_t pixel = pixel_begin;
    for (; pixel + MR <= pixel_end; pixel += MR) {
      packed_tile<T, MR, NV>(g, x, pixel, MR, kb, packed, first, last, bias, oc0, channels, act_min,
                             act_max, y);
    }
    if (pixel < pixel_end) {
      packed_tile<T, MR, NV>(g, x, pixel, static_cast<int>(pixel_end - pixel), kb, packed, first,
                             last, bias, oc0, channels, act_min, act_max, y);
    }
  }
}

template <class T>
void conv2d_packed(const ref::ConvGeometry& g, const float* x, const float* w, const float* bias,
                   float act_min, float act_max, float* y, size_t pixel_begin, size_t pixel_end,
                   int oc_begin, int oc_end) {
  constexpr int L = T::kLanes;
  alignas(64) float packed_buffer[kPackFloats];
  int oc0 = oc_begin;
  for (; oc0 + L < oc_end; oc0 += 2 * L) {
    packed_channel_tile<T, 2>(g, x, w, bias, act_min, act_max, y, pixel_begin, pixel_end, oc0,
                              std::min(2 * L, oc_end - oc0), packed_buffer);
  }
  // A last tile of at most one vector of channels does not pay for a second.
  if (oc0 < oc_end) {
    packed_channel_tile<T, 1>(g, x, w, bias, act_min, act_max, y, pixel_begin, pixel_end, oc0,
                              oc_end - oc0, packed_buffer);
  }
}

template <class T>
void conv2d(const ref::ConvGeometry& g, const float* x, const float* w, const float* bias,
            float act_min, float act_max, float* y, size_t pixel_begin, size_t pixel_end,
            int oc_begin, int oc_end) {
  pixel_end = std::min(pixel_end, static_cast<size_t>(g.batch) * g.out_h * g.out_w);
  oc_begin = std::max(oc_begin, 0);
  oc_end = std::min(oc_end, g.out_c);
  if (pixel_begin >= pixel_end || oc_begin >= oc_end) return;
  if (g.groups == 1) {
    conv2d_packed<T>(g, x, w, bias, act_min, act_max, y, pixel_begin, pixel_end, oc_begin, oc_end);
  } else {
    conv2d_dot<T>(g, x, w, bias, act_min, act_max, y, pixel_begin, pixel_end, oc_begin, oc_end);
  }
}

// ---- DepthwiseConv2D ----

template <class T, int kVectors>
OCTET_F32_INLINE void dw_block(const ref::ConvGeometry& g, const float* x_image, int ih0, int iw0,
                               int kh_lo, int kh_hi, int kw_lo, int kw_hi, const float* w,
                               const float* bias, int c, typename T::V lo, typename T::V hi,
                               float* y) {
  using V = typename T::V;
  constexpr int L = T::kLanes;
  V a0 = bias ? T::load(bias + c) : T::zero();
  V a1 = kVectors > 1 ? (bias ? T::load(bias + c + L) : T::zero()) : T::zero();
  V a2 = kVectors > 2 ? (bias ? T::load(bias + c + 2 * L) : T::zero()) : T::zero();
  V a3 = kVectors > 3 ? (bias ? T::load(bias + c + 3 * L) : T::zero()) : T::zero();
  for (int kh = kh_lo; kh < kh_hi; ++kh) {
    const int ih = ih0 + kh * g.dilation_h;
    const float* x_row = x_image + static_cast<size_t>(ih) * g.in_w * g.in_c + c;
    const float* w_row = w + static_cast<size_t>(kh) * g.kernel_w * g.out_c + c;
    for (int kw = kw_lo; kw < kw_hi; ++kw) {
      const float* xp = x_row + static_cast<size_t>(iw0 + kw * g.dilation_w) * g.in_c;
      const float* wp = w_row + static_cast<size_t>(kw) * g.out_c;
      a0 = T::fma(T::load(xp), T::load(wp), a0);
      if (kVectors > 1) a1 = T::fma(T::load(xp + L), T::load(wp + L), a1);
      if (kVectors > 2) a2 = T::fma(T::load(xp + 2 * L), T::load(wp + 2 * L), a2);
      if (kVectors > 3) a3 = T::fma(T::load(xp + 3 * L), T::load(wp + 3 * L), a3);
    }
  }
  T::store(y + c, T::vmin(T::vmax(a0, lo), hi));
  if (kVectors > 1) T::store(y + c + L, T::vmin(T::vmax(a1, lo), hi));
  if (kVectors > 2) T::store(y + c + 2 * L, T::vmin(T::vmax(a2, lo), hi));
  if (kVectors > 3) T::store(y + c + 3 * L, T::vmin(T::vmax(a3, lo), hi));
}

// Two horizontally adjacent output pixels with the same taps inside: each weight vector
// loaded once serves both (1.5 loads per FMA instead of 2).
template <class T, int kVectors>
OCTET_F32_INLINE void dw_block2(const ref::ConvGeometry& g, const float* x_image, int ih0, int iw0,
                                int kh_lo, int kh_hi, int kw_lo, int kw_hi, const float* w,
                                const float* bias, int c, typename T::V lo, typename T::V hi,
                                float* y) {
  using V = typename T::V;
  constexpr int L = T::kLanes;
  V a0 = bias ? T::load(bias + c) : T::zero();
  V a1 = kVectors > 1 ? (bias ? T::load(bias + c + L) : T::zero()) : T::zero();
  V a2 = kVectors > 2 ? (bias ? T::load(bias + c + 2 * L) : T::zero()) : T::zero();
  V a3 = kVectors > 3 ? (bias ? T::load(bias + c + 3 * L) : T::zero()) : T::zero();
  V b0 = a0, b1 = a1, b2 = a2, b3 = a3;
  const size_t next = static_cast<size_t>(g.stride_w) * g.in_c;  // second pixel's input
  for (int kh = kh_lo; kh < kh_hi; ++kh) {
    const int ih = ih0 + kh * g.dilation_h;
    const float* x_row = x_image + static_cast<size_t>(ih) * g.in_w * g.in_c + c;
    const float* w_row = w + static_cast<size_t>(kh) * g.kernel_w * g.out_c + c;
    for (int kw = kw_lo; kw < kw_hi; ++kw) {
      const float* xp = x_row + static_cast<size_t>(iw0 + kw * g.dilation_w) * g.in_c;
      const float* xq = xp + next;
      const float* wp = w_row + static_cast<size_t>(kw) * g.out_c;
      V wv = T::load(wp);
      a0 = T::fma(T::load(xp), wv, a0), b0 = T::fma(T::load(xq), wv, b0);
      if (kVectors > 1) {
        wv = T::load(wp + L);
        a1 = T::fma(T::load(xp + L), wv, a1), b1 = T::fma(T::load(xq + L), wv, b1);
      }
      if (kVectors > 2) {
        wv = T::load(wp + 2 * L);
        a2 = T::fma(T::load(xp + 2 * L), wv, a2), b2 = T::fma(T::load(xq + 2 * L), wv, b2);
      }
      if (kVectors > 3) {
        wv = T::load(wp + 3 * L);
        a3 = T::fma(T::load(xp + 3 * L), wv, a3), b3 = T::fma(T::load(xq + 3 * L), wv, b3);
      }
    }
  }
  float* y2 = y + g.out_c;
  T::store(y + c, T::vmin(T::vmax(a0, lo), hi));
  T::store(y2 + c, T::vmin(T::vmax(b0, lo), hi));
  if (kVectors > 1) {
    T::store(y + c + L, T::vmin(T::vmax(a1, lo), hi));
    T::store(y2 + c + L, T::vmin(T::vmax(b1, lo), hi));
  }
  if (kVectors > 2) {
    T::store(y + c + 2 * L, T::vmin(T::vmax(a2, lo), hi));
    T::store(y2 + c + 2 * L, T::vmin(T::vmax(b2, lo), hi));
  }
  if (kVectors > 3) {
    T::store(y + c + 3 * L, T::vmin(T::vmax(a3, lo), hi));
    T::store(y2 + c + 3 * L, T::vmin(T::vmax(b3, lo), hi));
  }
}

// Taps inside the input for a pixel: [kh_lo, kh_hi) x [kw_lo, kw_hi).
struct TapRange {
  int kh_lo, kh_hi, kw_lo, kw_hi;
  bool operator==(const TapRange& o) const {
    return kh_lo == o.kh_lo && kh_hi == o.kh_hi && kw_lo == o.kw_lo && kw_hi == o.kw_hi;
  }
};

inline TapRange tap_range(const ref::ConvGeometry& g, const PixelPos& pos) {
  TapRange r{0, g.kernel_h, 0, g.kernel_w};
  while (r.kh_lo < r.kh_hi && pos.ih0 + r.kh_lo * g.dilation_h < 0) ++r.kh_lo;
  while (r.kh_hi > r.kh_lo && pos.ih0 + (r.kh_hi - 1) * g.dilation_h >= g.in_h) --r.kh_hi;
  while (r.kw_lo < r.kw_hi && pos.iw0 + r.kw_lo * g.dilation_w < 0) ++r.kw_lo;
  while (r.kw_hi > r.kw_lo && pos.iw0 + (r.kw_hi - 1) * g.dilation_w >= g.in_w) --r.kw_hi;
  return r;
}

// Channels [c, out_c) of one pixel (fewer than a vector): partial loads.
template <class T>
OCTET_F32_INLINE void dw_tail(const ref::ConvGeometry& g, const PixelPos& pos, const TapRange& taps,
                              const float* w, const float* bias, int c, typename T::V lo,
                              typename T::V hi, float* y_pix) {
  using V = typename T::V;
  const int channels = g.out_c;
  const int n = channels - c;
  V acc = bias ? T::load_partial(bias + c, n) : T::zero();
  for (int kh = taps.kh_lo; kh < taps.kh_hi; ++kh) {
    const int ih = pos.ih0 + kh * g.dilation_h;
    for (int kw = taps.kw_lo; kw < taps.kw_hi; ++kw) {
      const int iw = pos.iw0 + kw * g.dilation_w;
      const float* xp = pos.x_image + (static_cast<size_t>(ih) * g.in_w + iw) * g.in_c + c;
      const float* wp = w + (static_cast<size_t>(kh) * g.kernel_w + kw) * channels + c;
      acc = T::fma(T::load_partial(xp, n), T::load_partial(wp, n), acc);
    }
  }
  T::store_partial(y_pix + c, T::vmin(T::vmax(acc, lo), hi), n);
}

template <class T>
void dwconv2d(const ref::ConvGeometry& g, const float* x, const float* w, const float* bias,
              float act_min, float act_max, float* y, size_t pixel_begin, size_t pixel_end) {
  using V = typename T::V;
  constexpr int L = T::kLanes;
  const size_t total = static_cast<size_t>(g.batch) * g.out_h * g.out_w;
  pixel_end = std::min(pixel_end, total);
  const V vlo = T::dup(act_min), vhi = T::dup(act_max);
  const int channels = g.out_c;
  for (size_t pixel = pixel_begin; pixel < pixel_end; ++pixel) {
    const PixelPos pos = pixel_pos(g, x, pixel);
    const TapRange taps = tap_range(g, pos);
    const int kh_lo = taps.kh_lo, kh_hi = taps.kh_hi, kw_lo = taps.kw_lo, kw_hi = taps.kw_hi;
    float* y_pix = y + pixel * channels;
    // Pairs of pixels in the same output row with the same taps share weight loads.
    if (g.depth_multiplier == 1 && pixel + 1 < pixel_end &&
        (pixel + 1) % static_cast<size_t>(g.out_w) != 0) {
      PixelPos next = pos;
      next.iw0 += g.stride_w;
      if (tap_range(g, next) == taps) {
        int c = 0;
        for (; c + 4 * L <= channels; c += 4 * L) {
          dw_block2<T, 4>(g, pos.x_image, pos.ih0, pos.iw0, kh_lo, kh_hi, kw_lo, kw_hi, w, bias, c,
                          vlo, vhi, y_pix);
        }
        if (c + 2 * L <= channels) {
          dw_block2<T, 2>(g, pos.x_image, pos.ih0, pos.iw0, kh_lo, kh_hi, kw_lo, kw_hi, w, bias, c,
                          vlo, vhi, y_pix);
          c += 2 * L;
        }
        for (; c + L <= channels; c += L) {
          dw_block2<T, 1>(g, pos.x_image, pos.ih0, pos.iw0, kh_lo, kh_hi, kw_lo, kw_hi, w, bias, c,
                          vlo, vhi, y_pix);
        }
        if (c == channels) {
          ++pixel;
          continue;
        }
        // Channel tail: finish both pixels one at a time from c (below, twice).
        dw_tail<T>(g, pos, taps, w, bias, c, vlo, vhi, y_pix);
        dw_tail<T>(g, next, taps, w, bias, c, vlo, vhi, y_pix + channels);
        ++pixel;
        continue;
      }
    }
    if (g.depth_multiplier != 1) {
      // Rare in real models: scalar, output channel oc reads input channel oc / multiplier.
      for (int oc = 0; oc < channels; ++oc) {
        const int ic = oc / g.depth_multiplier;
        float acc = bias != nullptr ? bias[oc] : 0.0f;
        for (int kh = kh_lo; kh < kh_hi; ++kh) {
          for (int kw = kw_lo; kw < kw_hi; ++kw) {
            const int ih = pos.ih0 + kh * g.dilation_h, iw = pos.iw0 + kw * g.dilation_w;
            acc += pos.x_image[(static_cast<size_t>(ih) * g.in_w + iw) * g.in_c + ic] *
                   w[(static_cast<size_t>(kh) * g.kernel_w + kw) * channels + oc];
          }
        }
        y_pix[oc] = std::min(std::max(acc, act_min), act_max);
      }
      continue;
    }
    int c = 0;
    for (; c + 4 * L <= channels; c += 4 * L) {
      dw_block<T, 4>(g, pos.x_image, pos.ih0, pos.iw0, kh_lo, kh_hi, kw_lo, kw_hi, w, bias, c, vlo,
                     vhi, y_pix);
    }
    if (c + 2 * L <= channels) {
      dw_block<T, 2>(g, pos.x_image, pos.ih0, pos.iw0, kh_lo, kh_hi, kw_lo, kw_hi, w, bias, c, vlo,
                     vhi, y_pix);
      c += 2 * L;
    }
    for (; c + L <= channels; c += L) {
      dw_block<T, 1>(g, pos.x_image, pos.ih0, pos.iw0, kh_lo, kh_hi, kw_lo, kw_hi, w, bias, c, vlo,
                     vhi, y_pix);
    }
    if (c < channels) dw_tail<T>(g, pos, taps, w, bias, c, vlo, vhi, y_pix);
  }
}

}  // namespace octet::f32_impl
