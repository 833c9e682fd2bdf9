// Embind layer for word-vector files: the parser (with the buffer JS copies each piece of the
// file into), the float32 table sink, the writer. Thin: the JS side (bindings/js/io/) feeds the
// pieces, words the errors, builds the Vocab and the Embedding.
#include <emscripten/bind.h>

#include <cstdint>
#include <cstring>

#include "embedding/embedding.h"
#include "io/row_sink.h"
#include "io/word_vectors.h"
#include "io/word_vectors_writer.h"

namespace {
using namespace emb::io;

class Parser {
 public:
  // max_rows and total_bytes arrive as doubles holding integers (total_bytes 0: unknown); the
  // sink as the address of a RowSink (a sink's rowSink()), kept alive by the caller.
  Parser(int format, double max_rows, double total_bytes, std::uintptr_t sink)
      : parser_(static_cast<WordVectorFormat>(format), static_cast<std::size_t>(max_rows),
                static_cast<std::uint64_t>(total_bytes), *reinterpret_cast<RowSink*>(sink)) {}
  // Where to copy the next n bytes of the file (0 when out of memory).
  std::uintptr_t input(std::size_t n) { return input_.reserve(n) ? reinterpret_cast<std::uintptr_t>(input_.data()) : 0; }
  bool feed(std::size_t n) { return parser_.feed(input_.data(), n); }
  bool finish() { return parser_.finish(); }
  bool full() const { return parser_.full(); }
  // The outcome as doubles (integers), read by the JS side in this order: error, line, offset,
  // row, got, expected, snippet address, snippet length (see ParseErrorInfo), then format,
  // dim, duplicates, and the words (see WordSet): text address, text bytes, starts address,
  // slots address, slot count.
  std::uintptr_t report() {
    const ParseErrorInfo& e = parser_.error();
    const WordSet& words = parser_.words();
    const double values[] = {static_cast<double>(e.error), static_cast<double>(e.line), static_cast<double>(e.offset),
                             static_cast<double>(e.row), static_cast<double>(e.got), static_cast<double>(e.expected),
                             static_cast<double>(reinterpret_cast<std::uintptr_t>(e.snippet)),
                             static_cast<double>(e.snippet_length), static_cast<double>(parser_.format()),
                             static_cast<double>(parser_.dim()), static_cast<double>(parser_.duplicates()),
                             static_cast<double>(reinterpret_cast<std::uintptr_t>(words.text())),
                             static_cast<double>(words.text_bytes()),
                             static_cast<double>(reinterpret_cast<std::uintptr_t>(words.starts())),
                             static_cast<double>(reinterpret_cast<std::uintptr_t>(words.slots())),
                             static_cast<double>(words.slot_count())};
    static_assert(sizeof values == sizeof report_);
    std::memcpy(report_, values, sizeof report_);
    return reinterpret_cast<std::uintptr_t>(report_);
  }

 private:
  emb::Growable<char> input_;
  WordVectorParser parser_;
  double report_[16];
};

// The sink as the parser takes it. Sinks travel as addresses: no RTTI for embind's base<>.
std::uintptr_t row_sink(F32TableSink& sink) { return reinterpret_cast<std::uintptr_t>(static_cast<RowSink*>(&sink)); }

// Moves the sink's table into a fresh (unallocated) table.
void move_table(F32TableSink& sink, emb::Embedding& table) {
  const std::size_t rows = sink.rows(), dim = sink.dim();
  table.adopt(sink.release(), rows, dim);
}

class Writer {
 public:
  Writer(int format, std::uintptr_t table, std::size_t rows, std::size_t dim)
      : writer_(static_cast<WordVectorFormat>(format), reinterpret_cast<const float*>(table), rows, dim) {}
  std::uintptr_t words(std::size_t bytes) { return reinterpret_cast<std::uintptr_t>(writer_.words(bytes)); }
  std::size_t write_piece() { return writer_.write_piece(); }
  std::uintptr_t piece() const { return reinterpret_cast<std::uintptr_t>(writer_.piece()); }

 private:
  WordVectorWriter writer_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(word_vectors) {
  using namespace emscripten;
  class_<F32TableSink>("F32TableSink")
      .constructor<>()
      .function("rowSink", &row_sink)
      .function("rows", &F32TableSink::rows)
      .function("moveTo", &move_table);
  class_<Parser>("WordVectorParser")
      .constructor<int, double, double, std::uintptr_t>()
      .function("input", &Parser::input)
      .function("feed", &Parser::feed)
      .function("finish", &Parser::finish)
      .function("full", &Parser::full)
      .function("report", &Parser::report);
  class_<Writer>("WordVectorWriter")
      .constructor<int, std::uintptr_t, std::size_t, std::size_t>()
      .function("words", &Writer::words)
      .function("writePiece", &Writer::write_piece)
      .function("piece", &Writer::piece);
}
