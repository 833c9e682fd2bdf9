// Decimal text <-> float32, for the word-vector text formats (semantics.md §7.2-7.4).
#pragma once
#include <cstddef>

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

}  // namespace emb::io
