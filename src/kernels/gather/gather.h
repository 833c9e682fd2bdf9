// Gather rows of a row-major float32 table.
#pragma once
#include <cstddef>
#include <cstdint>

namespace emb {
namespace ref {
// out[i*dim : (i+1)*dim] = table[idx[i]*dim : (idx[i]+1)*dim] for i in [0, n).
// Checks every index first and writes out[0 : n*dim) only when all are valid.
// Returns n, or the first i whose idx[i] is outside [0, rows) (then out is untouched).
std::size_t gather_f32(const float* table, std::size_t rows, std::size_t dim,
                       const std::int32_t* idx, std::size_t n, float* out);
}  // namespace ref
namespace simd128 {
// Same contract as ref::gather_f32, bit for bit.
std::size_t gather_f32(const float* table, std::size_t rows, std::size_t dim,
                       const std::int32_t* idx, std::size_t n, float* out);
}  // namespace simd128

// First i in [0, n) whose idx[i] is outside [0, rows), or n when all are valid.
inline std::size_t first_out_of_range(const std::int32_t* idx, std::size_t n, std::size_t rows) {
  for (std::size_t i = 0; i < n; ++i)
    if (idx[i] < 0 || static_cast<std::size_t>(idx[i]) >= rows) return i;
  return n;
}
}  // namespace emb
