// Element types of tensor files, named as safetensors names them (semantics.md §7.6), in the
// reference implementation's order (increasing alignment): .npy files map onto the same list.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace emb {

enum class Dtype : std::uint8_t {
  kBool, kF4, kF6E2M3, kF6E3M2, kU8, kI8, kF8E5M2, kF8E4M3, kF8E8M0, kF8E4M3Fnuz, kF8E5M2Fnuz,
  kI16, kU16, kF16, kBF16, kI32, kU32, kF32, kC64, kF64, kI64, kU64,
  kCount
};

struct DtypeInfo {
  const char* name;
  unsigned bits;
};

inline constexpr DtypeInfo kDtypes[] = {
    {"BOOL", 8},   {"F4", 4},           {"F6_E2M3", 6},      {"F6_E3M2", 6}, {"U8", 8},   {"I8", 8},
    {"F8_E5M2", 8}, {"F8_E4M3", 8},     {"F8_E8M0", 8},      {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8},
    {"I16", 16},   {"U16", 16},         {"F16", 16},         {"BF16", 16},   {"I32", 32}, {"U32", 32},
    {"F32", 32},   {"C64", 64},         {"F64", 64},         {"I64", 64},    {"U64", 64},
};
static_assert(sizeof(kDtypes) / sizeof(kDtypes[0]) == static_cast<std::size_t>(Dtype::kCount));

// The dtype named by name[0 : size), or Dtype::kCount for none.
inline Dtype dtype_named(const char* name, std::size_t size) {
  for (std::size_t d = 0; d < static_cast<std::size_t>(Dtype::kCount); ++d)
    if (std::strlen(kDtypes[d].name) == size && std::memcmp(kDtypes[d].name, name, size) == 0) return static_cast<Dtype>(d);
  return Dtype::kCount;
}

inline unsigned dtype_bits(Dtype d) { return kDtypes[static_cast<std::size_t>(d)].bits; }

// a * b, or false when it overflows 64 bits.
inline bool multiply(std::uint64_t a, std::uint64_t b, std::uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

}  // namespace emb
