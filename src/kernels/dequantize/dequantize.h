// Reading the rows of a compressed table (kernels/packed_rows.h) as float32: the dequantising
// gather, which every lookup, bag and row read goes through, and dot products with the
// dequantised rows that never store them (nearest-neighbour search).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/packed_rows.h"

namespace emb {
namespace ref {
// out[i*dim + j] = Row::at(j) of row idx[i], for i in [0, n), j in [0, dim): float(q) * scale +
// bias rounded after the multiply and after the add, or the float16 value widened. `table` holds
// rows x row_bytes(storage, dim) bytes. Checks every index first: returns n, or the first i whose
// idx[i] is outside [0, rows) (then out is untouched).
std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out);
// out[i] = dot_block_f32 (kernels/nearest) of `query` and row i dequantised, for i in [0, n):
// the same products and sums in the same order, so the same bits. Reads table[0 : n *
// row_bytes(storage, dim)) and query[0 : dim). No failure.
void dot_packed(Storage storage, const std::uint8_t* table, std::size_t n, std::size_t dim, const float* query,
                float* out);
}  // namespace ref
namespace simd128 {
// Same contracts as the ref:: versions, bit for bit.
std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out);
void dot_packed(Storage storage, const std::uint8_t* table, std::size_t n, std::size_t dim, const float* query,
                float* out);
}  // namespace simd128
}  // namespace emb
