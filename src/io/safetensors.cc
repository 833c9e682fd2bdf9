#include "io/safetensors.h"

#include <cstring>
#include <initializer_list>

namespace emb {
namespace {

constexpr std::uint64_t kMaxHeader = 100'000'000;  // the reference's MAX_HEADER_SIZE
constexpr int kMaxDepth = 128;                     // serde_json's recursion limit

using E = SafetensorsError;

// The offset of the first byte of s[0 : n) that is not part of valid UTF-8 (no overlong
// forms, no surrogates, nothing past U+10FFFF), or n.
std::size_t first_bad_utf8(const std::uint8_t* s, std::size_t n) {
  for (std::size_t i = 0; i < n;) {
    const std::uint8_t c = s[i];
    std::size_t len = 1;
    std::uint8_t lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else if (c >= 0x80) return i;
    if (len > 1 && (i + len > n || s[i + 1] < lo || s[i + 1] > hi)) return i;
    for (std::size_t k = 2; k < len; ++k)
      if ((s[i + k] & 0xc0) != 0x80) return i;
    i += len;
  }
  return n;
}

bool is_digit(int c) { return c >= '0' && c <= '9'; }

// Sorts order[0 : n) by `before` (a heap sort: small code, O(n log n) on any input).
template <typename Before>
void sort(std::uint32_t* order, std::size_t n, Before before) {
  const auto sift = [&](std::size_t i, std::size_t end) {
    for (std::size_t child; (child = 2 * i + 1) < end; i = child) {
      if (child + 1 < end && before(order[child], order[child + 1])) ++child;
      if (!before(order[i], order[child])) return;
      const std::uint32_t t = order[i];
      order[i] = order[child];
      order[child] = t;
    }
  };
  for (std::size_t i = n / 2; i-- > 0;) sift(i, n);
  for (std::size_t end = n; end-- > 1;) {
    const std::uint32_t t = order[0];
    order[0] = order[end];
    order[end] = t;
    sift(0, end);
  }
}

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
  void space() {
    while (i_ < n_ && (h_[i_] == ' ' || h_[i_] == '\t' || h_[i_] == '\n' || h_[i_] == '\r')) ++i_;
  }
  // The next character after white space (not consumed), or -1 at the end (a failure).
  int peek() {
    space();
    if (i_ < n_) return h_[i_];
    fail(E::kUnexpectedEnd, n_);
    return -1;
  }
  bool expect(char c) {
    const int p = peek();
    if (p != c) return p >= 0 && fail(E::kUnexpectedChar, i_);
    ++i_;
    return true;
  }
  // After `open` (consumed): *more unless the container is empty (its `close` then consumed).
  bool first(char close, bool* more) {
    const int p = peek();
    *more = p != close;
    if (p == close) ++i_;
    return p >= 0;
  }
  // After a member or element: *more after ',', not after `close`.
  bool next(char close, bool* more) {
    const int p = peek();
    if (p != ',' && p != close) return p >= 0 && fail(E::kUnexpectedChar, i_);
    ++i_;
    *more = p == ',';
    return true;
  }
  bool string(std::uint32_t* at, std::uint32_t* size);
  bool is(std::uint32_t at, std::uint32_t size, const char* word) const {
    return std::strlen(word) == size && std::memcmp(out_.text.data() + at, word, size) == 0;
  }
  bool integer(std::uint64_t* v);
  bool skip(int depth);
  bool metadata();
  bool tensor(std::uint32_t key_at, std::uint32_t name_at, std::uint32_t name_size);
  bool out_of_memory() {
    const SafetensorsHeader& h = out_;
    return (h.tensors.failed() || h.dims.failed() || h.text.failed() || h.metadata.failed()) &&
           fail(E::kOutOfMemory, i_);
  }
  // The first pair of equal strings among the spans (at, size) of text in `spans`, span k at
  // spans[k * stride + offset], in order of appearance: true with *first, *second their indices.
  bool duplicate(const Growable<std::uint32_t>& spans, std::size_t offset, std::size_t stride, std::size_t* first,
                 std::size_t* second);

  const std::uint8_t* h_;
  std::size_t n_, i_ = 0;
  SafetensorsHeader& out_;
  Growable<std::uint32_t> order_;  // scratch for sorting
};

// A JSON string, its escapes decoded, appended to text at [*at, *at + *size).
bool Reader::string(std::uint32_t* at, std::uint32_t* size) {
  if (!expect('"')) return false;
  Growable<char>& text = out_.text;
  *at = static_cast<std::uint32_t>(text.size());
  for (;;) {
    if (i_ >= n_) return fail(E::kUnexpectedEnd, n_);
    const std::size_t start = i_;
    const std::uint8_t c = h_[i_++];
    if (c == '"') break;
    if (c < 0x20) return fail(E::kBadString, start);
    if (c != '\\') {  // as it is: the whole header was checked to be UTF-8
      text.push(static_cast<char>(c));
      continue;
    }
    if (i_ >= n_) return fail(E::kUnexpectedEnd, n_);
    const int e = h_[i_++];
    const char* const simple = "\"\"\\\\//b\bf\fn\nr\rt\t";  // escape, then what it stands for
    int k = 0;
    while (k < 16 && simple[k] != e) k += 2;
    if (k < 16) {
      text.push(simple[k + 1]);
      continue;
    }
    std::uint32_t cp = 0;
    for (int half = 0; e == 'u' && half < 2; ++half) {  // \uXXXX, and the low half of a pair
      std::uint32_t unit = 0;
      for (int k = 0; k < 4; ++k, ++i_) {
        const int h = i_ < n_ ? h_[i_] | 0x20 : -1;
        const int d = is_digit(h) ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
        if (d < 0) return fail(i_ < n_ ? E::kBadString : E::kUnexpectedEnd, i_);
        unit = unit * 16 + static_cast<std::uint32_t>(d);
      }
      if (half == 1) {
        if (unit < 0xdc00 || unit > 0xdfff) return fail(E::kBadString, start);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (unit - 0xdc00);
        break;
      }
      cp = unit;
      if (cp >= 0xdc00 && cp <= 0xdfff) return fail(E::kBadString, start);  // a lone low surrogate
      if (cp < 0xd800 || cp > 0xdbff) break;
      if (i_ + 2 > n_ || h_[i_] != '\\' || h_[i_ + 1] != 'u') return fail(E::kBadString, start);
      i_ += 2;
    }
    if (e != 'u') return fail(E::kBadString, start);
    // UTF-8: 1 to 4 bytes; the lead byte of a len-byte sequence is 0xc0, 0xe0 or 0xf0 (the
    // low 8 bits of 0xf00 >> len) with the code point's top bits.
    const int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    text.push(static_cast<char>(len == 1 ? cp : (0xf00 >> len) | (cp >> (6 * (len - 1)))));
    for (int k = len - 2; k >= 0; --k) text.push(static_cast<char>(0x80 | ((cp >> (6 * k)) & 0x3f)));
  }
  *size = static_cast<std::uint32_t>(text.size() - *at);
  return true;
}

// An integer in [0, 2^64) (what the reference's usize fields take): no sign, fraction or exponent.
bool Reader::integer(std::uint64_t* v) {
  const int p = peek();
  const std::size_t start = i_;
  if (p == '-') return fail(E::kNotAnInteger, start);
  if (!is_digit(p)) return p >= 0 && fail(E::kUnexpectedChar, i_);
  if (p == '0' && i_ + 1 < n_ && is_digit(h_[i_ + 1])) return fail(E::kUnexpectedChar, i_ + 1);
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

// Skips any JSON value (the fields of a tensor entry the reference ignores).
bool Reader::skip(int depth) {
  const int c = peek();
  if (c < 0) return false;
  if (depth > kMaxDepth) return fail(E::kTooDeep, i_);
  if (c == '"') {
    std::uint32_t at, size;
    const bool ok = string(&at, &size);
    out_.text.resize_down(at);
    return ok;
  }
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';
    ++i_;
    bool more;
    if (!first(close, &more)) return false;
    while (more) {
      std::uint32_t at, size;
      if (c == '{' && !(string(&at, &size) && expect(':'))) return false;
      if (c == '{') out_.text.resize_down(at);
      if (!skip(depth + 1) || !next(close, &more)) return false;
    }
    return true;
  }
  for (const char* word : {"true", "false", "null"}) {
    if (c != word[0]) continue;
    for (; *word; ++word, ++i_)
      if (i_ >= n_ || h_[i_] != *word) return fail(i_ < n_ ? E::kUnexpectedChar : E::kUnexpectedEnd, i_);
    return true;
  }
  // A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  const auto digits = [&](bool one) {  // one digit only (a leading 0), or one or more
    if (i_ >= n_ || !is_digit(h_[i_])) return fail(i_ < n_ ? E::kUnexpectedChar : E::kUnexpectedEnd, i_);
    if (one) ++i_;
    else while (i_ < n_ && is_digit(h_[i_])) ++i_;
    return true;
  };
  if (c == '-') ++i_;
  if (!digits(i_ < n_ && h_[i_] == '0')) return false;
  if (i_ < n_ && h_[i_] == '.' && !(++i_, digits(false))) return false;
  if (i_ < n_ && (h_[i_] == 'e' || h_[i_] == 'E')) {
    ++i_;
    if (i_ < n_ && (h_[i_] == '+' || h_[i_] == '-')) ++i_;
    if (!digits(false)) return false;
  }
  return true;
}

// __metadata__: null, or an object of strings.
bool Reader::metadata() {
  int p = peek();
  if (p == 'n') return skip(1);
  if (p != '{') return p >= 0 && fail(E::kBadMetadata, i_);
  ++i_;
  out_.has_metadata = true;
  bool more;
  if (!first('}', &more)) return false;
  while (more) {
    space();
    const std::uint32_t key_pos = static_cast<std::uint32_t>(i_);
    std::uint32_t key_at, key_size, value_at, value_size;
    if (!string(&key_at, &key_size) || !expect(':')) return false;
    if ((p = peek()) != '"') return p >= 0 && fail(E::kBadMetadata, i_);
    if (!string(&value_at, &value_size)) return false;
    for (std::uint32_t v : {key_pos, key_at, key_size, value_at, value_size}) out_.metadata.push(v);
    if (out_of_memory() || !next('}', &more)) return false;
  }
  return true;
}

// A tensor entry: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, other fields skipped.
bool Reader::tensor(std::uint32_t key_at, std::uint32_t name_at, std::uint32_t name_size) {
  // Recorded first, so that any failure below can name it.
  out_.error_tensor = static_cast<std::int64_t>(out_.tensors.size());
  out_.tensors.push({key_at, name_at, name_size, Dtype::kCount, static_cast<std::uint32_t>(out_.dims.size()), 0, 0, 0});
  if (out_of_memory()) return false;
  const auto bad = [&](E error, std::size_t at, TensorField field) {
    out_.error_field = field;
    return fail(error, at);
  };
  int p = peek();
  if (p != '{') return p >= 0 && bad(E::kNotATensor, i_, TensorField::kNone);
  ++i_;
  bool more;
  if (!first('}', &more)) return false;
  unsigned seen = 0;
  while (more) {
    space();
    const std::size_t key_pos = i_;
    std::uint32_t at, size;
    if (!string(&at, &size) || !expect(':')) return false;
    const int f = is(at, size, "dtype") ? 0 : is(at, size, "shape") ? 1 : is(at, size, "data_offsets") ? 2 : -1;
    const TensorField field = static_cast<TensorField>(f);
    out_.text.resize_down(at);
    if (f < 0) {
      if (!skip(1)) return false;
    } else {
      if (seen & (1u << f)) return bad(E::kDuplicateField, key_pos, field);
      seen |= 1u << f;
      SafetensorsTensor& t = out_.tensors.back();
      p = peek();
      const std::size_t value_pos = i_;
      if (p != (f == 0 ? '"' : '[')) return p >= 0 && bad(E::kBadField, value_pos, field);
      if (f == 0) {
        if (!string(&at, &size)) return false;
        t.dtype = dtype_named(out_.text.data() + at, size);
        out_.text.resize_down(at);
        if (t.dtype == Dtype::kCount) return bad(E::kUnknownDtype, value_pos, field);
      } else {
        ++i_;
        bool item;
        if (!first(']', &item)) return false;
        std::uint64_t count = 0, v;
        for (; item; ++count) {
          if ((p = peek()) >= 0 && !is_digit(p) && p != '-') return bad(E::kBadField, i_, field);
          if (!integer(&v) || !next(']', &item)) return false;
          if (f == 1) out_.dims.push(v);
          else if (count < 2) (count == 0 ? t.begin : t.end) = v;
        }
        if (out_of_memory()) return false;
        if (f == 1) t.rank = static_cast<std::uint32_t>(count);
        else if (count != 2) return bad(E::kBadField, value_pos, field);
      }
    }
    if (!next('}', &more)) return false;
  }
  for (int f = 0; f < 3; ++f)
    if (!(seen & (1u << f))) return bad(E::kMissingField, i_, static_cast<TensorField>(f));
  out_.error_tensor = -1;
  return true;
}

bool Reader::header() {
  if (n_ == 0 || h_[0] != '{') return fail(E::kNotAnObject, 0);
  i_ = 1;
  bool more, seen_metadata = false;
  if (!first('}', &more)) return false;
  while (more) {
    space();
    const std::uint32_t key_pos = static_cast<std::uint32_t>(i_);
    std::uint32_t at, size;
    if (!string(&at, &size) || !expect(':')) return false;
    if (is(at, size, "__metadata__")) {
      out_.text.resize_down(at);
      if (seen_metadata) return fail(E::kDuplicateName, key_pos);
      seen_metadata = true;
      if (!metadata()) return false;
    } else if (!tensor(key_pos, at, size)) {
      return false;
    }
    if (!next('}', &more)) return false;
  }
  space();
  if (i_ != n_) return fail(E::kTrailing, i_);
  return !out_of_memory();
}

bool Reader::duplicate(const Growable<std::uint32_t>& spans, std::size_t offset, std::size_t stride,
                       std::size_t* first, std::size_t* second) {
  const std::size_t n = spans.size() / stride;
  const char* text = out_.text.data();
  const auto compare = [&](std::uint32_t a, std::uint32_t b) {
    const std::uint32_t at_a = spans[a * stride + offset], at_b = spans[b * stride + offset];
    const std::uint32_t size_a = spans[a * stride + offset + 1], size_b = spans[b * stride + offset + 1];
    const std::uint32_t common = size_a < size_b ? size_a : size_b;
    const int c = common > 0 ? std::memcmp(text + at_a, text + at_b, common) : 0;
    return c != 0 ? c : size_a < size_b ? -1 : size_a > size_b;
  };
  order_.clear();
  for (std::uint32_t i = 0; i < n; ++i) order_.push(i);
  if (order_.failed()) return false;
  sort(order_.data(), n, [&](std::uint32_t a, std::uint32_t b) {
    const int c = compare(a, b);
    return c < 0 || (c == 0 && a < b);
  });
  bool found = false;
  for (std::size_t k = 1; k < n; ++k) {
    // Equal: report the pair whose second appearance comes first in the header.
    if (compare(order_[k - 1], order_[k]) == 0 && (!found || order_[k] < *second))
      *first = order_[k - 1], *second = order_[k], found = true;
  }
  return found;
}

bool Reader::validate(std::uint64_t data_size) {
  Growable<SafetensorsTensor>& tensors = out_.tensors;
  const std::size_t n = tensors.size();
  std::size_t first, second;
  Growable<std::uint32_t> names;  // (at, size) of each tensor's name
  for (std::size_t t = 0; t < n; ++t) names.push(tensors[t].name_at), names.push(tensors[t].name_size);
  if (names.failed()) return fail(E::kOutOfMemory, 0);
  if (duplicate(names, 0, 2, &first, &second)) {
    out_.error_tensor = static_cast<std::int64_t>(first);
    return fail(E::kDuplicateName, tensors[second].key_at);
  }
  if (duplicate(out_.metadata, 1, 5, &first, &second))
    return fail(E::kDuplicateName, out_.metadata[5 * second]);
  if (order_.failed()) return fail(E::kOutOfMemory, 0);
  // As the reference: in order of data_offsets, each tensor starts where the previous ends,
  // and holds exactly its shape's bytes.
  order_.clear();
  for (std::uint32_t i = 0; i < n; ++i) order_.push(i);
  if (order_.failed()) return fail(E::kOutOfMemory, 0);
  sort(order_.data(), n, [&](std::uint32_t a, std::uint32_t b) {
    const SafetensorsTensor &x = tensors[a], &y = tensors[b];
    return x.begin != y.begin ? x.begin < y.begin : x.end != y.end ? x.end < y.end : a < b;
  });
  std::uint64_t start = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const SafetensorsTensor& t = tensors[order_[k]];
    out_.error_tensor = order_[k];
    if (t.begin != start || t.end < t.begin) {
      out_.error_other = k > 0 ? static_cast<std::int64_t>(order_[k - 1]) : -1;
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
    out_.error = bits % 8 != 0 ? E::kMisaligned : t.end - t.begin != bits / 8 ? E::kSizeMismatch : E::kNone;
    if (out_.error != E::kNone) return false;
  }
  out_.error_tensor = -1;
  out_.covered = start;
  out_.error = start != data_size ? E::kIncomplete : E::kNone;
  return out_.error == E::kNone;
}

}  // namespace

bool parse_safetensors(const std::uint8_t* bytes, std::size_t size, std::uint64_t file_size, SafetensorsHeader& out) {
  std::uint64_t n = 0;
  for (int k = 7; k >= 0 && size >= 8; --k) n = (n << 8) | bytes[k];
  out.header_size = n;
  out.error = file_size < 8 || size < 8 ? E::kFileTooShort
              : n > kMaxHeader         ? E::kHeaderTooLarge
              : 8 + n > file_size || 8 + n > size ? E::kHeaderPastEnd
                                                  : E::kNone;
  if (out.error != E::kNone) return false;
  const std::size_t bad = first_bad_utf8(bytes + 8, static_cast<std::size_t>(n));
  if (bad != n) {
    out.error = E::kBadUtf8;
    out.error_at = 8 + bad;
    return false;
  }
  Reader reader(bytes + 8, static_cast<std::size_t>(n), out);
  return reader.header() && reader.validate(file_size - 8 - n);
}

}  // namespace emb
