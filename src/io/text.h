// Byte helpers the text parsers share.
#pragma once
#include <cstddef>
#include <cstring>

namespace emb::io {

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }
inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

// The first c in [p, end), or nullptr.
inline const char* find(const char* p, const char* end, char c) {
  return p == end ? nullptr : static_cast<const char*>(std::memchr(p, c, static_cast<std::size_t>(end - p)));
}

}  // namespace emb::io
