// emb::PackedTable, a compressed table: its lookups and bags must be those of a float32
// emb::Embedding holding the dequantised rows, bit for bit (kernels/packed_rows.h), and bad
// input must leave everything as it was.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "embedding/embedding.h"
#include "embedding/nearest.h"
#include "kernels/active.h"
#include "storage/packed_sink.h"
#include "storage/packed_table.h"

namespace {

using emb::BagMode;
using emb::PackedTable;
using emb::Storage;

const Storage kStorages[] = {Storage::kFloat16, Storage::kInt8, Storage::kInt4};
const char* name(Storage s) { return s == Storage::kFloat16 ? "float16" : s == Storage::kInt8 ? "int8" : "int4"; }

std::vector<float> normal_rows(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(count);
  for (float& x : v) x = normal(rng);
  return v;
}

// A packed table of `rows` random rows, quantized, and the float32 table of its dequantised rows.
struct Pair {
  PackedTable packed;
  emb::Embedding dense;
};

void make_pair(Pair& p, Storage s, std::size_t rows, std::size_t dim, std::int32_t padding_idx, std::uint32_t seed) {
  std::vector<float> w = normal_rows(rows * dim, seed);
  if (padding_idx >= 0) std::fill_n(&w[padding_idx * dim], dim, 0.0f);
  ASSERT_TRUE(p.packed.allocate(s, rows, dim));
  ASSERT_EQ(p.packed.quantize(0, w.data(), rows), emb::kOk);
  p.packed.padding_idx = padding_idx;
  ASSERT_TRUE(p.dense.allocate(rows, dim));
  std::vector<std::int32_t> all(rows);
  for (std::size_t r = 0; r < rows; ++r) all[r] = static_cast<std::int32_t>(r);
  ASSERT_EQ(emb::ref::gather_packed(s, p.packed.data(), rows, dim, all.data(), rows, p.dense.weight()), rows);
  p.dense.padding_idx = padding_idx;
}

::testing::AssertionResult same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  if (std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) != 0) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
        return ::testing::AssertionFailure() << "first difference at " << i << ": " << a[i] << " vs " << b[i];
  }
  return ::testing::AssertionSuccess();
}

TEST(PackedTable, RowBytesAndByteLength) {
  PackedTable t;
  ASSERT_TRUE(t.allocate(Storage::kInt4, 5, 7));
  EXPECT_EQ(t.row_bytes(), 8u);  // 4 packed bytes + fp16 scale + fp16 bias
  EXPECT_EQ(t.byte_length(), 40u);
  ASSERT_TRUE(t.allocate(Storage::kInt8, 5, 7));
  EXPECT_EQ(t.byte_length(), 75u);
  ASSERT_TRUE(t.allocate(Storage::kFloat16, 5, 7));
  EXPECT_EQ(t.byte_length(), 70u);
  EXPECT_FALSE(t.allocate(Storage::kInt8, std::numeric_limits<std::size_t>::max() / 4, 7));
  EXPECT_EQ(t.rows(), 5u) << "a failed allocation keeps the table";
}

TEST(PackedTable, GatherIsTheDequantisedRows) {
  for (Storage s : kStorages) {
    for (std::size_t dim : {1, 7, 16, 65}) {
      SCOPED_TRACE(std::string(name(s)) + ", dim " + std::to_string(dim));
      Pair p;
      make_pair(p, s, 30, dim, -1, 1 + static_cast<std::uint32_t>(dim));
      const std::vector<std::int32_t> idx = {29, 0, 3, 3, 17, 0};
      std::vector<float> got(idx.size() * dim), want(idx.size() * dim);
      ASSERT_EQ(p.packed.gather(idx.data(), idx.size(), got.data()), emb::kOk);
      ASSERT_EQ(p.dense.forward(idx.data(), idx.size(), want.data()), emb::kOk);
      EXPECT_TRUE(same_bits(got, want));
      // Out of range: the first bad position, nothing written.
      const std::vector<std::int32_t> bad = {2, 30, 1, -1};
      std::vector<float> untouched(bad.size() * dim, 7.0f), out = untouched;
      EXPECT_EQ(p.packed.prepare_lookup(bad.data(), bad.size()), 1);
      EXPECT_EQ(p.packed.gather(bad.data(), bad.size(), out.data()), 1);
      EXPECT_TRUE(same_bits(out, untouched));
    }
  }
}

// Bags: empty ones (first, middle, last), one larger than any scratch so far, duplicates,
// padding entries and bags of only padding.
struct Bags {
  std::vector<std::int32_t> idx, offsets{0};
  void add(std::vector<std::int32_t> bag) {
    idx.insert(idx.end(), bag.begin(), bag.end());
    offsets.push_back(static_cast<std::int32_t>(idx.size()));
  }
  std::size_t num_bags() const { return offsets.size() - 1; }
};

Bags some_bags(std::size_t rows, std::int32_t pad) {
  Bags bags;
  bags.add({});
  bags.add({3, 3, 1});
  bags.add({});
  std::vector<std::int32_t> big(300);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::int32_t>((i * 7) % rows);
  bags.add(big);
  bags.add({static_cast<std::int32_t>(rows) - 1});
  if (pad >= 0) {
    bags.add({pad, pad});
    bags.add({pad, 2, pad, 5});
  }
  bags.add({0, 4, 2, 2, 9});
  bags.add({});
  return bags;
}

TEST(PackedTable, BagsAreFloat32BagsOfTheDequantisedRows) {
  for (Storage s : kStorages) {
    for (std::size_t dim : {1, 6, 17, 64}) {
      for (std::int32_t pad : {-1, 2}) {
        Pair p;
        make_pair(p, s, 40, dim, pad, 100 + static_cast<std::uint32_t>(dim));
        const Bags bags = some_bags(40, pad);
        std::vector<float> psw = normal_rows(bags.idx.size(), 7);
        for (BagMode mode : {BagMode::kSum, BagMode::kMean, BagMode::kMax}) {
          for (bool weighted : {false, true}) {
            if (weighted && mode != BagMode::kSum) continue;
            SCOPED_TRACE(std::string(name(s)) + ", dim " + std::to_string(dim) + ", padding " + std::to_string(pad) +
                         ", mode " + std::to_string(static_cast<int>(mode)) + (weighted ? ", weighted" : ""));
            const float* w = weighted ? psw.data() : nullptr;
            std::vector<float> got(bags.num_bags() * dim, 9.0f), want(bags.num_bags() * dim, -9.0f);
            ASSERT_EQ(p.packed.bag_forward(bags.idx.data(), bags.idx.size(), bags.offsets.data(), bags.num_bags(),
                                           mode, w, got.data()),
                      emb::kOk);
            ASSERT_EQ(p.dense.bag_forward(bags.idx.data(), bags.idx.size(), bags.offsets.data(), bags.num_bags(), mode,
                                          w, want.data()),
                      emb::kOk);
            EXPECT_TRUE(same_bits(got, want));
          }
        }
      }
    }
  }
}

TEST(PackedTable, BadBagsReturnTheFloat32StatusAndWriteNothing) {
  Pair p;
  make_pair(p, Storage::kInt8, 40, 5, 2, 3);
  const Bags good = some_bags(40, 2);
  std::vector<std::pair<std::string, Bags>> cases;
  Bags b = good;
  b.offsets[2] = b.offsets[1] - 1;
  cases.emplace_back("decreasing offsets", b);
  b = good;
  b.offsets.back() += 1;
  cases.emplace_back("last offset past n", b);
  b = good;
  b.idx[4] = 40;
  b.idx[9] = -1;
  cases.emplace_back("index 40 at 4", b);
  b = good;
  b.idx[0] = -1;
  cases.emplace_back("index -1 at 0", b);
  for (const auto& [what, bags] : cases) {
    SCOPED_TRACE(what);
    for (BagMode mode : {BagMode::kSum, BagMode::kMax}) {
      std::vector<float> untouched(bags.num_bags() * 5, 3.0f), out = untouched;
      const std::int64_t want = p.dense.bag_forward(bags.idx.data(), bags.idx.size(), bags.offsets.data(),
                                                    bags.num_bags(), mode, nullptr, out.data());
      ASSERT_NE(want, emb::kOk);
      EXPECT_EQ(p.packed.bag_forward(bags.idx.data(), bags.idx.size(), bags.offsets.data(), bags.num_bags(), mode,
                                     nullptr, out.data()),
                want);
      EXPECT_TRUE(same_bits(out, untouched));
    }
  }
}

TEST(PackedTable, QuantizeStopsAtTheFirstUnrepresentableRow) {
  PackedTable t;
  ASSERT_TRUE(t.allocate(Storage::kInt8, 6, 3));
  std::vector<float> rows = normal_rows(4 * 3, 5);
  rows[2 * 3 + 1] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(t.quantize(1, rows.data(), 4), 2) << "row 2 of src";
  std::vector<std::uint8_t> want(2 * t.row_bytes());
  emb::ref::quantize_rows(Storage::kInt8, rows.data(), 2, 3, want.data());
  EXPECT_EQ(std::memcmp(t.data() + t.row_bytes(), want.data(), want.size()), 0) << "the rows before it, at `first`";
  for (std::size_t i = 3 * t.row_bytes(); i < t.byte_length(); ++i) ASSERT_EQ(t.data()[i], 0) << i;
}

TEST(PackedTable, FirstInvalidRowFindsNonFiniteParameters) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  PackedTable t;
  ASSERT_TRUE(t.allocate(Storage::kInt8, 4, 3));
  EXPECT_EQ(t.first_invalid_row(), emb::kOk) << "zero rows: scale 0, bias 0";
  std::memcpy(t.data() + 2 * t.row_bytes() + 3 + 4, &nan, 4);  // row 2's bias
  std::memcpy(t.data() + 3 * t.row_bytes() + 3, &inf, 4);      // row 3's scale
  EXPECT_EQ(t.first_invalid_row(), 2);
  ASSERT_TRUE(t.allocate(Storage::kInt4, 4, 3));
  t.data()[1 * t.row_bytes() + 2 + 1] = 0x7c;  // row 1's scale: 0x7c00, infinity
  EXPECT_EQ(t.first_invalid_row(), 1);
  ASSERT_TRUE(t.allocate(Storage::kFloat16, 4, 3));
  t.data()[3 * t.row_bytes() + 5] = 0xfe;  // row 3, value 2: 0xfe00, a NaN
  EXPECT_EQ(t.first_invalid_row(), 3);
}

// Nearest-neighbour search reads a compressed table (one query straight from the packed rows,
// several a block at a time, blocks of fewer rows than the table's) as it reads the float32
// table of the same rows: same rows, same scores.
TEST(PackedTable, SearchesAsTheFloat32TableOfItsRows) {
  for (Storage s : kStorages) {
    for (std::size_t dim : {3, 16, 33}) {
      SCOPED_TRACE(std::string(name(s)) + ", dim " + std::to_string(dim));
      Pair p;
      make_pair(p, s, 600, dim, 7, 200 + static_cast<std::uint32_t>(dim));
      emb::PackedRows packed(p.packed);
      emb::TableRows dense(p.dense);
      const std::vector<float> queries = normal_rows(3 * dim, 9);
      for (emb::Metric metric : {emb::Metric::kCosine, emb::Metric::kDot, emb::Metric::kL2}) {
        for (std::size_t m : {1, 3}) {
          emb::NearestQuery q;
          q.metric = metric;
          q.k = 600;
          q.m = m;
          q.queries = queries.data();
          q.padding_row = 7;
          std::vector<std::int32_t> got_index(m * q.k), want_index(m * q.k);
          std::vector<float> got(m * q.k), want(m * q.k);
          ASSERT_TRUE(emb::nearest(packed, q, got_index.data(), got.data()));
          ASSERT_TRUE(emb::nearest(dense, q, want_index.data(), want.data()));
          EXPECT_EQ(got_index, want_index) << "metric " << static_cast<int>(metric) << ", " << m << " queries";
          EXPECT_TRUE(same_bits(got, want)) << "metric " << static_cast<int>(metric) << ", " << m << " queries";
        }
      }
    }
  }
}

// The word-vector sink: rows committed one by one (past its first room, so it grows; one written
// and never committed, as a duplicate word's), a row it cannot store refused and kept for the
// message, then handed to a table: the rows quantize_rows makes of the committed ones.
TEST(PackedSink, QuantizesEachCommittedRow) {
  for (Storage s : kStorages) {
    SCOPED_TRACE(name(s));
    const std::size_t dim = 9, rows = 40;
    const std::vector<float> values = normal_rows(rows * dim, 21);
    emb::PackedSink sink(s);
    emb::io::RowSink& rs = sink;
    ASSERT_TRUE(rs.begin(dim, 3));
    for (std::size_t r = 0; r < rows; ++r) {
      float* row = rs.next_row();
      ASSERT_NE(row, nullptr);
      std::fill_n(row, dim, 7.0f);  // a duplicate's row, overwritten by the next
      row = rs.next_row();
      std::copy_n(&values[r * dim], dim, row);
      ASSERT_TRUE(rs.commit_row()) << "row " << r;
    }
    float* bad = rs.next_row();
    std::fill_n(bad, dim, 0.0f);
    bad[4] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_FALSE(rs.commit_row());
    EXPECT_TRUE(sink.rejected());
    EXPECT_TRUE(std::isnan(sink.row()[4]));
    EXPECT_EQ(rs.rows(), rows);
    rs.finish();
    PackedTable table;
    sink.move_to(table);
    EXPECT_EQ(sink.rows(), 0u);
    ASSERT_EQ(table.rows(), rows);
    std::vector<std::uint8_t> want(rows * table.row_bytes());
    ASSERT_EQ(emb::ref::quantize_rows(s, values.data(), rows, dim, want.data()), rows);
    EXPECT_EQ(std::memcmp(table.data(), want.data(), want.size()), 0);
  }
}

}  // namespace
