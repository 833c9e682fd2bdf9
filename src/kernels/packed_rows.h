// Compressed table rows (shared/reference/semantics.md §8), and how one element is read back
// as float32. Rows are contiguous, row r at r * row_bytes(storage, dim):
//   kFloat16  dim x IEEE binary16 (little-endian)                              2*dim bytes
//   kInt8     dim x uint8 q | scale fp32 | bias fp32      (FBGEMM 8-bit SBFloat)  dim + 8
//   kInt4     ceil(dim/2) bytes of 4-bit q, element 2k in the low nibble of byte k,
//             an odd dim's last high nibble 0 | scale fp16 | bias fp16 (FBGEMM SBHalf)  ceil(dim/2) + 4
// int8/int4 elements read back as float(q) * scale + bias in float32, rounded after the multiply
// and after the add: PyTorch's embedding_bag_byte_unpack / embedding_bag_4bit_unpack exactly.
// (PyTorch's quantized Embedding fuses the two for int8, one rounding; int4's product is exact,
// so both agree there.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/float16.h"

namespace emb {

enum class Storage : int { kFloat16 = 1, kInt8 = 2, kInt4 = 3 };

inline std::size_t row_bytes(Storage storage, std::size_t dim) {
  switch (storage) {
    case Storage::kFloat16: return 2 * dim;
    case Storage::kInt8: return dim + 8;
    case Storage::kInt4: return (dim + 1) / 2 + 4;
  }
  return 0;
}

inline float load_f32(const std::uint8_t* p) {
  float f;
  std::memcpy(&f, p, sizeof f);
  return f;
}

inline std::uint16_t load_u16(const std::uint8_t* p) {
  std::uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return h;
}

// One row of each storage, read element by element: at(j) is element j as float32.
struct Int8Row {
  static constexpr Storage kStorage = Storage::kInt8;
  const std::uint8_t* q;
  float scale, bias;
  Int8Row(const std::uint8_t* row, std::size_t dim)
      : q(row), scale(load_f32(row + dim)), bias(load_f32(row + dim + 4)) {}
  std::uint8_t code(std::size_t j) const { return q[j]; }
  float at(std::size_t j) const { return static_cast<float>(code(j)) * scale + bias; }
};

struct Int4Row {
  static constexpr Storage kStorage = Storage::kInt4;
  const std::uint8_t* q;
  float scale, bias;
  Int4Row(const std::uint8_t* row, std::size_t dim)
      : q(row),
        scale(f32_from_f16(load_u16(row + (dim + 1) / 2))),
        bias(f32_from_f16(load_u16(row + (dim + 1) / 2 + 2))) {}
  std::uint8_t code(std::size_t j) const { return (q[j / 2] >> (4 * (j % 2))) & 0xf; }
  float at(std::size_t j) const { return static_cast<float>(code(j)) * scale + bias; }
};

struct Float16Row {
  static constexpr Storage kStorage = Storage::kFloat16;
  const std::uint8_t* h;
  Float16Row(const std::uint8_t* row, std::size_t) : h(row) {}
  float at(std::size_t j) const { return f32_from_f16(load_u16(h + 2 * j)); }
};

template <typename R>
struct RowTag {
  using Row = R;
};

// Calls fn(RowTag<Reader>{}) with the row reader of `storage` (only the tag's type matters), so
// one template serves the three storages.
template <typename Fn>
decltype(auto) with_row_type(Storage storage, Fn&& fn) {
  switch (storage) {
    case Storage::kInt8: return fn(RowTag<Int8Row>{});
    case Storage::kInt4: return fn(RowTag<Int4Row>{});
    default: return fn(RowTag<Float16Row>{});
  }
}

}  // namespace emb
