#include "kernels/packed_dot/packed_dot.h"

namespace emb::ref {
namespace {
template <typename Row>
void dot(const std::uint8_t* table, std::size_t rows, std::size_t dim, const float* query, float* scores) {
  const std::size_t stride = row_bytes(Row::kStorage, dim), vec_end = dim & ~std::size_t{3};
  const float sum = query_sum(query, dim);
  for (std::size_t r = 0; r < rows; ++r) {
    const Row row(table + r * stride, dim);
    float lane[4] = {0.0f, 0.0f, 0.0f, 0.0f}, tail = 0.0f;
    for (std::size_t j = 0; j < vec_end; ++j) lane[j % 4] += query[j] * static_cast<float>(row.code(j));
    for (std::size_t j = vec_end; j < dim; ++j) tail += query[j] * static_cast<float>(row.code(j));
    const float d = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + tail;
    scores[r] = packed_score(Row::kStorage, d, row.scale, row.bias, sum);
  }
}
}  // namespace

void dot_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim, const float* query,
                float* scores) {
  with_row_type(storage, [&](auto tag) { dot<typename decltype(tag)::Row>(table, rows, dim, query, scores); });
}
}  // namespace emb::ref
