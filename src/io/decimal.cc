#include "io/decimal.h"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <limits>

namespace emb::io {
namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr int kMaxExactPow10 = 22;           // 10^22 is the largest power of ten a double holds exactly
constexpr std::uint64_t kMaxExactInt = 1ull << 53;
// Significant digits that decide the rounding of any decimal to float32: a float32 midpoint
// (2m + 1) * 2^(e - 1) has at most 113; what follows only matters as "zero or not".
constexpr int kDecidingDigits = 120;

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Length of `word` (lower case) if [p, end) starts with it in any case, else 0.
std::size_t starts_with(const char* p, const char* end, const char* word) {
  std::size_t i = 0;
  for (; word[i] != 0; ++i)
    if (p + i == end || (p[i] | 0x20) != word[i]) return 0;
  return i;
}

// x * 10^k in double (exact for |k| <= 22 when x * 10^k is; otherwise within a few ulps).
double scale10(double x, int k) {
  for (; k > kMaxExactPow10; k -= kMaxExactPow10) x *= kPow10[kMaxExactPow10];
  for (; k < -kMaxExactPow10; k += kMaxExactPow10) x /= kPow10[kMaxExactPow10];
  return k >= 0 ? x * kPow10[k] : x / kPow10[-k];
}

// m * 10^e10 rounded to float32, when one double operation decides it. m and 10^|e10| are then
// exact doubles, so the double result q is the correctly rounded x = m * 10^e10 (Clinger's fast
// path). Rounding q to float gives the float nearest x unless a float32 rounding boundary (a
// midpoint, itself a double) lies between x and q, which cannot be since q is the double
// nearest x, or q is such a boundary: then (and outside the normal range) return false.
bool fast_decimal(std::uint64_t m, int e10, float* out) {
  if (m >= kMaxExactInt || e10 < -kMaxExactPow10 || e10 > kMaxExactPow10) return false;
  const double q = e10 < 0 ? static_cast<double>(m) / kPow10[-e10] : static_cast<double>(m) * kPow10[e10];
  if (!(q >= FLT_MIN && q <= FLT_MAX)) return false;
  std::uint64_t bits;
  std::memcpy(&bits, &q, sizeof bits);
  if ((bits & 0x1fffffff) == 0x10000000) return false;  // the 29 bits a float drops are exactly one half
  *out = static_cast<float>(q);
  return true;
}

// Writes the decimal digits of v at p, returns the end.
char* write_uint(std::uint64_t v, char* p) {
  char tmp[20];
  int n = 0;
  do tmp[n++] = static_cast<char>('0' + v % 10);
  while ((v /= 10) != 0);
  while (n > 0) *p++ = tmp[--n];
  return p;
}

char* write_exponent(int e, char* p) {
  *p++ = 'e';
  if (e < 0) {
    *p++ = '-';
    e = -e;
  }
  return write_uint(static_cast<std::uint64_t>(e), p);
}

// The float32 nearest m * 10^e10 (m > 0).
float decimal_to_float32(std::uint64_t m, int e10) {
  float f;
  if (fast_decimal(m, e10, &f)) return f;
  char buf[48];
  *write_exponent(e10, write_uint(m, buf)) = 0;
  return std::strtof(buf, nullptr);
}

// strtof of the unsigned decimal number [p, end) (as scan_float32 accepted it), through a
// bounded buffer: the deciding digits, then a 1 standing for any nonzero digits after them.
float slow_float32(const char* p, const char* end) {
  char buf[kDecidingDigits + 1 + 16];
  char* out = buf;
  long e10 = 0;
  int kept = 0;
  bool point = false, sticky = false;
  for (; p != end && (is_digit(*p) || *p == '.'); ++p) {
    if (*p == '.') {
      point = true;
    } else if (kept < kDecidingDigits && (kept > 0 || *p != '0')) {
      *out++ = *p;
      ++kept;
      e10 -= point;
    } else if (kept == 0) {
      e10 -= point;  // a leading zero
    } else {
      sticky |= *p != '0';
      e10 += !point;
    }
  }
  if (kept == 0) *out++ = '0';
  if (sticky) {
    *out++ = '1';
    --e10;
  }
  if (p != end) {  // the exponent, as scan_float32 read it
    const bool negative = *++p == '-';
    p += *p == '-' || *p == '+';
    long e = 0;
    for (; p != end; ++p) e = e < 100000 ? e * 10 + (*p - '0') : e;
    e10 += negative ? -e : e;
  }
  if (e10 > 100000) e10 = 100000;  // far beyond float32's range either way
  if (e10 < -100000) e10 = -100000;
  *write_exponent(static_cast<int>(e10), out) = 0;
  return std::strtof(buf, nullptr);
}

// 10^e10 <= a < 10^(e10 + 1), for a finite float a > 0.
int decimal_exponent(double a) {
  int e2;
  std::frexp(a, &e2);                   // a in [2^(e2 - 1), 2^e2)
  int e10 = ((e2 - 1) * 78913) >> 18;  // floor((e2 - 1) * log10(2)): the answer or one less
  if (scale10(a, -(e10 + 1)) >= 1.0) ++e10;
  return e10;
}

// The decimal n * 10^-k with the fewest digits that reads back as the float a (finite, > 0),
// the nearest to a among those (of two as near, the even one); n has no trailing zeros. The candidates come from double
// arithmetic, which is far more precise than float32's rounding interval; each is confirmed
// by reading it back exactly.
void shortest_decimal(float a, std::uint64_t* n, int* k) {
  std::uint32_t bits;
  std::memcpy(&bits, &a, sizeof bits);
  const std::uint32_t biased = bits >> 23, fraction = bits & 0x7fffff;
  const double m = biased != 0 ? fraction | 0x800000 : fraction;
  const int e2 = biased != 0 ? static_cast<int>(biased) - 150 : -149;  // a = m * 2^e2
  // a's rounding interval: half an ulp either side, a quarter below at a power of two.
  const double hi = std::ldexp(2 * m + 1, e2 - 1);
  const double lo = fraction == 0 && biased > 1 ? std::ldexp(4 * m - 1, e2 - 2) : std::ldexp(2 * m - 1, e2 - 1);
  const int e10 = decimal_exponent(a);
  for (int digits = 1; digits <= 9; ++digits) {
    *k = digits - 1 - e10;
    const double s = scale10(a, *k);
    const double slo = scale10(lo, *k) * (1 - 1e-12), shi = scale10(hi, *k) * (1 + 1e-12);
    const double below = std::floor(s), above = below + 1;
    const double gap = (s - below) - (above - s);  // ties go to the even candidate, as numpy's repr
    const double nearer = gap < 0 || (gap == 0 && std::fmod(below, 2) == 0) ? below : above;
    for (const double c : {nearer, nearer == below ? above : below}) {
      if (c > 0 && c >= slo && c <= shi && decimal_to_float32(static_cast<std::uint64_t>(c), -*k) == a) {
        for (*n = static_cast<std::uint64_t>(c); *n % 10 == 0; *n /= 10) --*k;
        return;
      }
    }
  }
  // Unreachable: the nearest 9-digit decimal always reads back. Keep it correct regardless.
  *k = 8 - e10;
  *n = static_cast<std::uint64_t>(std::nearbyint(scale10(a, *k)));
}

char* copy(const char* text, char* out) {
  while (*text != 0) *out++ = *text++;
  return out;
}

}  // namespace

const char* scan_float32(const char* p, const char* end, float* out) {
  bool negative = false;
  if (p != end && (*p == '-' || *p == '+')) negative = *p++ == '-';
  const char* const unsigned_start = p;
  // The first 19 significant digits in m (an exact uint64), the value being m * 10^e10 when
  // `inexact` is false.
  std::uint64_t m = 0;
  int e10 = 0, significant = 0;
  bool digits = false, inexact = false;
  for (; p != end && is_digit(*p); ++p) {
    digits = true;
    if (significant < 19) {
      m = m * 10 + static_cast<unsigned>(*p - '0');
      significant += m != 0;
    } else {
      inexact |= *p != '0';
      ++e10;
    }
  }
  if (p != end && *p == '.') {
    ++p;
    for (; p != end && is_digit(*p); ++p) {
      digits = true;
      if (significant < 19) {
        m = m * 10 + static_cast<unsigned>(*p - '0');
        significant += m != 0;
        --e10;
      } else {
        inexact |= *p != '0';
      }
    }
  }
  if (!digits) {
    if (p != unsigned_start) return nullptr;  // a lone point
    float special;
    std::size_t length = starts_with(p, end, "infinity");
    if (length != 0 || (length = starts_with(p, end, "inf")) != 0) {
      special = std::numeric_limits<float>::infinity();
    } else if ((length = starts_with(p, end, "nan")) != 0) {
      special = std::numeric_limits<float>::quiet_NaN();
    } else {
      return nullptr;
    }
    *out = std::copysign(special, negative ? -1.0f : 1.0f);
    return p + length;
  }
  if (p != end && (*p | 0x20) == 'e') {  // an exponent, if digits follow (else the number ends here)
    const char* q = p + 1;
    const bool negative_exponent = q != end && *q == '-';
    q += q != end && (*q == '-' || *q == '+');
    if (q != end && is_digit(*q)) {
      int e = 0;
      for (; q != end && is_digit(*q); ++q) e = e < 100000 ? e * 10 + (*q - '0') : e;
      e10 += negative_exponent ? -e : e;
      p = q;
    }
  }
  float value;
  if (m == 0) {
    value = 0.0f;
  } else if (inexact || !fast_decimal(m, e10, &value)) {
    value = slow_float32(unsigned_start, p);
  }
  *out = negative ? -value : value;
  return p;
}

bool parse_float32(const char* p, std::size_t n, float* out) {
  float value;
  if (scan_float32(p, p + n, &value) != p + n) return false;
  *out = value;
  return true;
}

std::size_t format_float32(float value, char* out) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  char* p = out;
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<std::size_t>(copy("nan", p) - out);
  if (bits >> 31) *p++ = '-';
  const float a = std::fabs(value);
  if (a == std::numeric_limits<float>::infinity()) return static_cast<std::size_t>(copy("inf", p) - out);
  if (a == 0.0f) return static_cast<std::size_t>(copy("0.0", p) - out);

  std::uint64_t n;
  int k;
  shortest_decimal(a, &n, &k);
  char digits[20];
  const int count = static_cast<int>(write_uint(n, digits) - digits);
  const int x = count - 1 - k;  // a = d.ddd * 10^x
  if (a >= 1e-4 && a < 1e16) {
    if (x < 0) {  // 0.000ddd
      p = copy("0.", p);
      for (int i = -1; i > x; --i) *p++ = '0';
      for (int i = 0; i < count; ++i) *p++ = digits[i];
    } else {  // ddd[000].0 or dd.ddd
      for (int i = 0; i <= x || i < count; ++i) {
        if (i == x + 1) *p++ = '.';
        *p++ = i < count ? digits[i] : '0';
      }
      if (x >= count - 1) p = copy(".0", p);
    }
  } else {  // d[.ddd]e+XX, two exponent digits at least
    *p++ = digits[0];
    if (count > 1) *p++ = '.';
    for (int i = 1; i < count; ++i) *p++ = digits[i];
    *p++ = 'e';
    *p++ = x < 0 ? '-' : '+';
    const int e = x < 0 ? -x : x;
    if (e < 10) *p++ = '0';
    p = write_uint(static_cast<std::uint64_t>(e), p);
  }
  return static_cast<std::size_t>(p - out);
}

}  // namespace emb::io
