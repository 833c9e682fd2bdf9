#include "kernels/dequantize/dequantize.h"
#include "kernels/simd128.h"

// The row readers of packed_rows.h, 16 (float16: 4) elements at a time, and each lane doing what
// the scalar reader does with the same float32 operations, so the results are its bits.
namespace emb::simd128 {
namespace {
// Sixteen codes in u8 lanes -> four vectors of float32, stored at out[0 .. 16).
void store_codes(v128_t codes, float* out) {
  const v128_t lo = wasm_u16x8_extend_low_u8x16(codes), hi = wasm_u16x8_extend_high_u8x16(codes);
  wasm_v128_store(out, wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(lo)));
  wasm_v128_store(out + 4, wasm_f32x4_convert_i32x4(wasm_u32x4_extend_high_u16x8(lo)));
  wasm_v128_store(out + 8, wasm_f32x4_convert_i32x4(wasm_u32x4_extend_low_u16x8(hi)));
  wasm_v128_store(out + 12, wasm_f32x4_convert_i32x4(wasm_u32x4_extend_high_u16x8(hi)));
}

// Four float16 values, one in the low half of each 32-bit lane, widened exactly (f32_from_f16):
// the float16 exponent and mantissa moved into place and rescaled by 2^112 (exact, subnormals
// included), infinities and NaNs given float32's all-ones exponent, then the sign.
v128_t widen_f16(v128_t h) {
  const v128_t magnitude = wasm_v128_and(h, wasm_i32x4_splat(0x7fff));
  const v128_t shifted = wasm_i32x4_shl(magnitude, 13);
  const v128_t finite = wasm_f32x4_mul(shifted, wasm_f32x4_splat(0x1p112f));
  const v128_t special = wasm_v128_or(shifted, wasm_i32x4_splat(0x7f800000));
  const v128_t value = wasm_v128_bitselect(special, finite, wasm_i32x4_ge(magnitude, wasm_i32x4_splat(0x7c00)));
  return wasm_v128_or(value, wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16));
}
}  // namespace

void row_codes(Storage storage, const std::uint8_t* row, std::size_t dim, float* out) {
  std::size_t j = 0;
  if (storage == Storage::kInt8) {
    for (; j + 16 <= dim; j += 16) store_codes(wasm_v128_load(row + j), out + j);
    for (; j < dim; ++j) out[j] = row[j];
  } else if (storage == Storage::kInt4) {
    // Bytes b0 b1 ... -> codes lo(b0) hi(b0) lo(b1) hi(b1) ...
    for (; j + 16 <= dim; j += 16) {
      const v128_t bytes = wasm_v128_load64_zero(row + j / 2);
      const v128_t lo = wasm_v128_and(bytes, wasm_i8x16_splat(0x0f)), hi = wasm_u8x16_shr(bytes, 4);
      store_codes(wasm_i8x16_shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), out + j);
    }
    const Int4Row reader(row, dim);
    for (; j < dim; ++j) out[j] = reader.code(j);
  } else {
    for (; j + 4 <= dim; j += 4) wasm_v128_store(out + j, widen_f16(wasm_u32x4_load16x4(row + 2 * j)));
    for (; j < dim; ++j) out[j] = f32_from_f16(load_u16(row + 2 * j));
  }
}

void dequantize_row(Storage storage, const std::uint8_t* row, std::size_t dim, float* out) {
  row_codes(storage, row, dim, out);
  if (storage == Storage::kFloat16) return;
  float scale, bias;
  if (storage == Storage::kInt8) {
    const Int8Row reader(row, dim);
    scale = reader.scale, bias = reader.bias;
  } else {
    const Int4Row reader(row, dim);
    scale = reader.scale, bias = reader.bias;
  }
  // code * scale + bias, rounded after each, as the reader's at(j).
  const v128_t s = wasm_f32x4_splat(scale), b = wasm_f32x4_splat(bias);
  std::size_t j = 0;
  for (; j + 4 <= dim; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(out + j), s), b));
  for (; j < dim; ++j) out[j] = out[j] * scale + bias;
}
}  // namespace emb::simd128
