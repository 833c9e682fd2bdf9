#include <vector>

#include "kernels/dequantize/dequantize.h"
#include "kernels/gather/gather.h"    // first_out_of_range
#include "kernels/nearest/nearest.h"  // dot_block_f32

namespace emb::ref {
std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out) {
  const std::size_t bad = first_out_of_range(idx, n, rows);
  if (bad != n) return bad;
  const std::size_t stride = row_bytes(storage, dim);
  with_row_type(storage, [&](auto tag) {
    for (std::size_t i = 0; i < n; ++i) {
      const typename decltype(tag)::Row row(table + static_cast<std::size_t>(idx[i]) * stride, dim);
      for (std::size_t j = 0; j < dim; ++j) out[i * dim + j] = row.at(j);
    }
  });
  return n;
}

void dot_packed(Storage storage, const std::uint8_t* table, std::size_t n, std::size_t dim, const float* query,
                float* out) {
  std::vector<float> row(dim);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t r = static_cast<std::int32_t>(i);
    gather_packed(storage, table, n, dim, &r, 1, row.data());
    dot_block_f32(row.data(), 1, dim, query, 1, out + i);
  }
}
}  // namespace emb::ref
