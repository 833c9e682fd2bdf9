#include "kernels/ann/ann.h"
#include "kernels/simd128.h"

namespace emb::simd128 {
namespace {
// 16 codes of one row against the query's 16 values (lo, hi): two i32x4 dot products.
inline v128_t dot16(v128_t acc, v128_t codes, v128_t lo, v128_t hi) {
  acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(codes), lo));
  return wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(codes), hi));
}

inline std::int32_t lanes_sum(v128_t v) {
  const v128_t half = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  return wasm_i32x4_extract_lane(half, 0) + wasm_i32x4_extract_lane(half, 1);
}
}  // namespace

// Four rows at a time: each query load serves four rows, four independent accumulators.
void code_dot_u8(const std::uint8_t* codes, std::size_t n, std::size_t stride, const std::int16_t* query,
                 std::int32_t* out) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const std::uint8_t* r = codes + i * stride;
    v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (std::size_t j = 0; j < stride; j += 16) {
      const v128_t lo = wasm_v128_load(query + j), hi = wasm_v128_load(query + j + 8);
      a0 = dot16(a0, wasm_v128_load(r + j), lo, hi);
      a1 = dot16(a1, wasm_v128_load(r + stride + j), lo, hi);
      a2 = dot16(a2, wasm_v128_load(r + 2 * stride + j), lo, hi);
      a3 = dot16(a3, wasm_v128_load(r + 3 * stride + j), lo, hi);
    }
    out[i] = lanes_sum(a0);
    out[i + 1] = lanes_sum(a1);
    out[i + 2] = lanes_sum(a2);
    out[i + 3] = lanes_sum(a3);
  }
  for (; i < n; ++i) {
    const std::uint8_t* r = codes + i * stride;
    v128_t a = wasm_i32x4_splat(0);
    for (std::size_t j = 0; j < stride; j += 16)
      a = dot16(a, wasm_v128_load(r + j), wasm_v128_load(query + j), wasm_v128_load(query + j + 8));
    out[i] = lanes_sum(a);
  }
}
}  // namespace emb::simd128
