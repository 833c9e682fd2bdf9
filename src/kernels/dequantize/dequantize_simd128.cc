#include "kernels/dequantize/dequantize.h"
#include "kernels/gather/gather.h"  // first_out_of_range
#include "kernels/simd128.h"

// The scalar row readers of packed_rows.h, several elements at a time, each lane doing what the
// scalar reader does with the same float32 operations, so the results are the reference's bits.
// block(j, v) gives the codes of elements j .. j + kBlock - 1 as kBlock / 4 vectors of float32
// (j + kBlock <= dim), quad(j) those of j .. j + 3; dequantize(v) = v * scale + bias (two
// roundings). For float16 the codes are the values.
namespace emb::simd128 {
namespace {

// Codes (0..255, one in each 32-bit lane) as float32, exactly: 2^23 + code has the code in its
// low mantissa bits, so OR-ing the exponent of 2^23 in and subtracting 2^23 gives float(code).
// (LLVM turns the obvious convert-after-extend into one scalar conversion per lane.)
v128_t u32_to_f32(v128_t codes) {
  const v128_t two23 = wasm_f32x4_splat(8388608.0f);
  return wasm_f32x4_sub(wasm_v128_or(codes, two23), two23);
}

// Sixteen codes in u8 lanes as four vectors of float32.
void codes_to_f32(v128_t codes, v128_t v[4]) {
  const v128_t lo = wasm_u16x8_extend_low_u8x16(codes), hi = wasm_u16x8_extend_high_u8x16(codes);
  v[0] = u32_to_f32(wasm_u32x4_extend_low_u16x8(lo));
  v[1] = u32_to_f32(wasm_u32x4_extend_high_u16x8(lo));
  v[2] = u32_to_f32(wasm_u32x4_extend_low_u16x8(hi));
  v[3] = u32_to_f32(wasm_u32x4_extend_high_u16x8(hi));
}

// f32_from_f16 on four float16 sign-extended into 32-bit lanes: shifted left by 13, the sign
// lands in bit 31 and exponent and mantissa in bits 27..13; then the rescale by 2^112.
v128_t widen_f16(v128_t extended) {
  const v128_t bits = wasm_v128_and(wasm_i32x4_shl(extended, 13), wasm_i32x4_splat(static_cast<std::int32_t>(0x8fffe000u)));
  return wasm_f32x4_mul(bits, wasm_f32x4_splat(0x1p112f));
}

struct Int8Rows : Int8Row {
  static constexpr std::size_t kBlock = 16;
  v128_t vscale, vbias;
  Int8Rows(const std::uint8_t* row, std::size_t dim)
      : Int8Row(row, dim), vscale(wasm_f32x4_splat(scale)), vbias(wasm_f32x4_splat(bias)) {}
  void block(std::size_t j, v128_t v[4]) const { codes_to_f32(wasm_v128_load(q + j), v); }
  v128_t quad(std::size_t j) const {
    return u32_to_f32(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(q + j))));
  }
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
  v128_t quad(std::size_t j) const {
    const v128_t codes = unpack(wasm_v128_load16_splat(q + j / 2));
    return u32_to_f32(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(codes)));
  }
  v128_t dequantize(v128_t codes) const { return wasm_f32x4_add(wasm_f32x4_mul(codes, vscale), vbias); }
};

struct Float16Rows : Float16Row {
  static constexpr std::size_t kBlock = 4;
  Float16Rows(const std::uint8_t* row, std::size_t dim) : Float16Row(row, dim) {}
  void block(std::size_t j, v128_t v[1]) const { v[0] = quad(j); }
  v128_t quad(std::size_t j) const { return widen_f16(wasm_i32x4_load16x4(h + 2 * j)); }
  v128_t dequantize(v128_t values) const { return values; }
};

template <typename Rows>
void gather_rows(const std::uint8_t* table, std::size_t dim, const std::int32_t* idx, std::size_t n, float* out) {
  const std::size_t stride = row_bytes(Rows::kStorage, dim);
  for (std::size_t i = 0; i < n; ++i) {
    const Rows row(table + static_cast<std::size_t>(idx[i]) * stride, dim);
    float* o = out + i * dim;
    std::size_t j = 0;
    for (; j + Rows::kBlock <= dim; j += Rows::kBlock) {
      v128_t v[Rows::kBlock / 4];
      row.block(j, v);
      for (std::size_t k = 0; k < Rows::kBlock / 4; ++k) wasm_v128_store(o + j + 4 * k, row.dequantize(v[k]));
    }
    for (; j + 4 <= dim; j += 4) wasm_v128_store(o + j, row.dequantize(row.quad(j)));
    for (; j < dim; ++j) o[j] = row.at(j);
  }
}

// dot_block_f32's single-row loop on the row as gather_rows writes it, the values kept in
// registers: partial sums s[0..3] (lane k), then (s[0] + s[2]) + (s[1] + s[3]), then the tail.
template <typename Rows>
void dot_rows(const std::uint8_t* table, std::size_t n, std::size_t dim, const float* y, float* out) {
  const std::size_t stride = row_bytes(Rows::kStorage, dim);
  for (std::size_t i = 0; i < n; ++i) {
    const Rows row(table + i * stride, dim);
    v128_t s = wasm_f32x4_splat(0.0f);
    std::size_t j = 0;
    for (; j + Rows::kBlock <= dim; j += Rows::kBlock) {
      v128_t v[Rows::kBlock / 4];
      row.block(j, v);
      for (std::size_t k = 0; k < Rows::kBlock / 4; ++k)
        s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(y + j + 4 * k), row.dequantize(v[k])));
    }
    for (; j + 4 <= dim; j += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(y + j), row.dequantize(row.quad(j))));
    const v128_t half = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 2, 3, 0, 1));
    float d = wasm_f32x4_extract_lane(half, 0) + wasm_f32x4_extract_lane(half, 1);
    for (; j < dim; ++j) d += y[j] * row.at(j);
    out[i] = d;
  }
}
}  // namespace

std::size_t gather_packed(Storage storage, const std::uint8_t* table, std::size_t rows, std::size_t dim,
                          const std::int32_t* idx, std::size_t n, float* out) {
  const std::size_t bad = first_out_of_range(idx, n, rows);
  if (bad != n) return bad;
  switch (storage) {
    case Storage::kInt8: gather_rows<Int8Rows>(table, dim, idx, n, out); break;
    case Storage::kInt4: gather_rows<Int4Rows>(table, dim, idx, n, out); break;
    case Storage::kFloat16: gather_rows<Float16Rows>(table, dim, idx, n, out); break;
  }
  return n;
}

void dot_packed(Storage storage, const std::uint8_t* table, std::size_t n, std::size_t dim, const float* query,
                float* out) {
  switch (storage) {
    case Storage::kInt8: return dot_rows<Int8Rows>(table, n, dim, query, out);
    case Storage::kInt4: return dot_rows<Int4Rows>(table, n, dim, query, out);
    case Storage::kFloat16: return dot_rows<Float16Rows>(table, n, dim, query, out);
  }
}
}  // namespace emb::simd128
