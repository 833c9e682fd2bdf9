#include "io/word_vectors.h"

#include <algorithm>
#include <cstring>

#include "io/decimal.h"
#include "io/text.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "word2vec binary files hold little-endian floats");

namespace emb::io {
namespace {

constexpr std::size_t kMaxRows = 0x7fffffff;          // rows are int32 indices
constexpr std::uint64_t kMaxTableBytes = 1ull << 32;  // all of wasm32's memory
constexpr std::uint64_t kMaxDim = 1ull << 26;          // a row of 256 MiB: wider is no word vector
// Room reserved for a header's rows when the file's size cannot confirm them: a small file
// claiming a huge table gets no more (the table grows if the rows do come).
constexpr std::uint64_t kUnconfirmedBytes = 1ull << 28;
constexpr std::size_t kReservedWords = 1 << 22;  // at most 32 MiB of word slots up front

// Characters of a text row after its word: digits, "+-.", blanks, and the letters of e, inf,
// infinity and nan in either case.
inline bool is_number_text(char c) {
  if (is_digit(c) || c == '+' || c == '-' || c == '.' || c == ' ' || c == '\t' || c == '\r') return true;
  switch (c | 0x20) {  // letters in lower case (no other byte lands on these)
    case 'a': case 'e': case 'f': case 'i': case 'n': case 't': case 'y':
      return true;
    default:
      return false;
  }
}

// n without the trailing spaces, tabs and '\r' (word2vec and fastText rows end in a space).
std::size_t trim_end(const char* p, std::size_t n) {
  while (n > 0 && (is_blank(p[n - 1]) || p[n - 1] == '\r')) --n;
  return n;
}

// "<count> <dim>" with blanks around (saturating far past any real size). False if not that.
bool parse_header(const char* p, std::size_t n, std::uint64_t* count, std::uint64_t* dim) {
  const char* end = p + n;
  for (std::uint64_t* field : {count, dim}) {
    while (p != end && is_blank(*p)) ++p;
    if (p == end || !is_digit(*p)) return false;
    for (*field = 0; p != end && is_digit(*p); ++p)
      if (*field < (1ull << 59)) *field = *field * 10 + static_cast<unsigned>(*p - '0');
    if (p != end && !is_blank(*p)) return false;
  }
  return p == end;
}

// Whether [p, end) is numbers separated by single spaces (trailing blanks aside), one at least.
bool is_numbers(const char* p, const char* end) {
  end = p + trim_end(p, static_cast<std::size_t>(end - p));
  for (;;) {
    float value;
    p = scan_float32(p, end, &value);
    if (p == nullptr || (p != end && *p != ' ')) return false;
    if (p++ == end) return true;
  }
}

}  // namespace

WordVectorParser::WordVectorParser(WordVectorFormat format, std::size_t max_rows, std::uint64_t total_bytes,
                                   RowSink& sink)
    : format_(format),
      sink_(sink),
      max_rows_(std::min(max_rows, kMaxRows)),
      total_bytes_(total_bytes),
      expect_header_(format == WordVectorFormat::kWord2vecText || format == WordVectorFormat::kWord2vecBinary),
      count_(max_rows_) {}

bool WordVectorParser::fail(ParseError error, std::uint64_t offset, std::uint64_t got, std::uint64_t expected) {
  error_.error = error;
  error_.line = text_format() ? lines_ : 0;
  error_.offset = offset;
  error_.row = rows_read_;
  error_.got = got;
  error_.expected = expected;
  return false;
}

bool WordVectorParser::fail_at(ParseError error, std::uint64_t offset, const char* snippet, std::size_t length,
                               std::uint64_t got) {
  error_.snippet_length = std::min(length, sizeof error_.snippet);
  if (length != 0) std::memcpy(error_.snippet, snippet, error_.snippet_length);
  return fail(error, offset, got, dim_);
}

bool WordVectorParser::feed(const char* data, std::size_t n) {
  if (error_.error != ParseError::kNone) return false;
  if (full() || n == 0) return true;
  if (format_ != WordVectorFormat::kAuto) return feed_known(data, n);
  if (!carry_.append(data, n)) return fail(ParseError::kOutOfMemory, carry_.size());
  if (!sniff(false)) return true;
  Growable<char> start;  // what was held back for sniffing, now parsed as the format it showed
  start.swap(carry_);
  return feed_known(start.data(), start.size());
}

bool WordVectorParser::finish() {
  if (error_.error != ParseError::kNone) return false;
  if (format_ == WordVectorFormat::kAuto) {
    sniff(true);
    Growable<char> start;
    start.swap(carry_);
    if (!start.empty() && !feed_known(start.data(), start.size())) return false;
  }
  if (!full()) {
    if (text_format() && !carry_.empty()) {  // the last line, without a newline
      if (!line(carry_.data(), carry_.size(), carry_offset_)) return false;
      carry_.clear();
    }
    if (!text_format() && (in_vector_ || !carry_.empty()))
      return fail(ParseError::kTruncatedRow, row_offset_, vector_bytes_, dim_ * sizeof(float));
    if (format_ != WordVectorFormat::kGlove && !expect_header_ && rows_read_ < count_)
      return fail(ParseError::kMissingRows, consumed_, rows_read_, count_);
  }
  if (dim_ == 0) return fail(ParseError::kEmpty, consumed_);
  sink_.finish();
  return true;
}

// Decides the format from the start of the file, held in carry_. False while it cannot yet.
bool WordVectorParser::sniff(bool at_end) {
  const char* p = carry_.data();
  const char* end = p + carry_.size();
  const char* newline = find(p, end, '\n');
  if (newline == nullptr && !at_end) return false;
  std::uint64_t count, dim;
  if (!parse_header(p, trim_end(p, static_cast<std::size_t>((newline != nullptr ? newline : end) - p)), &count, &dim)) {
    format_ = WordVectorFormat::kGlove;
    return true;
  }
  // word2vec: after its word, a text row holds numbers up to its newline; the binary floats
  // of a real file practically never do (their bytes are mostly not text).
  expect_header_ = true;
  const char* space = newline != nullptr ? find(newline + 1, end, ' ') : nullptr;
  if (space == nullptr && !at_end) return false;
  const char* q = space != nullptr ? space + 1 : end;
  while (q != end && *q != '\n' && is_number_text(*q)) ++q;
  if (q == end && !at_end) return false;
  const bool text = space == nullptr || ((q == end || *q == '\n') && is_numbers(space + 1, q));
  format_ = text ? WordVectorFormat::kWord2vecText : WordVectorFormat::kWord2vecBinary;
  return true;
}

bool WordVectorParser::feed_known(const char* p, std::size_t n) {
  chunk_ = p;
  const char* end = p + n;
  if (text_format()) p = feed_lines(p, end);
  const bool ok = p != nullptr && (p == end || full() || feed_binary(p, end));
  consumed_ += n;
  return ok;
}

bool WordVectorParser::line(const char* p, std::size_t n, std::uint64_t offset) {
  ++lines_;
  n = trim_end(p, n);
  if (expect_header_) {
    const bool ok = header(p, n, offset);
    expect_header_ = false;
    return ok;
  }
  if (n == 0) {  // blank lines may end a file, not come between rows
    if (blank_line_ == 0) {
      blank_line_ = lines_;
      blank_offset_ = offset;
    }
    return true;
  }
  if (rows_read_ == count_) return fail(ParseError::kExtraRows, offset, 0, count_);
  if (blank_line_ != 0) {
    fail(ParseError::kEmptyLine, blank_offset_);
    error_.line = blank_line_;
    return false;
  }
  if (dim_ == 0) {  // GloVe: the first row gives the width
    const auto dim = static_cast<std::size_t>(std::count(p, p + n, ' '));
    if (dim == 0) return fail_at(ParseError::kNoValues, offset, p, n, 0);
    if (dim > kMaxDim) return fail(ParseError::kLongRow, offset, dim, kMaxDim);
    // Room for as many rows as the file can hold (each value takes 2 bytes at least), but not
    // past twice as many rows as long as this one: unwritten room costs no memory, only address space.
    std::size_t expected = 0;
    if (total_bytes_ > offset) {
      const std::uint64_t rest = total_bytes_ - offset;
      expected = static_cast<std::size_t>(std::min<std::uint64_t>({rest / (2 * dim) + 1, 2 * (rest / (n + 1) + 1), kMaxRows}));
    }
    if (!begin_rows(dim, expected, offset)) return false;
  }
  return text_row(p, n, offset);
}

bool WordVectorParser::header(const char* p, std::size_t n, std::uint64_t offset) {
  std::uint64_t count, dim;
  if (!parse_header(p, n, &count, &dim)) return fail_at(ParseError::kBadHeader, offset, p, n, 0);
  // A row takes 2 bytes a value at least in text ("0 "), a space and 4 bytes a value in binary.
  const std::uint64_t row_bytes = format_ == WordVectorFormat::kWord2vecBinary ? 4 * dim + 1 : 2 * dim;
  const std::uint64_t rows_end = offset + n + 1;
  const std::uint64_t rest = total_bytes_ > rows_end ? total_bytes_ - rows_end : 0;
  if (dim == 0 || count > kMaxRows || dim > kMaxDim || count * dim > kMaxTableBytes / sizeof(float) ||
      (total_bytes_ != 0 && count * row_bytes > rest + 1)) {
    return fail(ParseError::kAbsurdHeader, offset, dim, count);
  }
  count_ = static_cast<std::size_t>(count);
  const std::uint64_t room = total_bytes_ != 0 ? count : std::min(count, kUnconfirmedBytes / sizeof(float) / dim + 1);
  return begin_rows(static_cast<std::size_t>(dim), static_cast<std::size_t>(room), offset);
}

bool WordVectorParser::begin_rows(std::size_t dim, std::size_t expected_rows, std::uint64_t offset) {
  dim_ = dim;
  expected_rows = std::min(expected_rows, max_rows_);
  if (!sink_.begin(dim, expected_rows)) return fail(ParseError::kOutOfMemory, offset);
  // The words too, when the file's size vouches for the rows (a hint: the set grows if it must).
  if (total_bytes_ != 0) words_.reserve(std::min<std::size_t>(expected_rows, kReservedWords));
  return true;
}

// A text row: the word, then dim_ values, each after one space. GloVe's words may hold spaces
// (glove.840B's do): its values are the last dim_ fields and the word all before them.
bool WordVectorParser::text_row(const char* p, std::size_t n, std::uint64_t offset) {
  const char* end = p + n;
  const char* word_end = find(p, end, ' ');
  if (word_end == nullptr) return fail(ParseError::kShortRow, offset, 0, dim_);
  row_ = sink_.next_row();
  if (row_ == nullptr) return fail(ParseError::kOutOfMemory, offset);
  // The common case: one word, then exactly dim_ numbers.
  const char* q = word_end;
  const char* bad = nullptr;  // a field that is not a number
  std::size_t j = 0;
  while (j < dim_ && q != end) {
    const char* field = q + 1;
    q = scan_float32(field, end, row_ + j);
    if (q == nullptr || (q != end && *q != ' ')) {
      bad = field;
      break;
    }
    ++j;
  }
  if (j != dim_ || q != end) {  // find out which rule the row breaks, or where a GloVe word ends
    const auto spaces = static_cast<std::size_t>(std::count(p, end, ' '));
    if (format_ != WordVectorFormat::kGlove) {
      if (bad != nullptr) return not_a_number(p, bad, end, j, offset);
      return j < dim_ ? fail(ParseError::kShortRow, offset, j, dim_) : fail(ParseError::kLongRow, offset, spaces, dim_);
    }
    if (spaces < dim_) return fail(ParseError::kShortRow, offset, spaces, dim_);
    word_end = end;
    for (std::size_t k = 0; k < dim_; ++k)
      while (*--word_end != ' ') {
      }
    const char* field = word_end + 1;
    for (j = 0; j < dim_; ++j) {
      const char* field_end = find(field, end, ' ');
      if (field_end == nullptr) field_end = end;
      if (!parse_float32(field, static_cast<std::size_t>(field_end - field), row_ + j))
        return not_a_number(p, field, end, j, offset);
      field = field_end + 1;
    }
  }
  return add_word(p, static_cast<std::size_t>(word_end - p), offset) && end_row(offset);
}

// Reports the j-th value, at `field` in the line at p (offset), as not a number.
bool WordVectorParser::not_a_number(const char* p, const char* field, const char* end, std::size_t j,
                                    std::uint64_t offset) {
  const char* field_end = find(field, end, ' ');
  if (field_end == nullptr) field_end = end;
  return fail_at(ParseError::kNotANumber, offset + static_cast<std::uint64_t>(field - p), field,
                 static_cast<std::size_t>(field_end - field), j);
}

// word2vec binary rows: the word, a space, dim_ little-endian floats, and (the C tool's layout,
// not gensim's) a newline, which the next row skips.
bool WordVectorParser::feed_binary(const char* p, const char* end) {
  const std::size_t row_bytes = dim_ * sizeof(float);
  while (p != end && !full()) {
    if (!in_vector_) {
      if (carry_.empty()) {
        while (p != end && *p == '\n') ++p;
        if (p == end) break;
        if (rows_read_ == count_) return fail(ParseError::kExtraRows, offset_of(p), 0, count_);
        row_offset_ = offset_of(p);
      }
      const char* space = find(p, end, ' ');
      if (!carry_.append(p, static_cast<std::size_t>((space != nullptr ? space : end) - p)))
        return fail(ParseError::kOutOfMemory, row_offset_);
      if (space == nullptr) break;
      if (!binary_word(carry_.data(), carry_.size(), row_offset_)) return false;
      carry_.clear();
      p = space + 1;
    }
    const std::size_t take = std::min(row_bytes - vector_bytes_, static_cast<std::size_t>(end - p));
    std::memcpy(reinterpret_cast<char*>(row_) + vector_bytes_, p, take);
    vector_bytes_ += take;
    p += take;
    if (vector_bytes_ == row_bytes) {
      in_vector_ = false;
      if (!end_row(row_offset_)) return false;
    }
  }
  return true;
}

bool WordVectorParser::binary_word(const char* p, std::size_t n, std::uint64_t offset) {
  if (const char* newline = find(p, p + n, '\n'))
    return fail_at(ParseError::kNewlineInWord, offset + static_cast<std::uint64_t>(newline - p), p, n, 0);
  if (!add_word(p, n, offset)) return false;
  row_ = sink_.next_row();
  if (row_ == nullptr) return fail(ParseError::kOutOfMemory, offset);
  in_vector_ = true;
  vector_bytes_ = 0;
  return true;
}

}  // namespace emb::io
