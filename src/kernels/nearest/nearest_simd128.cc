#include <cmath>

#include "kernels/nearest/nearest.h"
#include "kernels/simd128.h"

namespace emb::simd128 {
namespace {
// Lane l of a v128 accumulator is the partial sum s[l] of nearest.h.

inline v128_t product(v128_t q, v128_t r) { return wasm_f32x4_mul(q, r); }
inline v128_t squared_difference(v128_t q, v128_t r) {
  const v128_t d = wasm_f32x4_sub(q, r);
  return wasm_f32x4_mul(d, d);
}
inline float product(float q, float r) { return q * r; }
inline float squared_difference(float q, float r) {
  const float d = q - r;
  return d * d;
}

// (s[0] + s[2]) + (s[1] + s[3]) of four accumulators at once: lane r of the result is row r's.
inline v128_t reduce4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  const v128_t ab = wasm_f32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 1, 4, 5), wasm_i32x4_shuffle(a0, a1, 2, 3, 6, 7));
  const v128_t cd = wasm_f32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 1, 4, 5), wasm_i32x4_shuffle(a2, a3, 2, 3, 6, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 2, 4, 6), wasm_i32x4_shuffle(ab, cd, 1, 3, 5, 7));
}

// Rows r0..r0+3 against Q queries: out[q*n + 0..3] for each query q of the tile.
template <int Q, typename Term>
inline void tile4(const float* r0, std::size_t dim, const float* q0, std::size_t n, float* out, Term term) {
  const float* r1 = r0 + dim;
  const float* r2 = r1 + dim;
  const float* r3 = r2 + dim;
  const std::size_t vec_end = dim & ~std::size_t{3};
  // The loops over q and r are unrolled (the file is compiled without loop unrolling): the
  // accumulators must live in registers.
  v128_t acc[Q][4];
#pragma GCC unroll 4
  for (int q = 0; q < Q; ++q)
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) acc[q][r] = wasm_f32x4_splat(0.0f);
  for (std::size_t j = 0; j < vec_end; j += 4) {
    const v128_t x0 = wasm_v128_load(r0 + j), x1 = wasm_v128_load(r1 + j);
    const v128_t x2 = wasm_v128_load(r2 + j), x3 = wasm_v128_load(r3 + j);
#pragma GCC unroll 4
    for (int q = 0; q < Q; ++q) {
      const v128_t y = wasm_v128_load(q0 + q * dim + j);
      acc[q][0] = wasm_f32x4_add(acc[q][0], term(y, x0));
      acc[q][1] = wasm_f32x4_add(acc[q][1], term(y, x1));
      acc[q][2] = wasm_f32x4_add(acc[q][2], term(y, x2));
      acc[q][3] = wasm_f32x4_add(acc[q][3], term(y, x3));
    }
  }
#pragma GCC unroll 4
  for (int q = 0; q < Q; ++q) {
    v128_t sum = reduce4(acc[q][0], acc[q][1], acc[q][2], acc[q][3]);
    const float* y = q0 + q * dim;
    for (std::size_t j = vec_end; j < dim; ++j)
      sum = wasm_f32x4_add(sum, term(wasm_f32x4_splat(y[j]), wasm_f32x4_make(r0[j], r1[j], r2[j], r3[j])));
    wasm_v128_store(out + q * n, sum);
  }
}

// One row against one query.
template <typename Term>
inline float single(const float* row, std::size_t dim, const float* y, Term term) {
  const std::size_t vec_end = dim & ~std::size_t{3};
  v128_t acc = wasm_f32x4_splat(0.0f);
  for (std::size_t j = 0; j < vec_end; j += 4)
    acc = wasm_f32x4_add(acc, term(wasm_v128_load(y + j), wasm_v128_load(row + j)));
  const v128_t half = wasm_f32x4_add(acc, wasm_i32x4_shuffle(acc, acc, 2, 3, 0, 1));  // s0+s2, s1+s3
  float total = wasm_f32x4_extract_lane(half, 0) + wasm_f32x4_extract_lane(half, 1);
  for (std::size_t j = vec_end; j < dim; ++j) total += term(y[j], row[j]);
  return total;
}

// Four rows at a time, two queries at a time: each row load serves two queries, and the
// eight accumulators are independent chains.
template <typename Term>
void score_block(const float* rows, std::size_t n, std::size_t dim, const float* queries, std::size_t m, float* out,
                 Term term) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float* r = rows + i * dim;
    std::size_t q = 0;
    for (; q + 2 <= m; q += 2) tile4<2>(r, dim, queries + q * dim, n, out + q * n + i, term);
    if (q < m) tile4<1>(r, dim, queries + q * dim, n, out + q * n + i, term);
  }
  for (; i < n; ++i)
    for (std::size_t q = 0; q < m; ++q) out[q * n + i] = single(rows + i * dim, dim, queries + q * dim, term);
}
}  // namespace

void dot_block_f32(const float* rows, std::size_t n, std::size_t dim, const float* queries, std::size_t m,
                   float* out) {
  score_block(rows, n, dim, queries, m, out, [](auto q, auto r) { return product(q, r); });
}

void l2sq_block_f32(const float* rows, std::size_t n, std::size_t dim, const float* queries, std::size_t m,
                    float* out) {
  score_block(rows, n, dim, queries, m, out, [](auto q, auto r) { return squared_difference(q, r); });
}

void inverse_norms_f32(const float* rows, std::size_t n, std::size_t dim, float* out) {
  const std::size_t vec_end = dim & ~std::size_t{3};
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = rows + i * dim;
    // lo holds s[0], s[1]; hi holds s[2], s[3] (in double).
    v128_t lo = wasm_f64x2_splat(0.0), hi = wasm_f64x2_splat(0.0);
    for (std::size_t j = 0; j < vec_end; j += 4) {
      const v128_t x = wasm_v128_load(row + j);
      const v128_t a = wasm_f64x2_promote_low_f32x4(x);
      const v128_t b = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x, x, 2, 3, 0, 1));
      lo = wasm_f64x2_add(lo, wasm_f64x2_mul(a, a));
      hi = wasm_f64x2_add(hi, wasm_f64x2_mul(b, b));
    }
    const v128_t half = wasm_f64x2_add(lo, hi);  // s0+s2, s1+s3
    double total = wasm_f64x2_extract_lane(half, 0) + wasm_f64x2_extract_lane(half, 1);
    for (std::size_t j = vec_end; j < dim; ++j) total += static_cast<double>(row[j]) * row[j];
    out[i] = total > 0.0 ? static_cast<float>(1.0 / std::sqrt(total)) : 0.0f;
  }
}
}  // namespace emb::simd128
