// Embind bindings for nearest-neighbour search over a float32 or a compressed table: one
// function per search and kind of table, the table (a Table or PackedTable handle) first, other
// pointers as integers, false back when scratch memory runs out. The JS side
// (bindings/js/nearest.js) validates every argument first.
#include "embedding/nearest.h"

#include <emscripten/bind.h>

#include <cstdint>

#include "address.h"
#include "nearest_query.h"
#include "embedding/embedding.h"
#include "storage/packed_table.h"

namespace {
using emb::Embedding;
using emb::PackedTable;

// queries: m x dim floats, or 0 when the rows self[0 : m) are the queries; self: m rows left
// out of their own query's results, or 0; exclude: ascending rows left out of every query's.
template <typename Rows, typename Table>
bool nearest(Table* table, int metric, std::uintptr_t queries, std::size_t m, std::uintptr_t self, std::size_t k,
             std::uintptr_t exclude, std::size_t num_exclude, std::uintptr_t index, std::uintptr_t score) {
  Table& t = *table;
  const emb::NearestQuery q =
      nearest_query(static_cast<emb::Metric>(metric), queries, m, self, k, exclude, num_exclude, t.padding_idx);
  Rows rows(t);  // a float32 table's rows, or a compressed one's dequantised a block at a time
  return emb::nearest(rows, q, ptr<std::int32_t>(index), ptr<float>(score));
}

template <typename Rows, typename Table>
bool analogy(Table* table, std::int32_t a, std::int32_t b, std::int32_t c, std::size_t k, std::uintptr_t index,
             std::uintptr_t score) {
  Table& t = *table;
  Rows rows(t);
  return emb::analogy(rows, a, b, c, k, t.padding_idx, ptr<std::int32_t>(index), ptr<float>(score));
}
}  // namespace

EMSCRIPTEN_BINDINGS(nearest) {
  using emscripten::allow_raw_pointers;
  emscripten::function("nearestTable", &nearest<emb::TableRows, Embedding>, allow_raw_pointers());
  emscripten::function("nearestPacked", &nearest<emb::PackedRows, PackedTable>, allow_raw_pointers());
  emscripten::function("analogyTable", &analogy<emb::TableRows, Embedding>, allow_raw_pointers());
  emscripten::function("analogyPacked", &analogy<emb::PackedRows, PackedTable>, allow_raw_pointers());
}
