// The core: emb::Embedding (forward, backward, gradient bookkeeping), max_norm
// renormalisation, N(0, 1) initialisation and SGD, against torch.nn.Embedding semantics
// (shared/reference/semantics.md §1 and §3).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "embedding/embedding.h"
#include "embedding/normal_init.h"
#include "embedding/renorm.h"
#include "optim/adagrad.h"
#include "optim/sgd.h"
#include "optim/sparse_adam.h"

namespace {

constexpr std::int32_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr float kSentinel = 12345.0f;

// Allocates `table` as rows x dim holding `values` (row-major).
void load(emb::Embedding& table, std::size_t rows, std::size_t dim, const std::vector<float>& values) {
  ASSERT_EQ(values.size(), rows * dim);
  ASSERT_TRUE(table.allocate(rows, dim));
  std::copy(values.begin(), values.end(), table.weight());
}

// torch.arange(count) / divisor, in float.
std::vector<float> arange(std::size_t count, float divisor = 1.0f) {
  std::vector<float> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = static_cast<float>(i) / divisor;
  return v;
}

// The whole table, after the updates a lazy optimizer still owes it.
std::vector<float> weight_of(emb::Embedding& table) {
  table.catch_up_all();
  return std::vector<float>(table.weight(), table.weight() + table.rows() * table.dim());
}

// The accumulated gradient as a dense rows x dim matrix (zero where a row has none).
std::vector<float> dense_grad(const emb::Embedding& table) {
  std::vector<float> dense(table.rows() * table.dim(), 0.0f);
  for (std::size_t r = 0; r < table.rows(); ++r)
    if (const float* g = table.grad_row(r)) std::copy(g, g + table.dim(), dense.begin() + r * table.dim());
  return dense;
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, float tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tolerance) << "at " << i;
}

// ---------------------------------------------------------------------------------------
// Embedding: forward

TEST(EmbeddingForward, GathersRows) {
  emb::Embedding table;
  load(table, 4, 3, arange(12));
  const std::int32_t idx[] = {3, 0, 3, 2};
  std::vector<float> out(4 * 3 + 1, kSentinel);
  EXPECT_EQ(table.forward(idx, 4, out.data()), -1);
  EXPECT_EQ(out, (std::vector<float>{9, 10, 11, 0, 1, 2, 9, 10, 11, 6, 7, 8, kSentinel}));
  EXPECT_EQ(weight_of(table), arange(12));
}

TEST(EmbeddingForward, EmptyInputWritesNothing) {
  emb::Embedding table;
  load(table, 4, 3, arange(12));
  float out = kSentinel;
  EXPECT_EQ(table.forward(nullptr, 0, &out), -1);
  EXPECT_EQ(out, kSentinel);
}

TEST(EmbeddingForward, OutOfRangeReturnsPositionAndChangesNothing) {
  // Every row has norm > 1, so a renormalisation before the check would show in the weight.
  const std::vector<float> initial = {3, 4, 6, 8, 9, 12, 12, 16};
  for (bool has_max_norm : {false, true}) {
    for (std::int32_t bad : {-1, 4, kInt32Max, kInt32Min}) {
      for (std::size_t pos : {0, 1, 2}) {
        SCOPED_TRACE(std::string(has_max_norm ? "max_norm 1" : "no max_norm") + ", index " + std::to_string(bad) +
                     " at " + std::to_string(pos));
        emb::Embedding table;
        load(table, 4, 2, initial);
        table.has_max_norm = has_max_norm;
        table.max_norm = 1.0;
        std::int32_t idx[] = {0, 3, 1};
        idx[pos] = bad;
        std::vector<float> out(3 * 2 + 1, kSentinel);
        EXPECT_EQ(table.forward(idx, 3, out.data()), static_cast<std::int64_t>(pos));
        EXPECT_EQ(out, std::vector<float>(3 * 2 + 1, kSentinel));
        EXPECT_EQ(weight_of(table), initial);
      }
    }
  }
}

TEST(EmbeddingForward, MaxNormRenormalisesOnlyLookedUpRowsInPlace) {
  // Row 0 is too long, row 1 too but not looked up, row 2 short enough, row 3 is padding:
  // looked up, it is renormalised too (torch does).
  emb::Embedding table;
  load(table, 4, 2, {3, 4, 6, 8, 0.3f, 0.4f, 30, 40});
  table.has_max_norm = true;
  table.max_norm = 1.0;
  table.padding_idx = 3;
  const std::int32_t idx[] = {0, 2, 0, 3};
  std::vector<float> out(4 * 2);
  ASSERT_EQ(table.forward(idx, 4, out.data()), -1);

  const std::vector<float> w = weight_of(table);
  EXPECT_FLOAT_EQ(w[0], static_cast<float>(3.0 / (5.0 + 1e-7)));
  EXPECT_FLOAT_EQ(w[1], static_cast<float>(4.0 / (5.0 + 1e-7)));
  EXPECT_EQ(w[2], 6.0f);
  EXPECT_EQ(w[3], 8.0f);
  EXPECT_EQ(w[4], 0.3f);
  EXPECT_EQ(w[5], 0.4f);
  EXPECT_FLOAT_EQ(w[6], static_cast<float>(30.0 / (50.0 + 1e-7)));
  EXPECT_FLOAT_EQ(w[7], static_cast<float>(40.0 / (50.0 + 1e-7)));
  // The output is the renormalised rows.
  EXPECT_EQ(out, (std::vector<float>{w[0], w[1], w[4], w[5], w[0], w[1], w[6], w[7]}));
}

// ---------------------------------------------------------------------------------------
// Embedding: backward and the gradient

TEST(EmbeddingBackward, NoGradientBeforeTheFirstBackward) {
  emb::Embedding table;
  load(table, 3, 2, arange(6));
  EXPECT_FALSE(table.grad().present);
  EXPECT_EQ(table.grad_row(0), nullptr);
}

TEST(EmbeddingBackward, AccumulatesAcrossCalls) {
  emb::Embedding table;
  load(table, 5, 2, arange(10));
  const std::int32_t first[] = {1, 3, 1};
  const float grad_first[] = {1, 2, 3, 4, 5, 6};
  const std::int32_t second[] = {3, 4};
  const float grad_second[] = {10, 20, 30, 40};
  ASSERT_EQ(table.backward(first, 3, grad_first), -1);
  ASSERT_EQ(table.backward(second, 2, grad_second), -1);

  EXPECT_TRUE(table.grad().present);
  EXPECT_EQ(table.grad().rows, (std::vector<std::int32_t>{1, 3, 4}));  // in order of first appearance
  EXPECT_EQ(dense_grad(table), (std::vector<float>{0, 0, 6, 8, 0, 0, 13, 24, 30, 40}));
  EXPECT_EQ(weight_of(table), arange(10));
}

TEST(EmbeddingBackward, EmptyInputGivesAPresentEmptyGradient) {
  emb::Embedding table;
  load(table, 3, 2, arange(6));
  ASSERT_EQ(table.backward(nullptr, 0, nullptr), -1);
  EXPECT_TRUE(table.grad().present);
  EXPECT_TRUE(table.grad().rows.empty());
  EXPECT_EQ(dense_grad(table), std::vector<float>(6, 0.0f));
}

TEST(EmbeddingBackward, OutOfRangeReturnsPositionAndChangesNothing) {
  emb::Embedding table;
  load(table, 4, 2, arange(8));
  const std::int32_t valid[] = {2, 0};
  const float grad_out[] = {1, 2, 3, 4, 5, 6};
  ASSERT_EQ(table.backward(valid, 2, grad_out), -1);
  const std::vector<std::int32_t> rows_before = table.grad().rows;
  const emb::FloatBuffer values_before = table.grad().values;

  for (std::int32_t bad : {-1, 4, kInt32Max, kInt32Min}) {
    for (std::size_t pos : {0, 1, 2}) {
      SCOPED_TRACE("index " + std::to_string(bad) + " at " + std::to_string(pos));
      std::int32_t idx[] = {1, 3, 1};
      idx[pos] = bad;
      EXPECT_EQ(table.backward(idx, 3, grad_out), static_cast<std::int64_t>(pos));
      EXPECT_EQ(table.grad().rows, rows_before);
      EXPECT_EQ(table.grad().values, values_before);
      EXPECT_EQ(table.grad_row(1), nullptr);
      EXPECT_EQ(table.grad_row(3), nullptr);
    }
  }
  EXPECT_EQ(weight_of(table), arange(8));
}

TEST(EmbeddingBackward, PaddingLookupsGiveNoGradientRow) {
  // semantics.md §1.4: input [0,2,0,3] with padding_idx 0 gives rows [2,3], two ones-rows.
  emb::Embedding table;
  load(table, 5, 3, arange(15));
  table.padding_idx = 0;
  const std::int32_t idx[] = {0, 2, 0, 3};
  const std::vector<float> ones(4 * 3, 1.0f);
  ASSERT_EQ(table.backward(idx, 4, ones.data()), -1);
  EXPECT_EQ(table.grad().rows, (std::vector<std::int32_t>{2, 3}));
  EXPECT_EQ(table.grad().values, emb::FloatBuffer(2 * 3, 1.0f));
  EXPECT_EQ(table.grad_row(0), nullptr);
}

TEST(EmbeddingBackward, ScaleGradByFreqDividesByTheCountInTheWholeInput) {
  // semantics.md §1.6: input [[1,1,2],[1,3,3]], grad_out = arange(12) as 2x3x2, V=5, d=2.
  emb::Embedding table;
  load(table, 5, 2, arange(10));
  table.scale_grad_by_freq = true;
  const std::int32_t idx[] = {1, 1, 2, 1, 3, 3};
  ASSERT_EQ(table.backward(idx, 6, arange(12).data()), -1);
  expect_near_all(dense_grad(table), {0, 0, 8.0f / 3, 11.0f / 3, 4, 5, 9, 10, 0, 0}, 1e-5f);
}

TEST(EmbeddingBackward, ScaleGradByFreqIgnoresPaddingLookups) {
  // semantics.md §1.6: input [1,1,2,2,2,0] with padding_idx 1: rows 0 and 2 get 1, row 1 none.
  emb::Embedding table;
  load(table, 3, 1, arange(3));
  table.scale_grad_by_freq = true;
  table.padding_idx = 1;
  const std::int32_t idx[] = {1, 1, 2, 2, 2, 0};
  const std::vector<float> ones(6, 1.0f);
  ASSERT_EQ(table.backward(idx, 6, ones.data()), -1);
  EXPECT_EQ(table.grad_row(1), nullptr);
  expect_near_all(dense_grad(table), {1, 0, 1}, 1e-6f);
}

TEST(EmbeddingGrad, CoalesceSortsRowsAndValuesFollow) {
  // semantics.md §1.7: input [[7,1,3],[1,1,9]], grad_out = arange(12) as 2x3x2 coalesces to
  // rows [1,3,7,9] with values [[16,19],[4,5],[0,1],[10,11]].
  emb::Embedding table;
  load(table, 10, 2, arange(20));
  const std::int32_t idx[] = {7, 1, 3, 1, 1, 9};
  ASSERT_EQ(table.backward(idx, 6, arange(12).data()), -1);
  ASSERT_EQ(table.grad().rows, (std::vector<std::int32_t>{7, 1, 3, 9}));
  const std::vector<float> dense_before = dense_grad(table);

  table.coalesce_grad();
  EXPECT_EQ(table.grad().rows, (std::vector<std::int32_t>{1, 3, 7, 9}));
  EXPECT_EQ(table.grad().values, (emb::FloatBuffer{16, 19, 4, 5, 0, 1, 10, 11}));
  EXPECT_EQ(dense_grad(table), dense_before);  // grad_row follows the move

  // Accumulating after a coalesce still adds into the right rows.
  const std::int32_t again[] = {9, 2};
  const float grad_again[] = {1, 1, 2, 2};
  ASSERT_EQ(table.backward(again, 2, grad_again), -1);
  EXPECT_EQ(table.grad().rows, (std::vector<std::int32_t>{1, 3, 7, 9, 2}));
  EXPECT_EQ(table.grad_row(9)[0], 11.0f);
  EXPECT_EQ(table.grad_row(2)[1], 2.0f);
}

TEST(EmbeddingGrad, ZeroGradKeepsAnEmptyPresentGradient) {
  emb::Embedding table;
  load(table, 4, 2, arange(8));
  const std::int32_t idx[] = {1, 2};
  const float grad_out[] = {1, 2, 3, 4};
  ASSERT_EQ(table.backward(idx, 2, grad_out), -1);

  table.zero_grad();
  EXPECT_TRUE(table.grad().present);
  EXPECT_TRUE(table.grad().rows.empty());
  EXPECT_TRUE(table.grad().values.empty());
  EXPECT_EQ(table.grad_row(1), nullptr);

  // The next backward starts from zero.
  const std::int32_t next[] = {2};
  const float grad_next[] = {10, 20};
  ASSERT_EQ(table.backward(next, 1, grad_next), -1);
  EXPECT_EQ(dense_grad(table), (std::vector<float>{0, 0, 0, 0, 10, 20, 0, 0}));
}

TEST(EmbeddingGrad, ClearGradRemovesTheGradient) {
  emb::Embedding table;
  load(table, 4, 2, arange(8));
  const std::int32_t idx[] = {1, 2};
  const float grad_out[] = {1, 2, 3, 4};
  ASSERT_EQ(table.backward(idx, 2, grad_out), -1);

  table.clear_grad();
  EXPECT_FALSE(table.grad().present);
  EXPECT_TRUE(table.grad().rows.empty());
  EXPECT_EQ(table.grad_row(1), nullptr);
  EXPECT_EQ(table.grad_row(2), nullptr);
}

// ---------------------------------------------------------------------------------------
// max_norm renormalisation

TEST(Renorm, ScalesByMaxNormOverNormPlusEpsilon) {
  float row[] = {3, 4};
  emb::renorm_row(row, 2, 1.0, 2.0);
  EXPECT_FLOAT_EQ(row[0], static_cast<float>(3.0 / (5.0 + 1e-7)));
  EXPECT_FLOAT_EQ(row[1], static_cast<float>(4.0 / (5.0 + 1e-7)));

  // On a short row the epsilon is visible: max_norm / norm would give [6e-5, 8e-5].
  float short_row[] = {3e-4f, 4e-4f};
  emb::renorm_row(short_row, 2, 1e-4, 2.0);
  EXPECT_NEAR(short_row[0], 3e-4 * 1e-4 / (5e-4 + 1e-7), 1e-11);
  EXPECT_NEAR(short_row[1], 4e-4 * 1e-4 / (5e-4 + 1e-7), 1e-11);
}

TEST(Renorm, NormTypesMatchTorch) {
  // semantics.md §1.5: [3,-4] with max_norm 1.
  struct Case {
    double p, norm;
    float x, y;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Case cases[] = {
      {1.0, 7.0, 0.428571422f, -0.571428563f},
      {2.0, 5.0, 0.59999999f, -0.79999998f},
      {3.0, std::cbrt(91.0), 0.66697176f, -0.88929568f},
      {0.5, std::pow(std::sqrt(3.0) + 2.0, 2.0), 0.21539031f, -0.28718708f},
      {inf, 4.0, 0.74999998f, -0.99999998f},
      {0.0, 2.0, 1.4999999f, -1.9999999f},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("p = " + std::to_string(c.p));
    float row[] = {3, -4};
    EXPECT_NEAR(emb::row_norm(row, 2, c.p), c.norm, 1e-6 * c.norm);
    emb::renorm_row(row, 2, 1.0, c.p);
    EXPECT_NEAR(row[0], c.x, 1e-6);
    EXPECT_NEAR(row[1], c.y, 1e-6);
  }
}

TEST(Renorm, RowWithNormEqualToMaxNormIsUntouched) {
  // The test is strict (norm > max_norm). For [0.375, -0.5] (norm 0.625 exactly) the scale
  // max_norm / (norm + 1e-7) would round below 1 in float, so a renormalisation would show.
  float row[] = {3, 4};
  emb::renorm_row(row, 2, 5.0, 2.0);
  EXPECT_EQ(row[0], 3.0f);
  EXPECT_EQ(row[1], 4.0f);
  float exact[] = {0.375f, -0.5f};
  emb::renorm_row(exact, 2, 0.625, 2.0);
  EXPECT_EQ(exact[0], 0.375f);
  EXPECT_EQ(exact[1], -0.5f);
}

// ---------------------------------------------------------------------------------------
// N(0, 1) initialisation

std::vector<float> normal_draws(std::size_t count, std::uint64_t seed) {
  std::vector<float> v(count);
  emb::fill_normal(v.data(), count, seed);
  return v;
}

TEST(FillNormal, SameSeedSameValuesDifferentSeedDifferentValues) {
  const std::vector<float> a = normal_draws(1001, 42);
  const std::vector<float> b = normal_draws(1001, 42);
  const std::vector<float> c = normal_draws(1001, 43);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  std::size_t same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == c[i];
  EXPECT_LT(same, 10u);
}

TEST(FillNormal, WritesExactlyCountValues) {
  std::vector<float> v(5 + 1, kSentinel);
  emb::fill_normal(v.data(), 5, 7);
  EXPECT_EQ(v[5], kSentinel);
  const std::vector<float> longer = normal_draws(6, 7);
  EXPECT_EQ(std::vector<float>(v.begin(), v.begin() + 5), std::vector<float>(longer.begin(), longer.begin() + 5));
}

TEST(FillNormal, MeanZeroStdOneOver100kDraws) {
  const std::vector<float> v = normal_draws(100000, 2024);
  double sum = 0.0, sum_sq = 0.0;
  for (float x : v) {
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sum_sq += static_cast<double>(x) * x;
  }
  const double mean = sum / v.size();
  const double std_dev = std::sqrt(sum_sq / v.size() - mean * mean);
  EXPECT_LT(std::fabs(mean), 0.02);
  EXPECT_LT(std::fabs(std_dev - 1.0), 0.02);
}

TEST(FillNormal, InitNormalZeroesThePaddingRow) {
  emb::Embedding table;
  ASSERT_TRUE(table.allocate(4, 3));
  table.padding_idx = 0;
  table.init_normal(9);
  std::vector<float> want = normal_draws(12, 9);
  std::fill(want.begin(), want.begin() + 3, 0.0f);
  EXPECT_EQ(weight_of(table), want);
}

// ---------------------------------------------------------------------------------------
// SGD

TEST(Sgd, PlainStepTouchesOnlyGradientRows) {
  // Quarters and halves: p - lr * g is exact in float, so the comparison can be exact.
  emb::Embedding table;
  load(table, 5, 3, arange(15, 4));
  const std::int32_t idx[] = {3, 1, 3};
  const float grad_out[] = {1, 2, 3, -1, -2, -3, 4, 5, 6};
  ASSERT_EQ(table.backward(idx, 3, grad_out), -1);
  emb::SgdOptions options;
  options.lr = 0.5f;
  ASSERT_TRUE(emb::sgd_step(table, /*owner=*/1, options));

  // Row 1 has g = [-1,-2,-3], row 3 has g = [1+4, 2+5, 3+6]; the other rows keep arange(15)/4.
  EXPECT_EQ(weight_of(table), (std::vector<float>{0, 0.25f, 0.5f,                                //
                                                  0.75f + 0.5f, 1.0f + 1.0f, 1.25f + 1.5f,        //
                                                  1.5f, 1.75f, 2.0f,                              //
                                                  2.25f - 2.5f, 2.5f - 3.5f, 2.75f - 4.5f,        //
                                                  3.0f, 3.25f, 3.5f}));
}

TEST(Sgd, MaximizeStepsUpTheGradient) {
  emb::Embedding table;
  load(table, 3, 2, arange(6, 4));
  const std::int32_t idx[] = {2};
  const float grad_out[] = {1, -2};
  ASSERT_EQ(table.backward(idx, 1, grad_out), -1);
  emb::SgdOptions options;
  options.lr = 0.5f;
  options.maximize = true;
  ASSERT_TRUE(emb::sgd_step(table, /*owner=*/1, options));
  EXPECT_EQ(weight_of(table), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1.0f + 0.5f, 1.25f - 1.0f}));
}

// semantics.md §3.1 and §3.3: a 6x2 table of arange(12)/10, three steps on the batches
// [1,1,2], [3], [1,4], loss = sum(out * [1,-2]) so every grad_out row is [1,-2].
struct SgdGolden {
  const char* name;
  emb::SgdOptions options;
  std::vector<float> rows;  // all six rows after the three steps
};

void PrintTo(const SgdGolden& golden, std::ostream* os) { *os << golden.name; }

class SgdGoldenTest : public ::testing::TestWithParam<SgdGolden> {};

TEST_P(SgdGoldenTest, ThreeStepsMatchTorch) {
  const SgdGolden& golden = GetParam();
  emb::Embedding table;
  load(table, 6, 2, arange(12, 10));
  const std::vector<std::vector<std::int32_t>> batches = {{1, 1, 2}, {3}, {1, 4}};
  for (const std::vector<std::int32_t>& batch : batches) {
    std::vector<float> grad_out;
    for (std::size_t i = 0; i < batch.size(); ++i) grad_out.insert(grad_out.end(), {1.0f, -2.0f});
    table.zero_grad();
    ASSERT_EQ(table.backward(batch.data(), batch.size(), grad_out.data()), -1);
    ASSERT_TRUE(emb::sgd_step(table, /*owner=*/1, golden.options));
  }
  expect_near_all(weight_of(table), golden.rows, 1e-5f);
}

emb::SgdOptions sgd(float lr, float momentum = 0.0f, float dampening = 0.0f, bool nesterov = false) {
  emb::SgdOptions o;
  o.lr = lr;
  o.momentum = momentum;
  o.dampening = dampening;
  o.nesterov = nesterov;
  return o;
}

INSTANTIATE_TEST_SUITE_P(
    Semantics, SgdGoldenTest,
    ::testing::Values(
        SgdGolden{"plain", sgd(0.1f), {0, 0.1f, -0.1f, 0.9f, 0.3f, 0.7f, 0.5f, 0.9f, 0.7f, 1.1f, 1.0f, 1.1f}},
        SgdGolden{"momentum",
                  sgd(0.1f, 0.9f),
                  {0, 0.1f, -0.442f, 1.584f, 0.129f, 1.042f, 0.41f, 1.08f, 0.7f, 1.1f, 1.0f, 1.1f}},
        SgdGolden{"dampening",
                  sgd(0.1f, 0.9f, 0.5f),
                  {0, 0.1f, -0.392f, 1.484f, 0.129f, 1.042f, 0.505f, 0.89f, 0.75f, 1.0f, 1.0f, 1.1f}},
        SgdGolden{"nesterov",
                  sgd(0.1f, 0.9f, 0.0f, true),
                  {0, 0.1f, -0.6778f, 2.0556f, 0.0561f, 1.1878f, 0.329f, 1.242f, 0.61f, 1.28f, 1.0f, 1.1f}}),
    [](const ::testing::TestParamInfo<SgdGolden>& info) { return std::string(info.param.name); });

}  // namespace

// ---- O(rows touched) steps --------------------------------------------------------------
// A step must not touch rows without gradient, whatever the table's size: the rows it owes
// updates keep their stored values until read, and then equal the dense result.

// torch's dense SGD (all rows, every step) on a copy, as the reference.
struct DenseSgd {
  std::vector<float> p, buf;
  emb::SgdOptions o;
  void step(const std::vector<float>& dense_grad, bool first) {
    if (buf.empty()) buf.assign(p.size(), 0.0f);
    for (std::size_t j = 0; j < p.size(); ++j) {
      float d = dense_grad[j] + o.weight_decay * p[j];
      buf[j] = first ? d : buf[j] * o.momentum + (1.0f - o.dampening) * d;
      d = o.nesterov ? d + o.momentum * buf[j] : buf[j];
      p[j] = p[j] + (-o.lr) * d;
    }
  }
};

TEST(LazySteps, SgdWithMomentumAndWeightDecayTouchesOnlyGradientRows) {
  for (bool nesterov : {false, true}) {
    constexpr std::size_t rows = 200000, dim = 4;
    emb::Embedding table;
    load(table, rows, dim, arange(rows * dim, 1e5f));
    emb::SgdOptions o;
    o.lr = 0.05f;
    o.momentum = 0.9f;
    o.weight_decay = 0.01f;
    o.nesterov = nesterov;
    DenseSgd dense{weight_of(table), {}, o};
    const std::vector<std::int32_t> batch = {3, 7, 3};
    const std::vector<float> grad_out(batch.size() * dim, 0.5f);
    for (int step = 1; step <= 30; ++step) {
      table.zero_grad();
      ASSERT_EQ(table.backward(batch.data(), batch.size(), grad_out.data()), emb::kOk);
      ASSERT_TRUE(emb::sgd_step(table, /*owner=*/1, o));
      std::vector<float> g(rows * dim, 0.0f);
      for (std::int32_t r : batch)
        for (std::size_t j = 0; j < dim; ++j) g[r * dim + j] += 0.5f;
      dense.step(g, step == 1);
    }
    // Stored values: rows 3 and 7 moved; no other row was written.
    const std::vector<float> initial = arange(rows * dim, 1e5f);
    for (std::size_t r : {0ul, 1ul, 8ul, rows / 2, rows - 1})
      for (std::size_t j = 0; j < dim; ++j) ASSERT_EQ(table.weight()[r * dim + j], initial[r * dim + j]) << r;
    EXPECT_NE(table.weight()[3 * dim], initial[3 * dim]);
    // Read back (catching up), every row equals the dense computation.
    expect_near_all(weight_of(table), dense.p, 2e-5f);
  }
}

TEST(LazySteps, AdagradWithWeightDecayReplaysOwedSteps) {
  constexpr std::size_t rows = 100000, dim = 3;
  emb::Embedding table;
  load(table, rows, dim, arange(rows * dim, 1e5f));
  emb::AdagradOptions o;
  o.lr = 0.1f;
  o.lr_decay = 0.01;
  o.weight_decay = 0.01f;
  const std::vector<std::int32_t> batch = {5};
  const std::vector<float> grad_out(dim, 1.0f);
  for (int step = 0; step < 10; ++step) {
    table.zero_grad();
    ASSERT_EQ(table.backward(batch.data(), batch.size(), grad_out.data()), emb::kOk);
    ASSERT_TRUE(emb::adagrad_step(table, /*owner=*/2, o));
  }
  EXPECT_EQ(table.weight()[rows / 2 * dim], arange(rows * dim, 1e5f)[rows / 2 * dim]);  // owed, not applied
  // Row rows/2 by hand: g = wd * p, S += g^2, p -= clr * g / (sqrt(S) + eps), 10 times.
  float p = table.weight()[rows / 2 * dim], sum = 0.0f;
  for (int step = 1; step <= 10; ++step) {
    const float g = o.weight_decay * p;
    sum += g * g;
    p = p + static_cast<float>(-(0.1 / (1.0 + (step - 1) * 0.01))) * (g / (std::sqrt(sum) + o.eps));
  }
  const std::int32_t row = static_cast<std::int32_t>(rows / 2);
  std::vector<float> out(dim);
  ASSERT_EQ(table.forward(&row, 1, out.data()), emb::kOk);  // a read catches the row up
  EXPECT_FLOAT_EQ(out[0], p);
}

TEST(LazySteps, ASecondOptimizerFirstSettlesTheFirstOnesDebt) {
  emb::Embedding table;
  load(table, 4, 2, arange(8));
  emb::SgdOptions decay;
  decay.lr = 0.1f;
  decay.weight_decay = 0.5f;
  const std::int32_t row0 = 0;
  const std::vector<float> g = {1.0f, 1.0f};
  ASSERT_EQ(table.backward(&row0, 1, g.data()), emb::kOk);
  ASSERT_TRUE(emb::sgd_step(table, /*owner=*/1, decay));  // row 3 owes one step: p *= 1 - 0.1 * 0.5
  EXPECT_EQ(table.weight()[6], 6.0f);
  ASSERT_TRUE(emb::sparse_adam_step(table, /*owner=*/2, {}));  // another optimizer: the debt is paid first
  EXPECT_FLOAT_EQ(table.weight()[6], 6.0f * 0.95f);
  EXPECT_FLOAT_EQ(table.weight()[7], 7.0f * 0.95f);
}
