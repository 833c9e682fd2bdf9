#include "kernels/packed_lookup/packed_lookup.h"
#include "kernels/packed_rows_simd128.h"

namespace emb::simd128 {
namespace {
template <typename Rows>
Rows row_at(const std::uint8_t* table, std::size_t dim, std::int32_t r) {
  return Rows(table + static_cast<std::size_t>(r) * row_bytes(Rows::kStorage, dim), dim);
}

template <typename Rows>
void gather(const std::uint8_t* table, std::size_t dim, const std::int32_t* idx, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    float* o = out + i * dim;
    for_each_element(
        row_at<Rows>(table, dim, idx[i]), dim, [o](std::size_t j, v128_t v) { wasm_v128_store(o + j, v); },
        [o](std::size_t j, float v) { o[j] = v; });
  }
}

template <typename Rows>
void bag_sum(const std::uint8_t* table, std::size_t dim, const std::int32_t* idx, const std::int32_t* offsets,
             std::size_t num_bags, const float* scale, std::int32_t skip_row, bool mean, float* out) {
  const std::size_t vec_end = dim & ~std::size_t{3};
  for (std::size_t b = 0; b < num_bags; ++b) {
    float* o = out + b * dim;
    for (std::size_t c = 0; c < dim; ++c) o[c] = 0.0f;
    std::size_t kept = 0;
    for (std::int32_t j = offsets[b]; j < offsets[b + 1]; ++j) {
      if (idx[j] == skip_row) continue;
      ++kept;
      const Rows row = row_at<Rows>(table, dim, idx[j]);
      // Same operations per element as the reference: o += s * value, or o += value.
      if (scale) {
        const float s = scale[j];
        const v128_t vs = wasm_f32x4_splat(s);
        for_each_element(
            row, dim,
            [o, vs](std::size_t c, v128_t v) {
              wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(o + c), wasm_f32x4_mul(vs, v)));
            },
            [o, s](std::size_t c, float v) { o[c] += s * v; });
      } else {
        for_each_element(
            row, dim, [o](std::size_t c, v128_t v) { wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(o + c), v)); },
            [o](std::size_t c, float v) { o[c] += v; });
      }
    }
    if (mean && kept > 0) {
      const float count = static_cast<float>(kept);
      const v128_t k = wasm_f32x4_splat(count);
      for (std::size_t c = 0; c < vec_end; c += 4) wasm_v128_store(o + c, wasm_f32x4_div(wasm_v128_load(o + c), k));
      for (std::size_t c = vec_end; c < dim; ++c) o[c] /= count;
    }
  }
}

template <typename Rows>
void bag_max(const std::uint8_t* table, std::size_t dim, const std::int32_t* idx, const std::int32_t* offsets,
             std::size_t num_bags, std::int32_t skip_row, float* out, std::int32_t* arg) {
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
      const Rows row = row_at<Rows>(table, dim, idx[j]);
      if (first) {
        for_each_element(
            row, dim,
            [o, a, j](std::size_t c, v128_t v) {
              wasm_v128_store(o + c, v);
              wasm_v128_store(a + c, wasm_i32x4_splat(j));
            },
            [o, a, j](std::size_t c, float v) {
              o[c] = v;
              a[c] = j;
            });
        first = false;
        continue;
      }
      // Lanes where the value beats o (strictly: ties and NaN keep the earlier winner) take it and j.
      const v128_t pos = wasm_i32x4_splat(j);
      for_each_element(
          row, dim,
          [o, a, pos](std::size_t c, v128_t v) {
            const v128_t m = wasm_v128_load(o + c), greater = wasm_f32x4_gt(v, m);
            wasm_v128_store(o + c, wasm_v128_bitselect(v, m, greater));
            wasm_v128_store(a + c, wasm_v128_bitselect(pos, wasm_v128_load(a + c), greater));
          },
          [o, a, j](std::size_t c, float v) {
            if (v > o[c]) {
              o[c] = v;
              a[c] = j;
            }
          });
    }
  }
}
}  // namespace

std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out) {
  const std::size_t bad = first_out_of_range(idx, n, rows);
  if (bad != n) return bad;
  with_row_type(storage, [&](auto tag) {
    gather<typename Simd<typename decltype(tag)::Row>::Rows>(table, dim, idx, n, out);
  });
  return n;
}

std::size_t bag_sum_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                           const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, const float* scale, std::int32_t skip_row, bool mean, float* out) {
  const std::size_t bad = check_bags(idx, n, offsets, num_bags, rows);
  if (bad != n) return bad;
  with_row_type(storage, [&](auto tag) {
    bag_sum<typename Simd<typename decltype(tag)::Row>::Rows>(table, dim, idx, offsets, num_bags, scale, skip_row,
                                                              mean, out);
  });
  return n;
}

std::size_t bag_max_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                           const std::int32_t* idx, std::size_t n, const std::int32_t* offsets,
                           std::size_t num_bags, std::int32_t skip_row, float* out, std::int32_t* arg) {
  const std::size_t bad = check_bags(idx, n, offsets, num_bags, rows);
  if (bad != n) return bad;
  with_row_type(storage, [&](auto tag) {
    bag_max<typename Simd<typename decltype(tag)::Row>::Rows>(table, dim, idx, offsets, num_bags, skip_row, out, arg);
  });
  return n;
}
}  // namespace emb::simd128
