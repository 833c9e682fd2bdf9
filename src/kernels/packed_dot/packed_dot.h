// Dot products of one float32 query with every row of a compressed table (kernels/packed_rows.h):
// the scoring step of nearest-neighbour search. For int8/int4 the row's scale and bias come out
// of the sum, so the inner loop multiplies the query by the raw codes:
//   kInt8, kInt4  scores[r] = scale_r * D_r + bias_r * S
//   kFloat16      scores[r] = D_r  (the codes are the widened values)
// with D_r = Σ_j query[j] * code_r(j) and S = Σ_j query[j]: the dot product with the dequantised
// row, up to float32 rounding. The sums run in a fixed order, so both implementations agree bit
// for bit: D = ((L0 + L1) + (L2 + L3)) + T, where lane Lk adds, in order, the terms of j < dim & ~3
// with j % 4 == k and T adds the remaining terms in order; S adds j = 0, 1, ... in order.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/packed_rows.h"

namespace emb {
namespace ref {
// Writes scores[0 : rows). Reads table[0 : rows * row_bytes(storage, dim)) and query[0 : dim).
void dot_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim, const float* query,
                float* scores);
}  // namespace ref
namespace simd128 {
// Same contract as ref::dot_packed, bit for bit.
void dot_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim, const float* query,
                float* scores);
}  // namespace simd128

// S above.
inline float query_sum(const float* query, std::size_t dim) {
  float s = 0.0f;
  for (std::size_t j = 0; j < dim; ++j) s += query[j];
  return s;
}

// The score from D for a row of `storage` whose scale and bias are given (ignored for float16).
inline float packed_score(Storage storage, float d, float scale, float bias, float sum) {
  return storage == Storage::kFloat16 ? d : scale * d + bias * sum;
}
}  // namespace emb
