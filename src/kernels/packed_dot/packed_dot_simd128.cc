#include <vector>

#include "kernels/dequantize/dequantize.h"
#include "kernels/packed_dot/packed_dot.h"
#include "kernels/simd128.h"

namespace emb::simd128 {
void dot_packed(Storage storage, const std::uint8_t* table, std::size_t n, std::size_t dim, const float* queries,
                std::size_t m, float* out) {
  const std::size_t stride = row_bytes(storage, dim), vec_end = dim & ~std::size_t{3};
  std::vector<float> codes(dim), sums(m);
  for (std::size_t q = 0; q < m; ++q) sums[q] = query_sum(queries + q * dim, dim);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* row = table + i * stride;
    row_codes(storage, row, dim, codes.data());
    for (std::size_t q = 0; q < m; ++q) {
      const float* y = queries + q * dim;
      v128_t s = wasm_f32x4_splat(0.0f);  // lane k is s[k]
      for (std::size_t j = 0; j < vec_end; j += 4)
        s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(y + j), wasm_v128_load(&codes[j])));
      const v128_t half = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 2, 3, 0, 1));  // s0+s2, s1+s3
      float d = wasm_f32x4_extract_lane(half, 0) + wasm_f32x4_extract_lane(half, 1);
      for (std::size_t j = vec_end; j < dim; ++j) d += y[j] * codes[j];
      out[q * n + i] = packed_score(storage, row, dim, d, sums[q]);
    }
  }
}
}  // namespace emb::simd128
