#include "kernels/quantize/quantize.h"

namespace emb::ref {
namespace {
// Whether every value is finite; then lo, hi = the first smallest and first largest element.
bool finite_min_max(const float* x, std::size_t dim, float& lo, float& hi) {
  lo = hi = x[0];
  for (std::size_t j = 0; j < dim; ++j) {
    if (!std::isfinite(x[j])) return false;
    if (x[j] < lo) lo = x[j];
    if (x[j] > hi) hi = x[j];
  }
  return true;
}

bool quantize_row(Storage storage, const float* x, std::size_t dim, std::uint8_t* out) {
  if (storage == Storage::kFloat16) {
    for (std::size_t j = 0; j < dim; ++j)
      if (!f16_is_finite(f16_from_f32(x[j]))) return false;
    for (std::size_t j = 0; j < dim; ++j) store_u16(out + 2 * j, f16_from_f32(x[j]));
    return true;
  }
  float lo, hi;
  QuantParams p;
  if (!finite_min_max(x, dim, lo, hi)) return false;
  if (storage == Storage::kInt8) {
    if (!int8_params(lo, hi, out + dim, p)) return false;
    for (std::size_t j = 0; j < dim; ++j) out[j] = int8_code(x[j], p);
    return true;
  }
  const std::size_t bytes = (dim + 1) / 2;
  if (!int4_params(lo, hi, out + bytes, p)) return false;
  for (std::size_t k = 0; k < bytes; ++k) out[k] = 0;
  for (std::size_t j = 0; j < dim; ++j) out[j / 2] |= static_cast<std::uint8_t>(int4_code(x[j], p) << (4 * (j % 2)));
  return true;
}
}  // namespace

std::size_t quantize_rows(Storage storage, const float* x, std::size_t rows, std::size_t dim, std::uint8_t* out) {
  return quantize_each_row(quantize_row, storage, x, rows, dim, out);
}
}  // namespace emb::ref
