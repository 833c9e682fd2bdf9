#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace emb {
namespace {

constexpr std::uint64_t kMaxHeader = 100'000'000;  // the reference's MAX_HEADER_SIZE
constexpr int kMaxDepth = 128;                     // serde_json's recursion limit

using E = SafetensorsError;

// The offset of the first byte of bytes[0 : n) that is not part of valid UTF-8 (no overlong
// forms, no surrogates, nothing past U+10FFFF), or n.
std::size_t first_bad_utf8(const std::uint8_t* s, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint8_t lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else return i;
    if (i + len > n || s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if ((s[i + k] & 0xc0) != 0x80) return i;
    i += len;
  }
  return n;
}

bool is_digit(std::uint8_t c) { return c >= '0' && c <= '9'; }

// A cursor over the JSON header h[0 : n) that records the first failure in `out`.
class Reader {
 public:
  Reader(const std::uint8_t* h, std::size_t n, SafetensorsHeader& out) : h_(h), n_(n), out_(out) {}

  bool header();
  bool validate(std::uint64_t data_size);

 private:
  bool fail(E error, std::size_t at) {
    out_.error = error;
    out_.error_at = 8 + at;
    return false;
  }
  bool fail_field(E error, std::size_t at, TensorField field) {
    out_.error_field = field;
    return fail(error, at);
  }
  void space() {
    while (i_ < n_ && (h_[i_] == ' ' || h_[i_] == '\t' || h_[i_] == '\n' || h_[i_] == '\r')) ++i_;
  }
  // After optional space: true if the next character is c (not consumed); fails at the end.
  bool next_is(char c, bool* is) {
    space();
    if (i_ >= n_) return fail(E::kUnexpectedEnd, n_);
    *is = h_[i_] == c;
    return true;
  }
  bool expect(char c) {
    bool is;
    if (!next_is(c, &is)) return false;
    if (!is) return fail(E::kUnexpectedChar, i_);
    ++i_;
    return true;
  }
  // After a member or element: true in *more after ',', false after `close`.
  bool separator(char close, bool* more) {
    bool is;
    if (!next_is(',', &is)) return false;
    if (is || h_[i_] == close) {
      ++i_;
      *more = is;
      return true;
    }
    return fail(E::kUnexpectedChar, i_);
  }
  bool hex4(std::uint32_t* v);
  bool string(std::uint32_t* at, std::uint32_t* size);
  bool key_is(std::uint32_t at, std::uint32_t size, const char* name) const {
    return std::strlen(name) == size && std::memcmp(out_.text.data() + at, name, size) == 0;
  }
  bool integer(std::uint64_t* v);
  bool number();
  bool literal(const char* word);
  bool skip(int depth);
  bool metadata();
  bool tensor(std::uint32_t name_at, std::uint32_t name_size);
  // The first pair of equal strings among spans (at, size) of text, in order of appearance:
  // true with *first, *second their indices.
  bool duplicate(const std::vector<std::uint32_t>& at, const std::vector<std::uint32_t>& size, std::size_t* first,
                 std::size_t* second) const;

  const std::uint8_t* h_;
  std::size_t n_, i_ = 0;
  SafetensorsHeader& out_;
  std::vector<std::size_t> name_pos_;            // where each tensor's name starts in the header
  std::vector<std::uint32_t> meta_pos_;          // where each metadata key starts
};

bool Reader::hex4(std::uint32_t* v) {
  if (i_ + 4 > n_) return fail(E::kUnexpectedEnd, n_);
  *v = 0;
  for (int k = 0; k < 4; ++k) {
    const std::uint8_t c = h_[i_ + k];
    const int d = is_digit(c) ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
    if (d < 0) return fail(E::kBadString, i_ + k);
    *v = *v * 16 + static_cast<std::uint32_t>(d);
  }
  i_ += 4;
  return true;
}

// A JSON string, its escapes decoded, appended to text at [*at, *at + *size).
bool Reader::string(std::uint32_t* at, std::uint32_t* size) {
  if (!expect('"')) return false;
  std::vector<char>& text = out_.text;
  *at = static_cast<std::uint32_t>(text.size());
  for (;;) {
    if (i_ >= n_) return fail(E::kUnexpectedEnd, n_);
    const std::uint8_t c = h_[i_];
    if (c == '"') break;
    if (c < 0x20) return fail(E::kBadString, i_);
    if (c != '\\') {  // bytes as they are: the whole header was checked to be UTF-8
      text.push_back(static_cast<char>(c));
      ++i_;
      continue;
    }
    if (i_ + 1 >= n_) return fail(E::kUnexpectedEnd, n_);
    const std::size_t escape = i_;
    const char e = static_cast<char>(h_[i_ + 1]);
    i_ += 2;
    if (e != 'u') {
      const char* const from = "\"\\/bfnrt";
      const char* const to = "\"\\/\b\f\n\r\t";
      const char* found = e != '\0' ? std::strchr(from, e) : nullptr;
      if (found == nullptr) return fail(E::kBadString, escape);
      text.push_back(to[found - from]);
      continue;
    }
    std::uint32_t cp;
    if (!hex4(&cp)) return false;
    if (cp >= 0xdc00 && cp <= 0xdfff) return fail(E::kBadString, escape);  // a lone low surrogate
    if (cp >= 0xd800 && cp <= 0xdbff) {                                   // needs its low half
      std::uint32_t low;
      if (i_ + 2 > n_ || h_[i_] != '\\' || h_[i_ + 1] != 'u') return fail(E::kBadString, escape);
      i_ += 2;
      if (!hex4(&low)) return false;
      if (low < 0xdc00 || low > 0xdfff) return fail(E::kBadString, escape);
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    // UTF-8
    if (cp < 0x80) {
      text.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      text.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      text.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      text.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      text.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      text.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      text.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      text.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      text.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      text.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  ++i_;
  *size = static_cast<std::uint32_t>(text.size() - *at);
  return true;
}

// An integer in [0, 2^64) (what the reference's usize fields take), no sign, fraction or exponent.
bool Reader::integer(std::uint64_t* v) {
  space();
  const std::size_t start = i_;
  if (i_ >= n_) return fail(E::kUnexpectedEnd, n_);
  if (h_[i_] == '-') return fail(E::kNotAnInteger, start);
  if (!is_digit(h_[i_])) return fail(E::kUnexpectedChar, i_);
  if (h_[i_] == '0' && i_ + 1 < n_ && is_digit(h_[i_ + 1])) return fail(E::kUnexpectedChar, i_ + 1);
  std::uint64_t x = 0;
  for (; i_ < n_ && is_digit(h_[i_]); ++i_) {
    const unsigned d = h_[i_] - '0';
    if (x > (UINT64_MAX - d) / 10) return fail(E::kNotAnInteger, start);
    x = x * 10 + d;
  }
  if (i_ < n_ && (h_[i_] == '.' || h_[i_] == 'e' || h_[i_] == 'E')) return fail(E::kNotAnInteger, start);
  *v = x;
  return true;
}

// Any JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool Reader::number() {
  const auto digits = [&] {
    if (i_ >= n_) return fail(E::kUnexpectedEnd, n_);
    if (!is_digit(h_[i_])) return fail(E::kUnexpectedChar, i_);
    while (i_ < n_ && is_digit(h_[i_])) ++i_;
    return true;
  };
  if (h_[i_] == '-') ++i_;
  if (i_ < n_ && h_[i_] == '0') {
    ++i_;
    if (i_ < n_ && is_digit(h_[i_])) return fail(E::kUnexpectedChar, i_);
  } else if (!digits()) {
    return false;
  }
  if (i_ < n_ && h_[i_] == '.') {
    ++i_;
    if (!digits()) return false;
  }
  if (i_ < n_ && (h_[i_] == 'e' || h_[i_] == 'E')) {
    ++i_;
    if (i_ < n_ && (h_[i_] == '+' || h_[i_] == '-')) ++i_;
    if (!digits()) return false;
  }
  return true;
}

bool Reader::literal(const char* word) {
  const std::size_t len = std::strlen(word);
  for (std::size_t k = 0; k < len; ++k) {
    if (i_ + k >= n_) return fail(E::kUnexpectedEnd, n_);
    if (h_[i_ + k] != word[k]) return fail(E::kUnexpectedChar, i_ + k);
  }
  i_ += len;
  return true;
}

// Skips any JSON value (a tensor entry's fields the reference ignores).
bool Reader::skip(int depth) {
  if (depth > kMaxDepth) return fail(E::kTooDeep, i_);
  space();
  if (i_ >= n_) return fail(E::kUnexpectedEnd, n_);
  const std::uint8_t c = h_[i_];
  if (c == '"') {
    std::uint32_t at, size;
    const bool ok = string(&at, &size);
    out_.text.resize(at);
    return ok;
  }
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';
    ++i_;
    bool empty;
    if (!next_is(close, &empty)) return false;
    if (empty) {
      ++i_;
      return true;
    }
    for (bool more = true; more;) {
      if (c == '{') {
        std::uint32_t at, size;
        if (!string(&at, &size)) return false;
        out_.text.resize(at);
        if (!expect(':')) return false;
      }
      if (!skip(depth + 1) || !separator(close, &more)) return false;
    }
    return true;
  }
  if (c == 't') return literal("true");
  if (c == 'f') return literal("false");
  if (c == 'n') return literal("null");
  if (c == '-' || is_digit(c)) return number();
  return fail(E::kUnexpectedChar, i_);
}

// __metadata__: null, or an object of strings.
bool Reader::metadata() {
  space();
  if (i_ < n_ && h_[i_] == 'n') return literal("null");
  bool is;
  if (!next_is('{', &is)) return false;
  if (!is) return fail(E::kBadMetadata, i_);
  ++i_;
  out_.has_metadata = true;
  bool empty;
  if (!next_is('}', &empty)) return false;
  if (empty) {
    ++i_;
    return true;
  }
  for (bool more = true; more;) {
    space();
    meta_pos_.push_back(static_cast<std::uint32_t>(i_));
    std::uint32_t key_at, key_size, value_at, value_size;
    if (!string(&key_at, &key_size) || !expect(':')) return false;
    bool quoted;
    if (!next_is('"', &quoted)) return false;
    if (!quoted) return fail(E::kBadMetadata, i_);
    if (!string(&value_at, &value_size)) return false;
    out_.metadata.insert(out_.metadata.end(), {key_at, key_size, value_at, value_size});
    if (!separator('}', &more)) return false;
  }
  return true;
}

// A tensor entry: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, other fields skipped.
bool Reader::tensor(std::uint32_t name_at, std::uint32_t name_size) {
  // Recorded first, so that any failure below can name it.
  out_.error_tensor = static_cast<std::int64_t>(out_.tensors.size());
  out_.tensors.push_back({name_at, name_size, Dtype::kCount, static_cast<std::uint32_t>(out_.dims.size()), 0, 0, 0});
  SafetensorsTensor& t = out_.tensors.back();
  bool is;
  if (!next_is('{', &is)) return false;
  if (!is) return fail_field(E::kNotATensor, i_, TensorField::kNone);
  ++i_;
  bool empty;
  if (!next_is('}', &empty)) return false;
  unsigned seen = 0;
  for (bool more = !empty; more;) {
    space();
    const std::size_t key_pos = i_;
    std::uint32_t at, size;
    if (!string(&at, &size) || !expect(':')) return false;
    const TensorField field = key_is(at, size, "dtype") ? TensorField::kDtype
                              : key_is(at, size, "shape") ? TensorField::kShape
                              : key_is(at, size, "data_offsets") ? TensorField::kDataOffsets
                                                                 : TensorField::kNone;
    out_.text.resize(at);
    if (field == TensorField::kNone) {
      if (!skip(1)) return false;
    } else {
      const unsigned bit = 1u << static_cast<int>(field);
      if (seen & bit) return fail_field(E::kDuplicateField, key_pos, field);
      seen |= bit;
      space();
      const std::size_t value_pos = i_;
      bool array;
      if (field == TensorField::kDtype) {
        bool quoted;
        if (!next_is('"', &quoted)) return false;
        if (!quoted) return fail_field(E::kBadField, value_pos, field);
        if (!string(&at, &size)) return false;
        t.dtype = dtype_named(out_.text.data() + at, size);
        out_.text.resize(at);
        if (t.dtype == Dtype::kCount) return fail_field(E::kUnknownDtype, value_pos, field);
      } else {
        if (!next_is('[', &array)) return false;
        if (!array) return fail_field(E::kBadField, value_pos, field);
        ++i_;
        std::vector<std::uint64_t> values;
        bool none;
        if (!next_is(']', &none)) return false;
        for (bool item = !none; item;) {
          space();
          if (i_ < n_ && !is_digit(h_[i_]) && h_[i_] != '-') return fail_field(E::kBadField, i_, field);
          std::uint64_t v;
          if (!integer(&v)) return false;
          values.push_back(v);
          if (!separator(']', &item)) return false;
        }
        if (none) ++i_;
        if (field == TensorField::kShape) {
          out_.dims.insert(out_.dims.end(), values.begin(), values.end());
          t.rank = static_cast<std::uint32_t>(values.size());
        } else if (values.size() != 2) {
          return fail_field(E::kBadField, value_pos, field);
        } else {
          t.begin = values[0];
          t.end = values[1];
        }
      }
    }
    if (!separator('}', &more)) return false;
  }
  if (empty) ++i_;
  for (int f = 0; f < 3; ++f)
    if (!(seen & (1u << f))) return fail_field(E::kMissingField, i_, static_cast<TensorField>(f));
  out_.error_tensor = -1;
  return true;
}

bool Reader::header() {
  if (n_ == 0 || h_[0] != '{') return fail(E::kNotAnObject, 0);
  i_ = 1;
  bool empty, seen_metadata = false;
  if (!next_is('}', &empty)) return false;
  for (bool more = !empty; more;) {
    space();
    const std::size_t key_pos = i_;
    std::uint32_t at, size;
    if (!string(&at, &size) || !expect(':')) return false;
    if (key_is(at, size, "__metadata__")) {
      out_.text.resize(at);
      if (seen_metadata) {
        out_.error_tensor = -1;
        return fail(E::kDuplicateName, key_pos);
      }
      seen_metadata = true;
      if (!metadata()) return false;
    } else {
      name_pos_.push_back(key_pos);
      if (!tensor(at, size)) return false;
    }
    if (!separator('}', &more)) return false;
  }
  if (empty) ++i_;
  space();
  if (i_ != n_) return fail(E::kTrailing, i_);
  return true;
}

bool Reader::duplicate(const std::vector<std::uint32_t>& at, const std::vector<std::uint32_t>& size,
                       std::size_t* first, std::size_t* second) const {
  std::vector<std::size_t> order(at.size());
  std::iota(order.begin(), order.end(), 0);
  const char* text = out_.text.data();
  const auto less = [&](std::size_t a, std::size_t b) {
    const int c = std::memcmp(text + at[a], text + at[b], std::min(size[a], size[b]));
    return c != 0 ? c < 0 : size[a] < size[b];
  };
  std::stable_sort(order.begin(), order.end(), less);
  bool found = false;
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (less(order[k - 1], order[k])) continue;
    // Equal: report the pair whose second appearance comes first in the header.
    if (!found || order[k] < *second) *first = order[k - 1], *second = order[k], found = true;
  }
  return found;
}

bool Reader::validate(std::uint64_t data_size) {
  std::vector<SafetensorsTensor>& tensors = out_.tensors;
  std::size_t first, second;
  {
    std::vector<std::uint32_t> at, size;
    for (const SafetensorsTensor& t : tensors) at.push_back(t.name_at), size.push_back(t.name_size);
    if (duplicate(at, size, &first, &second)) {
      out_.error_tensor = static_cast<std::int64_t>(first);
      return fail(E::kDuplicateName, name_pos_[second]);
    }
    at.clear();
    size.clear();
    for (std::size_t e = 0; e < out_.metadata.size(); e += 4) at.push_back(out_.metadata[e]), size.push_back(out_.metadata[e + 1]);
    if (duplicate(at, size, &first, &second)) {
      out_.error_tensor = -1;
      return fail(E::kDuplicateName, meta_pos_[second]);
    }
  }
  // As the reference: in order of data_offsets, each tensor starts where the previous ends,
  // and holds exactly its shape's bytes.
  std::vector<std::size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return tensors[a].begin != tensors[b].begin ? tensors[a].begin < tensors[b].begin : tensors[a].end < tensors[b].end;
  });
  std::uint64_t start = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const SafetensorsTensor& t = tensors[order[k]];
    out_.error_tensor = static_cast<std::int64_t>(order[k]);
    if (t.begin != start || t.end < t.begin) {
      out_.error_other = k > 0 ? static_cast<std::int64_t>(order[k - 1]) : -1;
      out_.error = E::kBadOffsets;
      return false;
    }
    start = t.end;
    std::uint64_t bits = dtype_bits(t.dtype);
    for (std::uint32_t d = 0; d < t.rank; ++d) {
      if (!multiply(bits, out_.dims[t.shape_at + d], &bits)) {
        out_.error = E::kSizeOverflow;
        return false;
      }
    }
    if (bits % 8 != 0) {
      out_.error = E::kMisaligned;
      return false;
    }
    if (t.end - t.begin != bits / 8) {
      out_.error = E::kSizeMismatch;
      return false;
    }
  }
  out_.error_tensor = -1;
  if (start != data_size) {
    out_.covered = start;
    out_.error = E::kIncomplete;
    return false;
  }
  return true;
}

}  // namespace

bool parse_safetensors(const std::uint8_t* bytes, std::size_t size, std::uint64_t file_size, SafetensorsHeader& out) {
  out = SafetensorsHeader{};
  if (file_size < 8 || size < 8) {
    out.error = E::kFileTooShort;
    return false;
  }
  std::uint64_t n = 0;
  for (int k = 7; k >= 0; --k) n = (n << 8) | bytes[k];
  out.header_size = n;
  if (n > kMaxHeader) {
    out.error = E::kHeaderTooLarge;
    return false;
  }
  if (8 + n > file_size || 8 + n > size) {
    out.error = E::kHeaderPastEnd;
    return false;
  }
  const std::uint8_t* h = bytes + 8;
  const std::size_t bad = first_bad_utf8(h, static_cast<std::size_t>(n));
  if (bad != n) {
    out.error = E::kBadUtf8;
    out.error_at = 8 + bad;
    return false;
  }
  Reader reader(h, static_cast<std::size_t>(n), out);
  return reader.header() && reader.validate(file_size - 8 - n);
}

}  // namespace emb
