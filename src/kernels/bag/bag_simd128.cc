#include "kernels/bag/bag.h"
#include "kernels/simd128.h"
#include "kernels/touch.h"

namespace emb::simd128 {
std::size_t bag_sum_f32(const float* table, std::size_t rows, std::size_t dim, const std::int32_t* idx,
                        std::size_t n, const std::int32_t* offsets, std::size_t num_bags, const float* scale,
                        std::int32_t skip_row, bool mean, float* out) {
  const std::size_t bad = check_bags(idx, n, offsets, num_bags, rows);
  if (bad != n) return bad;
  const std::size_t vec_end = dim & ~std::size_t{3};
  RowToucher ahead(table, dim * sizeof(float), rows, idx, n);  // the rows, a block ahead (kernels/touch.h)
  for (std::size_t b = 0; b < num_bags; ++b) {
    float* o = out + b * dim;
    for (std::size_t c = 0; c < dim; ++c) o[c] = 0.0f;
    std::size_t kept = 0;
    for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
      if (idx[j] == skip_row) continue;
      ahead.before(static_cast<std::size_t>(j));
      ++kept;
      const float* row = table + static_cast<std::size_t>(idx[j]) * dim;
      // Same operations per element as the reference: o += s * row, or o += row.
      if (scale) {
        const v128_t s = wasm_f32x4_splat(scale[j]);
        for (std::size_t c = 0; c < vec_end; c += 4)
          wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(o + c), wasm_f32x4_mul(s, wasm_v128_load(row + c))));
        for (std::size_t c = vec_end; c < dim; ++c) o[c] += scale[j] * row[c];
      } else {
        for (std::size_t c = 0; c < vec_end; c += 4)
          wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(o + c), wasm_v128_load(row + c)));
        for (std::size_t c = vec_end; c < dim; ++c) o[c] += row[c];
      }
    }
    if (mean && kept > 0) {
      const float count = static_cast<float>(kept);
      const v128_t k = wasm_f32x4_splat(count);
      for (std::size_t c = 0; c < vec_end; c += 4) wasm_v128_store(o + c, wasm_f32x4_div(wasm_v128_load(o + c), k));
      for (std::size_t c = vec_end; c < dim; ++c) o[c] /= count;
    }
  }
  return n;
}

std::size_t bag_max_f32(const float* table, std::size_t rows, std::size_t dim, const std::int32_t* idx,
                        std::size_t n, const std::int32_t* offsets, std::size_t num_bags, std::int32_t skip_row,
                        float* out, std::int32_t* arg) {
  const std::size_t bad = check_bags(idx, n, offsets, num_bags, rows);
  if (bad != n) return bad;
  const std::size_t vec_end = dim & ~std::size_t{3};
  RowToucher ahead(table, dim * sizeof(float), rows, idx, n);  // the rows, a block ahead (kernels/touch.h)
  for (std::size_t b = 0; b < num_bags; ++b) {
    float* o = out + b * dim;
    std::int32_t* a = arg + b * dim;
    for (std::size_t c = 0; c < dim; ++c) {
      o[c] = 0.0f;
      a[c] = -1;
    }
    bool first = true;
    for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
      if (idx[j] == skip_row) continue;
      ahead.before(static_cast<std::size_t>(j));
      const float* row = table + static_cast<std::size_t>(idx[j]) * dim;
      if (first) {
        for (std::size_t c = 0; c < dim; ++c) {
          o[c] = row[c];
          a[c] = j;
        }
        first = false;
        continue;
      }
      // Lanes where row > o (strictly: ties and NaN rows keep the earlier winner) take row and j.
      const v128_t pos = wasm_i32x4_splat(j);
      for (std::size_t c = 0; c < vec_end; c += 4) {
        const v128_t r = wasm_v128_load(row + c), m = wasm_v128_load(o + c);
        const v128_t greater = wasm_f32x4_gt(r, m);
        wasm_v128_store(o + c, wasm_v128_bitselect(r, m, greater));
        wasm_v128_store(a + c, wasm_v128_bitselect(pos, wasm_v128_load(a + c), greater));
      }
      for (std::size_t c = vec_end; c < dim; ++c) {
        if (row[c] > o[c]) {
          o[c] = row[c];
          a[c] = j;
        }
      }
    }
  }
  return n;
}

std::size_t bag_sum_backward_f32(const float* grad, std::size_t dim, const std::int32_t* offsets,
                                 std::size_t num_bags, const std::int32_t* slots, std::size_t n,
                                 const float* factor, float* dst, std::size_t dst_rows) {
  if (!offsets_valid(offsets, num_bags, n)) return kBadOffsets;
  const std::size_t bad = first_bad_target(slots, n, dst_rows);
  if (bad != n) return bad;
  const std::size_t vec_end = dim & ~std::size_t{3};
  for (std::size_t b = 0; b < num_bags; ++b) {
    const float* g = grad + b * dim;
    for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
      if (slots[j] == kSkipRow) continue;
      float* d = dst + static_cast<std::size_t>(slots[j]) * dim;
      const float f = factor ? factor[j] : 1.0f;
      const v128_t fv = wasm_f32x4_splat(f);
      for (std::size_t c = 0; c < vec_end; c += 4)
        wasm_v128_store(d + c, wasm_f32x4_add(wasm_v128_load(d + c), wasm_f32x4_mul(fv, wasm_v128_load(g + c))));
      for (std::size_t c = vec_end; c < dim; ++c) d[c] += f * g[c];
    }
  }
  return n;
}
}  // namespace emb::simd128
