// UTF-8 validation, for words read from files.
#pragma once
#include <cstddef>

namespace emb::io {

// The offset of the first byte of [p, p + n) where it stops being well-formed UTF-8 (Unicode
// Table 3-7: no overlong forms, surrogates or code points past U+10FFFF), or n when it all is.
std::size_t utf8_error_at(const char* p, std::size_t n);

}  // namespace emb::io
