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
//   dst[slots[i]*dim + j] = (0 the first time, else itself) + f * src[i*dim + j]
// with f = scale ? scale[i] : 1: each slot's entries summed from zero in order, without a pass
// that zeroes dst first. Slots [0, first_new) already hold running sums (a call over an earlier
// piece of the entries); the others must first appear in the order first_new, first_new + 1,
// ... (as a gradient numbers rows by first appearance) and are written from zero. Checks
// first: returns n, or the first i whose slots[i] is neither kSkipRow nor below
// min(next new slot + 1, dst_rows), and then writes nothing.
std::size_t scatter_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* slots,
                            const float* scale, float* dst, std::size_t dst_rows, std::size_t first_new);
// begin_gradient's slotting and scatter_sum_f32 (f = 1) in one pass. For i in [0, n), in
// order, unless idx[i] == skip: the entry's slot s = slot_of_row[idx[i]], or, when that is
// negative, the next new slot k (then slot_of_row[idx[i]] = k, rows[k] = idx[i], k + 1);
//   dst[s*dim + j] = (0 the first time, else itself) + src[i*dim + j]
// Slots [0, k) hold running sums already (an earlier piece). Returns the new k. The caller has
// checked every idx[i] (skip, or a row of slot_of_row) and sized rows and dst for n more slots.
std::size_t slot_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* idx, std::int32_t skip,
                         std::int32_t* slot_of_row, std::int32_t* rows, float* dst, std::size_t k);
}  // namespace ref
namespace simd128 {
// Same contracts as the ref:: versions, bit for bit.
std::size_t scatter_add_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* rows,
                            float alpha, const float* scale, float* dst, std::size_t dst_rows);
std::size_t scatter_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* slots,
                            const float* scale, float* dst, std::size_t dst_rows, std::size_t first_new);
std::size_t slot_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* idx, std::int32_t skip,
                         std::int32_t* slot_of_row, std::int32_t* rows, float* dst, std::size_t k);
}  // namespace simd128

// First i in [0, n) whose rows[i] is neither kSkipRow nor in [0, dst_rows), or n.
inline std::size_t first_bad_target(const std::int32_t* rows, std::size_t n, std::size_t dst_rows) {
  for (std::size_t i = 0; i < n; ++i)
    if (rows[i] != kSkipRow && (rows[i] < 0 || static_cast<std::size_t>(rows[i]) >= dst_rows)) return i;
  return n;
}

// First i in [0, n) whose slots[i] is neither kSkipRow nor below min(next + 1, dst_rows), next
// being the next new slot (first_new, then one more for each new slot before i); or n.
inline std::size_t first_bad_slot(const std::int32_t* slots, std::size_t n, std::size_t dst_rows,
                                  std::size_t first_new) {
  std::size_t next = first_new;
  for (std::size_t i = 0; i < n; ++i) {
    if (slots[i] == kSkipRow) continue;
    const auto s = static_cast<std::size_t>(slots[i]);
    if (slots[i] < 0 || s > next || s >= dst_rows) return i;
    if (s == next) ++next;
  }
  return n;
}
}  // namespace emb
