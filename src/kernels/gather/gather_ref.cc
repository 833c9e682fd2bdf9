#include "kernels/gather/gather.h"

namespace emb::ref {
std::size_t gather_f32(const float* table, std::size_t rows, std::size_t dim,
                       const std::int32_t* idx, std::size_t n, float* out) {
  const std::size_t bad = first_out_of_range(idx, n, rows);
  if (bad != n) return bad;
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = table + static_cast<std::size_t>(idx[i]) * dim;
    for (std::size_t j = 0; j < dim; ++j) out[i * dim + j] = row[j];
  }
  return n;
}
}  // namespace emb::ref
