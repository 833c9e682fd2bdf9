// Every SIMD kernel against its scalar reference, bit for bit, over an FBGEMM-style grid.
//
// The kernel list src/kernels/kernels.inc drives this file (see the end): each listed
// EMB_KERNEL(family, function) instantiates the test suite `<function>_test` over that
// suite's dims. A listed kernel without a suite does not compile; a suite without tests,
// or a suite whose kernel left the list, fails at run time (GoogleTestVerification).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/ann/ann.h"
#include "kernels/bag/bag.h"
#include "kernels/dequantize/dequantize.h"
#include "kernels/gather/gather.h"
#include "kernels/nearest/nearest.h"
#include "kernels/quantize/quantize.h"
#include "kernels/scatter_add/scatter_add.h"
#include "kernels/sgd_row/sgd_row.h"
#include "nearest_kernels.h"

namespace {

constexpr std::int32_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kInt32Min = std::numeric_limits<std::int32_t>::min();

// Dims that are and are not multiples of 4, 8 and 16, around every vector-loop boundary.
const std::vector<std::size_t> kDims = {1, 3, 4, 5, 7, 8, 16, 17, 63, 64, 65, 163};
// Lookup counts: empty, one, a few, many (with many repeats, as rows is small).
const std::vector<std::size_t> kCounts = {0, 1, 5, 200};
constexpr std::size_t kRows = 11;

// Every output buffer is followed by kGuard copies of this NaN, which no kernel computes.
constexpr std::size_t kGuard = 8;
constexpr std::uint32_t kSentinelBits = 0x7fc0beefu;

float sentinel() {
  float f;
  std::memcpy(&f, &kSentinelBits, sizeof f);
  return f;
}

std::vector<float> random_floats(std::mt19937& rng, std::size_t count) {
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  std::vector<float> v(count);
  for (float& x : v) x = value(rng);
  return v;
}

// `size` random values (an output's prior contents) followed by the guard.
std::vector<float> guarded_buffer(std::mt19937& rng, std::size_t size) {
  std::vector<float> v = random_floats(rng, size);
  v.insert(v.end(), kGuard, sentinel());
  return v;
}

::testing::AssertionResult guard_intact(const std::vector<float>& buffer) {
  for (std::size_t i = buffer.size() - kGuard; i < buffer.size(); ++i)
    if (std::memcmp(&buffer[i], &kSentinelBits, sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "sentinel overwritten at offset " << i;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "first difference at offset " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

// n row indices in [0, rows) with repeats; the last row first, the first row last, and
// (from n = 3) a duplicate of position 0 in the middle.
std::vector<std::int32_t> random_indices(std::mt19937& rng, std::size_t n, std::size_t rows) {
  std::uniform_int_distribution<std::int32_t> row(0, static_cast<std::int32_t>(rows) - 1);
  std::vector<std::int32_t> idx(n);
  for (std::int32_t& r : idx) r = row(rng);
  if (n >= 1) idx[0] = static_cast<std::int32_t>(rows) - 1;
  if (n >= 2) idx[n - 1] = 0;
  if (n >= 3) idx[n / 2] = idx[0];
  return idx;
}

template <typename Fn>
struct Impl {
  const char* name;
  Fn fn;
};

std::string dim_name(const ::testing::TestParamInfo<std::size_t>& info) {
  return "dim" + std::to_string(info.param);
}

// ---------------------------------------------------------------------------------------
// gather_f32

using GatherFn = decltype(&emb::ref::gather_f32);
const Impl<GatherFn> kGatherImpls[] = {{"ref", emb::ref::gather_f32}, {"simd128", emb::simd128::gather_f32}};

class gather_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  // The SIMD kernel switches to memcpy from dim 128 on.
  static std::vector<std::size_t> dims() {
    std::vector<std::size_t> d = kDims;
    d.insert(d.end(), {128, 300});
    return d;
  }
};

TEST_P(gather_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(1000 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  for (std::size_t n : kCounts) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const std::vector<std::int32_t> idx = random_indices(rng, n, kRows);
    std::vector<float> want = guarded_buffer(rng, n * dim);
    std::vector<float> got = want;

    ASSERT_EQ(emb::ref::gather_f32(table.data(), kRows, dim, idx.data(), n, want.data()), n);
    ASSERT_EQ(emb::simd128::gather_f32(table.data(), kRows, dim, idx.data(), n, got.data()), n);

    EXPECT_TRUE(same_bits(got, want));
    EXPECT_TRUE(guard_intact(got));
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(std::memcmp(&want[i * dim], &table[idx[i] * dim], dim * sizeof(float)), 0) << "row " << i;
  }
}

TEST_P(gather_f32_test, OutOfRangeReturnsPositionAndWritesNothing) {
  const std::size_t dim = GetParam(), n = 9;
  std::mt19937 rng(2000 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  for (std::int32_t bad : {-1, static_cast<std::int32_t>(kRows), kInt32Max, kInt32Min}) {
    for (std::size_t pos : {std::size_t{0}, n / 2, n - 1}) {
      std::vector<std::int32_t> idx = random_indices(rng, n, kRows);
      idx[pos] = bad;
      const std::vector<float> before = guarded_buffer(rng, n * dim);
      for (const auto& impl : kGatherImpls) {
        SCOPED_TRACE(std::string(impl.name) + ": index " + std::to_string(bad) + " at " + std::to_string(pos));
        std::vector<float> out = before;
        EXPECT_EQ(impl.fn(table.data(), kRows, dim, idx.data(), n, out.data()), pos);
        EXPECT_TRUE(same_bits(out, before));
      }
    }
  }
}

TEST_P(gather_f32_test, ReturnsFirstOfSeveralBadPositions) {
  const std::size_t dim = GetParam(), n = 9;
  std::mt19937 rng(3000 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  std::vector<std::int32_t> idx = random_indices(rng, n, kRows);
  idx[3] = static_cast<std::int32_t>(kRows);
  idx[7] = -1;
  const std::vector<float> before = guarded_buffer(rng, n * dim);
  for (const auto& impl : kGatherImpls) {
    SCOPED_TRACE(impl.name);
    std::vector<float> out = before;
    EXPECT_EQ(impl.fn(table.data(), kRows, dim, idx.data(), n, out.data()), 3u);
    EXPECT_TRUE(same_bits(out, before));
  }
}

// ---------------------------------------------------------------------------------------
// scatter_add_f32

using ScatterAddFn = decltype(&emb::ref::scatter_add_f32);
const Impl<ScatterAddFn> kScatterAddImpls[] = {{"ref", emb::ref::scatter_add_f32},
                                               {"simd128", emb::simd128::scatter_add_f32}};

class scatter_add_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return kDims; }
};

// Target rows as random_indices gives them, with every fourth entry (from position 1) skipped.
std::vector<std::int32_t> random_targets(std::mt19937& rng, std::size_t n, std::size_t rows) {
  std::vector<std::int32_t> targets = random_indices(rng, n, rows);
  for (std::size_t i = 1; i < n; i += 4) targets[i] = emb::kSkipRow;
  return targets;
}

TEST_P(scatter_add_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(4000 + dim);
  for (std::size_t n : kCounts) {
    for (float alpha : {1.0f, -0.37f}) {
      for (bool with_scale : {false, true}) {
        SCOPED_TRACE("n = " + std::to_string(n) + ", alpha = " + std::to_string(alpha) +
                     (with_scale ? ", per-entry scale" : ", no scale"));
        const std::vector<float> src = random_floats(rng, n * dim);
        const std::vector<float> scale = random_floats(rng, n);
        const std::vector<std::int32_t> targets = random_targets(rng, n, kRows);
        const float* scale_ptr = with_scale ? scale.data() : nullptr;
        std::vector<float> want = guarded_buffer(rng, kRows * dim);
        std::vector<float> got = want;

        ASSERT_EQ(emb::ref::scatter_add_f32(src.data(), n, dim, targets.data(), alpha, scale_ptr, want.data(), kRows),
                  n);
        ASSERT_EQ(emb::simd128::scatter_add_f32(src.data(), n, dim, targets.data(), alpha, scale_ptr, got.data(),
                                                kRows),
                  n);

        EXPECT_TRUE(same_bits(got, want));
        EXPECT_TRUE(guard_intact(got));
      }
    }
  }
}

TEST_P(scatter_add_f32_test, OutOfRangeReturnsPositionAndWritesNothing) {
  const std::size_t dim = GetParam(), n = 9;
  std::mt19937 rng(5000 + dim);
  const std::vector<float> src = random_floats(rng, n * dim);
  const std::vector<float> scale = random_floats(rng, n);
  for (std::int32_t bad : {-2, static_cast<std::int32_t>(kRows), kInt32Max, kInt32Min}) {
    for (std::size_t pos : {std::size_t{0}, n / 2, n - 1}) {
      std::vector<std::int32_t> targets = random_targets(rng, n, kRows);
      targets[pos] = bad;
      const std::vector<float> before = guarded_buffer(rng, kRows * dim);
      for (const auto& impl : kScatterAddImpls) {
        for (const float* scale_ptr : {static_cast<const float*>(nullptr), scale.data()}) {
          SCOPED_TRACE(std::string(impl.name) + ": row " + std::to_string(bad) + " at " + std::to_string(pos) +
                       (scale_ptr ? ", per-entry scale" : ", no scale"));
          std::vector<float> dst = before;
          EXPECT_EQ(impl.fn(src.data(), n, dim, targets.data(), -0.37f, scale_ptr, dst.data(), kRows), pos);
          EXPECT_TRUE(same_bits(dst, before));
        }
      }
    }
  }
}

TEST_P(scatter_add_f32_test, ReturnsFirstOfSeveralBadPositions) {
  const std::size_t dim = GetParam(), n = 9;
  std::mt19937 rng(6000 + dim);
  const std::vector<float> src = random_floats(rng, n * dim);
  std::vector<std::int32_t> targets = random_targets(rng, n, kRows);
  targets[3] = -2;
  targets[7] = static_cast<std::int32_t>(kRows);
  const std::vector<float> before = guarded_buffer(rng, kRows * dim);
  for (const auto& impl : kScatterAddImpls) {
    SCOPED_TRACE(impl.name);
    std::vector<float> dst = before;
    EXPECT_EQ(impl.fn(src.data(), n, dim, targets.data(), 1.0f, nullptr, dst.data(), kRows), 3u);
    EXPECT_TRUE(same_bits(dst, before));
  }
}

// The reference itself on a case small enough to check by hand: duplicates accumulate in
// order, skipped entries add nothing, each entry is scaled by alpha * scale[i].
TEST(scatter_add_f32_reference, HandExample) {
  const float src[] = {1, 2, 10, 20, 100, 200, 1000, 2000};
  const std::int32_t targets[] = {2, emb::kSkipRow, 0, 2};
  const float scale[] = {1.0f, 5.0f, 0.5f, 0.25f};
  std::vector<float> dst = {1, 1, 1, 1, 1, 1};
  ASSERT_EQ(emb::ref::scatter_add_f32(src, 4, 2, targets, 2.0f, scale, dst.data(), 3), 4u);
  EXPECT_EQ(dst, (std::vector<float>{1 + 100, 1 + 200, 1, 1, 1 + 2 + 500, 1 + 4 + 1000}));
}

// ---------------------------------------------------------------------------------------
// scatter_sum_f32

using ScatterSumFn = decltype(&emb::ref::scatter_sum_f32);
const Impl<ScatterSumFn> kScatterSumImpls[] = {{"ref", emb::ref::scatter_sum_f32},
                                               {"simd128", emb::simd128::scatter_sum_f32}};

class scatter_sum_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return kDims; }
};

// Slots as a gradient numbers rows: random rows (repeats, first and last row) renumbered by
// first appearance, every fourth entry (from position 1) skipped. *count = the slots used.
std::vector<std::int32_t> first_appearance_slots(std::mt19937& rng, std::size_t n, std::size_t* count) {
  std::vector<std::int32_t> slots = random_targets(rng, n, kRows);
  std::vector<std::int32_t> slot_of_row(kRows, -1);
  std::int32_t next = 0;
  for (std::int32_t& s : slots) {
    if (s == emb::kSkipRow) continue;
    if (slot_of_row[static_cast<std::size_t>(s)] < 0) slot_of_row[static_cast<std::size_t>(s)] = next++;
    s = slot_of_row[static_cast<std::size_t>(s)];
  }
  *count = static_cast<std::size_t>(next);
  return slots;
}

TEST_P(scatter_sum_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(7000 + dim);
  for (std::size_t n : kCounts) {
    for (bool with_scale : {false, true}) {
      SCOPED_TRACE("n = " + std::to_string(n) + (with_scale ? ", per-entry scale" : ", no scale"));
      std::vector<float> src = random_floats(rng, n * dim);
      if (n > 0 && dim > 0) src[0] = -0.0f;  // a first entry of -0 sums to +0, as 0 + (-0)
      const std::vector<float> scale = random_floats(rng, n);
      std::size_t count = 0;
      const std::vector<std::int32_t> slots = first_appearance_slots(rng, n, &count);
      const float* scale_ptr = with_scale ? scale.data() : nullptr;
      // Rows past the slots used keep their contents (the sentinels' job past the buffer).
      std::vector<float> want = guarded_buffer(rng, kRows * dim);
      std::vector<float> got = want;

      ASSERT_EQ(emb::ref::scatter_sum_f32(src.data(), n, dim, slots.data(), scale_ptr, want.data(), kRows, 0), n);
      ASSERT_EQ(emb::simd128::scatter_sum_f32(src.data(), n, dim, slots.data(), scale_ptr, got.data(), kRows, 0), n);
      EXPECT_TRUE(same_bits(got, want));
      EXPECT_TRUE(guard_intact(got));

      // The same entries in two pieces: the second starts after the slots the first made.
      const std::size_t half = n / 2;
      std::size_t made = 0;
      for (std::size_t i = 0; i < half; ++i)
        if (slots[i] != emb::kSkipRow && static_cast<std::size_t>(slots[i]) == made) ++made;
      for (const auto& impl : kScatterSumImpls) {
        SCOPED_TRACE(std::string(impl.name) + " in two pieces");
        std::vector<float> pieces = guarded_buffer(rng, kRows * dim);
        std::copy(want.begin() + static_cast<std::ptrdiff_t>(count * dim), want.end(),
                  pieces.begin() + static_cast<std::ptrdiff_t>(count * dim));  // rows past the slots: as before
        ASSERT_EQ(impl.fn(src.data(), half, dim, slots.data(), scale_ptr, pieces.data(), kRows, 0), half);
        ASSERT_EQ(impl.fn(src.data() + half * dim, n - half, dim, slots.data() + half,
                          scale_ptr ? scale_ptr + half : nullptr, pieces.data(), kRows, made),
                  n - half);
        EXPECT_TRUE(same_bits(pieces, want));
      }
    }
  }
}

class slot_sum_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return kDims; }
};

// The one-pass backward against the two passes it replaces: slots by first appearance, then
// ref::scatter_sum_f32 (f = 1). Random rows with repeats and a padding row (skip); in one call
// and in two pieces, from no slots and from slots an earlier call made.
TEST_P(slot_sum_f32_test, MatchesSlotsThenScatterSumBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(7100 + dim);
  constexpr std::int32_t kSkip = 3;
  using Fn = decltype(&emb::ref::slot_sum_f32);
  const std::pair<const char*, Fn> impls[] = {{"ref", emb::ref::slot_sum_f32}, {"simd128", emb::simd128::slot_sum_f32}};
  for (std::size_t n : kCounts) {
    std::vector<float> src = random_floats(rng, n * dim);
    if (n > 0 && dim > 0) src[0] = -0.0f;  // a first entry of -0 sums to +0, as 0 + (-0)
    const std::vector<std::int32_t> idx = random_indices(rng, n, kRows);
    // Two slots exist already (rows 5 and 7, an earlier call's), as in a second backward.
    const std::size_t earlier = 2;
    std::vector<std::int32_t> want_map(kRows, -1), want_rows(earlier + n, -1), want_slots(n, emb::kSkipRow);
    want_map[5] = 0, want_map[7] = 1, want_rows[0] = 5, want_rows[1] = 7;
    std::size_t k = earlier;
    for (std::size_t i = 0; i < n; ++i) {
      if (idx[i] == kSkip) continue;
      std::int32_t& s = want_map[static_cast<std::size_t>(idx[i])];
      if (s < 0) s = static_cast<std::int32_t>(k), want_rows[k++] = idx[i];
      want_slots[i] = s;
    }
    const std::vector<float> start = guarded_buffer(rng, (earlier + n) * dim);  // rows 0, 1: the earlier sums
    std::vector<float> want = start;
    ASSERT_EQ(emb::ref::scatter_sum_f32(src.data(), n, dim, want_slots.data(), nullptr, want.data(), earlier + n, earlier), n);
    for (const auto& [name, fn] : impls) {
      for (std::size_t split : {n, n / 2}) {
        SCOPED_TRACE(std::string(name) + ", n = " + std::to_string(n) + ", first piece " + std::to_string(split));
        std::vector<std::int32_t> map(kRows, -1), rows(earlier + n, -1);
        map[5] = 0, map[7] = 1, rows[0] = 5, rows[1] = 7;
        std::vector<float> got = guarded_buffer(rng, (earlier + n) * dim);
        std::copy_n(start.begin(), earlier * dim, got.begin());
        std::size_t made = fn(src.data(), split, dim, idx.data(), kSkip, map.data(), rows.data(), got.data(), earlier);
        made = fn(src.data() + split * dim, n - split, dim, idx.data() + split, kSkip, map.data(), rows.data(), got.data(),
                  made);
        EXPECT_EQ(made, k);
        EXPECT_EQ(map, want_map);
        EXPECT_EQ(rows, want_rows);
        got.resize(k * dim);  // past the slots made: unspecified
        EXPECT_TRUE(same_bits(got, std::vector<float>(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(k * dim))));
      }
    }
  }
}

TEST_P(scatter_sum_f32_test, BadSlotReturnsPositionAndWritesNothing) {
  const std::size_t dim = GetParam(), n = 9;
  std::mt19937 rng(8000 + dim);
  const std::vector<float> src = random_floats(rng, n * dim);
  for (std::size_t pos : {std::size_t{0}, n / 2, n - 1}) {
    std::size_t count = 0;
    const std::vector<std::int32_t> good = first_appearance_slots(rng, n, &count);
    // Each fault at pos: a negative slot other than kSkipRow, one past dst_rows, a slot that
    // skips ahead of the next new one.
    std::int32_t seen_before = 0;
    for (std::size_t i = 0; i < pos; ++i)
      if (good[i] != emb::kSkipRow && good[i] == seen_before) ++seen_before;
    for (std::int32_t bad : {-2, static_cast<std::int32_t>(kRows), seen_before + 1, kInt32Min}) {
      std::vector<std::int32_t> slots = good;
      slots[pos] = bad;
      const std::vector<float> before = guarded_buffer(rng, kRows * dim);
      for (const auto& impl : kScatterSumImpls) {
        SCOPED_TRACE(std::string(impl.name) + ": slot " + std::to_string(bad) + " at " + std::to_string(pos));
        std::vector<float> dst = before;
        EXPECT_EQ(impl.fn(src.data(), n, dim, slots.data(), nullptr, dst.data(), kRows, 0), pos);
        EXPECT_TRUE(same_bits(dst, before));
      }
    }
  }
}

// sgd_row_f32, linear2_row_f32

class sgd_row_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return kDims; }
};

// Every combination of the options, with and without a gradient and a buffer.
TEST_P(sgd_row_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(9300 + dim);
  for (int mask = 0; mask < 64; ++mask) {
    const bool nesterov = mask & 1, maximize = mask & 2, decay = mask & 4, dampen = mask & 8;
    const bool with_g = mask & 16, with_buf = mask & 32;
    for (bool create : {false, true}) {
      SCOPED_TRACE("options " + std::to_string(mask) + (create ? ", creating the buffer" : ""));
      const emb::SgdRowOptions o{0.01f, 0.9f, dampen ? 0.7f : 1.0f, decay ? 1e-2f : 0.0f, nesterov, maximize};
      const std::vector<float> g = random_floats(rng, dim);
      const std::vector<float> p0 = guarded_buffer(rng, dim), b0 = guarded_buffer(rng, dim);
      std::vector<float> want_p = p0, want_b = b0, got_p = p0, got_b = b0;
      emb::ref::sgd_row_f32(want_p.data(), with_buf ? want_b.data() : nullptr, with_g ? g.data() : nullptr, dim, o, create);
      emb::simd128::sgd_row_f32(got_p.data(), with_buf ? got_b.data() : nullptr, with_g ? g.data() : nullptr, dim, o, create);
      EXPECT_TRUE(same_bits(got_p, want_p));
      EXPECT_TRUE(same_bits(got_b, want_b));
      EXPECT_TRUE(guard_intact(got_p));
      EXPECT_TRUE(guard_intact(got_b));
    }
  }
}

// The reference by hand: momentum 0.5, lr 0.25, one element each way.
TEST(sgd_row_f32_reference, HandExample) {
  float p[] = {1.0f, 2.0f}, buf[] = {4.0f, -4.0f};
  const float g[] = {2.0f, 0.0f};
  emb::ref::sgd_row_f32(p, buf, g, 2, emb::SgdRowOptions{0.25f, 0.5f, 1.0f, 0.0f, false, false}, false);
  EXPECT_EQ(buf[0], 4.0f);   // 4 * 0.5 + 2
  EXPECT_EQ(buf[1], -2.0f);  // -4 * 0.5 + 0
  EXPECT_EQ(p[0], 0.0f);     // 1 - 0.25 * 4
  EXPECT_EQ(p[1], 2.5f);     // 2 + 0.25 * 2
}

class sgd_zero_grad_steps_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return kDims; }
};

// Every combination of the options, with and without a buffer, for several step counts; signed
// zeros in the row and the buffer (0 * momentum + keep * 0 keeps or drops the sign as the
// reference does).
TEST_P(sgd_zero_grad_steps_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(9500 + dim);
  for (int mask = 0; mask < 32; ++mask) {
    const bool nesterov = mask & 1, maximize = mask & 2, decay = mask & 4, dampen = mask & 8, with_buf = mask & 16;
    for (std::size_t steps : {0, 1, 2, 3, 8, 40}) {
      SCOPED_TRACE("options " + std::to_string(mask) + ", " + std::to_string(steps) + " steps");
      const emb::SgdRowOptions o{0.01f, 0.9f, dampen ? 0.7f : 1.0f, decay ? 1e-2f : 0.0f, nesterov, maximize};
      std::vector<float> p0 = guarded_buffer(rng, dim), b0 = guarded_buffer(rng, dim);
      if (dim > 1) p0[1] = b0[1] = -0.0f;
      std::vector<float> want_p = p0, want_b = b0, got_p = p0, got_b = b0;
      emb::ref::sgd_zero_grad_steps_f32(want_p.data(), with_buf ? want_b.data() : nullptr, dim, o, steps);
      emb::simd128::sgd_zero_grad_steps_f32(got_p.data(), with_buf ? got_b.data() : nullptr, dim, o, steps);
      EXPECT_TRUE(same_bits(got_p, want_p));
      EXPECT_TRUE(same_bits(got_b, want_b));
      EXPECT_TRUE(guard_intact(got_p));
      EXPECT_TRUE(guard_intact(got_b));
    }
  }
}

// The reference is sgd_row_f32 with no gradient, `steps` times.
TEST(sgd_zero_grad_steps_f32_reference, TwoStepsByHand) {
  float p[] = {1.0f}, buf[] = {4.0f};
  emb::ref::sgd_zero_grad_steps_f32(p, buf, 1, emb::SgdRowOptions{0.25f, 0.5f, 1.0f, 0.0f, false, false}, 2);
  EXPECT_EQ(buf[0], 1.0f);  // 4 * 0.5, then * 0.5
  EXPECT_EQ(p[0], 0.25f);   // 1 - 0.25 * 2, then - 0.25 * 1
}

class linear2_row_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return kDims; }
};

TEST_P(linear2_row_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(9400 + dim);
  std::uniform_real_distribution<double> coef(-1.5, 1.5);
  for (int round = 0; round < 8; ++round) {
    for (bool with_buf : {false, true}) {
      const double a = coef(rng), b = coef(rng), c = coef(rng), d = coef(rng);
      std::vector<float> p0 = guarded_buffer(rng, dim), b0 = guarded_buffer(rng, dim);
      if (dim > 0) p0[0] = -0.0f;  // a * -0 + b * 0: the sign as the reference has it
      std::vector<float> want_p = p0, want_b = b0, got_p = p0, got_b = b0;
      emb::ref::linear2_row_f32(want_p.data(), with_buf ? want_b.data() : nullptr, dim, a, b, c, d);
      emb::simd128::linear2_row_f32(got_p.data(), with_buf ? got_b.data() : nullptr, dim, a, b, c, d);
      EXPECT_TRUE(same_bits(got_p, want_p));
      EXPECT_TRUE(same_bits(got_b, want_b));
      EXPECT_TRUE(guard_intact(got_p));
    }
  }
}

TEST(linear2_row_f32_reference, HandExample) {
  float p[] = {1.0f, 2.0f}, buf[] = {3.0f, 4.0f};
  emb::ref::linear2_row_f32(p, buf, 2, 1.0, 0.5, -1.0, 2.0);
  EXPECT_EQ(p[0], 2.5f);  // 1 + 0.5 * 3
  EXPECT_EQ(p[1], 4.0f);
  EXPECT_EQ(buf[0], 5.0f);  // -1 + 2 * 3
  EXPECT_EQ(buf[1], 6.0f);
}

// The reference by hand: slots summed from zero in order, skipped entries add nothing, each
// entry scaled; rows past the slots used are untouched.
TEST(scatter_sum_f32_reference, HandExample) {
  const float src[] = {1, 2, 10, 20, 100, 200, 1000, 2000, -0.0f, 4};
  const std::int32_t slots[] = {0, emb::kSkipRow, 1, 0, 2};
  const float scale[] = {1.0f, 5.0f, 0.5f, 0.25f, 1.0f};
  std::vector<float> dst = {9, 9, 9, 9, 9, 9, 9, 9};
  ASSERT_EQ(emb::ref::scatter_sum_f32(src, 5, 2, slots, scale, dst.data(), 4, 0), 5u);
  EXPECT_EQ(dst, (std::vector<float>{1 + 250, 2 + 500, 50, 100, 0, 4, 9, 9}));
  EXPECT_FALSE(std::signbit(dst[4]));  // 0 + (-0) is +0
  // A second piece: slots 0..2 hold sums, slot 3 is new.
  const float more[] = {1, 1, 7, 8};
  const std::int32_t more_slots[] = {1, 3};
  ASSERT_EQ(emb::ref::scatter_sum_f32(more, 2, 2, more_slots, nullptr, dst.data(), 4, 3), 2u);
  EXPECT_EQ(dst, (std::vector<float>{251, 502, 51, 101, 0, 4, 7, 8}));
}

// ---------------------------------------------------------------------------------------
// Bags: bag_sum_f32, bag_max_f32, bag_sum_backward_f32
//
// Each kernel is checked three ways: SIMD against the reference bit for bit, the reference
// against a plain model of the header's contract (same operations, same order, so also bit
// for bit), and the reference on hand-checked PyTorch examples (semantics.md §2).

// Every int32 output (bag_max_f32's arg) is followed by kGuard copies of this value.
constexpr std::int32_t kArgSentinel = 0x5eedbeef;
// Padding rows tried: none, the first row, a middle row, the last row.
const std::int32_t kSkipRows[] = {-1, 0, 3, static_cast<std::int32_t>(kRows) - 1};

std::vector<std::int32_t> guarded_args(std::mt19937& rng, std::size_t size) {
  std::uniform_int_distribution<std::int32_t> value(-5, 500);
  std::vector<std::int32_t> v(size);
  for (std::int32_t& x : v) x = value(rng);
  v.insert(v.end(), kGuard, kArgSentinel);
  return v;
}

::testing::AssertionResult same_ints(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i])
      return ::testing::AssertionFailure() << "first difference at offset " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

float from_bits(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

std::uint32_t to_bits(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// Entries (table rows, or gradient slots) in CSR form: bag b holds the positions
// [offsets[b], offsets[b+1]), and offsets ends with n.
struct Bags {
  std::vector<std::int32_t> idx;
  std::vector<std::int32_t> offsets{0};
  void add(const std::vector<std::int32_t>& bag) {
    idx.insert(idx.end(), bag.begin(), bag.end());
    offsets.push_back(static_cast<std::int32_t>(idx.size()));
  }
  std::size_t n() const { return idx.size(); }
  std::size_t num_bags() const { return offsets.size() - 1; }
};

enum class Layout { kNoBags, kOnlyEmptyBags, kOneEntry, kMixed };
const Layout kLayouts[] = {Layout::kNoBags, Layout::kOnlyEmptyBags, Layout::kOneEntry, Layout::kMixed};

std::string layout_name(Layout layout) {
  switch (layout) {
    case Layout::kNoBags: return "no bags";
    case Layout::kOnlyEmptyBags: return "only empty bags";
    case Layout::kOneEntry: return "one bag of one entry";
    case Layout::kMixed: return "mixed bags";
  }
  return "?";
}

// Bags over rows [0, rows). `skip` is the entry to leave out (the padding row, or kSkipRow
// for slots), or none; the mixed layout then has bags made only of it and sprinkles it
// elsewhere. The mixed layout starts and ends with empty bags, has empty bags in the middle,
// the first and last rows, duplicates within a bag, and bags of 1 to 40 entries.
Bags make_bags(std::mt19937& rng, Layout layout, std::size_t rows, std::optional<std::int32_t> skip) {
  const std::int32_t last = static_cast<std::int32_t>(rows) - 1;
  std::uniform_int_distribution<std::int32_t> row(0, last);
  std::bernoulli_distribution skipped(0.25);
  const auto entry = [&] { return skip && skipped(rng) ? *skip : row(rng); };
  Bags bags;
  switch (layout) {
    case Layout::kNoBags:
      break;
    case Layout::kOnlyEmptyBags:
      for (int b = 0; b < 3; ++b) bags.add({});
      break;
    case Layout::kOneEntry:
      bags.add({row(rng)});
      break;
    case Layout::kMixed:
      bags.add({});
      bags.add({last});
      bags.add({0, last, 0, 0});
      if (skip) {
        bags.add({*skip, *skip, *skip});
        bags.add({*skip});
        bags.add({*skip, row(rng), *skip, last, 0});
      }
      bags.add({});
      bags.add({});
      for (int size : {1, 2, 3, 5, 8, 17, 40}) {
        std::vector<std::int32_t> bag(static_cast<std::size_t>(size));
        for (std::int32_t& e : bag) e = entry();
        if (size >= 3) bag[static_cast<std::size_t>(size) - 1] = bag[0];
        bags.add(bag);
      }
      bags.add({});
      break;
  }
  return bags;
}

// Valid entries with non-empty first and last bags (so that a wrong first or last offset can
// be the only fault), for the bad-offsets tests.
Bags offsets_test_bags(std::mt19937& rng, std::size_t rows) {
  std::uniform_int_distribution<std::int32_t> row(0, static_cast<std::int32_t>(rows) - 1);
  Bags bags;
  for (std::size_t size : {2, 0, 3, 1, 2}) {
    std::vector<std::int32_t> bag(size);
    for (std::int32_t& e : bag) e = row(rng);
    bags.add(bag);
  }
  return bags;  // offsets {0, 2, 2, 5, 6, 8}
}

// Offsets that do not rise from 0 to n, made from the valid `good` (each with num_bags + 1
// entries), with what is wrong with them.
std::vector<std::pair<std::string, std::vector<std::int32_t>>> bad_offsets(const std::vector<std::int32_t>& good) {
  const std::size_t nb = good.size() - 1;
  const std::int32_t n = good[nb];
  std::vector<std::pair<std::string, std::vector<std::int32_t>>> cases;
  const auto with = [&](const std::string& what, std::size_t at, std::int32_t value) {
    std::vector<std::int32_t> o = good;
    o[at] = value;
    cases.emplace_back(what, o);
  };
  with("first offset 1", 0, 1);
  with("first offset -1", 0, -1);
  with("first offset INT32_MIN", 0, kInt32Min);
  with("decreasing in the middle", 2, good[1] - 1);
  with("decreasing: middle offset above n", 3, n + 5);
  with("decreasing: middle offset INT32_MAX", 3, kInt32Max);
  with("decreasing: middle offset negative", 3, -3);
  with("last offset n - 1", nb, n - 1);
  with("last offset n + 1", nb, n + 1);
  with("last offset 0", nb, 0);
  with("last offset -1", nb, -1);
  with("last offset INT32_MAX", nb, kInt32Max);
  with("last offset INT32_MIN", nb, kInt32Min);
  std::vector<std::int32_t> all = good;
  all[0] = 1;
  all[2] = -1;
  all[nb] = n + 3;
  cases.emplace_back("all three faults", all);
  return cases;
}

// Positions to corrupt: first, middle, last, and (with a padding row) the first padding entry.
std::vector<std::size_t> bad_positions(const Bags& bags, std::optional<std::int32_t> skip) {
  std::vector<std::size_t> pos = {0, bags.n() / 2, bags.n() - 1};
  if (skip)
    for (std::size_t j = 0; j < bags.n(); ++j)
      if (bags.idx[j] == *skip) {
        pos.push_back(j);
        break;
      }
  return pos;
}

std::optional<std::int32_t> padding(std::int32_t skip_row) {
  return skip_row == -1 ? std::nullopt : std::optional<std::int32_t>(skip_row);
}

std::string skip_name(std::int32_t skip_row) {
  return skip_row == -1 ? std::string("no padding") : "padding row " + std::to_string(skip_row);
}

// ---------------------------------------------------------------------------------------
// bag_sum_f32

using BagSumFn = decltype(&emb::ref::bag_sum_f32);
const Impl<BagSumFn> kBagSumImpls[] = {{"ref", emb::ref::bag_sum_f32}, {"simd128", emb::simd128::bag_sum_f32}};

class bag_sum_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return kDims; }
};

// The header's contract, written out, followed by the guard.
std::vector<float> model_bag_sum(const std::vector<float>& table, std::size_t dim, const Bags& bags,
                                 const float* scale, std::int32_t skip_row, bool mean) {
  std::vector<float> out(bags.num_bags() * dim, 0.0f);
  for (std::size_t b = 0; b < bags.num_bags(); ++b) {
    float* o = &out[b * dim];
    std::size_t kept = 0;
    for (std::int32_t j = bags.offsets[b]; j < bags.offsets[b + 1]; ++j) {
      if (bags.idx[j] == skip_row) continue;
      ++kept;
      const float* row = &table[static_cast<std::size_t>(bags.idx[j]) * dim];
      for (std::size_t c = 0; c < dim; ++c) {
        if (scale)
          o[c] += scale[j] * row[c];
        else
          o[c] += row[c];
      }
    }
    if (mean && kept > 0)
      for (std::size_t c = 0; c < dim; ++c) o[c] /= static_cast<float>(kept);
  }
  out.insert(out.end(), kGuard, sentinel());
  return out;
}

TEST_P(bag_sum_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(7000 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  for (Layout layout : kLayouts) {
    for (std::int32_t skip_row : kSkipRows) {
      const Bags bags = make_bags(rng, layout, kRows, padding(skip_row));
      const std::vector<float> scale = random_floats(rng, bags.n());
      for (bool mean : {false, true}) {
        for (bool with_scale : {false, true}) {
          SCOPED_TRACE(layout_name(layout) + ", " + skip_name(skip_row) + (mean ? ", mean" : ", sum") +
                       (with_scale ? ", per-entry scale" : ", no scale"));
          const float* scale_ptr = with_scale ? scale.data() : nullptr;
          std::vector<float> want = guarded_buffer(rng, bags.num_bags() * dim);
          std::vector<float> got = want;

          ASSERT_EQ(emb::ref::bag_sum_f32(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(),
                                          bags.num_bags(), scale_ptr, skip_row, mean, want.data()),
                    bags.n());
          ASSERT_EQ(emb::simd128::bag_sum_f32(table.data(), kRows, dim, bags.idx.data(), bags.n(),
                                              bags.offsets.data(), bags.num_bags(), scale_ptr, skip_row, mean,
                                              got.data()),
                    bags.n());

          EXPECT_TRUE(same_bits(got, want));
          EXPECT_TRUE(guard_intact(got));
          EXPECT_TRUE(same_bits(want, model_bag_sum(table, dim, bags, scale_ptr, skip_row, mean)))
              << "the reference against the header's contract";
        }
      }
    }
  }
}

TEST_P(bag_sum_f32_test, BadOffsetsReturnKBadOffsetsAndWriteNothing) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(7100 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  const Bags bags = offsets_test_bags(rng, kRows);
  const std::vector<float> scale = random_floats(rng, bags.n());
  for (const auto& [what, offsets] : bad_offsets(bags.offsets)) {
    const std::vector<float> before = guarded_buffer(rng, bags.num_bags() * dim);
    for (const auto& impl : kBagSumImpls) {
      for (bool mean : {false, true}) {
        for (const float* scale_ptr : {static_cast<const float*>(nullptr), scale.data()}) {
          SCOPED_TRACE(std::string(impl.name) + ": " + what + (mean ? ", mean" : ", sum") +
                       (scale_ptr ? ", per-entry scale" : ", no scale"));
          std::vector<float> out = before;
          EXPECT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), offsets.data(), bags.num_bags(),
                            scale_ptr, 3, mean, out.data()),
                    emb::kBadOffsets);
          EXPECT_TRUE(same_bits(out, before));
        }
      }
    }
  }
  // No bags, but entries: the single offset 0 is not n.
  const std::vector<float> before = guarded_buffer(rng, 0);
  for (const auto& impl : kBagSumImpls) {
    SCOPED_TRACE(std::string(impl.name) + ": no bags over " + std::to_string(bags.n()) + " entries");
    std::vector<float> out = before;
    EXPECT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(), 0, nullptr, -1, false,
                      out.data()),
              emb::kBadOffsets);
    EXPECT_TRUE(same_bits(out, before));
  }
}

TEST_P(bag_sum_f32_test, OutOfRangeReturnsPositionAndWritesNothing) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(7200 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  for (std::int32_t skip_row : kSkipRows) {
    const Bags good = make_bags(rng, Layout::kMixed, kRows, padding(skip_row));
    const std::vector<float> scale = random_floats(rng, good.n());
    std::vector<std::int32_t> bad_values = {-2, static_cast<std::int32_t>(kRows), kInt32Max, kInt32Min};
    if (skip_row != -1) bad_values.insert(bad_values.begin(), -1);
    for (std::int32_t bad : bad_values) {
      for (std::size_t pos : bad_positions(good, padding(skip_row))) {
        Bags bags = good;
        bags.idx[pos] = bad;
        const std::vector<float> before = guarded_buffer(rng, bags.num_bags() * dim);
        for (const auto& impl : kBagSumImpls) {
          for (bool mean : {false, true}) {
            for (const float* scale_ptr : {static_cast<const float*>(nullptr), scale.data()}) {
              SCOPED_TRACE(std::string(impl.name) + ": " + skip_name(skip_row) + ", index " + std::to_string(bad) +
                           " at " + std::to_string(pos) + (mean ? ", mean" : ", sum") +
                           (scale_ptr ? ", per-entry scale" : ", no scale"));
              std::vector<float> out = before;
              EXPECT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(),
                                bags.num_bags(), scale_ptr, skip_row, mean, out.data()),
                        pos);
              EXPECT_TRUE(same_bits(out, before));
            }
          }
        }
      }
    }
  }
}

// Without a padding row, -1 is an index like any other outside [0, rows).
TEST_P(bag_sum_f32_test, MinusOneWithoutPaddingIsOutOfRange) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(7300 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  Bags bags = make_bags(rng, Layout::kMixed, kRows, std::nullopt);
  bags.idx[5] = -1;
  const std::vector<float> before = guarded_buffer(rng, bags.num_bags() * dim);
  for (const auto& impl : kBagSumImpls) {
    SCOPED_TRACE(impl.name);
    std::vector<float> out = before;
    EXPECT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(), bags.num_bags(),
                      nullptr, -1, false, out.data()),
              5u);
    EXPECT_TRUE(same_bits(out, before));
  }
}

TEST_P(bag_sum_f32_test, ReturnsFirstOfSeveralBadPositions) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(7400 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  Bags bags = make_bags(rng, Layout::kMixed, kRows, 3);
  bags.idx[4] = static_cast<std::int32_t>(kRows);
  bags.idx[9] = -2;
  const std::vector<float> before = guarded_buffer(rng, bags.num_bags() * dim);
  for (const auto& impl : kBagSumImpls) {
    SCOPED_TRACE(impl.name);
    std::vector<float> out = before;
    EXPECT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(), bags.num_bags(),
                      nullptr, 3, true, out.data()),
              4u);
    EXPECT_TRUE(same_bits(out, before));
  }
}

// W = arange(1, 11).view(5, 2), as in semantics.md §2.
const std::vector<float> kW = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

// semantics.md §2.9: input [3,1,1,1,4,0], offsets [0,0,3,3,6] (+ 6 as the CSR end).
TEST(bag_sum_f32_reference, GoldenExample) {
  const std::int32_t idx[] = {3, 1, 1, 1, 4, 0};
  const std::int32_t offsets[] = {0, 0, 3, 3, 6, 6};
  std::vector<float> out(10, -7.0f);
  ASSERT_EQ(emb::ref::bag_sum_f32(kW.data(), 5, 2, idx, 6, offsets, 5, nullptr, -1, false, out.data()), 6u);
  EXPECT_EQ(out, (std::vector<float>{0, 0, 13, 16, 0, 0, 13, 16, 0, 0}));
  ASSERT_EQ(emb::ref::bag_sum_f32(kW.data(), 5, 2, idx, 6, offsets, 5, nullptr, -1, true, out.data()), 6u);
  EXPECT_EQ(out, (std::vector<float>{0, 0, 13.0f / 3, 16.0f / 3, 0, 0, 13.0f / 3, 16.0f / 3, 0, 0}));
}

// semantics.md §2.6: per_sample_weights [1,2,0.5,-1,3,0], offsets [0,2] (+ 6).
TEST(bag_sum_f32_reference, PerSampleWeights) {
  const std::int32_t idx[] = {3, 1, 1, 1, 4, 0};
  const std::int32_t offsets[] = {0, 2, 6};
  const float scale[] = {1, 2, 0.5f, -1, 3, 0};
  std::vector<float> out(4, -7.0f);
  ASSERT_EQ(emb::ref::bag_sum_f32(kW.data(), 5, 2, idx, 6, offsets, 2, scale, -1, false, out.data()), 6u);
  EXPECT_EQ(out, (std::vector<float>{13, 16, 25.5f, 28}));
}

// semantics.md §2.7: padding_idx 1, input [1,2,1, 1, (empty), 3,1,4], offsets [0,3,4,4] (+ 7):
// padding adds nothing, a bag of only padding is zeros, mean divides by the non-padding count.
TEST(bag_sum_f32_reference, PaddingRow) {
  const std::int32_t idx[] = {1, 2, 1, 1, 3, 1, 4};
  const std::int32_t offsets[] = {0, 3, 4, 4, 7};
  std::vector<float> out(8, -7.0f);
  ASSERT_EQ(emb::ref::bag_sum_f32(kW.data(), 5, 2, idx, 7, offsets, 4, nullptr, 1, false, out.data()), 7u);
  EXPECT_EQ(out, (std::vector<float>{5, 6, 0, 0, 0, 0, 16, 18}));
  ASSERT_EQ(emb::ref::bag_sum_f32(kW.data(), 5, 2, idx, 7, offsets, 4, nullptr, 1, true, out.data()), 7u);
  EXPECT_EQ(out, (std::vector<float>{5, 6, 0, 0, 0, 0, 8, 9}));
}

// ---------------------------------------------------------------------------------------
// bag_max_f32

using BagMaxFn = decltype(&emb::ref::bag_max_f32);
const Impl<BagMaxFn> kBagMaxImpls[] = {{"ref", emb::ref::bag_max_f32}, {"simd128", emb::simd128::bag_max_f32}};

class bag_max_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return kDims; }
};

// The header's contract, written out (out and arg), each followed by the guard.
std::pair<std::vector<float>, std::vector<std::int32_t>> model_bag_max(const std::vector<float>& table,
                                                                       std::size_t dim, const Bags& bags,
                                                                       std::int32_t skip_row) {
  std::vector<float> out(bags.num_bags() * dim, 0.0f);
  std::vector<std::int32_t> arg(bags.num_bags() * dim, -1);
  for (std::size_t b = 0; b < bags.num_bags(); ++b) {
    bool first = true;
    for (std::int32_t j = bags.offsets[b]; j < bags.offsets[b + 1]; ++j) {
      if (bags.idx[j] == skip_row) continue;
      const float* row = &table[static_cast<std::size_t>(bags.idx[j]) * dim];
      for (std::size_t c = 0; c < dim; ++c) {
        if (first || row[c] > out[b * dim + c]) {
          out[b * dim + c] = row[c];
          arg[b * dim + c] = j;
        }
      }
      first = false;
    }
  }
  out.insert(out.end(), kGuard, sentinel());
  arg.insert(arg.end(), kGuard, kArgSentinel);
  return {out, arg};
}

// Runs both implementations on `bags` and checks them against each other and the model.
void check_bag_max(std::mt19937& rng, const std::vector<float>& table, std::size_t dim, const Bags& bags,
                   std::int32_t skip_row) {
  std::vector<float> want = guarded_buffer(rng, bags.num_bags() * dim), got = want;
  std::vector<std::int32_t> want_arg = guarded_args(rng, bags.num_bags() * dim), got_arg = want_arg;

  ASSERT_EQ(emb::ref::bag_max_f32(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(),
                                  bags.num_bags(), skip_row, want.data(), want_arg.data()),
            bags.n());
  ASSERT_EQ(emb::simd128::bag_max_f32(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(),
                                      bags.num_bags(), skip_row, got.data(), got_arg.data()),
            bags.n());

  EXPECT_TRUE(same_bits(got, want));
  EXPECT_TRUE(same_ints(got_arg, want_arg)) << "arg";
  EXPECT_TRUE(guard_intact(got));
  const auto [model, model_arg] = model_bag_max(table, dim, bags, skip_row);
  EXPECT_TRUE(same_bits(want, model)) << "the reference against the header's contract";
  EXPECT_TRUE(same_ints(want_arg, model_arg)) << "the reference's arg against the header's contract";
}

TEST_P(bag_max_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(8000 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  for (Layout layout : kLayouts) {
    for (std::int32_t skip_row : kSkipRows) {
      SCOPED_TRACE(layout_name(layout) + ", " + skip_name(skip_row));
      check_bag_max(rng, table, dim, make_bags(rng, layout, kRows, padding(skip_row)), skip_row);
    }
  }
}

// Identical rows in a bag: the first position wins, in every column, in both.
TEST_P(bag_max_f32_test, TiesGoToTheFirstPosition) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(8100 + dim);
  std::vector<float> table = random_floats(rng, kRows * dim);
  for (std::size_t r : {3, 4, 5}) std::memcpy(&table[r * dim], &table[2 * dim], dim * sizeof(float));
  // Row 6 equals row 2 in even columns and exceeds it in odd ones; rows 7 and 8 are +0 and -0.
  for (std::size_t c = 0; c < dim; ++c) table[6 * dim + c] = table[2 * dim + c] + (c % 2 ? 1.0f : 0.0f);
  for (std::size_t c = 0; c < dim; ++c) {
    table[7 * dim + c] = 0.0f;
    table[8 * dim + c] = -0.0f;
  }
  Bags bags;
  bags.add({2, 3, 4, 5});     // positions 0-3: all equal, position 0 wins
  bags.add({0, 3, 2, 5, 4});  // positions 4-8, padding row 0 first: position 5 wins
  bags.add({6, 2});           // positions 9-10: 9 everywhere (even columns tie, odd ones greater)
  bags.add({2, 6});           // positions 11-12: 11 in even columns, 12 in odd ones
  bags.add({8, 7});           // positions 13-14: -0 wins (0 > -0 is false)
  bags.add({7, 8});           // positions 15-16: +0 wins
  check_bag_max(rng, table, dim, bags, 0);
  for (const auto& impl : kBagMaxImpls) {
    SCOPED_TRACE(impl.name);
    std::vector<float> out(bags.num_bags() * dim);
    std::vector<std::int32_t> arg(bags.num_bags() * dim);
    ASSERT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(), bags.num_bags(), 0,
                      out.data(), arg.data()),
              bags.n());
    for (std::size_t c = 0; c < dim; ++c) {
      SCOPED_TRACE("column " + std::to_string(c));
      EXPECT_EQ(arg[0 * dim + c], 0);
      EXPECT_EQ(arg[1 * dim + c], 5);
      EXPECT_EQ(arg[2 * dim + c], 9);
      EXPECT_EQ(arg[3 * dim + c], c % 2 ? 12 : 11);
      EXPECT_EQ(arg[4 * dim + c], 13);
      EXPECT_EQ(arg[5 * dim + c], 15);
      EXPECT_EQ(to_bits(out[0 * dim + c]), to_bits(table[2 * dim + c]));
      EXPECT_EQ(to_bits(out[4 * dim + c]), 0x80000000u);
      EXPECT_EQ(to_bits(out[5 * dim + c]), 0x00000000u);
    }
  }
}

// NaNs (quiet, signalling, negative, with payloads), infinities and signed zeros in the
// table: both agree bit for bit, out and arg.
TEST_P(bag_max_f32_test, NanAndSpecialValuesMatchBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(8200 + dim);
  const float specials[] = {from_bits(0x7fc00000u), from_bits(0xffc00000u), from_bits(0x7fc12345u),
                            from_bits(0x7f800001u), from_bits(0xff812345u), std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), 0.0f, -0.0f};
  std::uniform_int_distribution<std::size_t> pick(0, std::size(specials) - 1);
  std::bernoulli_distribution special(0.3);
  std::vector<float> table = random_floats(rng, kRows * dim);
  for (float& x : table)
    if (special(rng)) x = specials[pick(rng)];
  for (std::size_t c = 0; c < dim; ++c) table[1 * dim + c] = specials[c % 5];  // row 1: NaN in every column
  for (Layout layout : kLayouts) {
    for (std::int32_t skip_row : kSkipRows) {
      SCOPED_TRACE(layout_name(layout) + ", " + skip_name(skip_row));
      check_bag_max(rng, table, dim, make_bags(rng, layout, kRows, padding(skip_row)), skip_row);
    }
  }
  // A NaN row first, then last, in a bag of finite rows.
  Bags bags;
  bags.add({1, 2, 3});
  bags.add({2, 3, 1});
  bags.add({1});
  SCOPED_TRACE("NaN row first / last / alone");
  check_bag_max(rng, table, dim, bags, -1);
}

TEST_P(bag_max_f32_test, BadOffsetsReturnKBadOffsetsAndWriteNothing) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(8300 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  const Bags bags = offsets_test_bags(rng, kRows);
  for (const auto& [what, offsets] : bad_offsets(bags.offsets)) {
    const std::vector<float> before = guarded_buffer(rng, bags.num_bags() * dim);
    const std::vector<std::int32_t> before_arg = guarded_args(rng, bags.num_bags() * dim);
    for (const auto& impl : kBagMaxImpls) {
      for (std::int32_t skip_row : {-1, 3}) {
        SCOPED_TRACE(std::string(impl.name) + ": " + what + ", " + skip_name(skip_row));
        std::vector<float> out = before;
        std::vector<std::int32_t> arg = before_arg;
        EXPECT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), offsets.data(), bags.num_bags(),
                          skip_row, out.data(), arg.data()),
                  emb::kBadOffsets);
        EXPECT_TRUE(same_bits(out, before));
        EXPECT_TRUE(same_ints(arg, before_arg)) << "arg";
      }
    }
  }
  const std::vector<float> before = guarded_buffer(rng, 0);
  const std::vector<std::int32_t> before_arg = guarded_args(rng, 0);
  for (const auto& impl : kBagMaxImpls) {
    SCOPED_TRACE(std::string(impl.name) + ": no bags over " + std::to_string(bags.n()) + " entries");
    std::vector<float> out = before;
    std::vector<std::int32_t> arg = before_arg;
    EXPECT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(), 0, -1, out.data(),
                      arg.data()),
              emb::kBadOffsets);
    EXPECT_TRUE(same_bits(out, before));
    EXPECT_TRUE(same_ints(arg, before_arg)) << "arg";
  }
}

TEST_P(bag_max_f32_test, OutOfRangeReturnsPositionAndWritesNothing) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(8400 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  for (std::int32_t skip_row : kSkipRows) {
    const Bags good = make_bags(rng, Layout::kMixed, kRows, padding(skip_row));
    std::vector<std::int32_t> bad_values = {-2, static_cast<std::int32_t>(kRows), kInt32Max, kInt32Min};
    if (skip_row != -1) bad_values.insert(bad_values.begin(), -1);
    for (std::int32_t bad : bad_values) {
      for (std::size_t pos : bad_positions(good, padding(skip_row))) {
        Bags bags = good;
        bags.idx[pos] = bad;
        const std::vector<float> before = guarded_buffer(rng, bags.num_bags() * dim);
        const std::vector<std::int32_t> before_arg = guarded_args(rng, bags.num_bags() * dim);
        for (const auto& impl : kBagMaxImpls) {
          SCOPED_TRACE(std::string(impl.name) + ": " + skip_name(skip_row) + ", index " + std::to_string(bad) +
                       " at " + std::to_string(pos));
          std::vector<float> out = before;
          std::vector<std::int32_t> arg = before_arg;
          EXPECT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(),
                            bags.num_bags(), skip_row, out.data(), arg.data()),
                    pos);
          EXPECT_TRUE(same_bits(out, before));
          EXPECT_TRUE(same_ints(arg, before_arg)) << "arg";
        }
      }
    }
  }
}

TEST_P(bag_max_f32_test, MinusOneWithoutPaddingIsOutOfRange) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(8500 + dim);
  const std::vector<float> table = random_floats(rng, kRows * dim);
  Bags bags = make_bags(rng, Layout::kMixed, kRows, std::nullopt);
  bags.idx[5] = -1;
  bags.idx[20] = -2;
  const std::vector<float> before = guarded_buffer(rng, bags.num_bags() * dim);
  const std::vector<std::int32_t> before_arg = guarded_args(rng, bags.num_bags() * dim);
  for (const auto& impl : kBagMaxImpls) {
    SCOPED_TRACE(impl.name);
    std::vector<float> out = before;
    std::vector<std::int32_t> arg = before_arg;
    EXPECT_EQ(impl.fn(table.data(), kRows, dim, bags.idx.data(), bags.n(), bags.offsets.data(), bags.num_bags(), -1,
                      out.data(), arg.data()),
              5u);
    EXPECT_TRUE(same_bits(out, before));
    EXPECT_TRUE(same_ints(arg, before_arg)) << "arg";
  }
}

// semantics.md §2.9: max gives [[0,0],[7,8],[0,0],[9,10],[0,0]]; arg holds positions.
TEST(bag_max_f32_reference, GoldenExample) {
  const std::int32_t idx[] = {3, 1, 1, 1, 4, 0};
  const std::int32_t offsets[] = {0, 0, 3, 3, 6, 6};
  std::vector<float> out(10, -7.0f);
  std::vector<std::int32_t> arg(10, 99);
  ASSERT_EQ(emb::ref::bag_max_f32(kW.data(), 5, 2, idx, 6, offsets, 5, -1, out.data(), arg.data()), 6u);
  EXPECT_EQ(out, (std::vector<float>{0, 0, 7, 8, 0, 0, 9, 10, 0, 0}));
  EXPECT_EQ(arg, (std::vector<std::int32_t>{-1, -1, 0, 0, -1, -1, 4, 4, -1, -1}));
}

// semantics.md §2.8: rows [1,5],[1,5],[0,7], bag [1,0,2]: column 0 ties between positions 0
// and 1 (position 0 wins), column 1 goes to position 2.
TEST(bag_max_f32_reference, TieGoesToTheFirstPosition) {
  const float table[] = {1, 5, 1, 5, 0, 7};
  const std::int32_t idx[] = {1, 0, 2};
  const std::int32_t offsets[] = {0, 3};
  float out[2] = {-7, -7};
  std::int32_t arg[2] = {99, 99};
  ASSERT_EQ(emb::ref::bag_max_f32(table, 3, 2, idx, 3, offsets, 1, -1, out, arg), 3u);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 7.0f);
  EXPECT_EQ(arg[0], 0);
  EXPECT_EQ(arg[1], 2);
}

// semantics.md §2.7 (max, padding_idx 1) and §2.4 (an empty bag is zeros even over negative rows).
TEST(bag_max_f32_reference, PaddingAndEmptyBags) {
  const std::int32_t idx[] = {1, 2, 1, 1, 3, 1, 4};
  const std::int32_t offsets[] = {0, 3, 4, 4, 7};
  std::vector<float> out(8, -7.0f);
  std::vector<std::int32_t> arg(8, 99);
  ASSERT_EQ(emb::ref::bag_max_f32(kW.data(), 5, 2, idx, 7, offsets, 4, 1, out.data(), arg.data()), 7u);
  EXPECT_EQ(out, (std::vector<float>{5, 6, 0, 0, 0, 0, 9, 10}));
  EXPECT_EQ(arg, (std::vector<std::int32_t>{1, 1, -1, -1, -1, -1, 6, 6}));

  std::vector<float> minus_w(kW.size());
  for (std::size_t i = 0; i < kW.size(); ++i) minus_w[i] = -kW[i];
  const std::int32_t one[] = {2};
  const std::int32_t two_bags[] = {0, 0, 1};
  std::vector<float> out2(4, -7.0f);
  std::vector<std::int32_t> arg2(4, 99);
  ASSERT_EQ(emb::ref::bag_max_f32(minus_w.data(), 5, 2, one, 1, two_bags, 2, -1, out2.data(), arg2.data()), 1u);
  EXPECT_EQ(out2, (std::vector<float>{0, 0, -5, -6}));
  EXPECT_EQ(arg2, (std::vector<std::int32_t>{-1, -1, 0, 0}));
}

// ---------------------------------------------------------------------------------------
// bag_sum_backward_f32

using BagSumBackwardFn = decltype(&emb::ref::bag_sum_backward_f32);
const Impl<BagSumBackwardFn> kBagSumBackwardImpls[] = {{"ref", emb::ref::bag_sum_backward_f32},
                                                       {"simd128", emb::simd128::bag_sum_backward_f32}};

class bag_sum_backward_f32_test : public ::testing::TestWithParam<std::size_t> {
 public:
  static std::vector<std::size_t> dims() { return kDims; }
};

// The header's contract, written out, applied to a copy of dst (guard included).
std::vector<float> model_bag_sum_backward(const std::vector<float>& grad, std::size_t dim, const Bags& bags,
                                          const float* factor, std::vector<float> dst) {
  for (std::size_t b = 0; b < bags.num_bags(); ++b) {
    for (std::int32_t j = bags.offsets[b]; j < bags.offsets[b + 1]; ++j) {
      if (bags.idx[j] == emb::kSkipRow) continue;
      const float f = factor ? factor[j] : 1.0f;
      float* d = &dst[static_cast<std::size_t>(bags.idx[j]) * dim];
      for (std::size_t c = 0; c < dim; ++c) d[c] += f * grad[b * dim + c];
    }
  }
  return dst;
}

TEST_P(bag_sum_backward_f32_test, MatchesReferenceBitForBit) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(9000 + dim);
  for (Layout layout : kLayouts) {
    const Bags bags = make_bags(rng, layout, kRows, emb::kSkipRow);
    const std::vector<float> grad = random_floats(rng, bags.num_bags() * dim);
    const std::vector<float> factor = random_floats(rng, bags.n());
    for (bool with_factor : {false, true}) {
      SCOPED_TRACE(layout_name(layout) + (with_factor ? ", per-entry factor" : ", no factor"));
      const float* factor_ptr = with_factor ? factor.data() : nullptr;
      const std::vector<float> before = guarded_buffer(rng, kRows * dim);
      std::vector<float> want = before, got = before;

      ASSERT_EQ(emb::ref::bag_sum_backward_f32(grad.data(), dim, bags.offsets.data(), bags.num_bags(),
                                               bags.idx.data(), bags.n(), factor_ptr, want.data(), kRows),
                bags.n());
      ASSERT_EQ(emb::simd128::bag_sum_backward_f32(grad.data(), dim, bags.offsets.data(), bags.num_bags(),
                                                   bags.idx.data(), bags.n(), factor_ptr, got.data(), kRows),
                bags.n());

      EXPECT_TRUE(same_bits(got, want));
      EXPECT_TRUE(guard_intact(got));
      EXPECT_TRUE(same_bits(want, model_bag_sum_backward(grad, dim, bags, factor_ptr, before)))
          << "the reference against the header's contract";
    }
  }
}

TEST_P(bag_sum_backward_f32_test, BadOffsetsReturnKBadOffsetsAndWriteNothing) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(9100 + dim);
  const Bags bags = offsets_test_bags(rng, kRows);
  const std::vector<float> grad = random_floats(rng, bags.num_bags() * dim);
  const std::vector<float> factor = random_floats(rng, bags.n());
  for (const auto& [what, offsets] : bad_offsets(bags.offsets)) {
    const std::vector<float> before = guarded_buffer(rng, kRows * dim);
    for (const auto& impl : kBagSumBackwardImpls) {
      for (const float* factor_ptr : {static_cast<const float*>(nullptr), factor.data()}) {
        SCOPED_TRACE(std::string(impl.name) + ": " + what + (factor_ptr ? ", per-entry factor" : ", no factor"));
        std::vector<float> dst = before;
        EXPECT_EQ(impl.fn(grad.data(), dim, offsets.data(), bags.num_bags(), bags.idx.data(), bags.n(), factor_ptr,
                          dst.data(), kRows),
                  emb::kBadOffsets);
        EXPECT_TRUE(same_bits(dst, before));
      }
    }
  }
  const std::vector<float> before = guarded_buffer(rng, kRows * dim);
  for (const auto& impl : kBagSumBackwardImpls) {
    SCOPED_TRACE(std::string(impl.name) + ": no bags over " + std::to_string(bags.n()) + " entries");
    std::vector<float> dst = before;
    EXPECT_EQ(impl.fn(grad.data(), dim, bags.offsets.data(), 0, bags.idx.data(), bags.n(), nullptr, dst.data(), kRows),
              emb::kBadOffsets);
    EXPECT_TRUE(same_bits(dst, before));
  }
}

TEST_P(bag_sum_backward_f32_test, BadSlotReturnsPositionAndWritesNothing) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(9200 + dim);
  const Bags good = make_bags(rng, Layout::kMixed, kRows, emb::kSkipRow);
  const std::vector<float> grad = random_floats(rng, good.num_bags() * dim);
  const std::vector<float> factor = random_floats(rng, good.n());
  for (std::int32_t bad : {-2, static_cast<std::int32_t>(kRows), kInt32Max, kInt32Min}) {
    for (std::size_t pos : bad_positions(good, emb::kSkipRow)) {
      Bags bags = good;
      bags.idx[pos] = bad;
      const std::vector<float> before = guarded_buffer(rng, kRows * dim);
      for (const auto& impl : kBagSumBackwardImpls) {
        for (const float* factor_ptr : {static_cast<const float*>(nullptr), factor.data()}) {
          SCOPED_TRACE(std::string(impl.name) + ": slot " + std::to_string(bad) + " at " + std::to_string(pos) +
                       (factor_ptr ? ", per-entry factor" : ", no factor"));
          std::vector<float> dst = before;
          EXPECT_EQ(impl.fn(grad.data(), dim, bags.offsets.data(), bags.num_bags(), bags.idx.data(), bags.n(),
                            factor_ptr, dst.data(), kRows),
                    pos);
          EXPECT_TRUE(same_bits(dst, before));
        }
      }
    }
  }
}

TEST_P(bag_sum_backward_f32_test, ReturnsFirstOfSeveralBadPositions) {
  const std::size_t dim = GetParam();
  std::mt19937 rng(9300 + dim);
  Bags bags = make_bags(rng, Layout::kMixed, kRows, emb::kSkipRow);
  bags.idx[4] = -2;
  bags.idx[9] = static_cast<std::int32_t>(kRows);
  const std::vector<float> grad = random_floats(rng, bags.num_bags() * dim);
  const std::vector<float> before = guarded_buffer(rng, kRows * dim);
  for (const auto& impl : kBagSumBackwardImpls) {
    SCOPED_TRACE(impl.name);
    std::vector<float> dst = before;
    EXPECT_EQ(impl.fn(grad.data(), dim, bags.offsets.data(), bags.num_bags(), bags.idx.data(), bags.n(), nullptr,
                      dst.data(), kRows),
              4u);
    EXPECT_TRUE(same_bits(dst, before));
  }
}

// semantics.md §2.9: grad_out [[99,99],[1,2],[99,99],[3,4],[99,99]] gives dW
// [[3,4],[5,8],[0,0],[1,2],[3,4]] for sum, and that / 3 for mean (factor 1/3 per entry).
TEST(bag_sum_backward_f32_reference, GoldenExample) {
  const float grad[] = {99, 99, 1, 2, 99, 99, 3, 4, 99, 99};
  const std::int32_t slots[] = {3, 1, 1, 1, 4, 0};
  const std::int32_t offsets[] = {0, 0, 3, 3, 6, 6};
  std::vector<float> dst(10, 0.0f);
  ASSERT_EQ(emb::ref::bag_sum_backward_f32(grad, 2, offsets, 5, slots, 6, nullptr, dst.data(), 5), 6u);
  EXPECT_EQ(dst, (std::vector<float>{3, 4, 5, 8, 0, 0, 1, 2, 3, 4}));

  const float third[] = {1.0f / 3, 1.0f / 3, 1.0f / 3, 1.0f / 3, 1.0f / 3, 1.0f / 3};
  std::vector<float> mean(10, 0.0f);
  ASSERT_EQ(emb::ref::bag_sum_backward_f32(grad, 2, offsets, 5, slots, 6, third, mean.data(), 5), 6u);
  const float want[] = {3, 4, 5, 8, 0, 0, 1, 2, 3, 4};
  for (std::size_t i = 0; i < 10; ++i) EXPECT_FLOAT_EQ(mean[i], want[i] / 3) << i;

  // It accumulates into dst.
  ASSERT_EQ(emb::ref::bag_sum_backward_f32(grad, 2, offsets, 5, slots, 6, nullptr, dst.data(), 5), 6u);
  EXPECT_EQ(dst, (std::vector<float>{6, 8, 10, 16, 0, 0, 2, 4, 6, 8}));
}

// semantics.md §2.6: per_sample_weights [1,2,0.5,-1,3,0], offsets [0,2] (+ 6), g [[1,1],[1,-1]]
// gives dW [[0,0],[1.5,2.5],[0,0],[1,1],[3,-3]].
TEST(bag_sum_backward_f32_reference, PerSampleWeights) {
  const float grad[] = {1, 1, 1, -1};
  const std::int32_t slots[] = {3, 1, 1, 1, 4, 0};
  const std::int32_t offsets[] = {0, 2, 6};
  const float factor[] = {1, 2, 0.5f, -1, 3, 0};
  std::vector<float> dst(10, 0.0f);
  ASSERT_EQ(emb::ref::bag_sum_backward_f32(grad, 2, offsets, 2, slots, 6, factor, dst.data(), 5), 6u);
  EXPECT_EQ(dst, (std::vector<float>{0, 0, 1.5f, 2.5f, 0, 0, 1, 1, 3, -3}));
}

// semantics.md §2.7: padding entries (slot kSkipRow) get no gradient; out.sum() gives ones for
// sum, and 1/n_b per entry (n_b without padding) for mean.
TEST(bag_sum_backward_f32_reference, PaddingSlots) {
  const float grad[] = {1, 1, 1, 1, 1, 1, 1, 1};
  const std::int32_t slots[] = {-1, 2, -1, -1, 3, -1, 4};
  const std::int32_t offsets[] = {0, 3, 4, 4, 7};
  std::vector<float> dst(10, 0.0f);
  ASSERT_EQ(emb::ref::bag_sum_backward_f32(grad, 2, offsets, 4, slots, 7, nullptr, dst.data(), 5), 7u);
  EXPECT_EQ(dst, (std::vector<float>{0, 0, 0, 0, 1, 1, 1, 1, 1, 1}));
  const float factor[] = {1, 1, 1, 1, 0.5f, 0.5f, 0.5f};
  std::vector<float> mean(10, 0.0f);
  ASSERT_EQ(emb::ref::bag_sum_backward_f32(grad, 2, offsets, 4, slots, 7, factor, mean.data(), 5), 7u);
  EXPECT_EQ(mean, (std::vector<float>{0, 0, 0, 0, 1, 1, 0.5f, 0.5f, 0.5f, 0.5f}));
}

#include "packed_kernels_test.inc"
#include "ann_kernels_test.inc"

}  // namespace

// One instantiation per listed kernel, named by its family.
#define EMB_KERNEL(family, function)                                                                   \
  static_assert(std::is_same_v<decltype(&emb::ref::function), decltype(&emb::simd128::function)>, \
                #function ": the reference and SIMD128 signatures differ");                           \
  INSTANTIATE_TEST_SUITE_P(family, function##_test, ::testing::ValuesIn(function##_test::dims()), dim_name);
#include "kernels/kernels.inc"
#undef EMB_KERNEL
