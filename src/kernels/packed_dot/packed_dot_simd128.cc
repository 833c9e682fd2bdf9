#include "kernels/packed_dot/packed_dot.h"
#include "kernels/packed_rows_simd128.h"

namespace emb::simd128 {
namespace {
template <typename Rows>
void dot(const std::uint8_t* table, std::size_t rows, std::size_t dim, const float* query, float* scores) {
  const std::size_t stride = row_bytes(Rows::kStorage, dim);
  const float sum = query_sum(query, dim);
  for (std::size_t r = 0; r < rows; ++r) {
    const Rows row(table + r * stride, dim);
    v128_t lanes = wasm_f32x4_splat(0.0f);
    float tail = 0.0f;
    for_each_element<true>(
        row, dim,
        [&lanes, query](std::size_t j, v128_t codes) {
          lanes = wasm_f32x4_add(lanes, wasm_f32x4_mul(wasm_v128_load(query + j), codes));
        },
        [&tail, query](std::size_t j, float code) { tail += query[j] * code; });
    const float d = ((wasm_f32x4_extract_lane(lanes, 0) + wasm_f32x4_extract_lane(lanes, 1)) +
                     (wasm_f32x4_extract_lane(lanes, 2) + wasm_f32x4_extract_lane(lanes, 3))) +
                    tail;
    scores[r] = packed_score(Rows::kStorage, d, row.scale, row.bias, sum);
  }
}
}  // namespace

void dot_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim, const float* query,
                float* scores) {
  with_row_type(storage, [&](auto tag) {
    dot<typename Simd<typename decltype(tag)::Row>::Rows>(table, rows, dim, query, scores);
  });
}
}  // namespace emb::simd128
