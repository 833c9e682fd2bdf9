// Lookups on compressed tables (kernels/packed_rows.h): rows are dequantised to float32 as they
// are read, element j of a row being Row::at(j). The results are those of the float32 kernels
// (gather_f32, bag_sum_f32, bag_max_f32) on the dequantised table, bit for bit, without
// ever holding that table: `table` is rows x row_bytes(storage, dim) bytes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/bag/bag.h"  // check_bags, kBadOffsets
#include "kernels/packed_rows.h"

namespace emb {
namespace ref {
// out[i*dim + j] = element j of row idx[i], for i in [0, n). Checks every index first: returns
// n, or the first i whose idx[i] is outside [0, rows) (then out is untouched).
std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out);
// bag_sum_f32 over the dequantised rows: out[b*dim + c] = Σ_j (scale ? scale[j] : 1) * row(idx[j])[c]
// over the bag's entries other than skip_row, in position order, divided by their number when
// `mean`; an empty bag is zeros. Returns as bag_sum_f32 (n, kBadOffsets or a bad position),
// writing out[0 : num_bags*dim) only on success.
std::size_t bag_sum_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                           const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, const float* scale, std::int32_t skip_row, bool mean, float* out);
// bag_max_f32 over the dequantised rows: the element-wise maximum, ties and NaN to the first
// position; arg[b*dim + c] = the winning position, or -1 (out 0) for a bag with no entries.
std::size_t bag_max_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                           const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, std::int32_t skip_row, float* out, std::int32_t* arg);
}  // namespace ref
namespace simd128 {
// Same contracts as the ref:: versions, bit for bit.
std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out);
std::size_t bag_sum_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                           const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, const float* scale, std::int32_t skip_row, bool mean, float* out);
std::size_t bag_max_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                           const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, std::int32_t skip_row, float* out, std::int32_t* arg);
}  // namespace simd128
}  // namespace emb
