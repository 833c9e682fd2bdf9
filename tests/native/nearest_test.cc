// Nearest-neighbour search: the scoring kernels (SIMD against the reference, bit for bit),
// the search (against a plain sort of every row's float32 score, exactly), and the row-norm
// cache (right after optimizer steps, lazy catch-up, max_norm and direct writes).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "embedding/embedding.h"
#include "embedding/nearest.h"
#include "kernels/nearest/nearest.h"
#include "nearest_kernels.h"
#include "optim/adagrad.h"
#include "optim/sgd.h"

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr std::size_t kGuard = 8;
constexpr float kSentinel = -12345.0f;

std::vector<float> random_floats(std::mt19937& rng, std::size_t count, float range = 4.0f) {
  std::uniform_real_distribution<float> value(-range, range);
  std::vector<float> v(count);
  for (float& x : v) x = value(rng);
  return v;
}

// Small integers: many rows score exactly the same.
std::vector<float> tied_floats(std::mt19937& rng, std::size_t count) {
  std::uniform_int_distribution<int> value(-1, 1);
  std::vector<float> v(count);
  for (float& x : v) x = static_cast<float>(value(rng));
  return v;
}

::testing::AssertionResult same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0 && !(std::isnan(a[i]) && std::isnan(b[i])))
      return ::testing::AssertionFailure() << "first difference at " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

using BlockKernel = decltype(&emb::ref::dot_block_f32);

// Runs a block kernel's two implementations on the same input; their outputs must agree bit
// for bit (NaN with NaN) and leave the guard after the output alone.
void expect_same_block(BlockKernel ref, BlockKernel simd, const std::vector<float>& rows, std::size_t n,
                       std::size_t dim, const std::vector<float>& queries, std::size_t m) {
  std::vector<float> want(m * n + kGuard, kSentinel), got = want;
  ref(rows.data(), n, dim, queries.data(), m, want.data());
  simd(rows.data(), n, dim, queries.data(), m, got.data());
  EXPECT_TRUE(same_bits(got, want));
  for (std::size_t i = m * n; i < got.size(); ++i) ASSERT_EQ(got[i], kSentinel) << "guard overwritten at " << i;
}

// Every (rows, queries) count around the 4-row and 2-query tiles.
template <typename Check>
void for_each_shape(Check check) {
  for (std::size_t n : {0, 1, 3, 4, 5, 8, 9, 13})
    for (std::size_t m : {0, 1, 2, 3, 5}) {
      SCOPED_TRACE("n = " + std::to_string(n) + ", m = " + std::to_string(m));
      check(n, m);
    }
}

// The SIMD kernel against the reference over every shape, random values.
void expect_simd_matches_reference(BlockKernel ref, BlockKernel simd, std::size_t dim, unsigned seed) {
  std::mt19937 rng(seed);
  for_each_shape([&](std::size_t n, std::size_t m) {
    const std::vector<float> rows = random_floats(rng, n * dim), queries = random_floats(rng, m * dim);
    expect_same_block(ref, simd, rows, n, dim, queries, m);
  });
}

// The reference against the score computed in double: exact(query, row) gives the value and a
// bound on float32's rounding error.
template <typename Exact>
void expect_reference_close(BlockKernel ref, std::size_t dim, unsigned seed, Exact exact) {
  const std::size_t n = 6, m = 3;
  std::mt19937 rng(seed);
  const std::vector<float> rows = random_floats(rng, n * dim), queries = random_floats(rng, m * dim);
  std::vector<float> out(m * n);
  ref(rows.data(), n, dim, queries.data(), m, out.data());
  for (std::size_t q = 0; q < m; ++q) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto [value, bound] = exact(queries.data() + q * dim, rows.data() + i * dim);
      EXPECT_NEAR(out[q * n + i], value, bound) << "query " << q << ", row " << i;
    }
  }
}

TEST_P(dot_block_f32_test, MatchesReferenceBitForBit) {
  expect_simd_matches_reference(emb::ref::dot_block_f32, emb::simd128::dot_block_f32, GetParam(), 100 + GetParam());
}

TEST_P(dot_block_f32_test, ReferenceIsTheDotProduct) {
  const std::size_t dim = GetParam();
  expect_reference_close(emb::ref::dot_block_f32, dim, 200 + dim, [dim](const float* q, const float* r) {
    double value = 0.0, magnitude = 0.0;
    for (std::size_t j = 0; j < dim; ++j) {
      value += static_cast<double>(q[j]) * r[j];
      magnitude += std::fabs(static_cast<double>(q[j]) * r[j]);
    }
    return std::pair<double, double>{value, 1e-6 * magnitude * dim + 1e-30};
  });
}

TEST_P(dot_block_f32_test, SpecialValuesMatchReference) {
  const std::size_t dim = GetParam(), n = 9, m = 3;
  std::mt19937 rng(300 + dim);
  std::vector<float> rows = random_floats(rng, n * dim, 1e30f), queries = random_floats(rng, m * dim, 1e10f);
  rows[0] = kInf;
  rows[dim * 2] = -kInf;
  rows[dim * 5 + dim / 2] = kNaN;
  rows[dim * 8 + dim - 1] = -0.0f;
  queries[dim - 1] = kInf;
  expect_same_block(emb::ref::dot_block_f32, emb::simd128::dot_block_f32, rows, n, dim, queries, m);
}

TEST_P(l2sq_block_f32_test, MatchesReferenceBitForBit) {
  expect_simd_matches_reference(emb::ref::l2sq_block_f32, emb::simd128::l2sq_block_f32, GetParam(), 400 + GetParam());
}

TEST_P(l2sq_block_f32_test, ReferenceIsTheSquaredDistance) {
  const std::size_t dim = GetParam();
  expect_reference_close(emb::ref::l2sq_block_f32, dim, 500 + dim, [dim](const float* q, const float* r) {
    double value = 0.0;
    for (std::size_t j = 0; j < dim; ++j) value += (static_cast<double>(q[j]) - r[j]) * (static_cast<double>(q[j]) - r[j]);
    return std::pair<double, double>{value, 1e-6 * value * dim};
  });
  std::vector<float> row = {1.5f, -2.0f, 0.25f}, out(1);
  emb::ref::l2sq_block_f32(row.data(), 1, 3, row.data(), 1, out.data());
  EXPECT_EQ(out[0], 0.0f) << "a row against itself";
}

TEST_P(l2sq_block_f32_test, SpecialValuesMatchReference) {
  const std::size_t dim = GetParam(), n = 9, m = 3;
  std::mt19937 rng(600 + dim);
  std::vector<float> rows = random_floats(rng, n * dim, 1e20f), queries = random_floats(rng, m * dim);
  rows[dim] = kInf;
  rows[dim * 4 + dim / 2] = kNaN;
  queries[dim * 2] = -kInf;
  expect_same_block(emb::ref::l2sq_block_f32, emb::simd128::l2sq_block_f32, rows, n, dim, queries, m);
}

TEST_P(inverse_norms_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(700 + dim);
  for (std::size_t n : {0, 1, 2, 7}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    std::vector<float> rows = random_floats(rng, n * dim, 1e30f);
    if (n > 1) std::fill_n(rows.begin() + dim, dim, 0.0f);  // a zero row
    std::vector<float> want(n + kGuard, kSentinel), got = want;
    emb::ref::inverse_norms_f32(rows.data(), n, dim, want.data());
    emb::simd128::inverse_norms_f32(rows.data(), n, dim, got.data());
    EXPECT_TRUE(same_bits(got, want));
    for (std::size_t i = n; i < got.size(); ++i) ASSERT_EQ(got[i], kSentinel);
    if (n > 1) EXPECT_EQ(want[1], 0.0f) << "a zero row";
  }
}

TEST_P(inverse_norms_f32_test, ReferenceIsTheInverseNorm) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(800 + dim);
  const std::vector<float> rows = random_floats(rng, 5 * dim);
  std::vector<float> out(5);
  emb::ref::inverse_norms_f32(rows.data(), 5, dim, out.data());
  for (std::size_t i = 0; i < 5; ++i) {
    double sum = 0.0;
    for (std::size_t j = 0; j < dim; ++j) sum += static_cast<double>(rows[i * dim + j]) * rows[i * dim + j];
    EXPECT_EQ(out[i], static_cast<float>(1.0 / std::sqrt(sum))) << "row " << i;  // double sums: rounding far below float's
  }
  const std::vector<float> twos(dim, 2.0f);  // norm 2 sqrt(dim)
  emb::ref::inverse_norms_f32(twos.data(), 1, dim, out.data());
  EXPECT_EQ(out[0], static_cast<float>(0.5 / std::sqrt(static_cast<double>(dim))));
}

// ---------------------------------------------------------------------------------------
// The search: emb::nearest over a float32 table, against a plain model of its contract.

struct Result {
  std::vector<std::int32_t> index;
  std::vector<float> score;
};

// Every qualifying row's float32 score by the kernels' own formula, sorted best first with
// ties to the lower row, then k slots taken (index -1, score NaN past the qualifying rows).
Result model(const std::vector<float>& table, std::size_t rows, std::size_t dim, emb::Metric metric,
             const float* query, std::size_t k, const std::vector<std::int32_t>& left_out) {
  std::vector<float> raw(rows), inverse(rows), inverse_query(1);
  if (metric == emb::Metric::kL2) emb::ref::l2sq_block_f32(table.data(), rows, dim, query, 1, raw.data());
  else emb::ref::dot_block_f32(table.data(), rows, dim, query, 1, raw.data());
  emb::ref::inverse_norms_f32(table.data(), rows, dim, inverse.data());
  emb::ref::inverse_norms_f32(query, 1, dim, inverse_query.data());
  std::vector<std::pair<float, std::int32_t>> scored;
  for (std::size_t r = 0; r < rows; ++r) {
    float s = raw[r];
    if (metric == emb::Metric::kCosine) s = (s * inverse_query[0]) * inverse[r];
    if (metric == emb::Metric::kL2) s = std::sqrt(s);
    const auto row = static_cast<std::int32_t>(r);
    if (!std::isnan(s) && std::find(left_out.begin(), left_out.end(), row) == left_out.end()) scored.push_back({s, row});
  }
  const bool smaller_first = metric == emb::Metric::kL2;
  std::sort(scored.begin(), scored.end(), [&](const auto& x, const auto& y) {
    if (x.first != y.first) return smaller_first ? x.first < y.first : x.first > y.first;
    return x.second < y.second;
  });
  Result want{std::vector<std::int32_t>(k, -1), std::vector<float>(k, kNaN)};
  for (std::size_t s = 0; s < k && s < scored.size(); ++s) {
    want.score[s] = scored[s].first;
    want.index[s] = scored[s].second;
  }
  return want;
}

void load(emb::Embedding& table, std::size_t rows, std::size_t dim, const std::vector<float>& values) {
  ASSERT_TRUE(table.allocate(rows, dim));
  std::copy(values.begin(), values.end(), table.weight());
}

Result search(emb::Embedding& table, emb::NearestQuery query) {
  Result got{std::vector<std::int32_t>(query.m * query.k + kGuard, 77),
             std::vector<float>(query.m * query.k + kGuard, kSentinel)};
  emb::TableRows rows(table);
  EXPECT_TRUE(emb::nearest(rows, query, got.index.data(), got.score.data()));
  for (std::size_t i = query.m * query.k; i < got.index.size(); ++i) {
    EXPECT_EQ(got.index[i], 77) << "guard overwritten at " << i;
    EXPECT_EQ(got.score[i], kSentinel) << "guard overwritten at " << i;
  }
  got.index.resize(query.m * query.k);
  got.score.resize(query.m * query.k);
  return got;
}

void expect_same(const Result& got, const Result& want, std::size_t offset = 0) {
  for (std::size_t s = 0; s < want.index.size(); ++s) {
    ASSERT_EQ(got.index[offset + s], want.index[s]) << "slot " << s;
    ASSERT_TRUE(same_bits({got.score[offset + s]}, {want.score[s]})) << "slot " << s;
  }
}

const emb::Metric kMetrics[] = {emb::Metric::kCosine, emb::Metric::kDot, emb::Metric::kL2};

std::string name(emb::Metric metric) {
  return metric == emb::Metric::kCosine ? "cosine" : metric == emb::Metric::kDot ? "dot" : "l2";
}

TEST(Nearest, MatchesTheModelOnRandomAndTiedTables) {
  for (std::size_t dim : {1, 3, 4, 17, 64}) {
    for (bool ties : {false, true}) {
      std::mt19937 rng(dim * 10 + ties);
      const std::size_t rows = 300;
      std::vector<float> values = ties ? tied_floats(rng, rows * dim) : random_floats(rng, rows * dim);
      std::fill_n(values.begin() + 7 * dim, dim, 0.0f);  // a zero row
      emb::Embedding table;
      load(table, rows, dim, values);
      const std::vector<float> query = ties ? tied_floats(rng, dim) : random_floats(rng, dim);
      for (emb::Metric metric : kMetrics) {
        for (std::size_t k : {1, 10, 299, 400}) {
          SCOPED_TRACE("dim " + std::to_string(dim) + (ties ? ", tied" : "") + ", " + name(metric) + ", k " +
                       std::to_string(k));
          emb::NearestQuery q;
          q.metric = metric;
          q.k = k;
          q.m = 1;
          q.queries = query.data();
          expect_same(search(table, q), model(values, rows, dim, metric, query.data(), k, {}));
        }
      }
    }
  }
}

TEST(Nearest, LeavesOutPaddingSelfExcludedAndNaNRows) {
  const std::size_t rows = 50, dim = 5;
  std::mt19937 rng(5);
  std::vector<float> values = random_floats(rng, rows * dim);
  values[3 * dim + 2] = kNaN;  // row 3 scores NaN
  emb::Embedding table;
  load(table, rows, dim, values);
  const std::vector<std::int32_t> exclude = {0, 9, 49};  // ascending
  const std::vector<std::int32_t> self = {12};
  for (emb::Metric metric : kMetrics) {
    SCOPED_TRACE(name(metric));
    emb::NearestQuery q;
    q.metric = metric;
    q.k = rows;
    q.m = 1;
    q.self = self.data();  // queries = nullptr: row 12 is the query
    q.exclude = exclude.data();
    q.num_exclude = exclude.size();
    q.padding_row = 20;
    const Result got = search(table, q);
    const Result want = model(values, rows, dim, metric, values.data() + 12 * dim, rows, {0, 9, 49, 12, 20, 3});
    expect_same(got, want);
    EXPECT_NE(got.index[43], -1) << "44 rows qualify";
    EXPECT_EQ(got.index[44], -1) << "44 rows qualify";
  }
}

TEST(Nearest, BatchedQueriesEqualSingleOnesAcrossQueryGroups) {
  const std::size_t rows = 203, dim = 17, m = 70;  // 70 queries: a group of 64, then 6
  std::mt19937 rng(70);
  const std::vector<float> values = random_floats(rng, rows * dim), queries = random_floats(rng, m * dim);
  std::vector<std::int32_t> self(m);
  for (std::size_t q = 0; q < m; ++q) self[q] = static_cast<std::int32_t>((q * 37) % rows);
  emb::Embedding table;
  load(table, rows, dim, values);
  for (emb::Metric metric : kMetrics) {
    SCOPED_TRACE(name(metric));
    emb::NearestQuery batch;
    batch.metric = metric;
    batch.k = 5;
    batch.m = m;
    batch.queries = queries.data();
    batch.self = self.data();
    const Result got = search(table, batch);
    for (std::size_t q = 0; q < m; ++q) {
      SCOPED_TRACE("query " + std::to_string(q));
      expect_same(got, model(values, rows, dim, metric, queries.data() + q * dim, 5, {self[q]}), q * 5);
    }
  }
}

TEST(Nearest, NothingQualifiesForANaNQueryOrAnEmptyTable) {
  emb::Embedding table;
  load(table, 4, 2, {1, 2, 3, 4, 5, 6, 7, 8});
  const std::vector<float> query = {kNaN, 1};
  emb::NearestQuery q;
  q.k = 3;
  q.m = 1;
  q.queries = query.data();
  const Result got = search(table, q);
  EXPECT_EQ(got.index, (std::vector<std::int32_t>{-1, -1, -1}));
  emb::Embedding empty;
  ASSERT_TRUE(empty.allocate(0, 2));
  EXPECT_EQ(search(empty, q).index, (std::vector<std::int32_t>{-1, -1, -1}));
  q.k = 0;  // k = 0 writes nothing
  EXPECT_TRUE(search(table, q).index.empty());
}

TEST(Nearest, CosineAgainstAZeroRowIsZeroAndL2IsADistance) {
  emb::Embedding table;
  load(table, 3, 2, {0, 0, 3, 4, -3, -4});
  const std::vector<float> query = {6, 8};
  emb::NearestQuery q;
  q.k = 3;
  q.m = 1;
  q.queries = query.data();
  Result got = search(table, q);
  EXPECT_EQ(got.index, (std::vector<std::int32_t>{1, 0, 2}));
  EXPECT_EQ(got.score, (std::vector<float>{1.0f, 0.0f, -1.0f}));
  q.metric = emb::Metric::kL2;
  got = search(table, q);
  EXPECT_EQ(got.index, (std::vector<std::int32_t>{1, 0, 2}));
  EXPECT_EQ(got.score, (std::vector<float>{5.0f, 10.0f, 15.0f}));
}

TEST(Nearest, AnalogyIsCosineAgainstTheSumOfUnitVectors) {
  const std::size_t rows = 40, dim = 6;
  std::mt19937 rng(8);
  const std::vector<float> values = random_floats(rng, rows * dim);
  emb::Embedding table;
  load(table, rows, dim, values);
  std::vector<float> inverse(rows);
  emb::ref::inverse_norms_f32(values.data(), rows, dim, inverse.data());
  const std::int32_t a = 5, b = 17, c = 2;
  std::vector<float> mean(dim, 0.0f);
  for (std::size_t j = 0; j < dim; ++j) mean[j] += values[b * dim + j] * inverse[b];
  for (std::size_t j = 0; j < dim; ++j) mean[j] += values[c * dim + j] * inverse[c];
  for (std::size_t j = 0; j < dim; ++j) mean[j] += -1.0f * (values[a * dim + j] * inverse[a]);
  std::vector<std::int32_t> index(7);
  std::vector<float> score(7);
  emb::TableRows source(table);
  ASSERT_TRUE(emb::analogy(source, a, b, c, 7, 30, index.data(), score.data()));
  expect_same({index, score}, model(values, rows, dim, emb::Metric::kCosine, mean.data(), 7, {a, b, c, 30}));
}

// ---------------------------------------------------------------------------------------
// The row-norm cache stays right wherever rows change.

// The table's cached inverse norms equal a fresh computation over its caught-up rows.
void expect_norms_current(emb::Embedding& table) {
  emb::TableRows source(table);  // catches every row up
  const float* cached = source.inverse_norms();
  ASSERT_NE(cached, nullptr);
  std::vector<float> fresh(table.rows());
  emb::ref::inverse_norms_f32(table.weight(), table.rows(), table.dim(), fresh.data());
  EXPECT_TRUE(same_bits(std::vector<float>(cached, cached + table.rows()), fresh));
}

void backward_ones(emb::Embedding& table, const std::vector<std::int32_t>& idx) {
  const std::vector<float> grad(idx.size() * table.dim(), 0.25f);
  ASSERT_EQ(table.backward(idx.data(), idx.size(), grad.data()), emb::kOk);
}

TEST(RowNorms, StayRightAfterLazySgdStepsAndCatchUp) {
  std::mt19937 rng(21);
  emb::Embedding table;
  load(table, 64, 9, random_floats(rng, 64 * 9));
  expect_norms_current(table);  // fills the cache
  const emb::SgdOptions options{0.1f, 0.9f, 0.0f, 0.01f, false, false};
  for (int step = 0; step < 3; ++step) {
    table.zero_grad();
    backward_ones(table, {1, 5, 5, 40});
    ASSERT_TRUE(emb::sgd_step(table, 7, options));
    expect_norms_current(table);  // rows without gradient caught up, and recomputed
  }
  // A forward catches some rows up on its own; the search catches up the rest.
  table.zero_grad();
  backward_ones(table, {2});
  ASSERT_TRUE(emb::sgd_step(table, 7, options));
  std::vector<float> out(2 * 9);
  const std::int32_t looked_up[] = {30, 31};
  ASSERT_EQ(table.forward(looked_up, 2, out.data()), emb::kOk);
  expect_norms_current(table);
}

TEST(RowNorms, StayRightAfterAdagradWithWeightDecayAndMaxNorm) {
  std::mt19937 rng(22);
  emb::Embedding table;
  load(table, 32, 4, random_floats(rng, 32 * 4));
  table.has_max_norm = true;
  table.max_norm = 1.0;
  expect_norms_current(table);
  std::vector<float> out(3 * 4);
  const std::int32_t looked_up[] = {3, 8, 3};
  ASSERT_EQ(table.forward(looked_up, 3, out.data()), emb::kOk);  // renormalises rows 3 and 8
  expect_norms_current(table);
  backward_ones(table, {0, 31});
  ASSERT_TRUE(emb::adagrad_step(table, 9, {0.1f, 0.0, 0.1f, 0.0f, 1e-10f}));
  expect_norms_current(table);
}

TEST(RowNorms, DirectWritesNeedTheHookAndManyChangesRecomputeAll) {
  std::mt19937 rng(23);
  emb::Embedding table;
  load(table, 80, 3, random_floats(rng, 80 * 3));
  expect_norms_current(table);
  table.weight()[4 * 3] = 100.0f;  // a write that tells the cache
  const std::int32_t row = 4;
  table.rows_changed(&row, 1);
  expect_norms_current(table);
  // More changed rows than the list holds (rows / 8 + 1): everything is recomputed.
  std::vector<std::int32_t> many(40);
  std::iota(many.begin(), many.end(), 0);
  for (std::int32_t r : many) table.weight()[r * 3 + 1] = -7.0f;
  table.rows_changed(many.data(), many.size());
  expect_norms_current(table);
  std::fill_n(table.weight(), 80 * 3, 0.5f);
  table.all_rows_changed();
  expect_norms_current(table);
}

}  // namespace
