// IEEE binary16 <-> binary32, one value at a time (semantics.md §8.5): what PyTorch's .half()
// and .float() compute. The SIMD kernels vectorise the same rules.
#pragma once
#include <cstdint>
#include <cstring>

namespace emb {

inline std::uint32_t f32_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float f32_from_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Rounds to the nearest float16, ties to even. Overflow (|f| >= 65520) gives ±inf, values under
// half the smallest subnormal give ±0, and every NaN gives 0x7e00 with f's sign (as torch).
// Out of line: it runs once a row (int4's scale and bias) or in tails, and each inlined copy
// cost the module 200 bytes.
__attribute__((noinline)) inline std::uint16_t f16_from_f32(float f) {
  const std::uint32_t bits = f32_bits(f);
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  const std::uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u);  // NaN
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // inf, or rounds past 65504
  if (abs >= 0x38800000u) {  // normal in float16 (>= 2^-14): rebias the exponent, round off 13 bits
    const std::uint32_t rebiased = abs - (112u << 23);
    return static_cast<std::uint16_t>(sign | ((rebiased + 0xfffu + ((rebiased >> 13) & 1u)) >> 13));
  }
  // Subnormal in float16: the value in units of 2^-24 is mantissa * 2^(exponent - 126).
  const std::uint32_t exponent = abs >> 23;
  const std::uint32_t shift = 126u - exponent;  // >= 14
  if (exponent == 0 || shift > 24) return static_cast<std::uint16_t>(sign);  // below 2^-25: rounds to 0
  const std::uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
  std::uint32_t units = mantissa >> shift;
  const std::uint32_t rest = mantissa & ((1u << shift) - 1u), half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (units & 1u))) ++units;  // may carry into the smallest normal: right
  return static_cast<std::uint16_t>(sign | units);
}

// Exact widening of a finite float16: sign, exponent and mantissa moved into float32's places,
// then rescaled by 2^112 (exact, subnormals included). An infinity or a NaN would read as a
// finite number: tables never hold one (quantizing refuses them, loading bytes checks).
inline float f32_from_f16(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  return f32_from_bits(sign | static_cast<std::uint32_t>(h & 0x7fffu) << 13) * 0x1p112f;
}

inline bool f16_is_finite(std::uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }

}  // namespace emb
