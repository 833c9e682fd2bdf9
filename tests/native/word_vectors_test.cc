// The word-vector parser and writer (src/io/word_vectors*.h): the layouts of semantics.md §7,
// chunking that changes nothing, duplicates, limits, and every malformed-input rule with where
// it is reported.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "io/row_sink.h"
#include "io/word_vectors.h"
#include "io/word_vectors_writer.h"

namespace {

using emb::io::F32TableSink;
using emb::io::ParseError;
using emb::io::WordVectorFormat;
using emb::io::WordVectorParser;
using emb::io::WordVectorWriter;
constexpr auto kAuto = WordVectorFormat::kAuto;
constexpr auto kGlove = WordVectorFormat::kGlove;
constexpr auto kText = WordVectorFormat::kWord2vecText;
constexpr auto kBinary = WordVectorFormat::kWord2vecBinary;
constexpr std::size_t kWhole = SIZE_MAX;

struct Parsed {
  bool ok = false;
  emb::io::ParseErrorInfo error;
  WordVectorFormat format = kAuto;
  std::vector<std::string> words;
  std::vector<std::uint32_t> bits;  // the table, row-major
  std::size_t dim = 0, duplicates = 0;
};

Parsed parse(const std::string& file, WordVectorFormat format, std::size_t chunk = kWhole,
             std::size_t max_rows = SIZE_MAX, std::uint64_t total_bytes = 0) {
  F32TableSink sink;
  WordVectorParser parser(format, max_rows, total_bytes, sink);
  Parsed r;
  r.ok = true;
  for (std::size_t at = 0; r.ok && at < file.size() && !parser.full(); at += chunk)
    r.ok = parser.feed(file.data() + at, std::min(chunk, file.size() - at));
  r.ok = r.ok && parser.finish();
  r.error = parser.error();
  r.format = parser.format();
  if (!r.ok) return r;
  r.dim = parser.dim();
  r.duplicates = parser.duplicates();
  const std::string text(parser.words().text(), parser.words().text_bytes());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t newline = text.find('\n', at);
    r.words.push_back(text.substr(at, newline - at));
    at = newline + 1;
  }
  EXPECT_EQ(r.words.size(), sink.rows());
  float* table = sink.release();
  r.bits.resize(r.words.size() * r.dim);
  if (!r.bits.empty()) std::memcpy(r.bits.data(), table, r.bits.size() * sizeof(float));
  std::free(table);
  return r;
}

std::vector<std::uint32_t> bits(const std::vector<float>& values) {
  std::vector<std::uint32_t> out(values.size());
  std::memcpy(out.data(), values.data(), values.size() * sizeof(float));
  return out;
}

void expect_same(const Parsed& a, const Parsed& b, const std::string& what) {
  ASSERT_EQ(a.ok, b.ok) << what;
  if (!a.ok) {
    EXPECT_EQ(a.error.error, b.error.error) << what;
    EXPECT_EQ(a.error.line, b.error.line) << what;
    EXPECT_EQ(a.error.offset, b.error.offset) << what;
    EXPECT_EQ(a.error.row, b.error.row) << what;
    return;
  }
  EXPECT_EQ(a.format, b.format) << what;
  EXPECT_EQ(a.words, b.words) << what;
  EXPECT_EQ(a.bits, b.bits) << what;
  EXPECT_EQ(a.dim, b.dim) << what;
  EXPECT_EQ(a.duplicates, b.duplicates) << what;
}

// The same result whole and in chunks of 1, 2, 3, 7 and 64 bytes, sniffed or told the format.
Parsed parse_every_way(const std::string& file, WordVectorFormat format) {
  const Parsed whole = parse(file, format);
  for (const std::size_t chunk : {1, 2, 3, 7, 64}) expect_same(parse(file, format, chunk), whole, "chunk " + std::to_string(chunk));
  if (whole.ok) expect_same(parse(file, kAuto), whole, "sniffed");
  return whole;
}

const std::string kBinaryGolden(  // semantics.md §7.1, 38 bytes
    "\x32\x20\x33\x0a\x63\x61\x74\x20\x00\x00\x80\x3f\x00\x00\x00\xc0\x00\x00\x00\x3f\x0a"
    "\x64\x6f\x67\x20\x00\x00\x80\x3e\x00\x00\x00\x00\x00\x00\x40\x40\x0a",
    38);
const std::vector<float> kGoldenValues = {1.0f, -2.0f, 0.5f, 0.25f, 0.0f, 3.0f};
const std::vector<std::string> kGoldenWords = {"cat", "dog"};

TEST(WordVectors, ReadsTheLayoutsOfSemantics7) {
  const std::string text = "2 3\ncat 1.000000 -2.000000 0.500000 \ndog 0.250000 0.000000 3.000000 \n";  // §7.2
  const std::string vec = "2 3\ncat 1 -2 0.5 \ndog 0.25 0 3 \n";                                        // §7.3
  const std::string glove = "cat 1.000000 -2.000000 0.500000\ndog 0.250000 0.000000 3.000000\n";         // §7.4
  const std::string gensim_binary = kBinaryGolden.substr(0, 20) + kBinaryGolden.substr(21, 16);        // no newlines
  for (const auto& [file, format] : {std::pair{kBinaryGolden, kBinary}, {text, kText}, {vec, kText},
                                     {glove, kGlove}, {gensim_binary, kBinary}}) {
    const Parsed r = parse_every_way(file, format);
    ASSERT_TRUE(r.ok) << file;
    EXPECT_EQ(r.words, kGoldenWords);
    EXPECT_EQ(r.bits, bits(kGoldenValues));
    EXPECT_EQ(r.dim, 3u);
    EXPECT_EQ(r.format, format);
  }
}

TEST(WordVectors, AcceptsCrlfMissingFinalNewlineAndTrailingBlankLines) {
  for (const std::string& variant : {"cat 1 -2 0.5\r\ndog 0.25 0 3\r\n", "cat 1 -2 0.5\ndog 0.25 0 3",
                                     "cat 1 -2 0.5\ndog 0.25 0 3\n\n\r\n  \n"}) {
    const Parsed r = parse_every_way(variant, kGlove);
    ASSERT_TRUE(r.ok) << variant;
    EXPECT_EQ(r.words, kGoldenWords);
    EXPECT_EQ(r.bits, bits(kGoldenValues));
  }
  const Parsed r = parse_every_way("2 3\r\ncat 1 -2 0.5 \r\ndog 0.25 0 3", kText);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.bits, bits(kGoldenValues));
}

TEST(WordVectors, KeepsAByteOrderMarkAsGensimDoes) {
  // A BOM is part of the first word (so every file round-trips), and no header.
  const Parsed glove = parse_every_way("\xef\xbb\xbf" "cat 1\n", kGlove);
  ASSERT_TRUE(glove.ok);
  EXPECT_EQ(glove.words, std::vector<std::string>{"\xef\xbb\xbf" "cat"});
  EXPECT_EQ(parse("\xef\xbb\xbf" "1 1\ncat 1\n", kText).error.error, ParseError::kBadHeader);
}

TEST(WordVectors, GloveWordsMayHoldSpaces) {
  const Parsed r = parse_every_way("the 1 2\n. . . 3 4\nat name@domain.com 5 6\n", kGlove);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.words, (std::vector<std::string>{"the", ". . .", "at name@domain.com"}));
  EXPECT_EQ(r.bits, bits({1, 2, 3, 4, 5, 6}));
}

TEST(WordVectors, KeepsTheFirstOfARepeatedWordAndCountsTheRest) {
  for (const auto& [file, format] : {std::pair<std::string, WordVectorFormat>{"a 1\nb 2\na 3\nc 4\nb 5\n", kGlove},
                                     {"5 1\na 1\nb 2\na 3\nc 4\nb 5\n", kText}}) {
    const Parsed r = parse_every_way(file, format);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.words, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(r.bits, bits({1, 2, 4}));
    EXPECT_EQ(r.duplicates, 2u);
  }
}

TEST(WordVectors, StopsAtTheLimitWithoutReadingFurther) {
  // What follows the limit is malformed: never parsed, so no error.
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{5}, kWhole}) {
    const Parsed glove = parse("a 1 2\nb 3 4\nc x\n\xff", kGlove, chunk, 2);
    ASSERT_TRUE(glove.ok);
    EXPECT_EQ(glove.words, (std::vector<std::string>{"a", "b"}));
    // A header count above the limit, and rows missing after it: still fine.
    const Parsed text = parse("9 2\na 1 2\nb 3 4\nc x\n", kText, chunk, 2);
    ASSERT_TRUE(text.ok);
    EXPECT_EQ(text.bits, bits({1, 2, 3, 4}));
    const Parsed binary = parse(kBinaryGolden.substr(0, 21) + "garbage", kBinary, chunk, 1);
    ASSERT_TRUE(binary.ok);
    EXPECT_EQ(binary.words, std::vector<std::string>{"cat"});
  }
}

TEST(WordVectors, ReadsValuesAsStrtofAndBinaryBitForBit) {
  const Parsed r = parse_every_way("w 0.1 1e-05 -3.4028235e38 inf -nan 1.4e-45\n", kGlove);
  ASSERT_TRUE(r.ok);
  for (std::size_t j = 0; j < 6; ++j) {
    const char* fields[] = {"0.1", "1e-05", "-3.4028235e38", "inf", "-nan", "1.4e-45"};
    const float want = std::strtof(fields[j], nullptr);
    std::uint32_t want_bits;
    std::memcpy(&want_bits, &want, 4);
    EXPECT_EQ(r.bits[j], want_bits) << fields[j];
  }
  // A NaN with a payload, a subnormal, -0: kept exactly.
  const std::vector<std::uint32_t> odd = {0x7fa00001u, 0x00000001u, 0x80000000u};
  std::string binary = "1 3\nw ";
  binary.append(reinterpret_cast<const char*>(odd.data()), 12);
  const Parsed b = parse_every_way(binary, kBinary);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.bits, odd);
}

struct Malformed {
  const char* what;
  std::string file;
  WordVectorFormat format;
  ParseError error;
  std::uint64_t line, offset;
};

TEST(WordVectors, ReportsEachMalformedInputWhereItIs) {
  const std::string row = kBinaryGolden.substr(4, 17);  // "cat " + 3 floats + '\n'
  const std::vector<Malformed> cases = {
      {"empty GloVe", "", kGlove, ParseError::kEmpty, 0, 0},
      {"blank GloVe", "\n\n", kGlove, ParseError::kEmpty, 2, 2},
      {"empty word2vec", "", kText, ParseError::kEmpty, 0, 0},
      {"header not two numbers", "2 x\na 1\n", kText, ParseError::kBadHeader, 1, 0},
      {"header of three numbers", "2 3 4\n", kBinary, ParseError::kBadHeader, 1, 0},
      {"zero width", "2 0\na\nb\n", kText, ParseError::kAbsurdHeader, 1, 0},
      {"count past int32", "3000000000 1\n", kText, ParseError::kAbsurdHeader, 1, 0},
      {"table past 4 GiB", "100000000 100\n", kBinary, ParseError::kAbsurdHeader, 1, 0},
      {"rows too wide", "2 333023020\n", kBinary, ParseError::kAbsurdHeader, 1, 0},
      {"no values", "cat\ndog 1\n", kGlove, ParseError::kNoValues, 1, 0},
      {"blank line between rows", "a 1 2\n\n \nb 3 4\n", kGlove, ParseError::kEmptyLine, 2, 6},
      {"short row", "a 1 2 3\nb 4 5\n", kGlove, ParseError::kShortRow, 2, 8},
      {"no values after the first", "2 2\na 1 2\nb\n", kText, ParseError::kShortRow, 3, 10},
      {"long row", "2 2\na 1 2\nb 3 4 5\n", kText, ParseError::kLongRow, 3, 10},
      {"not a number", "a 1 2 3\nb 4 x 6\n", kGlove, ParseError::kNotANumber, 2, 12},
      {"two spaces", "2 2\na 1  2\n", kText, ParseError::kNotANumber, 2, 8},
      {"number then junk", "a 1 2.5.1\n", kGlove, ParseError::kNotANumber, 1, 4},
      {"bad UTF-8", "a 1\nb\xc3\x28 2\n", kGlove, ParseError::kBadUtf8, 2, 5},
      {"overlong UTF-8", "\xc0\xaf 1\n", kGlove, ParseError::kBadUtf8, 1, 0},
      {"surrogate in UTF-8", "ab\xed\xa0\x80 1\n", kGlove, ParseError::kBadUtf8, 1, 2},
      {"bad UTF-8 in binary", "1 1\n\xff\xfe \x00\x00\x80\x3f", kBinary, ParseError::kBadUtf8, 0, 4},
      {"newline in a binary word", "1 3\nca\nt " + row.substr(4), kBinary, ParseError::kNewlineInWord, 0, 6},
      {"truncated binary row", kBinaryGolden.substr(0, 30), kBinary, ParseError::kTruncatedRow, 0, 21},
      {"truncated binary word", kBinaryGolden.substr(0, 23), kBinary, ParseError::kTruncatedRow, 0, 21},
      {"missing text rows", "3 2\na 1 2\nb 3 4\n", kText, ParseError::kMissingRows, 3, 16},
      {"missing binary rows", "3" + kBinaryGolden.substr(1), kBinary, ParseError::kMissingRows, 0, 38},
      {"extra text row", "1 2\na 1 2\nb 3 4\n", kText, ParseError::kExtraRows, 3, 10},
      {"extra binary row", "1" + kBinaryGolden.substr(1), kBinary, ParseError::kExtraRows, 0, 21},
      {"header only, rows missing", "2 3", kBinary, ParseError::kMissingRows, 0, 3},
  };
  for (const Malformed& c : cases) {
    const Parsed r = parse_every_way(c.file, c.format);
    ASSERT_FALSE(r.ok) << c.what;
    EXPECT_EQ(r.error.error, c.error) << c.what;
    EXPECT_EQ(r.error.line, c.line) << c.what;
    EXPECT_EQ(r.error.offset, c.offset) << c.what;
  }
}

TEST(WordVectors, SaysWhatWasWrong) {
  const Parsed nan = parse("a 1 2 3\nb 4 x 6\n", kGlove);
  EXPECT_EQ(std::string(nan.error.snippet, nan.error.snippet_length), "x");
  EXPECT_EQ(nan.error.got, 1u);  // the second value
  EXPECT_EQ(nan.error.row, 1u);
  const Parsed shortRow = parse("a 1 2 3\nb 4 5\n", kGlove);
  EXPECT_EQ(shortRow.error.got, 2u);
  EXPECT_EQ(shortRow.error.expected, 3u);
  const Parsed missing = parse("3 2\na 1 2\nb 3 4\n", kText);
  EXPECT_EQ(missing.error.got, 2u);
  EXPECT_EQ(missing.error.expected, 3u);
  const Parsed truncated = parse(kBinaryGolden.substr(0, 30), kBinary);
  EXPECT_EQ(truncated.error.got, 5u);  // bytes of values present
  EXPECT_EQ(truncated.error.expected, 12u);
}

TEST(WordVectors, RulesOutHeadersTheFileCannotHold) {
  // 1000 rows of 3 values need 6000 bytes at least; a 40-byte file cannot hold them.
  const std::string file = "1000 3\na 1 2 3\n";
  EXPECT_EQ(parse(file, kText, kWhole, SIZE_MAX, 40).error.error, ParseError::kAbsurdHeader);
  EXPECT_EQ(parse(file, kText).error.error, ParseError::kMissingRows);  // size unknown: found at the end
  EXPECT_TRUE(parse("1 3\na 1 2 3", kText, kWhole, SIZE_MAX, 11).ok);  // exactly enough
}

TEST(WordVectors, SniffsTheFormat) {
  EXPECT_EQ(parse("2 3\n", kAuto).error.error, ParseError::kMissingRows);
  EXPECT_EQ(parse("cat 1 2\n", kAuto).format, kGlove);
  EXPECT_EQ(parse("3 2 1\n", kAuto).format, kGlove);  // three numbers: a row, not a header
  EXPECT_EQ(parse("1 3\ncat 1 2 3\n", kAuto).format, kText);
  EXPECT_EQ(parse(kBinaryGolden, kAuto).format, kBinary);
  EXPECT_EQ(parse("1 2\ncat 1 2 3\n", kAuto).error.error, ParseError::kLongRow);  // text, a row too long
}

// A random file: words of 1-12 bytes (some UTF-8, some repeated), values of every shape.
std::string random_file(std::mt19937& rng, WordVectorFormat format, std::size_t rows, std::size_t dim) {
  const char* pieces[] = {"a", "b", "z", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "_", "-", "0"};
  const char* values[] = {"0.1", "-2.5e-3", "1e-05", "0", "-0.000001", "3.4028235e38", "123456789", "inf", "nan", "7.006e-46"};
  std::string out = format == kGlove ? "" : std::to_string(rows) + " " + std::to_string(dim) + "\n";
  for (std::size_t r = 0; r < rows; ++r) {
    std::string word;
    for (std::size_t k = 0, n = 1 + rng() % 4; k < n; ++k) word += pieces[rng() % 9];
    out += word;
    for (std::size_t j = 0; j < dim; ++j) {
      if (format == kBinary) {
        const std::uint32_t v = rng();
        if (j == 0) out += ' ';
        out.append(reinterpret_cast<const char*>(&v), 4);
      } else {
        out += ' ';
        out += values[rng() % 10];
      }
    }
    out += format == kText && rng() % 2 ? " \n" : "\n";
  }
  return out;
}

TEST(WordVectors, ChunkingChangesNothing) {
  std::mt19937 rng(1);
  for (const WordVectorFormat format : {kGlove, kText, kBinary}) {
    for (const std::size_t dim : {1, 3, 17}) {
      const std::string file = random_file(rng, format, 300, dim);
      const Parsed r = parse_every_way(file, format);
      ASSERT_TRUE(r.ok) << static_cast<int>(format) << " dim " << dim << " " << static_cast<int>(r.error.error);
      EXPECT_GT(r.duplicates, 0u);
      EXPECT_EQ(r.words.size() + r.duplicates, 300u);
      // Cut anywhere, the file is malformed, and reported the same way in any chunking.
      for (const std::size_t cut : {file.size() / 3, file.size() / 2 + 1, file.size() - 2}) parse_every_way(file.substr(0, cut) + "\x01", format);
    }
  }
}

// What a sink is told to expect, and what it is given.
class RecordingSink final : public emb::io::RowSink {
 public:
  bool begin(std::size_t dim, std::size_t expected_rows) override {
    expected = expected_rows;
    row.resize(dim);
    return true;
  }
  float* next_row() override { return row.data(); }
  bool commit_row() override {
    ++committed;
    return true;
  }
  void finish() override { finished = true; }
  std::size_t rows() const override { return committed; }
  std::vector<float> row;
  std::size_t expected = 0, committed = 0;
  bool finished = false;
};

TEST(WordVectors, TellsTheSinkHowManyRowsToExpect) {
  std::mt19937 rng(2);
  const std::string glove = random_file(rng, kGlove, 1000, 10);
  RecordingSink sink;
  WordVectorParser parser(kGlove, SIZE_MAX, glove.size(), sink);
  ASSERT_TRUE(parser.feed(glove.data(), glove.size()) && parser.finish());
  EXPECT_TRUE(sink.finished);
  EXPECT_GE(sink.expected, 1000u);  // room for every row: no copy while growing
  EXPECT_LE(sink.expected, 1000u * 2 * 12);
  RecordingSink header_sink;
  WordVectorParser header_parser(kText, 7, 0, header_sink);
  ASSERT_TRUE(header_parser.feed("9 1\n", 4));
  EXPECT_EQ(header_sink.expected, 7u);  // the header's count, capped by the limit
}

// Writes a table as `format` and reads it back.
std::string write(WordVectorFormat format, const std::vector<std::string>& words, const std::vector<float>& table,
                  std::size_t dim) {
  WordVectorWriter writer(format, table.data(), words.size(), dim);
  std::string text;
  for (const auto& w : words) text += w + "\n";
  std::memcpy(writer.words(text.size()), text.data(), text.size());
  std::string out;
  for (std::size_t n; (n = writer.write_piece()) != 0;) {
    EXPECT_NE(n, SIZE_MAX);
    out.append(writer.piece(), n);
  }
  return out;
}

TEST(WordVectors, WritesGensimsTextAndTheCToolsBinary) {
  EXPECT_EQ(write(kText, kGoldenWords, kGoldenValues, 3), "2 3\ncat 1.0 -2.0 0.5\ndog 0.25 0.0 3.0\n");
  EXPECT_EQ(write(kGlove, kGoldenWords, kGoldenValues, 3), "cat 1.0 -2.0 0.5\ndog 0.25 0.0 3.0\n");
  EXPECT_EQ(write(kBinary, kGoldenWords, kGoldenValues, 3), kBinaryGolden);
  EXPECT_EQ(write(kText, {}, {}, 5), "0 5\n");
}

TEST(WordVectors, RoundTripsBitForBit) {
  std::mt19937 rng(4);
  std::vector<std::string> words;
  for (int i = 0; i < 30000; ++i) words.push_back("w" + std::to_string(i) + (i % 3 ? "\xc3\xa9" : ""));
  const std::size_t dim = 7;
  // Values as files hold them, and every 50th any bit pattern (the slow, exact paths).
  std::vector<float> table(words.size() * dim);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (std::size_t i = 0; i < table.size(); ++i) {
    std::uint32_t b = rng();
    if ((b & 0x7f800000) == 0x7f800000) b &= 0xff800000;  // text writes every NaN as "nan": keep infinities only
    if (i % 50 == 0) std::memcpy(&table[i], &b, 4);
    else table[i] = normal(rng);
  }
  for (const WordVectorFormat format : {kGlove, kText, kBinary}) {
    const std::string file = write(format, words, table, dim);
    EXPECT_GT(file.size(), std::size_t{1} << 20) << "written in several pieces";
    const Parsed r = parse(file, kAuto, 4096);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.format, format);
    EXPECT_EQ(r.words, words);
    EXPECT_EQ(r.bits, bits(table));
  }
}

}  // namespace
