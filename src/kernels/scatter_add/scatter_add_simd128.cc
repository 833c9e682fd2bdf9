#include "kernels/scatter_add/scatter_add.h"
#include "kernels/simd128.h"

namespace emb::simd128 {
std::size_t scatter_add_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* rows,
                            float alpha, const float* scale, float* dst, std::size_t dst_rows) {
  const std::size_t bad = first_bad_target(rows, n, dst_rows);
  if (bad != n) return bad;
  for (std::size_t i = 0; i < n; ++i) {
    if (rows[i] == kSkipRow) continue;
    const float factor = scale ? alpha * scale[i] : alpha;
    const v128_t f = wasm_f32x4_splat(factor);
    const float* in = src + i * dim;
    float* out = dst + static_cast<std::size_t>(rows[i]) * dim;
    std::size_t j = 0;
    // Multiply then add, lane by lane: the same two roundings as the reference.
    for (; j + 8 <= dim; j += 8) {
      const v128_t a = wasm_f32x4_add(wasm_v128_load(out + j), wasm_f32x4_mul(f, wasm_v128_load(in + j)));
      const v128_t b =
          wasm_f32x4_add(wasm_v128_load(out + j + 4), wasm_f32x4_mul(f, wasm_v128_load(in + j + 4)));
      wasm_v128_store(out + j, a);
      wasm_v128_store(out + j + 4, b);
    }
    for (; j + 4 <= dim; j += 4)
      wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_f32x4_mul(f, wasm_v128_load(in + j))));
    for (; j < dim; ++j) out[j] += factor * in[j];
  }
  return n;
}
}  // namespace emb::simd128
