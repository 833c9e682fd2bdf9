// Embind bindings for word-vector files: the parser (`WordVectorParser`, with the buffer JS
// copies each piece of the file into), the float32 table sink it writes rows into (`F32Sink`;
// the compressed one is storage.cc's PackedSink), the writer (`WordVectorWriter`). Thin: the JS
// side (bindings/js/io/word-vectors.js) feeds the pieces, words the errors, builds the Vocab and
// the Embedding. Constructors give a handle whose ptr is 0 when memory runs out.
#include "io/word_vectors.h"

#include <emscripten/bind.h>

#include <cstdint>
#include <cstring>
#include <new>

#include "address.h"
#include "embedding/embedding.h"
#include "io/row_sink.h"
#include "io/word_vectors_writer.h"

using namespace emb::io;
using std::size_t;
using std::uintptr_t;

namespace {
struct Parser {
  // max_rows and total_bytes arrive as doubles holding integers (total_bytes 0: unknown).
  Parser(int format, double max_rows, double total_bytes, RowSink& sink)
      : parser(static_cast<WordVectorFormat>(format), static_cast<size_t>(max_rows),
               static_cast<std::uint64_t>(total_bytes), sink) {}
  emb::Growable<char> input;
  WordVectorParser parser;
  double report[16];
};

// The sink (an F32Sink's or PackedSink's rowSink()) is kept alive by the caller until the
// parser is deleted.
Parser* make_parser(int format, double max_rows, double total_bytes, uintptr_t sink) {
  return new (std::nothrow) Parser(format, max_rows, total_bytes, *ptr<RowSink>(sink));
}

// The outcome as doubles (integers), read by the JS side in this order: error, line, offset,
// row, got, expected, snippet address, snippet length (see ParseErrorInfo), then format, dim,
// duplicates, and the words (see WordSet): text address, text bytes, starts address, slots
// address, slot count.
uintptr_t report(Parser& p) {
  const WordVectorParser& parser = p.parser;
  const ParseErrorInfo& e = parser.error();
  const WordSet& words = parser.words();
  const double values[] = {static_cast<double>(e.error),
                           static_cast<double>(e.line),
                           static_cast<double>(e.offset),
                           static_cast<double>(e.row),
                           static_cast<double>(e.got),
                           static_cast<double>(e.expected),
                           static_cast<double>(address(e.snippet)),
                           static_cast<double>(e.snippet_length),
                           static_cast<double>(parser.format()),
                           static_cast<double>(parser.dim()),
                           static_cast<double>(parser.duplicates()),
                           static_cast<double>(address(words.text())),
                           static_cast<double>(words.text_bytes()),
                           static_cast<double>(address(words.starts())),
                           static_cast<double>(address(words.slots())),
                           static_cast<double>(words.slot_count())};
  static_assert(sizeof values == sizeof p.report);
  std::memcpy(p.report, values, sizeof p.report);
  return address(p.report);
}

F32TableSink* make_sink() { return new (std::nothrow) F32TableSink(); }

WordVectorWriter* make_writer(int format, uintptr_t table, size_t rows, size_t dim) {
  return new (std::nothrow) WordVectorWriter(static_cast<WordVectorFormat>(format), ptr<const float>(table), rows, dim);
}
}  // namespace

EMSCRIPTEN_BINDINGS(word_vectors) {
  emscripten::class_<Parser>("WordVectorParser")
      .constructor(&make_parser, emscripten::allow_raw_pointers())
      // Where to copy the next n bytes of the file (0 when out of memory).
      .function("input", +[](Parser& p, size_t n) { return p.input.reserve(n) ? address(p.input.data()) : 0; })
      .function("feed", +[](Parser& p, size_t n) { return p.parser.feed(p.input.data(), n); })
      .function("finish", +[](Parser& p) { return p.parser.finish(); })
      .function("full", +[](Parser& p) { return p.parser.full(); })
      .function("reportPtr", &report);

  // Handed to the parser as the address of its RowSink.
  emscripten::class_<F32TableSink>("F32Sink")
      .constructor(&make_sink, emscripten::allow_raw_pointers())
      .function("rowSink", +[](F32TableSink& s) { return address(static_cast<RowSink*>(&s)); })
      .function("rows", +[](F32TableSink& s) { return s.rows(); })
      // Moves the table into a fresh (unallocated) table.
      .function("moveTo", +[](F32TableSink& s, emb::Embedding* table) {
        const size_t rows = s.rows(), dim = s.dim();
        table->adopt(s.release(), rows, dim);
      }, emscripten::allow_raw_pointers());

  emscripten::class_<WordVectorWriter>("WordVectorWriter")
      .constructor(&make_writer, emscripten::allow_raw_pointers())
      .function("words", +[](WordVectorWriter& w, size_t bytes) { return address(w.words(bytes)); })
      // The size of the next piece: 0 once everything is written; SIZE_MAX when memory runs out.
      .function("writePiece", +[](WordVectorWriter& w) { return w.write_piece(); })
      .function("piecePtr", +[](WordVectorWriter& w) { return address(w.piece()); });
}
