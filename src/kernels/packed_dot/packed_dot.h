// Dot products of float32 queries with the rows of a compressed table (kernels/packed_rows.h):
// the scoring step of nearest-neighbour search. For int8/int4 the row's scale and bias come out
// of the sum, so the inner loop multiplies the query by the raw codes:
//   kInt8, kInt4  score = scale * D + bias * S
//   kFloat16      score = D  (the codes are the widened values)
// with D = Σ_j query[j] * code(j) and S = Σ_j query[j]: the dot product with the dequantised
// row, up to float32 rounding. The sums run in the order of kernels/nearest (four partial sums
// s[0..3], term j < dim - dim % 4 into s[j % 4] in increasing j; then (s[0] + s[2]) + (s[1] +
// s[3]); then the last dim % 4 terms in order), so both implementations agree bit for bit, and
// a float16 row scores exactly as its float32 widening; S adds j = 0, 1, ... in order.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/packed_rows.h"

namespace emb {
namespace ref {
// out[q*n + i] = the score of row i against query q (queries[q*dim : (q+1)*dim)), for q in
// [0, m), i in [0, n). Reads table[0 : n * row_bytes(storage, dim)) and queries[0 : m*dim).
void dot_packed(Storage storage, const std::uint8_t* table, std::size_t n, std::size_t dim, const float* queries,
                std::size_t m, float* out);
}  // namespace ref
namespace simd128 {
// Same contract as ref::dot_packed, bit for bit.
void dot_packed(Storage storage, const std::uint8_t* table, std::size_t n, std::size_t dim, const float* queries,
                std::size_t m, float* out);
}  // namespace simd128

// S above.
inline float query_sum(const float* query, std::size_t dim) {
  float s = 0.0f;
  for (std::size_t j = 0; j < dim; ++j) s += query[j];
  return s;
}

// The score of `row` from its D and the query's S.
inline float packed_score(Storage storage, const std::uint8_t* row, std::size_t dim, float d, float sum) {
  if (storage == Storage::kInt8) {
    const Int8Row r(row, dim);
    return r.scale * d + r.bias * sum;
  }
  if (storage == Storage::kInt4) {
    const Int4Row r(row, dim);
    return r.scale * d + r.bias * sum;
  }
  return d;
}
}  // namespace emb
