// Decimal text <-> float32, for the word-vector text formats (semantics.md §7.2-7.4).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "io/text.h"

namespace emb::io {

// Parses the number at [p, end) and rounds it to the nearest float32, ties to even, exactly as
// strtof does. A number is [+-] digits [. digits] [(e|E) [+-] digits] with digits on at least
// one side of the point, or [+-] inf, infinity or nan in any case. Stops at the first byte
// that cannot continue the number and returns where it stopped; returns nullptr (out
// untouched) when [p, end) does not start with a number.
const char* scan_float32(const char* p, const char* end, float* out);

// scan_float32 over the whole of [p, p + n): false (out untouched) unless all of it is one number.
bool parse_float32(const char* p, std::size_t n, float* out);

// Writes the shortest decimal that parse_float32 reads back as `value` (of equally short ones,
// the nearest, then the even), as numpy's repr of a float32 does (and so gensim's text files):
// positional for 1e-4 <= |value| < 1e16 ("0.25", "3.0", "-0.0"), else scientific ("1e-05",
// "1.5e+16"); "inf", "-inf", and "nan" for every NaN. Returns its length (no NUL written).
inline constexpr std::size_t kMaxFloat32Chars = 24;
std::size_t format_float32(float value, char* out);

// Writes the decimal digits of v at p; returns the end.
char* write_uint(std::uint64_t v, char* p);

namespace decimal {

inline constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
inline constexpr int kMaxExactPow10 = 22;  // 10^22 is the largest power of ten a double holds exactly
inline constexpr float kPow10f[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f};  // exact floats
inline constexpr std::uint32_t kPow10u[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// m * 10^e10 rounded to float32, when one double operation decides it. m and 10^|e10| are then
// exact doubles, so the double result q is the correctly rounded x = m * 10^e10 (Clinger's fast
// path). Rounding q to float gives the float nearest x unless a float32 rounding boundary (a
// midpoint, itself a double) lies between x and q, which cannot be since q is the double
// nearest x, or q is such a boundary: then (and outside the normal range) return false.
__attribute__((always_inline)) inline bool fast_decimal(std::uint64_t m, int e10, float* out) {
  if (m >= (std::uint64_t{1} << 53) || e10 < -kMaxExactPow10 || e10 > kMaxExactPow10) return false;
  const double q = e10 < 0 ? static_cast<double>(m) / kPow10[-e10] : static_cast<double>(m) * kPow10[e10];
  if (!(q >= 1.17549435e-38 && q <= 3.40282347e38)) return false;  // float32's normal range
  std::uint64_t bits;
  std::memcpy(&bits, &q, sizeof bits);
  if ((bits & 0x1fffffff) == 0x10000000) return false;  // the 29 bits a float drops are exactly one half
  *out = static_cast<float>(q);
  return true;
}

// Eight bytes, the first in the lowest byte (wasm and x86 are little-endian).
__attribute__((always_inline)) inline std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// How many of the eight bytes v, from the first, are ASCII digits (0 to 8). A byte is not a
// digit when its high nibble is not 3, or is not 3 after adding 6 (':' .. '?').
__attribute__((always_inline)) inline int leading_digits(std::uint64_t v) {
  constexpr std::uint64_t kHigh = 0xf0f0f0f0f0f0f0f0, kThrees = 0x3030303030303030;
  const std::uint64_t other = ((v & kHigh) ^ kThrees) | (((v + 0x0606060606060606) & kHigh) ^ kThrees);
  return other == 0 ? 8 : __builtin_ctzll(other) / 8;
}

// The value of the first n (1 to 8) digits of v: moved to the top bytes (the zeros before
// them are leading zeros), then combined in pairs, fours and eights by three multiplications.
__attribute__((always_inline)) inline std::uint32_t digits_value(std::uint64_t v, int n) {
  v = (v - 0x3030303030303030) << (8 * (8 - n));
  v = v * 10 + (v >> 8);
  v = (((v & 0x000000ff000000ff) * (100 + (1000000ull << 32))) +
       (((v >> 16) & 0x000000ff000000ff) * (1 + (10000ull << 32)))) >> 32;
  return static_cast<std::uint32_t>(v);
}

}  // namespace decimal

// scan_float32 for the shape word-vector files hold, inline for the row loop: [-]d.ddd (one
// digit before the point, up to 8 after it, no exponent), the fraction's digits read eight
// bytes at a time, when 11 bytes are there to read. Up to 2^24 the digits m and 10^fraction are
// exact floats, and one float division rounds m / 10^fraction correctly; past it, fast_decimal.
// Returns nullptr (out untouched) for anything else and any doubt: then call scan_float32,
// which reads every number (the quick shape too, only slower).
__attribute__((always_inline)) inline const char* scan_float32_quick(const char* p, const char* end, float* out) {
  using namespace decimal;
  const bool negative = p != end && *p == '-';
  const char* q = p + negative;
  if (end - q < 11 || !is_digit(q[0]) || q[1] != '.') return nullptr;
  const std::uint64_t tail = load8(q + 2);
  const int fraction = leading_digits(tail);
  const char* stop = q + 2 + fraction;
  if ((*stop | 0x20) == 'e' || (fraction == 8 && is_digit(*stop))) return nullptr;
  const std::uint32_t m = static_cast<std::uint32_t>(q[0] - '0') * kPow10u[fraction] + (fraction > 0 ? digits_value(tail, fraction) : 0);
  float value;
  if (m < (1u << 24)) {
    value = static_cast<float>(m) / kPow10f[fraction];
  } else if (!fast_decimal(m, -fraction, &value)) {
    return nullptr;
  }
  *out = negative ? -value : value;
  return stop;
}

}  // namespace emb::io
