// Plain C exports for word-vector files: the parser (with the buffer JS copies each piece of
// the file into), the sinks it writes rows into (the float32 table sink here; the compressed
// one in storage.cc), the writer. Thin: the JS side (bindings/js/io/word-vectors.js) feeds the
// pieces, words the errors, builds the Vocab and the Embedding. Objects travel as opaque
// pointers (0 from a _new when memory runs out), sinks as the RowSink the parser takes.
#include "io/word_vectors.h"

#include <emscripten/emscripten.h>

#include <cstdint>
#include <cstring>
#include <new>

#include "embedding/embedding.h"
#include "io/row_sink.h"
#include "io/word_vectors_writer.h"

using namespace emb::io;

namespace {
struct Parser {
  // max_rows and total_bytes arrive as doubles holding integers (total_bytes 0: unknown).
  Parser(int format, double max_rows, double total_bytes, RowSink& sink)
      : parser(static_cast<WordVectorFormat>(format), static_cast<std::size_t>(max_rows),
               static_cast<std::uint64_t>(total_bytes), sink) {}
  emb::Growable<char> input;
  WordVectorParser parser;
  double report[16];
};
}  // namespace

extern "C" {
EMSCRIPTEN_KEEPALIVE RowSink* emb_word_vectors_f32_sink_new() { return new (std::nothrow) F32TableSink(); }
// Either sink's rows so far, and its end.
EMSCRIPTEN_KEEPALIVE std::size_t emb_word_vectors_sink_rows(RowSink* sink) { return sink->rows(); }
EMSCRIPTEN_KEEPALIVE void emb_word_vectors_sink_delete(RowSink* sink) { delete sink; }
// Moves the float32 sink's table into a fresh (unallocated) table.
EMSCRIPTEN_KEEPALIVE void emb_word_vectors_f32_sink_move_to(RowSink* sink, emb::Embedding* table) {
  F32TableSink& s = *static_cast<F32TableSink*>(sink);
  const std::size_t rows = s.rows(), dim = s.dim();
  table->adopt(s.release(), rows, dim);
}

// The sink is kept alive by the caller until the parser is deleted.
EMSCRIPTEN_KEEPALIVE Parser* emb_word_vectors_parser_new(int format, double max_rows, double total_bytes,
                                                         RowSink* sink) {
  return new (std::nothrow) Parser(format, max_rows, total_bytes, *sink);
}
EMSCRIPTEN_KEEPALIVE void emb_word_vectors_parser_delete(Parser* p) { delete p; }
// Where to copy the next n bytes of the file (0 when out of memory).
EMSCRIPTEN_KEEPALIVE char* emb_word_vectors_parser_input(Parser* p, std::size_t n) {
  return p->input.reserve(n) ? p->input.data() : nullptr;
}
EMSCRIPTEN_KEEPALIVE bool emb_word_vectors_parser_feed(Parser* p, std::size_t n) {
  return p->parser.feed(p->input.data(), n);
}
EMSCRIPTEN_KEEPALIVE bool emb_word_vectors_parser_finish(Parser* p) { return p->parser.finish(); }
EMSCRIPTEN_KEEPALIVE bool emb_word_vectors_parser_full(Parser* p) { return p->parser.full(); }
// The outcome as doubles (integers), read by the JS side in this order: error, line, offset,
// row, got, expected, snippet address, snippet length (see ParseErrorInfo), then format, dim,
// duplicates, and the words (see WordSet): text address, text bytes, starts address, slots
// address, slot count.
EMSCRIPTEN_KEEPALIVE double* emb_word_vectors_parser_report(Parser* p) {
  const WordVectorParser& parser = p->parser;
  const ParseErrorInfo& e = parser.error();
  const WordSet& words = parser.words();
  const double values[] = {static_cast<double>(e.error),
                           static_cast<double>(e.line),
                           static_cast<double>(e.offset),
                           static_cast<double>(e.row),
                           static_cast<double>(e.got),
                           static_cast<double>(e.expected),
                           static_cast<double>(reinterpret_cast<std::uintptr_t>(e.snippet)),
                           static_cast<double>(e.snippet_length),
                           static_cast<double>(parser.format()),
                           static_cast<double>(parser.dim()),
                           static_cast<double>(parser.duplicates()),
                           static_cast<double>(reinterpret_cast<std::uintptr_t>(words.text())),
                           static_cast<double>(words.text_bytes()),
                           static_cast<double>(reinterpret_cast<std::uintptr_t>(words.starts())),
                           static_cast<double>(reinterpret_cast<std::uintptr_t>(words.slots())),
                           static_cast<double>(words.slot_count())};
  static_assert(sizeof values == sizeof p->report);
  std::memcpy(p->report, values, sizeof p->report);
  return p->report;
}

EMSCRIPTEN_KEEPALIVE WordVectorWriter* emb_word_vectors_writer_new(int format, std::uintptr_t table, std::size_t rows,
                                                                   std::size_t dim) {
  return new (std::nothrow)
      WordVectorWriter(static_cast<WordVectorFormat>(format), reinterpret_cast<const float*>(table), rows, dim);
}
EMSCRIPTEN_KEEPALIVE void emb_word_vectors_writer_delete(WordVectorWriter* w) { delete w; }
EMSCRIPTEN_KEEPALIVE char* emb_word_vectors_writer_words(WordVectorWriter* w, std::size_t bytes) {
  return w->words(bytes);
}
EMSCRIPTEN_KEEPALIVE std::size_t emb_word_vectors_writer_write_piece(WordVectorWriter* w) { return w->write_piece(); }
EMSCRIPTEN_KEEPALIVE const char* emb_word_vectors_writer_piece(WordVectorWriter* w) { return w->piece(); }
}
