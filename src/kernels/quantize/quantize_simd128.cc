#include <cfloat>

#include "kernels/quantize/quantize.h"
#include "kernels/simd128.h"

namespace emb::simd128 {
namespace {
// As the reference's: whether every value is finite; then lo, hi = the first smallest and first
// largest element. Each lane keeps its own first extreme (pmin/pmax replace only on a strict
// win); equal values are then the same number, except a zero's sign, which is taken from the
// row's first zero.
bool finite_min_max(const float* x, std::size_t dim, float& lo, float& hi) {
  v128_t vlo = wasm_f32x4_splat(x[0]), vhi = vlo, ok = wasm_i32x4_splat(-1);
  std::size_t j = 0;
  for (; j + 4 <= dim; j += 4) {
    const v128_t v = wasm_v128_load(x + j);
    vlo = wasm_f32x4_pmin(vlo, v);
    vhi = wasm_f32x4_pmax(vhi, v);
    ok = wasm_v128_and(ok, wasm_f32x4_le(wasm_f32x4_abs(v), wasm_f32x4_splat(FLT_MAX)));
  }
  if (!wasm_i32x4_all_true(ok)) return false;
  float lanes_lo[4], lanes_hi[4];
  wasm_v128_store(lanes_lo, vlo);
  wasm_v128_store(lanes_hi, vhi);
  lo = hi = x[0];
  for (int k = 0; k < 4; ++k) {
    if (lanes_lo[k] < lo) lo = lanes_lo[k];
    if (lanes_hi[k] > hi) hi = lanes_hi[k];
  }
  for (; j < dim; ++j) {
    if (!std::isfinite(x[j])) return false;
    if (x[j] < lo) lo = x[j];
    if (x[j] > hi) hi = x[j];
  }
  if (lo == 0.0f || hi == 0.0f) {
    for (j = 0; x[j] != 0.0f; ++j) {}
    if (lo == 0.0f) lo = x[j];
    if (hi == 0.0f) hi = x[j];
  }
  return true;
}

// rint((x[0 .. 16) - min) * inv) in u8 lanes, saturated to 0..255 (int8 codes never leave it).
// Out of line: inlined, its four conversions per call made the module 1 KB larger.
__attribute__((noinline)) v128_t codes16(const float* x, const QuantParams& p) {
  const v128_t min = wasm_f32x4_splat(p.min), inv = wasm_f32x4_splat(p.inv);
  v128_t q[4];
  for (int k = 0; k < 4; ++k)
    q[k] = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + 4 * k), min), inv)));
  return wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(q[0], q[1]), wasm_i16x8_narrow_i32x4(q[2], q[3]));
}

// f16_from_f32 on four values already known to round to a finite float16 (|x| < 65520). Normal
// results: rebias the exponent and round off 13 bits, ties to even, in integers. Subnormal ones:
// |x| + 0.5 rounds |x| to a multiple of 2^-24 (the spacing of floats in [0.5, 1)), ties to even,
// and its low bits are then that multiple.
v128_t narrow_f16(v128_t x) {
  const v128_t abs = wasm_v128_and(x, wasm_i32x4_splat(0x7fffffff));
  const v128_t rebiased = wasm_i32x4_sub(abs, wasm_i32x4_splat(112 << 23));
  const v128_t odd = wasm_v128_and(wasm_u32x4_shr(rebiased, 13), wasm_i32x4_splat(1));
  const v128_t normal = wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_add(rebiased, wasm_i32x4_splat(0xfff)), odd), 13);
  const v128_t subnormal = wasm_i32x4_sub(wasm_f32x4_add(abs, wasm_f32x4_splat(0.5f)), wasm_i32x4_splat(0x3f000000));
  const v128_t magnitude = wasm_v128_bitselect(normal, subnormal, wasm_i32x4_ge(abs, wasm_i32x4_splat(0x38800000)));
  return wasm_v128_or(magnitude, wasm_u32x4_shr(wasm_v128_and(x, wasm_i32x4_splat(0x80000000)), 16));
}

bool quantize_float16(const float* x, std::size_t dim, std::uint8_t* out) {
  // |x| from 65520 on rounds to infinity (the bits of infinities and NaNs are above it too).
  v128_t ok = wasm_i32x4_splat(-1);
  std::size_t j = 0;
  for (; j + 4 <= dim; j += 4)
    ok = wasm_v128_and(ok, wasm_u32x4_lt(wasm_v128_and(wasm_v128_load(x + j), wasm_i32x4_splat(0x7fffffff)),
                                         wasm_i32x4_splat(0x477ff000)));
  if (!wasm_i32x4_all_true(ok)) return false;
  for (; j < dim; ++j)
    if (!f16_is_finite(f16_from_f32(x[j]))) return false;
  for (j = 0; j + 8 <= dim; j += 8)
    wasm_v128_store(out + 2 * j, wasm_u16x8_narrow_i32x4(narrow_f16(wasm_v128_load(x + j)), narrow_f16(wasm_v128_load(x + j + 4))));
  for (; j < dim; ++j) store_u16(out + 2 * j, f16_from_f32(x[j]));
  return true;
}

bool quantize_row(Storage storage, const float* x, std::size_t dim, std::uint8_t* out) {
  if (storage == Storage::kFloat16) return quantize_float16(x, dim, out);
  float lo, hi;
  QuantParams p;
  if (!finite_min_max(x, dim, lo, hi)) return false;
  std::size_t j = 0;
  if (storage == Storage::kInt8) {
    if (!int8_params(lo, hi, out + dim, p)) return false;
    for (; j + 16 <= dim; j += 16) wasm_v128_store(out + j, codes16(x + j, p));
    for (; j < dim; ++j) out[j] = int8_code(x[j], p);
    return true;
  }
  const std::size_t bytes = (dim + 1) / 2;
  if (!int4_params(lo, hi, out + bytes, p)) return false;
  for (; j + 16 <= dim; j += 16) {  // element 2k in the low nibble of byte k, 2k+1 in the high one
    const v128_t q = wasm_u8x16_min(codes16(x + j, p), wasm_i8x16_splat(15));
    const v128_t even = wasm_i8x16_shuffle(q, q, 0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
    const v128_t odd = wasm_i8x16_shuffle(q, q, 1, 3, 5, 7, 9, 11, 13, 15, 0, 0, 0, 0, 0, 0, 0, 0);
    wasm_v128_store64_lane(out + j / 2, wasm_v128_or(even, wasm_i8x16_shl(odd, 4)), 0);
  }
  for (std::size_t k = j / 2; k < bytes; ++k) out[k] = 0;
  for (; j < dim; ++j) out[j / 2] |= static_cast<std::uint8_t>(int4_code(x[j], p) << (4 * (j % 2)));
  return true;
}
}  // namespace

std::size_t quantize_rows(Storage storage, const float* x, std::size_t rows, std::size_t dim, std::uint8_t* out) {
  return quantize_each_row(quantize_row, storage, x, rows, dim, out);
}
}  // namespace emb::simd128
