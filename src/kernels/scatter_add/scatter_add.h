// Scatter-add rows into a row-major float32 matrix: the backward of a gather, and the
// update of a plain SGD step (alpha = -lr).
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
}  // namespace ref
namespace simd128 {
// Same contract as ref::scatter_add_f32, bit for bit.
std::size_t scatter_add_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* rows,
                            float alpha, const float* scale, float* dst, std::size_t dst_rows);
}  // namespace simd128

// First i in [0, n) whose rows[i] is neither kSkipRow nor in [0, dst_rows), or n.
inline std::size_t first_bad_target(const std::int32_t* rows, std::size_t n, std::size_t dst_rows) {
  for (std::size_t i = 0; i < n; ++i)
    if (rows[i] != kSkipRow && (rows[i] < 0 || static_cast<std::size_t>(rows[i]) >= dst_rows)) return i;
  return n;
}
}  // namespace emb
