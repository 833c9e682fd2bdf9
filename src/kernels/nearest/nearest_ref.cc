#include <cmath>

#include "kernels/nearest/nearest.h"

namespace emb::ref {
namespace {
// One score in the order of nearest.h; term(a, b) is the summand of one element.
template <typename Term>
float reduce(const float* a, const float* b, std::size_t dim, Term term) {
  const std::size_t vec_end = dim & ~std::size_t{3};
  float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (std::size_t j = 0; j < vec_end; ++j) s[j % 4] += term(a[j], b[j]);
  float total = (s[0] + s[2]) + (s[1] + s[3]);
  for (std::size_t j = vec_end; j < dim; ++j) total += term(a[j], b[j]);
  return total;
}

float product(float q, float r) { return q * r; }
float squared_difference(float q, float r) {
  const float d = q - r;
  return d * d;
}
}  // namespace

void dot_block_f32(const float* rows, std::size_t n, std::size_t dim, const float* queries, std::size_t m,
                   float* out) {
  for (std::size_t q = 0; q < m; ++q)
    for (std::size_t i = 0; i < n; ++i) out[q * n + i] = reduce(queries + q * dim, rows + i * dim, dim, product);
}

void l2sq_block_f32(const float* rows, std::size_t n, std::size_t dim, const float* queries, std::size_t m,
                    float* out) {
  for (std::size_t q = 0; q < m; ++q)
    for (std::size_t i = 0; i < n; ++i)
      out[q * n + i] = reduce(queries + q * dim, rows + i * dim, dim, squared_difference);
}

void inverse_norms_f32(const float* rows, std::size_t n, std::size_t dim, float* out) {
  const std::size_t vec_end = dim & ~std::size_t{3};
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = rows + i * dim;
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    for (std::size_t j = 0; j < vec_end; ++j) s[j % 4] += static_cast<double>(row[j]) * row[j];
    double total = (s[0] + s[2]) + (s[1] + s[3]);
    for (std::size_t j = vec_end; j < dim; ++j) total += static_cast<double>(row[j]) * row[j];
    out[i] = total > 0.0 ? static_cast<float>(1.0 / std::sqrt(total)) : 0.0f;
  }
}
}  // namespace emb::ref
