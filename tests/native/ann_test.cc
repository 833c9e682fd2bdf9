// The approximate index (src/ann): built over small clustered tables, its answers against
// emb::nearest's (every returned score the same bits; with every list probed, the same
// answers); deterministic for a seed; a layout from outside validated.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "ann/checksum.h"
#include "ann/ivf_index.h"
#include "embedding/embedding.h"
#include "embedding/nearest.h"
#include "storage/packed_table.h"

namespace {
using emb::Metric;
using emb::ann::IvfBuilder;
using emb::ann::IvfIndex;
using emb::ann::LayoutError;

// rows x dim around `clusters` random centres (what real embeddings look like to k-means).
void fill_clustered(emb::Embedding& t, std::size_t clusters, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::size_t dim = t.dim();
  std::vector<float> centres(clusters * dim);
  for (float& x : centres) x = normal(rng);
  for (std::size_t r = 0; r < t.rows(); ++r) {
    const std::size_t c = rng() % clusters;
    for (std::size_t j = 0; j < dim; ++j) t.weight()[r * dim + j] = centres[c * dim + j] + 0.3f * normal(rng);
  }
  t.all_rows_changed();
}

void build(emb::RowSource& rows, Metric metric, std::size_t lists, std::uint64_t seed, IvfIndex& index) {
  IvfBuilder builder;
  emb::ann::BuildOptions o;
  o.metric = metric;
  o.lists = lists;
  o.sample = 2000;
  o.iterations = 6;
  o.seed = seed;
  ASSERT_TRUE(builder.begin(rows, o, index));
  int steps = 0;
  while (!builder.done()) {
    ASSERT_TRUE(builder.step(rows));
    ASSERT_LT(++steps, 10000);
  }
  ASSERT_TRUE(index.ready());
}

struct Answer {
  std::vector<std::int32_t> index;
  std::vector<float> score;
};

Answer exact(emb::RowSource& rows, emb::NearestQuery q) {
  Answer a{std::vector<std::int32_t>(q.m * q.k), std::vector<float>(q.m * q.k)};
  EXPECT_TRUE(emb::nearest(rows, q, a.index.data(), a.score.data()));
  return a;
}

Answer approximate(const IvfIndex& index, emb::RowSource& rows, emb::NearestQuery q, std::size_t nprobe,
                   std::size_t rerank) {
  Answer a{std::vector<std::int32_t>(q.m * q.k), std::vector<float>(q.m * q.k)};
  EXPECT_TRUE(index.search(rows, q, nprobe, rerank, a.index.data(), a.score.data()));
  return a;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, 4) == 0 || (std::isnan(a) && std::isnan(b)); }

class AnnIndex : public ::testing::TestWithParam<Metric> {};

// Every list probed and every row re-ranked: the exact answer, bit for bit; fewer lists: every
// returned score is emb::nearest's score for that row, and most of the true top 10 are found.
TEST_P(AnnIndex, ExactWithEveryListAndExactScoresOtherwise) {
  const Metric metric = GetParam();
  emb::Embedding t;
  ASSERT_TRUE(t.allocate(3000, 24));
  fill_clustered(t, 40, 7);
  t.padding_idx = 5;
  emb::TableRows rows(t);
  IvfIndex index;
  build(rows, metric, 50, 42, index);
  std::vector<std::int32_t> self = {0, 5, 17, 2999, 1234};
  std::vector<std::int32_t> exclude = {1, 3, 100};
  emb::NearestQuery q;
  q.metric = metric;
  q.k = 10;
  q.m = self.size();
  q.self = self.data();
  q.exclude = exclude.data();
  q.num_exclude = exclude.size();
  q.padding_row = 5;
  const Answer want = exact(rows, q);
  const Answer all = approximate(index, rows, q, 50, 3000);
  EXPECT_EQ(all.index, want.index);
  for (std::size_t i = 0; i < want.score.size(); ++i) EXPECT_TRUE(same_bits(all.score[i], want.score[i])) << i;

  const Answer some = approximate(index, rows, q, 4, 40);
  std::size_t hits = 0;
  for (std::size_t qi = 0; qi < q.m; ++qi) {
    for (std::size_t s = 0; s < q.k; ++s) {
      const std::int32_t row = some.index[qi * q.k + s];
      ASSERT_GE(row, 0);
      EXPECT_NE(row, 5);
      EXPECT_NE(row, self[qi]);
      EXPECT_FALSE(row == 1 || row == 3 || row == 100);
      // The exact score of that row, from a one-row exclusion-free search of the same query.
      std::vector<float> ones(1);
      std::vector<std::int32_t> at(1);
      for (std::size_t s2 = 0; s2 < q.k; ++s2)
        if (want.index[qi * q.k + s2] == row) {
          ++hits;
          EXPECT_TRUE(same_bits(some.score[qi * q.k + s], want.score[qi * q.k + s2]));
        }
      if (s > 0) {
        const float a = some.score[qi * q.k + s - 1], b = some.score[qi * q.k + s];
        EXPECT_TRUE(metric == Metric::kL2 ? a <= b : a >= b);
      }
    }
  }
  EXPECT_GE(hits, q.m * q.k * 8 / 10);
}

// The same seed, the same layout; a saved-and-restored layout validates and answers the same.
TEST_P(AnnIndex, DeterministicAndRestorable) {
  const Metric metric = GetParam();
  emb::Embedding t;
  ASSERT_TRUE(t.allocate(1000, 17));
  fill_clustered(t, 10, 3);
  emb::TableRows rows(t);
  IvfIndex a, b, c;
  build(rows, metric, 20, 9, a);
  build(rows, metric, 20, 9, b);
  ASSERT_EQ(a.byte_length(), b.byte_length());
  EXPECT_EQ(std::memcmp(a.codes.data(), b.codes.data(), a.codes.size()), 0);
  EXPECT_EQ(std::memcmp(a.ids.data(), b.ids.data(), 4 * a.ids.size()), 0);
  EXPECT_EQ(std::memcmp(a.centroids.data(), b.centroids.data(), 4 * a.centroids.size()), 0);
  ASSERT_TRUE(c.allocate(a.metric, a.lists, a.rows, a.dim, a.blocks));
  std::memcpy(c.centroids.data(), a.centroids.data(), 4 * a.centroids.size());
  std::memcpy(c.codebooks.data(), a.codebooks.data(), 4 * a.codebooks.size());
  std::memcpy(c.offsets.data(), a.offsets.data(), 4 * a.offsets.size());
  std::memcpy(c.ids.data(), a.ids.data(), 4 * a.ids.size());
  std::memcpy(c.codes.data(), a.codes.data(), a.codes.size());
  std::memcpy(c.extras.data(), a.extras.data(), 4 * a.extras.size());
  ASSERT_EQ(c.validate(), LayoutError::kNone);
  std::vector<float> query(17 * 3, 0.5f);
  query[4] = -2;
  emb::NearestQuery q;
  q.metric = metric;
  q.k = 7;
  q.m = 3;
  q.queries = query.data();
  const Answer x = approximate(a, rows, q, 3, 30), y = approximate(c, rows, q, 3, 30);
  EXPECT_EQ(x.index, y.index);
  // A broken layout is refused.
  std::swap(c.ids[0], c.ids[1]);
  c.ids[1] = c.ids[0];
  EXPECT_EQ(c.validate(), LayoutError::kBadIds);
  EXPECT_FALSE(c.ready());
}

INSTANTIATE_TEST_SUITE_P(Metrics, AnnIndex, ::testing::Values(Metric::kCosine, Metric::kDot, Metric::kL2),
                         [](const auto& info) {
                           return info.param == Metric::kCosine ? std::string("cosine")
                                  : info.param == Metric::kDot  ? std::string("dot")
                                                                : std::string("l2");
                         });

// A compressed table: the index answers with the compressed table's exact scores.
TEST(AnnIndexPacked, Int8TableScoresAreTheTablesOwn) {
  emb::Embedding t;
  ASSERT_TRUE(t.allocate(800, 33));
  fill_clustered(t, 8, 11);
  emb::PackedTable p;
  ASSERT_TRUE(p.allocate(emb::Storage::kInt8, 800, 33));
  ASSERT_EQ(p.quantize(0, t.weight(), 800), emb::kOk);
  emb::PackedRows rows(p);
  IvfIndex index;
  build(rows, Metric::kCosine, 16, 1, index);
  std::vector<std::int32_t> self = {3, 400};
  emb::NearestQuery q;
  q.k = 5;
  q.m = 2;
  q.self = self.data();
  const Answer want = exact(rows, q), got = approximate(index, rows, q, 16, 800);
  EXPECT_EQ(got.index, want.index);
  for (std::size_t i = 0; i < want.score.size(); ++i) EXPECT_TRUE(same_bits(got.score[i], want.score[i]));
}

// Fewer rows than k: the rest is -1 and NaN, as emb::nearest.
TEST(AnnIndexEdges, FewerRowsThanK) {
  emb::Embedding t;
  ASSERT_TRUE(t.allocate(3, 4));
  fill_clustered(t, 1, 2);
  emb::TableRows rows(t);
  IvfIndex index;
  build(rows, Metric::kCosine, 8, 1, index);
  EXPECT_EQ(index.lists, 3u);
  std::vector<std::int32_t> self = {1};
  emb::NearestQuery q;
  q.k = 4;
  q.m = 1;
  q.self = self.data();
  const Answer a = approximate(index, rows, q, 1, 4);
  EXPECT_EQ(a.index, (std::vector<std::int32_t>{a.index[0], a.index[1], -1, -1}));
  EXPECT_TRUE(std::isnan(a.score[3]));
  const Answer want = exact(rows, q);
  EXPECT_EQ(a.index, want.index);
}

TEST(AnnChecksum, DependsOnEveryByte) {
  std::vector<std::uint8_t> bytes(1000, 7);
  const std::uint64_t base = emb::ann::checksum(bytes.data(), bytes.size());
  for (std::size_t i : {0, 31, 32, 500, 999}) {
    bytes[i] ^= 1;
    EXPECT_NE(emb::ann::checksum(bytes.data(), bytes.size()), base) << i;
    bytes[i] ^= 1;
  }
  EXPECT_NE(emb::ann::checksum(bytes.data(), 999), base);
  EXPECT_EQ(emb::ann::checksum(bytes.data(), bytes.size()), base);
}

}  // namespace
