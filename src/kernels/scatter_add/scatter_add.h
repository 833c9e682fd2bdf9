// Scatter-add rows into a row-major float32 matrix: the update of a plain SGD step
// (alpha = -lr); scatter-sum rows into fresh slots: the backward of a gather.
#pragma once
#include <cstddef>
#include <cstdint>

namespace emb {
// Row index that marks an entry to skip (a padding lookup contributes no gradient).
inline constexpr std::int32_t kSkipRow = -1;

namespace ref {
// For i in [0, n), in order, unless rows[i] == kSkipRow:
//   dst[rows[i]*dim + j] += (alpha * scale[i]) * src[i*dim + j]   for j in [0, dim)
// (scale == nullptr means scale[i] == 1). Checks every row first: returns n, or the first i
// whose rows[i] is outside {kSkipRow} ∪ [0, dst_rows), and then writes nothing.
std::size_t scatter_add_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* rows,
                            float alpha, const float* scale, float* dst, std::size_t dst_rows);
// For i in [0, n), in order, unless slots[i] == kSkipRow:
//   dst[slots[i]*dim + j] = (0 or, after the slot's first entry, itself) + f * src[i*dim + j]
// with f = scale ? scale[i] : 1: each slot's entries summed from zero in order, without a pass
// that zeroes dst first. Slots must first appear in the order 0, 1, 2, ... (as a gradient
// numbers rows by first appearance); dst rows [0, slots seen) are written. Checks first:
// returns n, or the first i whose slots[i] is neither kSkipRow nor a slot seen before it or
// the next one, within [0, dst_rows); then writes nothing.
std::size_t scatter_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* slots,
                            const float* scale, float* dst, std::size_t dst_rows);
}  // namespace ref
namespace simd128 {
// Same contracts as the ref:: versions, bit for bit.
std::size_t scatter_add_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* rows,
                            float alpha, const float* scale, float* dst, std::size_t dst_rows);
std::size_t scatter_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* slots,
                            const float* scale, float* dst, std::size_t dst_rows);
}  // namespace simd128

// First i in [0, n) whose rows[i] is neither kSkipRow nor in [0, dst_rows), or n.
inline std::size_t first_bad_target(const std::int32_t* rows, std::size_t n, std::size_t dst_rows) {
  for (std::size_t i = 0; i < n; ++i)
    if (rows[i] != kSkipRow && (rows[i] < 0 || static_cast<std::size_t>(rows[i]) >= dst_rows)) return i;
  return n;
}

// First i in [0, n) whose slots[i] is neither kSkipRow nor in [0, min(seen + 1, dst_rows)),
// seen being the number of distinct slots before i; or n.
inline std::size_t first_bad_slot(const std::int32_t* slots, std::size_t n, std::size_t dst_rows) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (slots[i] == kSkipRow) continue;
    if (slots[i] < 0 || static_cast<std::size_t>(slots[i]) > seen || static_cast<std::size_t>(slots[i]) >= dst_rows) return i;
    if (static_cast<std::size_t>(slots[i]) == seen) ++seen;
  }
  return n;
}
}  // namespace emb
