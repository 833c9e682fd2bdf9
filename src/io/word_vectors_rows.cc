// The word-vector parser's row loop, compiled for speed (the rest of src/io for size: see
// CMakeLists.txt): text lines read in place, the common row on the quick path.
#include "io/decimal.h"
#include "io/text.h"
#include "io/utf8.h"
#include "io/word_vectors.h"

namespace emb::io {

// Parses the complete lines of [p, end) (the first completing carry_), keeping the last
// partial one in carry_. Stops after a binary file's header. Returns where it stopped, or
// nullptr on error.
const char* WordVectorParser::feed_lines(const char* p, const char* end) {
  if (!carry_.empty()) {
    const char* newline = find(p, end, '\n');
    if (!carry_.append(p, static_cast<std::size_t>((newline != nullptr ? newline : end) - p))) {
      fail(ParseError::kOutOfMemory, carry_offset_);
      return nullptr;
    }
    if (newline == nullptr) return end;
    if (!line(carry_.data(), carry_.size(), carry_offset_)) return nullptr;
    carry_.clear();
    p = newline + 1;
  }
  // The complete lines end at the last newline; what follows waits in carry_.
  const char* last = end;
  while (last != p && last[-1] != '\n') --last;
  while (p != last && text_format() && !full()) {
    const char* next = quick_row(p, last);
    if (next == nullptr) {
      if (error_.error != ParseError::kNone) return nullptr;
      const char* newline = find(p, last, '\n');
      if (!line(p, static_cast<std::size_t>(newline - p), offset_of(p))) return nullptr;
      next = newline + 1;
    }
    p = next;
  }
  if (p != last || !text_format() || full()) return p;
  if (last != end) {
    carry_offset_ = offset_of(last);
    if (!carry_.append(last, static_cast<std::size_t>(end - last))) {
      fail(ParseError::kOutOfMemory, carry_offset_);
      return nullptr;
    }
  }
  return end;
}

// The common row, read in place: a word without spaces, then dim_ numbers each after one
// space, then blanks and the newline (the last byte of [p, limit) is one). Returns where the
// next row starts, or nullptr for any other row (line() then reads it again, finding the rule
// it breaks or a GloVe word with spaces) and for a word that is not UTF-8 (an error).
const char* WordVectorParser::quick_row(const char* p, const char* limit) {
  if (dim_ == 0 || blank_line_ != 0 || rows_read_ == count_) return nullptr;
  const char* q = p;
  while (*q != ' ' && *q != '\n') ++q;
  const char* word_end = q;
  float* row = sink_.next_row();
  if (row == nullptr) return nullptr;
  for (std::size_t j = 0; j < dim_; ++j) {
    if (*q++ != ' ') return nullptr;
    const char* stop = scan_float32_quick(q, limit, row + j);
    if ((q = stop != nullptr ? stop : scan_float32(q, limit, row + j)) == nullptr) return nullptr;
  }
  while (is_blank(*q) || *q == '\r') ++q;
  if (*q != '\n') return nullptr;
  row_ = row;
  ++lines_;
  const std::uint64_t offset = offset_of(p);
  return add_word(p, static_cast<std::size_t>(word_end - p), offset) && end_row(offset) ? q + 1 : nullptr;
}

bool WordVectorParser::add_word(const char* p, std::size_t n, std::uint64_t offset) {
  const std::size_t bad = utf8_error_at(p, n);
  if (bad != n) return fail_at(ParseError::kBadUtf8, offset + bad, p, n, static_cast<unsigned char>(p[bad]));
  switch (words_.add(p, n)) {
    case WordSet::Added::kNew:
      row_is_new_ = true;
      return true;
    case WordSet::Added::kDuplicate:
      row_is_new_ = false;
      return true;
    default:
      return fail(ParseError::kOutOfMemory, offset);
  }
}

bool WordVectorParser::end_row(std::uint64_t offset) {
  if (row_is_new_ && !sink_.commit_row()) return fail(ParseError::kOutOfMemory, offset);
  duplicates_ += !row_is_new_;
  ++rows_read_;
  return true;
}

}  // namespace emb::io
