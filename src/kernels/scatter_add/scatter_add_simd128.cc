#include "kernels/scatter_add/scatter_add.h"
#include "kernels/simd128.h"
#include "kernels/touch.h"

namespace emb::simd128 {
namespace {
// out[j] += factor * in[j] for j in [0, dim): multiply then add, lane by lane, the same two
// roundings as the reference.
inline void add_scaled_row(const float* in, float factor, float* out, std::size_t dim) {
  const v128_t f = wasm_f32x4_splat(factor);
  std::size_t j = 0;
  for (; j + 8 <= dim; j += 8) {
    const v128_t a = wasm_f32x4_add(wasm_v128_load(out + j), wasm_f32x4_mul(f, wasm_v128_load(in + j)));
    const v128_t b = wasm_f32x4_add(wasm_v128_load(out + j + 4), wasm_f32x4_mul(f, wasm_v128_load(in + j + 4)));
    wasm_v128_store(out + j, a);
    wasm_v128_store(out + j + 4, b);
  }
  for (; j + 4 <= dim; j += 4)
    wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_f32x4_mul(f, wasm_v128_load(in + j))));
  for (; j < dim; ++j) out[j] += factor * in[j];
}
}  // namespace

std::size_t scatter_add_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* rows,
                            float alpha, const float* scale, float* dst, std::size_t dst_rows) {
  const std::size_t bad = first_bad_target(rows, n, dst_rows);
  if (bad != n) return bad;
  // Blocks of destination rows, touched first (kernels/touch.h), then updated.
  const std::size_t block = touch_block_rows(dim);
  std::uint32_t touched = 0;
  for (std::size_t start = 0; start < n; start += block) {
    const std::size_t end = start + block < n ? start + block : n;
    for (std::size_t i = start; i < end; ++i)
      if (rows[i] != kSkipRow) touched = touch_row(dst + static_cast<std::size_t>(rows[i]) * dim, dim, touched);
    for (std::size_t i = start; i < end; ++i) {
      if (rows[i] == kSkipRow) continue;
      add_scaled_row(src + i * dim, scale ? alpha * scale[i] : alpha, dst + static_cast<std::size_t>(rows[i]) * dim, dim);
    }
  }
  keep_touches(touched);
  return n;
}
}  // namespace emb::simd128
