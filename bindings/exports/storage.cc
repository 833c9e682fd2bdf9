// Plain C exports for compressed tables (emb::PackedTable) and the sink that quantizes a
// word-vector file's rows as they arrive (emb::PackedSink). The lookups take the float32
// table's arguments (bindings/exports/table.cc), so the JS tables drive either kind the same
// way. Objects travel as opaque pointers, other pointers as integers, failures as status codes.
#include <emscripten/emscripten.h>

#include <cstdint>
#include <new>

#include "address.h"
#include "storage/packed_sink.h"
#include "storage/packed_table.h"

using emb::PackedSink;
using emb::PackedTable;
using emb::io::RowSink;

extern "C" {
// 0 when memory runs out.
EMSCRIPTEN_KEEPALIVE PackedTable* emb_storage_table_new() { return new (std::nothrow) PackedTable(); }
EMSCRIPTEN_KEEPALIVE void emb_storage_table_delete(PackedTable* t) { delete t; }
// storage: 1 float16, 2 int8, 3 int4 (emb::Storage).
EMSCRIPTEN_KEEPALIVE bool emb_storage_table_allocate(PackedTable* t, int storage, std::size_t rows, std::size_t dim) {
  return t->allocate(static_cast<emb::Storage>(storage), rows, dim);
}
EMSCRIPTEN_KEEPALIVE std::uint8_t* emb_storage_table_data(PackedTable* t) { return t->data(); }
EMSCRIPTEN_KEEPALIVE std::size_t emb_storage_table_byte_length(PackedTable* t) { return t->byte_length(); }
EMSCRIPTEN_KEEPALIVE void emb_storage_table_set_padding_idx(PackedTable* t, int padding_idx) {
  t->padding_idx = padding_idx;
}
// Statuses: -1 success, -2 bad offsets, else a position (a row for quantize / first_invalid_row).
EMSCRIPTEN_KEEPALIVE int emb_storage_table_quantize(PackedTable* t, std::size_t first, std::uintptr_t src,
                                                    std::size_t n) {
  return static_cast<int>(t->quantize(first, ptr<const float>(src), n));
}
EMSCRIPTEN_KEEPALIVE int emb_storage_table_first_invalid_row(PackedTable* t) {
  return static_cast<int>(t->first_invalid_row());
}
EMSCRIPTEN_KEEPALIVE int emb_storage_table_prepare_lookup(PackedTable* t, std::uintptr_t idx, std::size_t n) {
  return static_cast<int>(t->prepare_lookup(ptr<const std::int32_t>(idx), n));
}
EMSCRIPTEN_KEEPALIVE int emb_storage_table_gather(PackedTable* t, std::uintptr_t idx, std::size_t n,
                                                  std::uintptr_t out) {
  return static_cast<int>(t->gather(ptr<const std::int32_t>(idx), n, ptr<float>(out)));
}
EMSCRIPTEN_KEEPALIVE int emb_storage_table_bag_forward(PackedTable* t, std::uintptr_t idx, std::size_t n,
                                                       std::uintptr_t offsets, std::size_t num_bags, int mode,
                                                       std::uintptr_t psw, std::uintptr_t out) {
  return static_cast<int>(t->bag_forward(ptr<const std::int32_t>(idx), n, ptr<const std::int32_t>(offsets), num_bags,
                                         static_cast<emb::BagMode>(mode), ptr<const float>(psw), ptr<float>(out)));
}

// The sink travels as the RowSink a word-vector parser takes (bindings/exports/word_vectors.cc);
// storage as in emb_storage_table_allocate. 0 when memory runs out.
EMSCRIPTEN_KEEPALIVE RowSink* emb_storage_sink_new(int storage) {
  return new (std::nothrow) PackedSink(static_cast<emb::Storage>(storage));
}
// Whether the last row failed because this storage cannot hold it, and that row's values.
EMSCRIPTEN_KEEPALIVE bool emb_storage_sink_rejected(RowSink* sink) {
  return static_cast<PackedSink*>(sink)->rejected();
}
EMSCRIPTEN_KEEPALIVE const float* emb_storage_sink_rejected_row(RowSink* sink) {
  return static_cast<PackedSink*>(sink)->row();
}
// Moves the sink's rows into a fresh (unallocated) table.
EMSCRIPTEN_KEEPALIVE void emb_storage_sink_move_to(RowSink* sink, PackedTable* t) {
  static_cast<PackedSink*>(sink)->move_to(*t);
}
}
