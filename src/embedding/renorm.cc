#include "embedding/renorm.h"

#include <cmath>

namespace emb {
double row_norm(const float* row, std::size_t dim, double p) {
  double acc = 0.0;
  if (std::isinf(p)) {
    for (std::size_t j = 0; j < dim; ++j) {
      const double a = std::fabs(static_cast<double>(row[j]));
      if (a > acc || std::isnan(a)) acc = a;  // NaN propagates, as in torch.norm
    }
  } else if (p == 0.0) {
    for (std::size_t j = 0; j < dim; ++j) acc += row[j] != 0.0f ? 1.0 : 0.0;
  } else if (p == 1.0) {
    for (std::size_t j = 0; j < dim; ++j) acc += std::fabs(static_cast<double>(row[j]));
  } else if (p == 2.0) {
    for (std::size_t j = 0; j < dim; ++j) acc += static_cast<double>(row[j]) * row[j];
    acc = std::sqrt(acc);
  } else {
    for (std::size_t j = 0; j < dim; ++j) acc += std::pow(std::fabs(static_cast<double>(row[j])), p);
    acc = std::pow(acc, 1.0 / p);
  }
  return static_cast<float>(acc);
}

bool renorm_row(float* row, std::size_t dim, double max_norm, double p) {
  const double norm = row_norm(row, dim, p);
  if (!(norm > max_norm)) return false;
  const float scale = static_cast<float>(max_norm / (norm + 1e-7));
  for (std::size_t j = 0; j < dim; ++j) row[j] *= scale;
  return true;
}
}  // namespace emb
