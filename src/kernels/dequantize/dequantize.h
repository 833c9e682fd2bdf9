// Reading one packed row (kernels/packed_rows.h) into float32: the step every lookup, bag and
// score on a compressed table starts with, so the per-storage code lives here once.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/packed_rows.h"

namespace emb {
namespace ref {
// out[j] = Row::at(j) for j in [0, dim): the row dequantised (float(q) * scale + bias, rounded
// after the multiply and after the add; float16 widened exactly). Reads row_bytes(storage, dim)
// bytes of row.
void dequantize_row(Storage storage, const std::uint8_t* row, std::size_t dim, float* out);
// out[j] = float(Row::code(j)) for j in [0, dim): the int8/int4 codes as floats (the float16
// values themselves for float16).
void row_codes(Storage storage, const std::uint8_t* row, std::size_t dim, float* out);
}  // namespace ref
namespace simd128 {
// Same contracts as the ref:: versions, bit for bit.
void dequantize_row(Storage storage, const std::uint8_t* row, std::size_t dim, float* out);
void row_codes(Storage storage, const std::uint8_t* row, std::size_t dim, float* out);
}  // namespace simd128
}  // namespace emb
