// libFuzzer target: the word-vector parser (src/io/word_vectors.h) in every format, and the
// writer. Input: one control byte, then the file. The control byte picks the format (bits 0-1),
// the chunk size (bits 2-4), a limit of 3 rows (bit 5) and whether the size is known (bit 6).
// Besides what the sanitizers catch (crashes, leaks, undefined behaviour), it traps when
//   - the file parsed whole and in chunks gives different outcomes (table, words, error, where);
//   - a table it read, written back in each format and read again, is not the same table.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "io/row_sink.h"
#include "io/word_vectors.h"
#include "io/word_vectors_writer.h"

namespace {

using namespace emb::io;

struct Outcome {
  ParseError error;
  std::uint64_t line, offset, row;
  WordVectorFormat format;
  std::size_t dim, duplicates;
  std::string words;               // each followed by '\n'
  std::vector<std::uint32_t> bits;  // the table
  bool operator==(const Outcome& o) const {
    return error == o.error && line == o.line && offset == o.offset && row == o.row && format == o.format &&
           dim == o.dim && duplicates == o.duplicates && words == o.words && bits == o.bits;
  }
};

void check(bool ok) {
  if (!ok) __builtin_trap();
}

Outcome parse(const char* file, std::size_t size, WordVectorFormat format, std::size_t chunk, std::size_t max_rows,
              std::uint64_t total_bytes) {
  F32TableSink sink;
  WordVectorParser parser(format, max_rows, total_bytes, sink);
  bool ok = true;
  for (std::size_t at = 0; ok && at < size && !parser.full(); at += chunk)
    ok = parser.feed(file + at, std::min(chunk, size - at));
  ok = ok && parser.finish();
  const emb::io::ParseErrorInfo& e = parser.error();
  Outcome o{e.error, e.line, e.offset, e.row, parser.format(), 0, 0, {}, {}};
  check(ok == (e.error == ParseError::kNone));
  if (!ok) return o;
  o.dim = parser.dim();
  o.duplicates = parser.duplicates();
  o.words.assign(parser.words().text(), parser.words().text_bytes());
  check(static_cast<std::size_t>(std::count(o.words.begin(), o.words.end(), '\n')) == sink.rows());
  o.bits.resize(sink.rows() * o.dim);
  float* table = sink.release();
  if (!o.bits.empty()) std::memcpy(o.bits.data(), table, o.bits.size() * sizeof(float));
  std::free(table);
  return o;
}

// Writes `read` as `format`, reads it back as `format`, and checks that nothing changed (in
// text, every NaN is written "nan" and read back as the default quiet NaN).
void round_trip(const Outcome& read, WordVectorFormat format) {
  const std::size_t rows = read.bits.size() / read.dim;
  std::vector<float> table(read.bits.size() + 1);  // + 1: never empty (memcpy takes no nullptr)
  if (!read.bits.empty()) std::memcpy(table.data(), read.bits.data(), read.bits.size() * sizeof(float));
  WordVectorWriter writer(format, table.data(), rows, read.dim);
  char* words = writer.words(read.words.size());
  check(words != nullptr);
  if (!read.words.empty()) std::memcpy(words, read.words.data(), read.words.size());
  std::string file;
  for (std::size_t n; (n = writer.write_piece()) != 0;) {
    check(n != SIZE_MAX);
    file.append(writer.piece(), n);
  }
  const Outcome back = parse(file.data(), file.size(), format, file.size(), SIZE_MAX, file.size());
  check(back.error == ParseError::kNone && back.words == read.words && back.dim == read.dim && back.duplicates == 0);
  for (std::size_t i = 0; i < read.bits.size(); ++i) {
    const bool nan = (read.bits[i] & 0x7fffffff) > 0x7f800000;
    const std::uint32_t want = nan && format != WordVectorFormat::kWord2vecBinary ? 0x7fc00000 : read.bits[i];
    check(back.bits[i] == want);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const auto format = static_cast<WordVectorFormat>(control & 3);
  const std::size_t chunk = 1 + 5 * ((control >> 2) & 7);
  const std::size_t max_rows = control & 0x20 ? 3 : SIZE_MAX;
  const std::uint64_t total_bytes = control & 0x40 ? size - 1 : 0;
  const char* file = reinterpret_cast<const char*>(data + 1);

  const Outcome whole = parse(file, size - 1, format, size, max_rows, total_bytes);
  check(whole == parse(file, size - 1, format, chunk, max_rows, total_bytes));
  if (whole.error != ParseError::kNone) return 0;
  const std::size_t rows = whole.bits.size() / whole.dim;
  // GloVe needs a row (an empty file has no width); word2vec's readers split words at spaces.
  if (rows > 0) round_trip(whole, WordVectorFormat::kGlove);
  if (whole.words.find(' ') == std::string::npos) {
    round_trip(whole, WordVectorFormat::kWord2vecText);
    round_trip(whole, WordVectorFormat::kWord2vecBinary);
  }
  return 0;
}
