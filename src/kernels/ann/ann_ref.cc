#include "kernels/ann/ann.h"

namespace emb::ref {
void code_dot_u8(const std::uint8_t* codes, std::size_t n, std::size_t stride, const std::int16_t* query,
                 std::int32_t* out) {
  for (std::size_t i = 0; i < n; ++i) {
    std::int32_t total = 0;
    for (std::size_t j = 0; j < stride; ++j) total += static_cast<std::int32_t>(codes[i * stride + j]) * query[j];
    out[i] = total;
  }
}
}  // namespace emb::ref
