#include <cmath>

#include "kernels/quantize/quantize.h"

namespace emb::ref {
namespace {
bool finite(float v) { return v - v == 0.0f; }

// Whether every value is finite; then lo, hi = the first smallest and first largest element.
bool finite_min_max(const float* x, std::size_t dim, float& lo, float& hi) {
  lo = hi = x[0];
  for (std::size_t j = 0; j < dim; ++j) {
    if (!finite(x[j])) return false;
    if (x[j] < lo) lo = x[j];
    if (x[j] > hi) hi = x[j];
  }
  return true;
}

bool quantize_float16(const float* x, std::size_t dim, std::uint8_t* out) {
  for (std::size_t j = 0; j < dim; ++j)
    if (!f16_is_finite(f16_from_f32(x[j]))) return false;
  for (std::size_t j = 0; j < dim; ++j) store_u16(out + 2 * j, f16_from_f32(x[j]));
  return true;
}

bool quantize_int8(const float* x, std::size_t dim, std::uint8_t* out) {
  float lo, hi;
  if (!finite_min_max(x, dim, lo, hi)) return false;
  const float range = hi - lo;
  if (!finite(range)) return false;
  const float inv = 255.0f / (range + 1e-8f);
  for (std::size_t j = 0; j < dim; ++j) out[j] = static_cast<std::uint8_t>(std::nearbyint((x[j] - lo) * inv));
  store_f32(out + dim, range / 255.0f);
  store_f32(out + dim + 4, lo);
  return true;
}

bool quantize_int4(const float* x, std::size_t dim, std::uint8_t* out) {
  float lo, hi;
  Int4Params p;
  if (!finite_min_max(x, dim, lo, hi) || !int4_params(lo, hi, p)) return false;
  const std::size_t bytes = (dim + 1) / 2;
  for (std::size_t k = 0; k < bytes; ++k) out[k] = 0;
  for (std::size_t j = 0; j < dim; ++j) {
    const float q = std::fmin(std::fmax(std::nearbyint((x[j] - p.min) * p.inv), 0.0f), 15.0f);
    out[j / 2] |= static_cast<std::uint8_t>(static_cast<unsigned>(q) << (4 * (j % 2)));
  }
  store_u16(out + bytes, p.scale16);
  store_u16(out + bytes + 2, p.min16);
  return true;
}
}  // namespace

std::size_t quantize_rows(Storage storage, const float* x, std::size_t rows, std::size_t dim, std::uint8_t* out) {
  const std::size_t stride = row_bytes(storage, dim);
  if (dim == 0) {  // empty rows: zero scale and bias (nothing reads them)
    for (std::size_t i = 0; i < rows * stride; ++i) out[i] = 0;
    return rows;
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row = x + r * dim;
    std::uint8_t* dst = out + r * stride;
    const bool ok = storage == Storage::kInt8   ? quantize_int8(row, dim, dst)
                    : storage == Storage::kInt4 ? quantize_int4(row, dim, dst)
                                                : quantize_float16(row, dim, dst);
    if (!ok) return r;
  }
  return rows;
}
}  // namespace emb::ref
