// Embind bindings for compressed tables (emb::PackedTable, the class `PackedTable`) and the sink
// that quantizes a word-vector file's rows as they arrive (emb::PackedSink, `PackedSink`). The
// lookups take the float32 table's arguments and names (table.cc), so the JS tables drive either
// kind the same way. Pointers travel as integers, failures as status codes.
#include <emscripten/bind.h>

#include <cstdint>
#include <new>

#include "address.h"
#include "storage/packed_sink.h"
#include "storage/packed_table.h"

using emb::PackedSink;
using emb::PackedTable;
using std::size_t;
using std::uintptr_t;

namespace {
// 0 (a handle whose ptr is 0) when memory runs out.
PackedTable* make_table() { return new (std::nothrow) PackedTable(); }
// storage: 1 float16, 2 int8, 3 int4 (emb::Storage).
PackedSink* make_sink(int storage) { return new (std::nothrow) PackedSink(static_cast<emb::Storage>(storage)); }
// Statuses: -1 success, -2 bad offsets, else a position (a row for quantize / firstInvalidRow).
int gather(PackedTable& t, uintptr_t idx, size_t n, uintptr_t out) {
  return static_cast<int>(t.gather(ptr<const std::int32_t>(idx), n, ptr<float>(out)));
}
}  // namespace

EMSCRIPTEN_BINDINGS(storage) {
  emscripten::class_<PackedTable>("PackedTable")
      .constructor(&make_table, emscripten::allow_raw_pointers())
      .function("allocate", +[](PackedTable& t, int storage, size_t rows, size_t dim) {
        return t.allocate(static_cast<emb::Storage>(storage), rows, dim);
      })
      .function("dataPtr", +[](PackedTable& t) { return address(t.data()); })
      .function("byteLength", +[](PackedTable& t) { return t.byte_length(); })
      .function("setPaddingIdx", +[](PackedTable& t, int padding_idx) { t.padding_idx = padding_idx; })
      .function("quantize", +[](PackedTable& t, size_t first, uintptr_t src, size_t n) {
        return static_cast<int>(t.quantize(first, ptr<const float>(src), n));
      })
      .function("firstInvalidRow", +[](PackedTable& t) { return static_cast<int>(t.first_invalid_row()); })
      .function("prepareLookup", +[](PackedTable& t, uintptr_t idx, size_t n) {
        return static_cast<int>(t.prepare_lookup(ptr<const std::int32_t>(idx), n));
      })
      .function("gather", &gather)
      .function("forward", &gather)
      .function("bagForward", +[](PackedTable& t, uintptr_t idx, size_t n, uintptr_t offsets, size_t num_bags, int mode,
                                  uintptr_t psw, uintptr_t out) {
        return static_cast<int>(t.bag_forward(ptr<const std::int32_t>(idx), n, ptr<const std::int32_t>(offsets),
                                              num_bags, static_cast<emb::BagMode>(mode), ptr<const float>(psw),
                                              ptr<float>(out)));
      });

  // Handed to a word-vector parser (word_vectors.cc) as the address of its RowSink.
  emscripten::class_<PackedSink>("PackedSink")
      .constructor(&make_sink, emscripten::allow_raw_pointers())
      .function("rowSink", +[](PackedSink& s) { return address(static_cast<emb::io::RowSink*>(&s)); })
      .function("rows", +[](PackedSink& s) { return s.rows(); })
      // Whether the last row failed because this storage cannot hold it, and that row's values.
      .function("rejected", +[](PackedSink& s) { return s.rejected(); })
      .function("rejectedRowPtr", +[](PackedSink& s) { return address(s.row()); })
      // Moves the sink's rows into a fresh (unallocated) table.
      .function("moveTo", +[](PackedSink& s, PackedTable* t) { s.move_to(*t); }, emscripten::allow_raw_pointers());
}
