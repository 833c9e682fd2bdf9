// Embind layer for compressed tables (emb::PackedTable): the lookup calls carry the names of the
// float32 table's (bindings/embind/table.cc), so the JS tables drive either kind the same way.
// Pointers travel as integers into wasm memory, failures as status codes.
#include <emscripten/bind.h>

#include <cstdint>

#include "address.h"
#include "storage/packed_sink.h"
#include "storage/packed_table.h"

namespace {
using emb::PackedTable;

// storage: 1 float16, 2 int8, 3 int4 (emb::Storage).
bool allocate(PackedTable& t, int storage, std::size_t rows, std::size_t dim) {
  return t.allocate(static_cast<emb::Storage>(storage), rows, dim);
}
std::uintptr_t data_ptr(PackedTable& t) { return reinterpret_cast<std::uintptr_t>(t.data()); }
void set_padding_idx(PackedTable& t, int padding_idx) { t.padding_idx = padding_idx; }
// Statuses: -1 success, -2 bad offsets, else a position (a row for quantize / firstInvalidRow).
int quantize(PackedTable& t, std::size_t first, std::uintptr_t src, std::size_t n) {
  return static_cast<int>(t.quantize(first, ptr<const float>(src), n));
}
int first_invalid_row(PackedTable& t) { return static_cast<int>(t.first_invalid_row()); }
int prepare_lookup(PackedTable& t, std::uintptr_t idx, std::size_t n) {
  return static_cast<int>(t.prepare_lookup(ptr<const std::int32_t>(idx), n));
}
int gather(PackedTable& t, std::uintptr_t idx, std::size_t n, std::uintptr_t out) {
  return static_cast<int>(t.gather(ptr<const std::int32_t>(idx), n, ptr<float>(out)));
}
int bag_forward(PackedTable& t, std::uintptr_t idx, std::size_t n, std::uintptr_t offsets, std::size_t num_bags,
                int mode, std::uintptr_t psw, std::uintptr_t out) {
  return static_cast<int>(t.bag_forward(ptr<const std::int32_t>(idx), n, ptr<const std::int32_t>(offsets), num_bags,
                                        static_cast<emb::BagMode>(mode), ptr<const float>(psw), ptr<float>(out)));
}
// The sink as a word-vector parser takes it (an address, as bindings/embind/word_vectors.cc's).
std::uintptr_t row_sink(emb::PackedSink& sink) {
  return reinterpret_cast<std::uintptr_t>(static_cast<emb::io::RowSink*>(&sink));
}
emb::PackedSink* make_sink(int storage) { return new emb::PackedSink(static_cast<emb::Storage>(storage)); }
std::uintptr_t rejected_row(emb::PackedSink& sink) { return reinterpret_cast<std::uintptr_t>(sink.row()); }
}  // namespace

EMSCRIPTEN_BINDINGS(storage) {
  using namespace emscripten;
  class_<PackedTable>("PackedTable")
      .constructor<>()
      .function("allocate", &allocate)
      .function("dataPtr", &data_ptr)
      .function("byteLength", &PackedTable::byte_length)
      .function("setPaddingIdx", &set_padding_idx)
      .function("quantize", &quantize)
      .function("firstInvalidRow", &first_invalid_row)
      .function("prepareLookup", &prepare_lookup)
      .function("gather", &gather)
      .function("forward", &gather)
      .function("bagForward", &bag_forward);
  // A word-vector file's rows quantized as they arrive; storage as in allocate.
  class_<emb::PackedSink>("PackedSink")
      .constructor(&make_sink, allow_raw_pointers())
      .function("rowSink", &row_sink)
      .function("rows", &emb::PackedSink::rows)
      .function("rejected", &emb::PackedSink::rejected)
      .function("rejectedRow", &rejected_row)
      .function("moveTo", &emb::PackedSink::move_to);
}
