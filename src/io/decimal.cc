#include "io/decimal.h"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>

namespace emb::io {
namespace {

using decimal::fast_decimal;
using decimal::kMaxExactPow10;
using decimal::kPow10;

// Significant digits that decide the rounding of any decimal to float32: a float32 midpoint
// (2m + 1) * 2^(e - 1) has at most 113; what follows only matters as zero or not.
constexpr int kDecidingDigits = 120;

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

// An unsigned integer of up to 2560 bits: enough to compare exactly any decimal that decides a
// float32 (kDecidingDigits + 1 digits at most, times 10^-170 .. 10^40) with any float32
// rounding boundary. Little-endian 32-bit words.
class BigInt {
 public:
  explicit BigInt(std::uint32_t v) : words_{v}, size_(1) {}
  void multiply_add(std::uint32_t factor, std::uint32_t add) {
    std::uint64_t carry = add;
    for (int i = 0; i < size_; ++i) {
      carry += static_cast<std::uint64_t>(words_[i]) * factor;
      words_[i] = static_cast<std::uint32_t>(carry);
      carry >>= 32;
    }
    if (carry != 0 && size_ < kWords) words_[size_++] = static_cast<std::uint32_t>(carry);
  }
  void multiply_pow5(int n) {
    for (; n >= 13; n -= 13) multiply_add(1220703125, 0);  // 5^13
    std::uint32_t rest = 1;
    while (n-- > 0) rest *= 5;
    multiply_add(rest, 0);
  }
  void shift_left(int bits) {
    const int words = bits / 32, shift = bits % 32;
    if (size_ + words + 1 > kWords) return;  // never: no float32 comparison needs it
    for (int i = size_ - 1; i >= 0; --i) {
      words_[i + words + 1] = (i == size_ - 1 ? 0 : words_[i + words + 1]) | (shift != 0 ? words_[i] >> (32 - shift) : 0);
      words_[i + words] = words_[i] << shift;
    }
    for (int i = 0; i < words; ++i) words_[i] = 0;
    size_ += words + 1;
    while (size_ > 1 && words_[size_ - 1] == 0) --size_;
  }
  friend int compare(const BigInt& a, const BigInt& b) {
    if (a.size_ != b.size_) return a.size_ < b.size_ ? -1 : 1;
    for (int i = a.size_ - 1; i >= 0; --i)
      if (a.words_[i] != b.words_[i]) return a.words_[i] < b.words_[i] ? -1 : 1;
    return 0;
  }

 private:
  static constexpr int kWords = 80;
  std::uint32_t words_[kWords];
  int size_;
};

// x = digits * 10^e10 against the midpoint between the positive float32 of `bits` and the next
// one up, (2k + 1) * 2^(b - 1) for the float k * 2^b: -1, 0 or 1.
int compare_with_midpoint(const BigInt& digits, int e10, std::uint32_t bits) {
  const std::uint32_t biased = bits >> 23, fraction = bits & 0x7fffff;
  const std::uint32_t k = biased != 0 ? fraction | 0x800000 : fraction;
  const int b = biased != 0 ? static_cast<int>(biased) - 150 : -149;
  BigInt x = digits, midpoint(2 * k + 1);
  if (e10 >= 0) x.multiply_pow5(e10);
  else midpoint.multiply_pow5(-e10);
  const int twos = e10 - (b - 1);  // 10^e10 = 5^e10 * 2^e10
  if (twos >= 0) x.shift_left(twos);
  else midpoint.shift_left(-twos);
  return compare(x, midpoint);
}

// The float32 nearest the unsigned decimal [p, end) (digits, at most one point) times
// 10^exponent, ties to even, exactly: the digits that decide it go into a BigInt; from a
// double estimate, the result moves to the float whose rounding interval holds it.
float exact_float32(const char* p, const char* end, int exponent) {
  BigInt digits(0);
  std::uint64_t leading = 0;  // the first 19 digits, for the estimate
  int kept = 0, e10 = exponent;
  bool point = false, sticky = false;
  for (; p != end; ++p) {
    if (*p == '.') {
      point = true;
    } else if (kept < kDecidingDigits && (kept > 0 || *p != '0')) {
      digits.multiply_add(10, static_cast<std::uint32_t>(*p - '0'));
      if (kept++ < 19) leading = leading * 10 + static_cast<unsigned>(*p - '0');
      e10 -= point;
    } else if (kept == 0) {
      e10 -= point;  // a leading zero
    } else {
      sticky |= *p != '0';
      e10 += !point;
    }
  }
  if (sticky) {  // a 1 stands for the nonzero digits after the deciding ones
    digits.multiply_add(10, 1);
    ++kept;
    --e10;
  }
  // Outside [10^-47, 10^40) the answer is 0 or infinity: no float32 boundary lies there.
  if (kept == 0 || kept + e10 < -46) return 0.0f;
  if (kept + e10 > 40) return std::numeric_limits<float>::infinity();
  const double estimate = scale10(static_cast<double>(leading), e10 + (kept > 19 ? kept - 19 : 0));
  float f = estimate > FLT_MAX ? FLT_MAX : static_cast<float>(estimate);
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  // Up while x is past the midpoint above (at a tie, to the even float), then down likewise.
  for (int c; bits < 0x7f800000; ++bits)
    if ((c = compare_with_midpoint(digits, e10, bits)) < 0 || (c == 0 && (bits & 1) == 0)) break;
  for (int c; bits > 0; --bits)
    if ((c = compare_with_midpoint(digits, e10, bits - 1)) > 0 || (c == 0 && (bits & 1) == 0)) break;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// The float32 nearest m * 10^e10 (m > 0).
float decimal_to_float32(std::uint64_t m, int e10) {
  float f;
  if (fast_decimal(m, e10, &f)) return f;
  char digits[20];
  return exact_float32(digits, write_uint(m, digits), e10);
}

// 2^e as a double, for e in [-1022, 1023].
double pow2(int e) {
  const std::uint64_t bits = static_cast<std::uint64_t>(e + 1023) << 52;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// 10^e10 <= a < 10^(e10 + 1), for the float a = m * 2^e2 > 0 (m < 2^24).
int decimal_exponent(float a, std::uint32_t m, int e2) {
  const int top = e2 + 31 - __builtin_clz(m);  // a in [2^top, 2^(top + 1))
  int e10 = (top * 78913) >> 18;                // floor(top * log10(2)): the answer or one less
  if (scale10(a, -(e10 + 1)) >= 1.0) ++e10;
  return e10;
}

// The decimal n * 10^-k with the fewest digits that reads back as the float a (finite, > 0),
// the nearest to a among those (of two as near, the even one); n has no trailing zeros. The
// candidates come from double arithmetic, far more precise than float32's rounding interval;
// each is confirmed by reading it back exactly.
void shortest_decimal(float a, std::uint64_t* n, int* k) {
  std::uint32_t bits;
  std::memcpy(&bits, &a, sizeof bits);
  const std::uint32_t biased = bits >> 23, fraction = bits & 0x7fffff;
  const std::uint32_t m = biased != 0 ? fraction | 0x800000 : fraction;
  const int e2 = biased != 0 ? static_cast<int>(biased) - 150 : -149;  // a = m * 2^e2
  // a's rounding interval: half an ulp either side, a quarter below at a power of two.
  const double hi = (2.0 * m + 1) * pow2(e2 - 1);
  const double lo = fraction == 0 && biased > 1 ? (4.0 * m - 1) * pow2(e2 - 2) : (2.0 * m - 1) * pow2(e2 - 1);
  const int e10 = decimal_exponent(a, m, e2);
  for (int digits = 1; digits <= 9; ++digits) {
    *k = digits - 1 - e10;
    const double s = scale10(a, *k);
    const double slo = scale10(lo, *k) * (1 - 1e-12), shi = scale10(hi, *k) * (1 + 1e-12);
    const double below = std::floor(s), above = below + 1;
    const double gap = (s - below) - (above - s);  // ties go to the even candidate, as numpy's repr
    const double nearer = gap < 0 || (gap == 0 && static_cast<std::uint64_t>(below) % 2 == 0) ? below : above;
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

char* write_uint(std::uint64_t v, char* p) {
  char tmp[20];
  int n = 0;
  do tmp[n++] = static_cast<char>('0' + v % 10);
  while ((v /= 10) != 0);
  while (n > 0) *p++ = tmp[--n];
  return p;
}

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
  const char* const mantissa_end = p;
  int exponent = 0;
  if (p != end && (*p | 0x20) == 'e') {  // an exponent, if digits follow (else the number ends here)
    const char* q = p + 1;
    const bool negative_exponent = q != end && *q == '-';
    q += q != end && (*q == '-' || *q == '+');
    if (q != end && is_digit(*q)) {
      for (; q != end && is_digit(*q); ++q) exponent = exponent < 100000 ? exponent * 10 + (*q - '0') : exponent;
      if (negative_exponent) exponent = -exponent;
      e10 += exponent;
      p = q;
    }
  }
  float value;
  if (m == 0) {
    value = 0.0f;
  } else if (inexact || !fast_decimal(m, e10, &value)) {
    value = exact_float32(unsigned_start, mantissa_end, exponent);
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
