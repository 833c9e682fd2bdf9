// SIMD128 reading of packed rows (kernels/packed_rows.h): the scalar row readers extended to 4
// and 16 elements at a time. Each lane does what at(j) does, the same float32 operations in the
// same order, so a kernel built on these gives the reference's bits.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/packed_rows.h"
#include "kernels/simd128.h"

namespace emb::simd128 {

// Four float16 values, one in the low half of each 32-bit lane, widened exactly (f32_from_f16):
// the float16 exponent and mantissa moved into place and rescaled by 2^112 (exact, subnormals
// included), infinities and NaNs given float32's all-ones exponent, then the sign.
inline v128_t widen_f16(v128_t h) {
  const v128_t magnitude = wasm_v128_and(h, wasm_i32x4_splat(0x7fff));
  const v128_t shifted = wasm_i32x4_shl(magnitude, 13);
  const v128_t finite = wasm_f32x4_mul(shifted, wasm_f32x4_splat(0x1p112f));
  const v128_t special = wasm_v128_or(shifted, wasm_i32x4_splat(0x7f800000));
  const v128_t value = wasm_v128_bitselect(special, finite, wasm_i32x4_ge(magnitude, wasm_i32x4_splat(0x7c00)));
  return wasm_v128_or(value, wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16));
}

// Integer codes (u8 lanes 0..15 of v) as four vectors of float32.
inline void codes_to_f32(v128_t v, v128_t out[4]) {
  const v128_t lo = wasm_u16x8_extend_low_u8x16(v), hi = wasm_u16x8_extend_high_u8x16(v);
  out[0] = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(lo));
  out[1] = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_high_u16x8(lo));
  out[2] = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(hi));
  out[3] = wasm_f32x4_convert_i32x4(wasm_u32x4_extend_high_u16x8(hi));
}

// Each reader gives, for j a multiple of 4: codes4(j) = float(code(j .. j+3)) and, with j + 16 <=
// dim, codes16(j, out) = the next 16; dequantize(v) = v * scale + bias (two roundings). For
// float16 the "codes" are the values themselves and dequantize is the identity.
struct Int8Rows : Int8Row {
  v128_t vscale, vbias;
  Int8Rows(const std::uint8_t* row, std::size_t dim)
      : Int8Row(row, dim), vscale(wasm_f32x4_splat(scale)), vbias(wasm_f32x4_splat(bias)) {}
  v128_t codes4(std::size_t j) const {
    const v128_t v = wasm_v128_load32_zero(q + j);
    return wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(v)));
  }
  void codes16(std::size_t j, v128_t out[4]) const { codes_to_f32(wasm_v128_load(q + j), out); }
  v128_t dequantize(v128_t codes) const { return wasm_f32x4_add(wasm_f32x4_mul(codes, vscale), vbias); }
};

struct Int4Rows : Int4Row {
  v128_t vscale, vbias;
  Int4Rows(const std::uint8_t* row, std::size_t dim)
      : Int4Row(row, dim), vscale(wasm_f32x4_splat(scale)), vbias(wasm_f32x4_splat(bias)) {}
  // Bytes b0 b1 ... -> codes lo(b0) hi(b0) lo(b1) hi(b1) ... in u8 lanes.
  static v128_t unpack(v128_t bytes) {
    const v128_t lo = wasm_v128_and(bytes, wasm_i8x16_splat(0x0f)), hi = wasm_u8x16_shr(bytes, 4);
    return wasm_i8x16_shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  }
  v128_t codes4(std::size_t j) const {
    const v128_t codes = unpack(wasm_v128_load16_splat(q + j / 2));
    return wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(codes)));
  }
  void codes16(std::size_t j, v128_t out[4]) const { codes_to_f32(unpack(wasm_v128_load64_zero(q + j / 2)), out); }
  v128_t dequantize(v128_t codes) const { return wasm_f32x4_add(wasm_f32x4_mul(codes, vscale), vbias); }
};

struct Float16Rows : Float16Row {
  Float16Rows(const std::uint8_t* row, std::size_t dim) : Float16Row(row, dim) {}
  v128_t codes4(std::size_t j) const { return widen_f16(wasm_u32x4_load16x4(h + 2 * j)); }
  void codes16(std::size_t j, v128_t out[4]) const {
    const v128_t a = wasm_v128_load(h + 2 * j), b = wasm_v128_load(h + 2 * j + 16);
    out[0] = widen_f16(wasm_u32x4_extend_low_u16x8(a));
    out[1] = widen_f16(wasm_u32x4_extend_high_u16x8(a));
    out[2] = widen_f16(wasm_u32x4_extend_low_u16x8(b));
    out[3] = widen_f16(wasm_u32x4_extend_high_u16x8(b));
  }
  v128_t dequantize(v128_t values) const { return values; }
};

// The SIMD reader of each scalar row type.
template <typename Row> struct Simd;
template <> struct Simd<Int8Row> { using Rows = Int8Rows; };
template <> struct Simd<Int4Row> { using Rows = Int4Rows; };
template <> struct Simd<Float16Row> { using Rows = Float16Rows; };

// Walks a row's elements in increasing order: block(j, v) with v = elements j .. j+3 for j up to
// dim & ~3 (dequantised, or the raw codes when kCodes), then one(j, value) for the rest.
template <bool kCodes = false, typename Rows, typename Block, typename One>
inline void for_each_element(const Rows& row, std::size_t dim, Block block, One one) {
  std::size_t j = 0;
  for (; j + 16 <= dim; j += 16) {
    v128_t v[4];
    row.codes16(j, v);
    for (int k = 0; k < 4; ++k) block(j + 4 * k, kCodes ? v[k] : row.dequantize(v[k]));
  }
  for (; j + 4 <= dim; j += 4) block(j, kCodes ? row.codes4(j) : row.dequantize(row.codes4(j)));
  for (; j < dim; ++j) one(j, kCodes ? static_cast<float>(row.code(j)) : row.at(j));
}

}  // namespace emb::simd128
