#include "io/npy.h"

#include <cstring>
#include <initializer_list>

namespace emb {
namespace {

using E = NpyError;

bool is_digit(std::uint8_t c) { return c >= '0' && c <= '9'; }

// The header dict, a Python literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class DictReader {
 public:
  DictReader(const std::uint8_t* bytes, std::size_t begin, std::size_t end, NpyHeader& out)
      : b_(bytes), i_(begin), end_(end), out_(out) {}

  bool dict();

 private:
  bool fail(E error, std::size_t at) {
    out_.error = error;
    out_.error_at = at;
    return false;
  }
  void space() {
    while (i_ < end_ && (b_[i_] == ' ' || b_[i_] == '\t' || b_[i_] == '\n' || b_[i_] == '\r' || b_[i_] == '\f')) ++i_;
  }
  // After optional space: the next character, or 0 at the end (then the failure is recorded).
  std::uint8_t next() {
    space();
    if (i_ < end_) return b_[i_];
    fail(E::kUnexpectedEnd, end_);
    return 0;
  }
  bool expect(char c) {
    const std::uint8_t n = next();
    if (n == 0) return false;
    if (n != c) return fail(E::kUnexpectedChar, i_);
    ++i_;
    return true;
  }
  // A quoted string without escapes: [*at, *at + *size) of the file.
  bool string(std::size_t* at, std::size_t* size) {
    const std::uint8_t quote = next();
    if (quote == 0) return false;
    if (quote != '\'' && quote != '"') return fail(E::kUnexpectedChar, i_);
    *at = ++i_;
    for (; i_ < end_ && b_[i_] != quote; ++i_)
      if (b_[i_] == '\\' || b_[i_] == '\n') return fail(E::kUnexpectedChar, i_);
    if (i_ >= end_) return fail(E::kUnexpectedEnd, end_);
    *size = i_++ - *at;
    return true;
  }
  bool is(std::size_t at, std::size_t size, const char* word) const {
    return std::strlen(word) == size && std::memcmp(b_ + at, word, size) == 0;
  }
  bool descr();
  bool boolean();
  bool shape();

  const std::uint8_t* b_;
  std::size_t i_, end_;
  NpyHeader& out_;
};

// '<f4', '>i8', '|u1', '|b1', ...: the dtypes numpy writes for the types we read.
bool DictReader::descr() {
  std::size_t at, size;
  if (!string(&at, &size)) return false;
  const char* s = reinterpret_cast<const char*>(b_ + at);
  char order = '=';
  if (size > 0 && std::strchr("<>|=", s[0]) != nullptr) order = *s++, --size;
  static const struct { const char* code; Dtype dtype; } kCodes[] = {
      {"f2", Dtype::kF16}, {"f4", Dtype::kF32}, {"f8", Dtype::kF64}, {"i1", Dtype::kI8},  {"i2", Dtype::kI16},
      {"i4", Dtype::kI32}, {"i8", Dtype::kI64}, {"u1", Dtype::kU8},  {"u2", Dtype::kU16}, {"u4", Dtype::kU32},
      {"u8", Dtype::kU64}, {"b1", Dtype::kBool},
  };
  for (const auto& c : kCodes) {
    if (size == 2 && std::memcmp(s, c.code, 2) == 0) {
      out_.dtype = c.dtype;
      out_.big_endian = order == '>' && dtype_bits(c.dtype) > 8;
      return true;
    }
  }
  return fail(E::kBadDescr, at);
}

bool DictReader::boolean() {
  if (next() == 0) return false;
  for (const char* word : {"True", "False"}) {
    const std::size_t len = std::strlen(word);
    if (end_ - i_ >= len && std::memcmp(b_ + i_, word, len) == 0) {
      out_.fortran_order = word[0] == 'T';
      i_ += len;
      return true;
    }
  }
  return fail(E::kUnexpectedChar, i_);
}

// A tuple of non-negative integers: (), (3,), (2, 3), (2, 3,); Python 2's 3L too.
bool DictReader::shape() {
  if (!expect('(')) return false;
  bool comma = true;  // a comma (or the opening parenthesis) came last
  for (;;) {
    const std::uint8_t c = next();
    if (c == 0) return false;
    if (c == ')') {
      if (out_.rank == 1 && !comma) return fail(E::kUnexpectedChar, i_);  // (3) is not a tuple
      ++i_;
      return true;
    }
    if (c == ',' && !comma) {
      comma = true;
      ++i_;
      continue;
    }
    if (!comma) return fail(E::kUnexpectedChar, i_);
    if (c == '-') return fail(E::kBadInteger, i_);
    if (!is_digit(c)) return fail(E::kUnexpectedChar, i_);
    if (out_.rank == kNpyMaxRank) return fail(E::kTooManyDims, i_);
    const std::size_t start = i_;
    std::uint64_t v = 0;
    for (; i_ < end_ && is_digit(b_[i_]); ++i_) {
      const unsigned d = b_[i_] - '0';
      if (v > (UINT64_MAX - d) / 10) return fail(E::kBadInteger, start);
      v = v * 10 + d;
    }
    if (i_ < end_ && b_[i_] == 'L') ++i_;
    out_.shape[out_.rank++] = v;
    comma = false;
  }
}

bool DictReader::dict() {
  if (i_ >= end_) return fail(E::kUnexpectedEnd, end_);
  if (b_[i_] != '{') return fail(E::kUnexpectedChar, i_);  // no leading space: Python would not parse it
  ++i_;
  unsigned seen = 0;
  for (;;) {
    const std::uint8_t c = next();
    if (c == 0) return false;
    if (c == '}') break;
    std::size_t at, size;
    if (!string(&at, &size)) return false;
    const int key = is(at, size, "descr") ? 0 : is(at, size, "fortran_order") ? 1 : is(at, size, "shape") ? 2 : -1;
    if (key < 0) return fail(E::kUnknownKey, at - 1);
    if (seen & (1u << key)) return fail(E::kDuplicateKey, at - 1);
    seen |= 1u << key;
    if (!expect(':')) return false;
    if (!(key == 0 ? descr() : key == 1 ? boolean() : shape())) return false;
    const std::uint8_t after = next();
    if (after == 0) return false;
    if (after == ',') ++i_;
    else if (after != '}') return fail(E::kUnexpectedChar, i_);
  }
  ++i_;
  space();
  if (i_ != end_) return fail(E::kUnexpectedChar, i_);
  for (int key = 0; key < 3; ++key) {
    if (!(seen & (1u << key))) {
      out_.missing = key;
      return fail(E::kMissingKey, end_);
    }
  }
  return true;
}

}  // namespace

bool parse_npy(const std::uint8_t* bytes, std::size_t size, std::uint64_t file_size, NpyHeader& out) {
  out = NpyHeader{};
  const auto reject = [&](E error, std::uint64_t at) {
    out.error = error;
    out.error_at = at;
    return false;
  };
  const std::size_t available = static_cast<std::size_t>(file_size < size ? file_size : size);
  if (available < 10 || std::memcmp(bytes, "\x93NUMPY", 6) != 0) return reject(E::kNotNpy, 0);
  const unsigned major = bytes[6], minor = bytes[7];
  if (minor != 0 || major < 1 || major > 3) return reject(E::kBadVersion, 6);
  std::size_t begin = 10;
  std::uint64_t length = bytes[8] | static_cast<std::uint64_t>(bytes[9]) << 8;
  if (major > 1) {
    if (available < 12) return reject(E::kHeaderPastEnd, 8);
    length |= static_cast<std::uint64_t>(bytes[10]) << 16 | static_cast<std::uint64_t>(bytes[11]) << 24;
    begin = 12;
  }
  if (length > kNpyMaxHeader) return reject(E::kHeaderTooLarge, 8);
  if (begin + length > available) return reject(E::kHeaderPastEnd, 8);
  const std::size_t end = begin + static_cast<std::size_t>(length);
  if (!DictReader(bytes, begin, end, out).dict()) return false;

  std::uint64_t count = dtype_bits(out.dtype) / 8;
  for (std::size_t d = 0; d < out.rank; ++d)
    if (!multiply(count, out.shape[d], &count)) return reject(E::kSizeOverflow, 0);
  out.data_offset = end;
  out.data_bytes = count;
  if (count > file_size - end) return reject(E::kDataPastEnd, 0);
  return true;
}

}  // namespace emb
