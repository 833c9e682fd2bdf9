// Decimal text <-> float32 (src/io/decimal.h): parsing is strtof bit for bit (the fast path's
// boundaries included), formatting is the shortest decimal that reads back, in numpy's layout.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "io/decimal.h"

namespace {

// The sanitizer build checks memory safety, on a tenth of the random inputs (it runs ~10x slower).
#if defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 10;
#else
constexpr int kScale = 1;
#endif

using emb::io::format_float32;
using emb::io::parse_float32;
using emb::io::scan_float32;

std::uint32_t bits_of(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

float float_of(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// parse_float32 reads `text` exactly as strtof does, bit for bit, and so does the quick path
// of the row loop when it takes the text (followed by a space and more bytes, as in a row).
// Returns whether the quick path took it.
bool expect_as_strtof(const std::string& text) {
  char* end;
  const float want = std::strtof(text.c_str(), &end);
  EXPECT_EQ(end, text.c_str() + text.size()) << "strtof stopped early in " << text;
  float got;
  EXPECT_TRUE(parse_float32(text.data(), text.size(), &got)) << text;
  EXPECT_EQ(bits_of(got), bits_of(want)) << text << ": got " << got << ", strtof " << want;
  const std::string row = text + " 1.5 2.5 3.5";
  float quick;
  const char* stop = emb::io::scan_float32_quick(row.data(), row.data() + row.size(), &quick);
  if (stop == nullptr) return false;
  EXPECT_EQ(stop, row.data() + text.size()) << "quick path stopped elsewhere in " << text;
  EXPECT_EQ(bits_of(quick), bits_of(want)) << text << ": quick path " << quick << ", strtof " << want;
  return true;
}

std::string format(float f) {
  char buf[emb::io::kMaxFloat32Chars];
  return std::string(buf, format_float32(f, buf));
}

TEST(Decimal, ReadsWhatStrtofReads) {
  for (const char* text : {"0", "-0", "+0", "0.0", "-0.000", "1", "-1", "+1", "1.", ".5", "-.5", "0.1", "3.14159",
                           "1e10", "1E10", "1e+10", "1e-10", "-2.5e-3", "123456789", "0.000001", "1e-05",
                           "0.38024", "-0.123456", "16777217", "16777219", "3.4028235e38", "3.4028236e38",
                           "3.40282357e38", "1e39", "1e-38", "1.17549435e-38", "1e-45", "1.4e-45", "7e-46",
                           "7.1e-46", "7.006e-46", "1e-46", "1e-50", "1e400", "1e-400", "0e999999999",
                           "123456789012345678901234567890", "0.30000001192092896", "inf", "-inf", "INF",
                           "Infinity", "-INFINITY", "nan", "NaN", "-nan", "+nan", "+inf"}) {
    expect_as_strtof(text);
  }
}

TEST(Decimal, RejectsWhatIsNotOneNumber) {
  for (const char* text : {"", "-", "+", ".", "-.", "e5", "1e", "1e+", "1.5.2", " 1", "1 ", "\t1", "0x10", "1,5",
                           "nan(1)", "infx", "infinit", "+-1", "--1", "1-", "one", "1_000", "\xef\xbb\xbf" "1"}) {
    float out = 42.0f;
    EXPECT_FALSE(parse_float32(text, std::strlen(text), &out)) << '"' << text << '"';
    EXPECT_EQ(out, 42.0f) << "out changed for " << text;
  }
}

TEST(Decimal, ScanStopsWhereTheNumberEnds) {
  const auto stop = [](const std::string& text) {
    float out;
    const char* end = scan_float32(text.data(), text.data() + text.size(), &out);
    return end == nullptr ? -1 : static_cast<int>(end - text.data());
  };
  EXPECT_EQ(stop("1.5 2"), 3);
  EXPECT_EQ(stop("1.5e"), 3);   // strtof leaves an 'e' without digits unread too
  EXPECT_EQ(stop("1.5e+x"), 3);
  EXPECT_EQ(stop("-2e3,"), 4);
  EXPECT_EQ(stop("infinity!"), 8);
  EXPECT_EQ(stop("nano"), 3);
  EXPECT_EQ(stop("x1"), -1);
}

// Random decimals of every length, point position and exponent.
TEST(Decimal, RandomDecimalsAsStrtof) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000 / kScale; ++i) {
    std::string text = rng() % 2 ? "-" : "";
    const int digits = 1 + static_cast<int>(rng() % 30);
    const int point = static_cast<int>(rng() % (digits + 1));
    for (int d = 0; d < digits; ++d) {
      if (d == point) text += '.';
      text += static_cast<char>('0' + rng() % 10);
    }
    if (rng() % 2) text += "e" + std::to_string(static_cast<int>(rng() % 100) - 50);
    expect_as_strtof(text);
  }
}

// The short decimals word-vector files hold: "%.6f" (GloVe, word2vec), "%.5g" (fastText), and
// every 0.dddddd exhaustively.
TEST(Decimal, FileStyleDecimalsAsStrtof) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  char buf[64];
  for (int i = 0; i < 100000 / kScale; ++i) {
    const float v = normal(rng) * (i % 7 == 0 ? 1e-4f : 1.0f);
    std::snprintf(buf, sizeof buf, "%.6f", v);
    expect_as_strtof(buf);
    std::snprintf(buf, sizeof buf, "%.5g", v);
    expect_as_strtof(buf);
    std::snprintf(buf, sizeof buf, "%.9g", v);
    expect_as_strtof(buf);
  }
  for (int m = 0; m < 1000000; m += kScale) {
    std::snprintf(buf, sizeof buf, "%s%d.%06d", m % 2 ? "-" : "", m % 10, m);
    ASSERT_TRUE(expect_as_strtof(buf)) << "the quick path takes " << buf;
  }
  // 8 digits after the point: past 2^24, the quick path's double division and its midpoint
  // check (which hands the rare midpoint to the slow path).
  int taken = 0;
  const int n = 200000 / kScale;
  for (int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%d.%08u", i % 10, static_cast<unsigned>(rng()) % 100000000u);
    taken += expect_as_strtof(buf);
  }
  EXPECT_GT(taken, n * 99 / 100);
}

// Decimals at and around float32 rounding boundaries (midpoints between neighbours), where a
// double rounding would go wrong: the fast path must hand these to strtof.
TEST(Decimal, MidpointsAsStrtof) {
  std::mt19937 rng(3);
  char buf[160];
  for (int i = 0; i < 30000 / kScale; ++i) {
    std::uint32_t b = rng() & 0x7fffffff;
    if (i % 3 == 0) b = (b & 0x807fffff) | ((100 + rng() % 54) << 23);  // values near 1e-8 .. 1e8
    const float f = float_of(b);
    if (!std::isfinite(f) || !std::isfinite(std::nextafter(f, INFINITY))) continue;
    const double mid = (static_cast<double>(f) + static_cast<double>(std::nextafter(f, INFINITY))) / 2;
    std::snprintf(buf, sizeof buf, "%.120e", mid);  // the midpoint exactly (it has at most 113 digits)
    expect_as_strtof(buf);
    for (const int digits : {9, 12, 17, 25}) {  // rounded to fewer digits: just above or below it
      std::snprintf(buf, sizeof buf, "%.*e", digits - 1, mid);
      expect_as_strtof(buf);
    }
    std::snprintf(buf, sizeof buf, "%.120e", std::nextafter(mid, INFINITY));
    expect_as_strtof(buf);
    std::snprintf(buf, sizeof buf, "%.120e", std::nextafter(mid, -INFINITY));
    expect_as_strtof(buf);
  }
}

TEST(Decimal, LongDigitStringsAsStrtof) {
  // The exact midpoint between FLT_MAX and 2^128 (ties to even: infinity), with digits after it.
  expect_as_strtof("340282356779733661637539395458142568448");
  expect_as_strtof("340282356779733661637539395458142568447.99999999999999999999999999999999");
  expect_as_strtof("340282356779733661637539395458142568448.00000000000000000000000000000001");
  // The exact midpoint between 1 and its successor, then nonzero digits 200 places later.
  const std::string half_ulp = "1.000000059604644775390625";
  expect_as_strtof(half_ulp);
  expect_as_strtof(half_ulp + std::string(200, '0') + "1");
  expect_as_strtof(std::string(300, '0') + "1.5");
  expect_as_strtof("0." + std::string(300, '0') + "15e300");
  expect_as_strtof(std::string(250, '9') + "e-250");
}

// The shortest decimal that reads back as a, and the nearest of that length, found the slow
// way: printf's correctly rounded p-digit decimal for p = 1, 2, ..., or its other neighbour at a
// power of two (where the rounding interval is lopsided). As digits and exponent: d.ddd * 10^x.
std::pair<std::string, int> shortest_oracle(float a) {
  char buf[64];
  for (int p = 1; p <= 9; ++p) {
    std::snprintf(buf, sizeof buf, "%.*e", p - 1, static_cast<double>(a));
    if (std::strtof(buf, nullptr) == a) break;
    // The p-digit decimal on the other side of a.
    std::string digits(1, buf[0]);
    if (p > 1) digits += std::string(buf + 2, p - 1);
    int x = std::atoi(std::strchr(buf, 'e') + 1);
    std::uint64_t n = std::stoull(digits);
    n = std::strtod(buf, nullptr) > a ? n - 1 : n + 1;
    std::snprintf(buf, sizeof buf, "%llue%d", static_cast<unsigned long long>(n), x - p + 1);
    if (std::strtof(buf, nullptr) == a) {
      std::snprintf(buf, sizeof buf, "%.*e", p - 1, std::strtod(buf, nullptr));
      break;
    }
  }
  std::string digits(1, buf[0]);
  for (const char* p = buf + 2; *p != 'e' && buf[1] == '.'; ++p) digits += *p;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return {digits, std::atoi(std::strchr(buf, 'e') + 1)};
}

// Our text as digits and exponent: "0.00125" -> ("125", -3), "1.5e+16" -> ("15", 16).
std::pair<std::string, int> digits_of(const std::string& text) {
  std::string digits;
  int x = 0, point = -1;
  std::size_t i = text[0] == '-';
  for (; i < text.size() && text[i] != 'e'; ++i) {
    if (text[i] == '.') point = static_cast<int>(digits.size());
    else digits += text[i];
  }
  if (point < 0) point = static_cast<int>(digits.size());
  if (i < text.size()) x = std::atoi(text.c_str() + i + 1);
  const std::size_t first = digits.find_first_not_of('0');
  x += point - static_cast<int>(first) - 1;
  digits = digits.substr(first);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return {digits, x};
}

void expect_shortest(float f) {
  const std::string text = format(f);
  float back;
  ASSERT_TRUE(parse_float32(text.data(), text.size(), &back)) << text;
  ASSERT_EQ(bits_of(back), bits_of(f)) << text;
  const auto want = shortest_oracle(std::fabs(f));
  const auto got = digits_of(text);
  ASSERT_EQ(got.first, want.first) << "bits " << bits_of(f) << " written as " << text;
  ASSERT_EQ(got.second, want.second) << "bits " << bits_of(f) << " written as " << text;
}

TEST(Decimal, WritesTheShortestDecimalThatReadsBack) {
  std::mt19937 rng(5);
  for (int i = 0; i < 100000 / kScale; ++i) {
    const float f = float_of(rng());
    if (std::isfinite(f) && f != 0) expect_shortest(f);
  }
  // Powers of two (lopsided intervals), subnormals, the extremes, and around powers of ten.
  for (std::uint32_t e = 0; e < 255; ++e)
    for (const std::uint32_t m : {0u, 1u, 2u, 0x7fffffu, 0x400000u}) {
      const float f = float_of(e << 23 | m);
      if (f != 0) expect_shortest(f);
    }
  for (int x = -45; x <= 38; ++x) {
    for (int d = 1; d <= 99; d += kScale) {
      float f = std::strtof((std::to_string(d) + "e" + std::to_string(x)).c_str(), nullptr);
      for (int step = 0; step < 5 && std::isfinite(f) && f != 0; ++step, f = std::nextafter(f, INFINITY)) {
        expect_shortest(f);
        expect_shortest(-f);
      }
    }
  }
}

// The layout numpy 1.24 uses for repr(np.float32(x)) (checked with /usr/bin/python3), which
// gensim writes to its text files.
TEST(Decimal, WritesNumpysLayout) {
  EXPECT_EQ(format(1.0f), "1.0");
  EXPECT_EQ(format(0.1f), "0.1");
  EXPECT_EQ(format(-0.0f), "-0.0");
  EXPECT_EQ(format(0.0f), "0.0");
  EXPECT_EQ(format(1e16f), "1e+16");
  EXPECT_EQ(format(9.999e15f), "9999000000000000.0");
  EXPECT_EQ(format(1.5e-5f), "1.5e-05");
  EXPECT_EQ(format(1e-4f), "1e-04");  // the float just below 1e-4
  EXPECT_EQ(format(0.00012345678f), "0.00012345678");
  EXPECT_EQ(format(123456789.0f), "123456790.0");
  EXPECT_EQ(format(3.4028235e38f), "3.4028235e+38");
  EXPECT_EQ(format(1e-45f), "1e-45");
  EXPECT_EQ(format(16777216.0f), "16777216.0");
  EXPECT_EQ(format(1.2e-38f), "1.2e-38");
  EXPECT_EQ(format(2.5f), "2.5");
  EXPECT_EQ(format(-100.0f), "-100.0");
  EXPECT_EQ(format(1e10f), "10000000000.0");
  EXPECT_EQ(format(INFINITY), "inf");
  EXPECT_EQ(format(-INFINITY), "-inf");
  EXPECT_EQ(format(NAN), "nan");
  EXPECT_EQ(format(float_of(0xffc00001)), "nan");
}

}  // namespace
