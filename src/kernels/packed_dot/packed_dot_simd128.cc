#include <type_traits>
#include <vector>

#include "kernels/packed_dot/packed_dot.h"
#include "kernels/packed_rows_simd128.h"

namespace emb::simd128 {
void dot_packed(Storage storage, const std::uint8_t* table, std::size_t n, std::size_t dim, const float* queries,
                std::size_t m, float* out) {
  const std::size_t stride = row_bytes(storage, dim), vec_end = dim & ~std::size_t{3};
  std::vector<float> sums(m);
  for (std::size_t q = 0; q < m; ++q) sums[q] = query_sum(queries + q * dim, dim);
  with_simd_rows(storage, [&](auto type) {
    using Rows = std::remove_const_t<std::remove_pointer_t<decltype(type)>>;
    for (std::size_t i = 0; i < n; ++i) {
      const Rows row(table + i * stride, dim);
      for (std::size_t q = 0; q < m; ++q) {
        const float* y = queries + q * dim;
        // Lane k of s is s[k]: whole blocks in vectors, then the rest of j < vec_end one by one.
        v128_t s = wasm_f32x4_splat(0.0f);
        std::size_t j = 0;
        for (; j + Rows::kBlock <= dim; j += Rows::kBlock) {
          v128_t v[Rows::kBlock / 4];
          row.block(j, v);
          for (std::size_t k = 0; k < Rows::kBlock / 4; ++k)
            s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(y + j + 4 * k), v[k]));
        }
        float lanes[4];
        wasm_v128_store(lanes, s);
        for (; j < vec_end; ++j) lanes[j % 4] += y[j] * static_cast<float>(row.code(j));
        float d = (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);
        for (; j < dim; ++j) d += y[j] * static_cast<float>(row.code(j));
        out[q * n + i] = packed_score(storage, table + i * stride, dim, d, sums[q]);
      }
    }
  });
}
}  // namespace emb::simd128
