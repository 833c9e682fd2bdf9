// Scoring rows of a row-major float32 table against query vectors: the inner loops of
// nearest-neighbour search. Selecting the best rows is not here (src/embedding/nearest.h).
//
// Summation order (both builds, bit for bit): four float32 partial sums s[0..3]; the element
// j < dim - dim % 4 adds its term into s[j % 4], in increasing j; then
// (s[0] + s[2]) + (s[1] + s[3]); then the last dim % 4 terms, in order. Every product and
// sum is rounded to float32 (no fused multiply-add).
#pragma once
#include <cstddef>

namespace emb {
namespace ref {
// out[q*n + i] = Σ_j queries[q*dim + j] * rows[i*dim + j]  for q in [0, m), i in [0, n).
// Reads rows[0 : n*dim) and queries[0 : m*dim); writes out[0 : m*n). No failure.
void dot_block_f32(const float* rows, std::size_t n, std::size_t dim, const float* queries, std::size_t m,
                   float* out);

// out[q*n + i] = Σ_j (queries[q*dim + j] - rows[i*dim + j])²: squared Euclidean distances.
// Reads and writes as dot_block_f32. No failure.
void l2sq_block_f32(const float* rows, std::size_t n, std::size_t dim, const float* queries, std::size_t m,
                    float* out);

// out[i] = float(1 / sqrt(Σ_j double(rows[i*dim + j])²)), the sum in double in the order
// above; 0 for a zero row (and for a row holding NaN). Reads rows[0 : n*dim), writes
// out[0 : n). No failure.
void inverse_norms_f32(const float* rows, std::size_t n, std::size_t dim, float* out);
}  // namespace ref

namespace simd128 {
// Same contracts as the ref:: kernels, bit for bit.
void dot_block_f32(const float* rows, std::size_t n, std::size_t dim, const float* queries, std::size_t m,
                   float* out);
void l2sq_block_f32(const float* rows, std::size_t n, std::size_t dim, const float* queries, std::size_t m,
                    float* out);
void inverse_norms_f32(const float* rows, std::size_t n, std::size_t dim, float* out);
}  // namespace simd128
}  // namespace emb
