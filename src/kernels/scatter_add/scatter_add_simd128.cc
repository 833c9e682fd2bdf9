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

// out[j] += in[j] for j in [0, dim).
inline void add_row(const float* in, float* out, std::size_t dim) {
  std::size_t j = 0;
  for (; j + 8 <= dim; j += 8) {
    const v128_t a = wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(in + j));
    const v128_t b = wasm_f32x4_add(wasm_v128_load(out + j + 4), wasm_v128_load(in + j + 4));
    wasm_v128_store(out + j, a);
    wasm_v128_store(out + j + 4, b);
  }
  for (; j + 4 <= dim; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(in + j)));
  for (; j < dim; ++j) out[j] += in[j];
}
}  // namespace

std::size_t scatter_add_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* rows,
                            float alpha, const float* scale, float* dst, std::size_t dst_rows) {
  const std::size_t bad = first_bad_target(rows, n, dst_rows);
  if (bad != n) return bad;
  RowToucher ahead(dst, dim * sizeof(float), dst_rows, rows, n);  // destination rows, a block ahead (kernels/touch.h)
  for (std::size_t i = 0; i < n; ++i) {
    if (rows[i] == kSkipRow) continue;
    ahead.before(i);
    add_scaled_row(src + i * dim, scale ? alpha * scale[i] : alpha, dst + static_cast<std::size_t>(rows[i]) * dim, dim);
  }
  return n;
}

std::size_t scatter_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* slots,
                            const float* scale, float* dst, std::size_t dst_rows, std::size_t first_new) {
  const std::size_t bad = first_bad_slot(slots, n, dst_rows, first_new);
  if (bad != n) return bad;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  std::size_t next = first_new;
  for (std::size_t i = 0; i < n; ++i) {
    if (slots[i] == kSkipRow) continue;
    const float factor = scale ? scale[i] : 1.0f;
    const float* in = src + i * dim;
    float* out = dst + static_cast<std::size_t>(slots[i]) * dim;
    if (static_cast<std::size_t>(slots[i]) < next) {
      add_scaled_row(in, factor, out, dim);
      continue;
    }
    ++next;  // the slot's first entry: 0 + f * src, the reference's first addition
    const v128_t f = wasm_f32x4_splat(factor);
    std::size_t j = 0;
    for (; j + 4 <= dim; j += 4)
      wasm_v128_store(out + j, wasm_f32x4_add(zero, wasm_f32x4_mul(f, wasm_v128_load(in + j))));
    for (; j < dim; ++j) out[j] = 0.0f + factor * in[j];
  }
  return n;
}

std::size_t slot_sum_f32(const float* src, std::size_t n, std::size_t dim, const std::int32_t* idx, std::int32_t skip,
                         std::int32_t* slot_of_row, std::int32_t* rows, float* dst, std::size_t k) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    if (idx[i] == skip) continue;
    std::int32_t& s = slot_of_row[idx[i]];
    const float* in = src + i * dim;
    if (s >= 0) {
      add_row(in, dst + static_cast<std::size_t>(s) * dim, dim);
      continue;
    }
    s = static_cast<std::int32_t>(k);
    rows[k] = idx[i];
    float* out = dst + k++ * dim;  // the slot's first entry: 0 + src, the reference's first addition
    std::size_t j = 0;
    for (; j + 4 <= dim; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(zero, wasm_v128_load(in + j)));
    for (; j < dim; ++j) out[j] = 0.0f + in[j];
  }
  return k;
}
}  // namespace emb::simd128
