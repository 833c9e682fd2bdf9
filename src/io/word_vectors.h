// A streaming parser of word-vector files (semantics.md §7.1-7.4): GloVe text, word2vec text
// and fastText .vec ("<count> <dim>" header), word2vec binary (the C tool's and gensim's
// layouts), or sniffed from the first bytes. Fed in chunks of any size, it never holds more
// of the file than a line (a binary word); each row goes to a RowSink, each word to a WordSet.
// Text rows of the common shape take a quick path (word_vectors_rows.cc); any other row is
// read again by line(), which finds the rule it breaks.
#pragma once
#include <cstddef>
#include <cstdint>

#include "io/growable.h"
#include "io/row_sink.h"
#include "io/word_set.h"

namespace emb::io {

enum class WordVectorFormat : int { kAuto = 0, kGlove = 1, kWord2vecText = 2, kWord2vecBinary = 3 };

// Why a file is malformed. Each comes with where (line for text, byte offset always, row) and,
// as noted, `got`, `expected` and a snippet of the offending text.
enum class ParseError : int {
  kNone = 0,
  kOutOfMemory,     // the table or the words do not fit in memory
  kEmpty,           // no header and no rows
  kBadHeader,       // word2vec formats: the first line is not "<count> <dim>" (snippet)
  kAbsurdHeader,    // count x dim: 0 wide, rows past 2^26 values, past 4 GiB, or more than the file can hold (expected: count, got: dim)
  kNoValues,        // GloVe: the first row has no values to take the width from
  kEmptyLine,       // a blank line between rows
  kShortRow,        // fewer values than the width (got, expected)
  kLongRow,         // word2vec text: more values than the width (got, expected); GloVe: a first row past 2^26 values
  kNotANumber,      // a value that is not a number (snippet; got: which value, from 0)
  kBadUtf8,         // a word that is not UTF-8 (offset: its first bad byte)
  kNewlineInWord,   // word2vec binary: a newline inside a word
  kTruncatedRow,    // word2vec binary: the file ends inside a row (got: its bytes, expected: a full row's, word included)
  kMissingRows,     // the file ends after `got` rows; the header said `expected`
  kExtraRows,       // a row after the header's count (expected)
};

struct ParseErrorInfo {
  ParseError error = ParseError::kNone;
  std::uint64_t line = 0;     // 1-based line of a text format (0 in a binary file's rows)
  std::uint64_t offset = 0;   // byte offset in the file
  std::uint64_t row = 0;      // 0-based row, duplicates included
  std::uint64_t got = 0, expected = 0;
  char snippet[48] = {};      // up to 48 bytes of the offending text (not NUL-terminated)
  std::size_t snippet_length = 0;
};

class WordVectorParser {
 public:
  // max_rows: stop after that many rows (duplicates included), leaving the rest unread.
  // total_bytes: the file's size, or an upper bound of it, or 0 when unknown; it sizes the
  // table up front and rules out headers the file cannot hold. The sink is the caller's.
  WordVectorParser(WordVectorFormat format, std::size_t max_rows, std::uint64_t total_bytes, RowSink& sink);

  // Parses the next n bytes of the file. False once the file is found malformed (error()
  // says why); later calls then do nothing.
  bool feed(const char* data, std::size_t n);
  // The end of the file: checks that nothing is missing and lets the sink trim. False if malformed.
  bool finish();
  // max_rows rows are in: the rest of the file need not be read.
  bool full() const { return rows_read_ == max_rows_; }

  // The format, once sniffed (kAuto before).
  WordVectorFormat format() const { return format_; }
  std::size_t dim() const { return dim_; }
  const WordSet& words() const { return words_; }
  std::size_t duplicates() const { return duplicates_; }
  const ParseErrorInfo& error() const { return error_; }

 private:
  bool sniff(bool at_end);
  bool feed_known(const char* p, std::size_t n);
  const char* feed_lines(const char* p, const char* end);
  bool feed_binary(const char* p, const char* end);
  const char* quick_row(const char* p, const char* limit);
  bool line(const char* p, std::size_t n, std::uint64_t offset);
  bool header(const char* p, std::size_t n, std::uint64_t offset);
  bool begin_rows(std::size_t dim, std::size_t expected_rows, std::uint64_t offset);
  bool text_row(const char* p, std::size_t n, std::uint64_t offset);
  bool not_a_number(const char* p, const char* field, const char* end, std::size_t j, std::uint64_t offset);
  bool add_word(const char* p, std::size_t n, std::uint64_t offset);
  bool end_row(std::uint64_t offset);
  bool binary_word(const char* p, std::size_t n, std::uint64_t offset);
  bool fail(ParseError error, std::uint64_t offset, std::uint64_t got = 0, std::uint64_t expected = 0);
  bool fail_at(ParseError error, std::uint64_t offset, const char* snippet, std::size_t snippet_length,
               std::uint64_t got = 0);
  std::uint64_t offset_of(const char* p) const { return consumed_ + static_cast<std::uint64_t>(p - chunk_); }
  bool text_format() const { return format_ != WordVectorFormat::kWord2vecBinary || expect_header_; }

  WordVectorFormat format_;
  RowSink& sink_;
  WordSet words_;
  const std::size_t max_rows_;
  const std::uint64_t total_bytes_;
  ParseErrorInfo error_;

  std::uint64_t consumed_ = 0;       // bytes of the file before chunk_
  const char* chunk_ = nullptr;      // the bytes being fed
  Growable<char> carry_;               // an unfinished line or binary word (or, sniffing, the file so far)
  std::uint64_t carry_offset_ = 0;   // where carry_ starts in the file
  std::uint64_t lines_ = 0;          // lines seen (text formats and the binary header)
  bool expect_header_;               // word2vec formats, before the first line
  std::size_t count_;                // the header's count (max_rows_ for GloVe)
  std::size_t dim_ = 0;              // 0 until known
  std::size_t rows_read_ = 0, duplicates_ = 0;
  bool row_is_new_ = false;          // the current row's word was not seen before
  float* row_ = nullptr;             // the current row, at the sink
  std::uint64_t blank_line_ = 0, blank_offset_ = 0;  // a blank line waiting for a row after it
  std::size_t vector_bytes_ = 0;     // binary: bytes of the current row's values read
  bool in_vector_ = false;           // binary: between a word and the end of its values
  std::uint64_t row_offset_ = 0;     // binary: where the current row starts
};

}  // namespace emb::io
