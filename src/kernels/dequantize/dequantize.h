// The dequantising gather: rows of a compressed table (kernels/packed_rows.h) read back as
// float32. Every lookup, bag and row read of a compressed table goes through it.
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
}  // namespace ref
namespace simd128 {
// Same contract as ref::gather_packed, bit for bit.
std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out);
}  // namespace simd128
}  // namespace emb
