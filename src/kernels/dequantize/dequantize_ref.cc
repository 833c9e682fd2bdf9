#include "kernels/dequantize/dequantize.h"

namespace emb::ref {
void dequantize_row(Storage storage, const std::uint8_t* row, std::size_t dim, float* out) {
  with_row_type(storage, [&](auto tag) {
    const typename decltype(tag)::Row r(row, dim);
    for (std::size_t j = 0; j < dim; ++j) out[j] = r.at(j);
  });
}

void row_codes(Storage storage, const std::uint8_t* row, std::size_t dim, float* out) {
  with_row_type(storage, [&](auto tag) {
    const typename decltype(tag)::Row r(row, dim);
    for (std::size_t j = 0; j < dim; ++j) out[j] = static_cast<float>(r.code(j));
  });
}
}  // namespace emb::ref
