#include "kernels/packed_dot/packed_dot.h"

namespace emb::ref {
void dot_packed(Storage storage, const std::uint8_t* table, std::size_t n, std::size_t dim, const float* queries,
                std::size_t m, float* out) {
  const std::size_t stride = row_bytes(storage, dim), vec_end = dim & ~std::size_t{3};
  with_row_type(storage, [&](auto tag) {
    for (std::size_t i = 0; i < n; ++i) {
      const typename decltype(tag)::Row row(table + i * stride, dim);
      for (std::size_t q = 0; q < m; ++q) {
        const float* y = queries + q * dim;
        float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (std::size_t j = 0; j < vec_end; ++j) s[j % 4] += y[j] * static_cast<float>(row.code(j));
        float d = (s[0] + s[2]) + (s[1] + s[3]);
        for (std::size_t j = vec_end; j < dim; ++j) d += y[j] * static_cast<float>(row.code(j));
        out[q * n + i] = packed_score(storage, table + i * stride, dim, d, query_sum(y, dim));
      }
    }
  });
}
}  // namespace emb::ref
