// SIMD128 readers of packed rows: the scalar readers of packed_rows.h, several elements at a
// time, each lane doing what the scalar reader does with the same float32 operations, so the
// kernels built on them give the reference's bits. block(j, v) gives the codes of elements
// j .. j + kBlock - 1 as kBlock / 4 vectors of float32 (j + kBlock <= dim); dequantize(v) =
// v * scale + bias (two roundings). For float16 the codes are the values.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/packed_rows.h"
#include "kernels/simd128.h"

namespace emb::simd128 {

// Codes (0..255, one in each 32-bit lane) as float32, exactly: 2^23 + code has the code in its
// low mantissa bits, so OR-ing the exponent of 2^23 in and subtracting 2^23 gives float(code).
// (LLVM turns the obvious convert-after-extend into one scalar conversion per lane.)
inline v128_t u32_to_f32(v128_t codes) {
  const v128_t two23 = wasm_f32x4_splat(8388608.0f);
  return wasm_f32x4_sub(wasm_v128_or(codes, two23), two23);
}

// Sixteen codes in u8 lanes as four vectors of float32.
inline void codes_to_f32(v128_t codes, v128_t v[4]) {
  const v128_t lo = wasm_u16x8_extend_low_u8x16(codes), hi = wasm_u16x8_extend_high_u8x16(codes);
  v[0] = u32_to_f32(wasm_u32x4_extend_low_u16x8(lo));
  v[1] = u32_to_f32(wasm_u32x4_extend_high_u16x8(lo));
  v[2] = u32_to_f32(wasm_u32x4_extend_low_u16x8(hi));
  v[3] = u32_to_f32(wasm_u32x4_extend_high_u16x8(hi));
}

// f32_from_f16 on four float16 sign-extended into 32-bit lanes: shifted left by 13, the sign
// lands in bit 31 and exponent and mantissa in bits 27..13; then the rescale by 2^112.
inline v128_t widen_f16(v128_t extended) {
  const v128_t bits = wasm_v128_and(wasm_i32x4_shl(extended, 13), wasm_i32x4_splat(static_cast<std::int32_t>(0x8fffe000u)));
  return wasm_f32x4_mul(bits, wasm_f32x4_splat(0x1p112f));
}

struct Int8Rows : Int8Row {
  static constexpr std::size_t kBlock = 16;
  v128_t vscale, vbias;
  Int8Rows(const std::uint8_t* row, std::size_t dim)
      : Int8Row(row, dim), vscale(wasm_f32x4_splat(scale)), vbias(wasm_f32x4_splat(bias)) {}
  void block(std::size_t j, v128_t v[4]) const { codes_to_f32(wasm_v128_load(q + j), v); }
  v128_t dequantize(v128_t codes) const { return wasm_f32x4_add(wasm_f32x4_mul(codes, vscale), vbias); }
};

struct Int4Rows : Int4Row {
  static constexpr std::size_t kBlock = 16;
  v128_t vscale, vbias;
  Int4Rows(const std::uint8_t* row, std::size_t dim)
      : Int4Row(row, dim), vscale(wasm_f32x4_splat(scale)), vbias(wasm_f32x4_splat(bias)) {}
  // Bytes b0 b1 ... -> codes lo(b0) hi(b0) lo(b1) hi(b1) ... in u8 lanes.
  static v128_t unpack(v128_t bytes) {
    const v128_t lo = wasm_v128_and(bytes, wasm_i8x16_splat(0x0f)), hi = wasm_u8x16_shr(bytes, 4);
    return wasm_i8x16_shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  }
  void block(std::size_t j, v128_t v[4]) const { codes_to_f32(unpack(wasm_v128_load64_zero(q + j / 2)), v); }
  v128_t dequantize(v128_t codes) const { return wasm_f32x4_add(wasm_f32x4_mul(codes, vscale), vbias); }
};

struct Float16Rows : Float16Row {
  static constexpr std::size_t kBlock = 4;
  Float16Rows(const std::uint8_t* row, std::size_t dim) : Float16Row(row, dim) {}
  void block(std::size_t j, v128_t v[1]) const { v[0] = widen_f16(wasm_i32x4_load16x4(h + 2 * j)); }
  v128_t dequantize(v128_t values) const { return values; }
};

// Calls fn(Rows-typed null pointer) with the SIMD reader type of `storage` (only the type matters).
template <typename Fn>
void with_simd_rows(Storage storage, Fn&& fn) {
  switch (storage) {
    case Storage::kInt8: return fn(static_cast<const Int8Rows*>(nullptr));
    case Storage::kInt4: return fn(static_cast<const Int4Rows*>(nullptr));
    case Storage::kFloat16: return fn(static_cast<const Float16Rows*>(nullptr));
  }
}

// Walks a row's elements in increasing order: four(j, v) with v = the codes of elements
// j .. j+3 for whole blocks, then one(j, code) for the rest (fewer than kBlock).
template <typename Rows, typename Four, typename One>
inline void for_each_code(const Rows& row, std::size_t dim, Four four, One one) {
  std::size_t j = 0;
  for (; j + Rows::kBlock <= dim; j += Rows::kBlock) {
    v128_t v[Rows::kBlock / 4];
    row.block(j, v);
    for (std::size_t k = 0; k < Rows::kBlock / 4; ++k) four(j + 4 * k, v[k]);
  }
  for (; j < dim; ++j) one(j, static_cast<float>(row.code(j)));
}

}  // namespace emb::simd128
