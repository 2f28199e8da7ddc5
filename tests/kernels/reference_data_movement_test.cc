// Reference Concat / Pad / Transpose / Slice: every output element is checked against
// its source coordinates, computed independently by unravelling the output index.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/reference/reference.h"

namespace octet {
namespace {

using test::Rng;

std::vector<int64_t> unravel(int64_t flat, const std::vector<int32_t>& shape) {
  std::vector<int64_t> coord(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    coord[d] = flat % shape[d];
    flat /= shape[d];
  }
  return coord;
}

int64_t ravel(const std::vector<int64_t>& coord, const std::vector<int32_t>& shape) {
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + coord[d];
  return flat;
}

int64_t count_of(const std::vector<int32_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
}

TEST(ReferenceDataMovementTest, ConcatAlongMiddleAxis) {
  // Inputs [2][a_i][3] of int16 (elem_size 2) concatenated along axis 1.
  const int64_t axis_sizes[] = {1, 4, 2};
  std::vector<std::vector<int16_t>> inputs(3);
  for (int i = 0; i < 3; ++i) {
    inputs[i].resize(2 * axis_sizes[i] * 3);
    for (size_t e = 0; e < inputs[i].size(); ++e) inputs[i][e] = static_cast<int16_t>(1000 * i + e);
  }
  const void* xs[] = {inputs[0].data(), inputs[1].data(), inputs[2].data()};
  std::vector<int16_t> y(2 * 7 * 3);
  ref::concat(3, xs, axis_sizes, 2, 3, sizeof(int16_t), y.data());
  for (int o = 0; o < 2; ++o)
    for (int a = 0; a < 7; ++a)
      for (int in = 0; in < 3; ++in) {
        const int source = a < 1 ? 0 : a < 5 ? 1 : 2;
        const int local = a < 1 ? a : a < 5 ? a - 1 : a - 5;
        ASSERT_EQ(y[(o * 7 + a) * 3 + in],
                  inputs[source][(o * axis_sizes[source] + local) * 3 + in]);
      }
}

TEST(ReferenceDataMovementTest, ConcatQs8RequantizesEachInput) {
  Rng rng(31);
  const int64_t axis_sizes[] = {3, 5};
  const auto a = test::random_int8(rng, 4 * 3 * 6);
  const auto b = test::random_int8(rng, 4 * 5 * 6);
  const int8_t* xs[] = {a.data(), b.data()};
  const ref::QParams qy{0.05f, 2};
  const ref::QParams qxs[] = {qy, ref::QParams{0.08f, -128}};  // first input is a plain copy
  std::vector<int8_t> y(4 * 8 * 6);
  ref::concat_qs8(2, xs, qxs, axis_sizes, 4, 6, qy, y.data());
  std::vector<int8_t> got_b;
  std::vector<int> want_b;
  for (int o = 0; o < 4; ++o)
    for (int e = 0; e < 8 * 6; ++e) {
      const int8_t v = y[o * 48 + e];
      if (e < 18) {
        ASSERT_EQ(v, a[o * 18 + e]);
      } else {
        const int8_t src = b[o * 30 + e - 18];
        got_b.push_back(v);
        want_b.push_back(
            test::quantize_exact((src + 128) * 0.08, qy.scale, qy.zero_point, -128, 127));
      }
    }
  test::expect_within_one_lsb(got_b, want_b, "concat_qs8 rescaled input");
}

TEST(ReferenceDataMovementTest, PadFillsWithPadValue) {
  const std::vector<int32_t> in_shape = {2, 3, 4};
  const int32_t before[] = {1, 0, 2};
  const int32_t after[] = {0, 2, 1};
  const std::vector<int32_t> out_shape = {3, 5, 7};
  std::vector<int32_t> x(count_of(in_shape));
  std::iota(x.begin(), x.end(), 100);
  const int32_t pad_value = -7;
  std::vector<int32_t> y(count_of(out_shape), 0);
  ref::pad(in_shape.data(), 3, before, after, sizeof(int32_t), x.data(), &pad_value, y.data());
  for (int64_t flat = 0; flat < count_of(out_shape); ++flat) {
    auto coord = unravel(flat, out_shape);
    bool inside = true;
    for (int d = 0; d < 3; ++d) {
      coord[d] -= before[d];
      inside = inside && coord[d] >= 0 && coord[d] < in_shape[d];
    }
    ASSERT_EQ(y[flat], inside ? x[ravel(coord, in_shape)] : pad_value) << flat;
  }
  // int8 with the zero point as pad value.
  const int8_t x8[] = {1, 2, 3};
  const int32_t shape8[] = {3};
  const int32_t b8[] = {2}, a8[] = {1};
  const int8_t zp = -128;
  int8_t y8[6];
  ref::pad(shape8, 1, b8, a8, 1, x8, &zp, y8);
  const int8_t want8[] = {-128, -128, 1, 2, 3, -128};
  EXPECT_EQ(0, std::memcmp(y8, want8, 6));
}

// Pad copies whole rows and merges unpadded trailing dimensions: check it against the
// element-by-element definition on random ranks, paddings (often zero on inner dimensions,
// the merged case) and pad values whose bytes differ (float 0.5) or repeat (int8 zero point).
TEST(ReferenceDataMovementTest, PadMatchesElementwiseDefinition) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = 1 + static_cast<int>(rng() % 5);
    std::vector<int32_t> in_shape(rank), before(rank), after(rank), out_shape(rank);
    for (int d = 0; d < rank; ++d) {
      in_shape[d] = static_cast<int32_t>(rng() % 5);  // zero-size dimensions included
      const bool padded = rng() % 2 == 0;
      before[d] = padded ? static_cast<int32_t>(rng() % 3) : 0;
      after[d] = padded ? static_cast<int32_t>(rng() % 3) : 0;
      out_shape[d] = in_shape[d] + before[d] + after[d];
    }
    std::vector<float> x(count_of(in_shape));
    for (float& v : x) v = static_cast<float>(rng() % 1000);
    const float pad_value = 0.5f;
    std::vector<float> y(count_of(out_shape), -1.0f);
    ref::pad(in_shape.data(), rank, before.data(), after.data(), sizeof(float), x.data(),
             &pad_value, y.data());
    std::vector<int8_t> x8(x.size()), y8(y.size(), 0);
    for (size_t i = 0; i < x.size(); ++i) x8[i] = static_cast<int8_t>(static_cast<int>(x[i]) - 500);
    const int8_t zp = -128;
    ref::pad(in_shape.data(), rank, before.data(), after.data(), 1, x8.data(), &zp, y8.data());
    for (int64_t flat = 0; flat < count_of(out_shape); ++flat) {
      auto coord = unravel(flat, out_shape);
      bool inside = true;
      for (int d = 0; d < rank; ++d) {
        coord[d] -= before[d];
        inside = inside && coord[d] >= 0 && coord[d] < in_shape[d];
      }
      ASSERT_EQ(y[flat], inside ? x[ravel(coord, in_shape)] : pad_value) << trial << " " << flat;
      ASSERT_EQ(y8[flat], inside ? x8[ravel(coord, in_shape)] : zp) << trial << " " << flat;
    }
  }
}

TEST(ReferenceDataMovementTest, TransposeMovesEveryElement) {
  const struct {
    std::vector<int32_t> shape, perm;
  } cases[] = {{{3, 4}, {1, 0}},
               {{2, 3, 5}, {2, 0, 1}},
               {{2, 3, 4, 5}, {0, 3, 1, 2}},
               {{1, 2, 1, 3, 2, 2}, {5, 4, 3, 2, 1, 0}}};
  for (const auto& c : cases) {
    const int rank = static_cast<int>(c.shape.size());
    std::vector<int32_t> out_shape(rank);
    for (int d = 0; d < rank; ++d) out_shape[d] = c.shape[c.perm[d]];
    std::vector<float> x(count_of(c.shape));
    std::iota(x.begin(), x.end(), 0.0f);
    std::vector<float> y(x.size(), -1.0f);
    ref::transpose(c.shape.data(), rank, c.perm.data(), sizeof(float), x.data(), y.data());
    for (int64_t flat = 0; flat < count_of(out_shape); ++flat) {
      const auto out_coord = unravel(flat, out_shape);
      std::vector<int64_t> in_coord(rank);
      for (int d = 0; d < rank; ++d) in_coord[c.perm[d]] = out_coord[d];
      ASSERT_EQ(y[flat], x[ravel(in_coord, c.shape)]) << "rank " << rank << " element " << flat;
    }
  }
}

TEST(ReferenceDataMovementTest, SliceCopiesTheWindow) {
  const std::vector<int32_t> in_shape = {4, 5, 6};
  std::vector<int8_t> x(count_of(in_shape));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int8_t>(i * 7);
  const int32_t begin[] = {1, 0, 2};
  const int32_t size[] = {2, -1, 3};  // -1: to the end
  const std::vector<int32_t> out_shape = {2, 5, 3};
  std::vector<int8_t> y(count_of(out_shape));
  ref::slice(in_shape.data(), 3, begin, size, 1, x.data(), y.data());
  for (int64_t flat = 0; flat < count_of(out_shape); ++flat) {
    auto coord = unravel(flat, out_shape);
    for (int d = 0; d < 3; ++d) coord[d] += begin[d];
    ASSERT_EQ(y[flat], x[ravel(coord, in_shape)]) << flat;
  }
}

}  // namespace
}  // namespace octet
