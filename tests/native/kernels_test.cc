// Every SIMD kernel against its scalar reference, bit for bit, over an FBGEMM-style grid.
//
// The kernel list src/kernels/kernels.inc drives this file (see the end): each listed
// EMB_KERNEL(family, function) instantiates the test suite `<function>_test` over that
// suite's dims. A listed kernel without a suite does not compile; a suite without tests,
// or a suite whose kernel left the list, fails at run time (GoogleTestVerification).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/gather/gather.h"
#include "kernels/scatter_add/scatter_add.h"

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

}  // namespace

// One instantiation per listed kernel, named by its family.
#define EMB_KERNEL(family, function)                                                                   \
  static_assert(std::is_same_v<decltype(&emb::ref::function), decltype(&emb::simd128::function)>, \
                #function ": the reference and SIMD128 signatures differ");                           \
  INSTANTIATE_TEST_SUITE_P(family, function##_test, ::testing::ValuesIn(function##_test::dims()), dim_name);
#include "kernels/kernels.inc"
#undef EMB_KERNEL
