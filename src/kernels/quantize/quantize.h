// Quantize float32 rows into a compressed storage (kernels/packed_rows.h), byte for byte what
// PyTorch 1.13 writes: .half() for kFloat16, torch.ops.quantized.embedding_bag_byte_prepack for
// kInt8 and embedding_bag_4bit_prepack for kInt4 (any dim; PyTorch's 4-bit one takes even dims).
// The exact steps (semantics.md §8.1, §8.2), with min/max the first smallest/largest element:
//   kInt8  range = max - min; scale = range / 255; inv = 255 / (range + 1e-8f);
//          q = rint((x - min) * inv); stored: q..., scale, bias = min (fp32)
//   kInt4  min16 = f16(min); range = max - float(min16); scale16 = f16(range == 0 ? 1 : range / 15);
//          scale = float(scale16), inv = 1 / scale, both 1 (and scale16 = f16(1)) if scale is 0
//          or inv infinite; q = clamp(rint((x - float(min16)) * inv), 0, 15); stored: nibbles,
//          scale16, bias = min16 (fp16)
// rint rounds half to even; every operation rounds to float32.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels/packed_rows.h"

namespace emb {
namespace ref {
// Writes row r of x (x[r*dim : (r+1)*dim)) to out[r*B : (r+1)*B), B = row_bytes(storage, dim),
// for r in [0, rows), in order. Returns rows, or the first row that cannot be represented (the
// rows before it are written, it and the rest are not): one holding a NaN or an infinity, or
//   kFloat16  a value that rounds past ±65504 (to an infinity);
//   kInt8     whose max - min overflows float32;
//   kInt4     whose min or scale rounds past float16's range (±65504).
std::size_t quantize_rows(Storage storage, const float* x, std::size_t rows, std::size_t dim, std::uint8_t* out);
}  // namespace ref
namespace simd128 {
// Same contract as ref::quantize_rows, byte for byte.
std::size_t quantize_rows(Storage storage, const float* x, std::size_t rows, std::size_t dim, std::uint8_t* out);
}  // namespace simd128

// What a row's codes are computed from: q = rint((x - min) * inv) (clamped to 0..15 for int4).
struct QuantParams {
  float min, inv;
};

inline void store_f32(std::uint8_t* p, float f) { std::memcpy(p, &f, sizeof f); }
inline void store_u16(std::uint8_t* p, std::uint16_t h) { std::memcpy(p, &h, sizeof h); }

// The steps above from the row's min (lo) and max (hi), once a row, shared by both
// implementations: false when the row cannot be represented, else the scale and bias are
// written at `params` (the row's trailing bytes) and p is set.
inline bool int8_params(float lo, float hi, std::uint8_t* params, QuantParams& p) {
  const float range = hi - lo;
  if (std::isinf(range)) return false;
  store_f32(params, range / 255.0f);
  store_f32(params + 4, lo);
  p = {lo, 255.0f / (range + 1e-8f)};
  return true;
}

inline bool int4_params(float lo, float hi, std::uint8_t* params, QuantParams& p) {
  const std::uint16_t min16 = f16_from_f32(lo);
  if (!f16_is_finite(min16)) return false;
  const float min = f32_from_f16(min16), range = hi - min;
  std::uint16_t scale16 = f16_from_f32(range == 0.0f ? 1.0f : range / 15.0f);
  if (!f16_is_finite(scale16)) return false;
  const float scale = f32_from_f16(scale16);
  float inv = scale == 0.0f ? 0.0f : 1.0f / scale;
  if (scale == 0.0f || std::isinf(inv)) {
    scale16 = f16_from_f32(1.0f);
    inv = 1.0f;
  }
  store_u16(params, scale16);
  store_u16(params + 2, min16);
  p = {min, inv};
  return true;
}

// quantize_rows on top of a one-row quantizer, row_fn(storage, x, dim, out) -> false when the
// row cannot be represented (having written nothing).
template <typename RowFn>
std::size_t quantize_each_row(RowFn row_fn, Storage storage, const float* x, std::size_t rows, std::size_t dim,
                              std::uint8_t* out) {
  const std::size_t stride = row_bytes(storage, dim);
  for (std::size_t r = 0; r < rows; ++r) {
    if (dim == 0) {  // empty rows: zero scale and bias, read by nothing
      for (std::size_t i = 0; i < stride; ++i) out[r * stride + i] = 0;
    } else if (!row_fn(storage, x + r * dim, dim, out + r * stride)) {
      return r;
    }
  }
  return rows;
}

// One element's code.
inline std::uint8_t int8_code(float x, const QuantParams& p) {
  return static_cast<std::uint8_t>(std::nearbyint((x - p.min) * p.inv));
}
inline std::uint8_t int4_code(float x, const QuantParams& p) {
  return static_cast<std::uint8_t>(std::fmin(std::fmax(std::nearbyint((x - p.min) * p.inv), 0.0f), 15.0f));
}
}  // namespace emb
