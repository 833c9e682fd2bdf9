#include <cfloat>
#include <cmath>

#include "kernels/quantize/quantize.h"
#include "kernels/simd128.h"

namespace emb::simd128 {
namespace {
bool finite(float v) { return v - v == 0.0f; }

// As the reference's: whether every value is finite; then lo, hi = the first smallest and first
// largest element. Each lane keeps its own first extreme (pmin/pmax replace only on a strict
// win); equal values are then the same number, except a zero's sign, which is taken from the
// row's first zero.
bool finite_min_max(const float* x, std::size_t dim, float& lo, float& hi) {
  std::size_t j = 0;
  lo = hi = x[0];
  if (dim >= 4) {
    v128_t vlo = wasm_f32x4_splat(x[0]), vhi = vlo, ok = wasm_i32x4_splat(-1);
    const v128_t largest = wasm_f32x4_splat(FLT_MAX);
    for (; j + 4 <= dim; j += 4) {
      const v128_t v = wasm_v128_load(x + j);
      vlo = wasm_f32x4_pmin(vlo, v);
      vhi = wasm_f32x4_pmax(vhi, v);
      ok = wasm_v128_and(ok, wasm_f32x4_le(wasm_f32x4_abs(v), largest));
    }
    if (!wasm_i32x4_all_true(ok)) return false;
    const float lanes_lo[4] = {wasm_f32x4_extract_lane(vlo, 0), wasm_f32x4_extract_lane(vlo, 1),
                               wasm_f32x4_extract_lane(vlo, 2), wasm_f32x4_extract_lane(vlo, 3)};
    const float lanes_hi[4] = {wasm_f32x4_extract_lane(vhi, 0), wasm_f32x4_extract_lane(vhi, 1),
                               wasm_f32x4_extract_lane(vhi, 2), wasm_f32x4_extract_lane(vhi, 3)};
    for (int k = 0; k < 4; ++k) {
      if (lanes_lo[k] < lo) lo = lanes_lo[k];
      if (lanes_hi[k] > hi) hi = lanes_hi[k];
    }
  }
  for (; j < dim; ++j) {
    if (!finite(x[j])) return false;
    if (x[j] < lo) lo = x[j];
    if (x[j] > hi) hi = x[j];
  }
  if (lo == 0.0f || hi == 0.0f) {
    float first_zero = 0.0f;
    for (j = 0; j < dim; ++j) {
      if (x[j] == 0.0f) {
        first_zero = x[j];
        break;
      }
    }
    if (lo == 0.0f) lo = first_zero;
    if (hi == 0.0f) hi = first_zero;
  }
  return true;
}

// rint((x[j .. j+3] - lo) * inv) as int32 lanes.
inline v128_t codes(const float* x, v128_t lo, v128_t inv) {
  return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x), lo), inv)));
}

// Sixteen int32 lanes (each 0..255) narrowed to u8 lanes in order.
inline v128_t narrow16(v128_t a, v128_t b, v128_t c, v128_t d) {
  return wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a, b), wasm_i16x8_narrow_i32x4(c, d));
}

// f16_from_f32 on four values already known to round to a finite float16 (|x| < 65520). Normal
// results: rebias the exponent and round off 13 bits, ties to even, in integers. Subnormal ones:
// |x| + 0.5 rounds |x| to a multiple of 2^-24 (the spacing of floats in [0.5, 1)), ties to even,
// and its low bits are then that multiple.
inline v128_t narrow_f16(v128_t x) {
  const v128_t abs = wasm_v128_and(x, wasm_i32x4_splat(0x7fffffff));
  const v128_t rebiased = wasm_i32x4_sub(abs, wasm_i32x4_splat(112 << 23));
  const v128_t odd = wasm_v128_and(wasm_u32x4_shr(rebiased, 13), wasm_i32x4_splat(1));
  const v128_t normal =
      wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_add(rebiased, wasm_i32x4_splat(0xfff)), odd), 13);
  const v128_t subnormal = wasm_i32x4_sub(wasm_f32x4_add(abs, wasm_f32x4_splat(0.5f)), wasm_i32x4_splat(0x3f000000));
  const v128_t magnitude = wasm_v128_bitselect(normal, subnormal, wasm_i32x4_ge(abs, wasm_i32x4_splat(0x38800000)));
  return wasm_v128_or(magnitude, wasm_u32x4_shr(wasm_v128_and(x, wasm_i32x4_splat(0x80000000)), 16));
}

bool quantize_float16(const float* x, std::size_t dim, std::uint8_t* out) {
  std::size_t j = 0;
  v128_t ok = wasm_i32x4_splat(-1);
  const v128_t limit = wasm_i32x4_splat(0x477ff000);  // |x| from here rounds to inf (NaN and inf too)
  for (; j + 4 <= dim; j += 4)
    ok = wasm_v128_and(ok, wasm_u32x4_lt(wasm_v128_and(wasm_v128_load(x + j), wasm_i32x4_splat(0x7fffffff)), limit));
  if (!wasm_i32x4_all_true(ok)) return false;
  for (; j < dim; ++j)
    if (!f16_is_finite(f16_from_f32(x[j]))) return false;
  for (j = 0; j + 8 <= dim; j += 8) {
    const v128_t a = narrow_f16(wasm_v128_load(x + j)), b = narrow_f16(wasm_v128_load(x + j + 4));
    wasm_v128_store(out + 2 * j, wasm_u16x8_narrow_i32x4(a, b));
  }
  for (; j < dim; ++j) store_u16(out + 2 * j, f16_from_f32(x[j]));
  return true;
}

bool quantize_int8(const float* x, std::size_t dim, std::uint8_t* out) {
  float lo, hi;
  if (!finite_min_max(x, dim, lo, hi)) return false;
  const float range = hi - lo;
  if (!finite(range)) return false;
  const float inv = 255.0f / (range + 1e-8f);
  const v128_t vlo = wasm_f32x4_splat(lo), vinv = wasm_f32x4_splat(inv);
  std::size_t j = 0;
  for (; j + 16 <= dim; j += 16) {
    wasm_v128_store(out + j, narrow16(codes(x + j, vlo, vinv), codes(x + j + 4, vlo, vinv),
                                      codes(x + j + 8, vlo, vinv), codes(x + j + 12, vlo, vinv)));
  }
  for (; j < dim; ++j) out[j] = static_cast<std::uint8_t>(std::nearbyint((x[j] - lo) * inv));
  store_f32(out + dim, range / 255.0f);
  store_f32(out + dim + 4, lo);
  return true;
}

bool quantize_int4(const float* x, std::size_t dim, std::uint8_t* out) {
  float lo, hi;
  Int4Params p;
  if (!finite_min_max(x, dim, lo, hi) || !int4_params(lo, hi, p)) return false;
  const v128_t vmin = wasm_f32x4_splat(p.min), vinv = wasm_f32x4_splat(p.inv);
  const v128_t zero = wasm_i32x4_splat(0), fifteen = wasm_i32x4_splat(15);
  const auto clamped = [&](const float* at) { return wasm_i32x4_min(wasm_i32x4_max(codes(at, vmin, vinv), zero), fifteen); };
  std::size_t j = 0;
  for (; j + 16 <= dim; j += 16) {
    const v128_t c = narrow16(clamped(x + j), clamped(x + j + 4), clamped(x + j + 8), clamped(x + j + 12));
    const v128_t even = wasm_i8x16_shuffle(c, c, 0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
    const v128_t odd = wasm_i8x16_shuffle(c, c, 1, 3, 5, 7, 9, 11, 13, 15, 0, 0, 0, 0, 0, 0, 0, 0);
    wasm_v128_store64_lane(out + j / 2, wasm_v128_or(even, wasm_i8x16_shl(odd, 4)), 0);
  }
  const std::size_t bytes = (dim + 1) / 2;
  for (std::size_t k = j / 2; k < bytes; ++k) out[k] = 0;
  for (; j < dim; ++j) {
    const float q = std::fmin(std::fmax(std::nearbyint((x[j] - p.min) * p.inv), 0.0f), 15.0f);
    out[j / 2] |= static_cast<std::uint8_t>(static_cast<unsigned>(q) << (4 * (j % 2)));
  }
  store_u16(out + bytes, p.scale16);
  store_u16(out + bytes + 2, p.min16);
  return true;
}
}  // namespace

std::size_t quantize_rows(Storage storage, const float* x, std::size_t rows, std::size_t dim, std::uint8_t* out) {
  const std::size_t stride = row_bytes(storage, dim);
  if (dim == 0) {
    for (std::size_t i = 0; i < rows * stride; ++i) out[i] = 0;
    return rows;
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row = x + r * dim;
    std::uint8_t* dst = out + r * stride;
    const bool ok = storage == Storage::kInt8   ? quantize_int8(row, dim, dst)
                    : storage == Storage::kInt4 ? quantize_int4(row, dim, dst)
                                                : quantize_float16(row, dim, dst);
    if (!ok) return r;
  }
  return rows;
}
}  // namespace emb::simd128
