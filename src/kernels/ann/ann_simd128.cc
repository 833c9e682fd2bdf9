#include "kernels/ann/ann.h"
#include "kernels/simd128.h"

namespace emb::simd128 {
// Per subspace: the 16 table entries in one register, looked up for 16 rows at once by
// swizzle; two subspaces' values (each <= 127) added in 8 bits, then widened into four
// uint16 accumulators (rows 0-7, 8-15, 16-23, 24-31).
void pq4_scan(const std::uint8_t* blocks, std::size_t num_blocks, std::size_t subspaces, const std::uint8_t* lut,
              std::uint16_t* out) {
  const v128_t low = wasm_i8x16_splat(0x0f);
  for (std::size_t b = 0; b < num_blocks; ++b) {
    const std::uint8_t* block = blocks + b * subspaces * 16;
    v128_t a0 = wasm_i16x8_splat(0), a1 = a0, a2 = a0, a3 = a0;
    std::size_t s = 0;
    for (; s + 2 <= subspaces; s += 2) {
      const v128_t c0 = wasm_v128_load(block + s * 16), c1 = wasm_v128_load(block + s * 16 + 16);
      const v128_t t0 = wasm_v128_load(lut + s * 16), t1 = wasm_v128_load(lut + s * 16 + 16);
      const v128_t lo = wasm_i8x16_add(wasm_i8x16_swizzle(t0, wasm_v128_and(c0, low)),
                                       wasm_i8x16_swizzle(t1, wasm_v128_and(c1, low)));
      const v128_t hi = wasm_i8x16_add(wasm_i8x16_swizzle(t0, wasm_u8x16_shr(c0, 4)),
                                       wasm_i8x16_swizzle(t1, wasm_u8x16_shr(c1, 4)));
      a0 = wasm_i16x8_add(a0, wasm_u16x8_extend_low_u8x16(lo));
      a1 = wasm_i16x8_add(a1, wasm_u16x8_extend_high_u8x16(lo));
      a2 = wasm_i16x8_add(a2, wasm_u16x8_extend_low_u8x16(hi));
      a3 = wasm_i16x8_add(a3, wasm_u16x8_extend_high_u8x16(hi));
    }
    if (s < subspaces) {
      const v128_t c0 = wasm_v128_load(block + s * 16);
      const v128_t t0 = wasm_v128_load(lut + s * 16);
      const v128_t lo = wasm_i8x16_swizzle(t0, wasm_v128_and(c0, low));
      const v128_t hi = wasm_i8x16_swizzle(t0, wasm_u8x16_shr(c0, 4));
      a0 = wasm_i16x8_add(a0, wasm_u16x8_extend_low_u8x16(lo));
      a1 = wasm_i16x8_add(a1, wasm_u16x8_extend_high_u8x16(lo));
      a2 = wasm_i16x8_add(a2, wasm_u16x8_extend_low_u8x16(hi));
      a3 = wasm_i16x8_add(a3, wasm_u16x8_extend_high_u8x16(hi));
    }
    std::uint16_t* o = out + b * 32;
    wasm_v128_store(o, a0);
    wasm_v128_store(o + 8, a1);
    wasm_v128_store(o + 16, a2);
    wasm_v128_store(o + 24, a3);
  }
}
}  // namespace emb::simd128
