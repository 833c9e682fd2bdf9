// Plain C exports for nearest-neighbour search over a float32 or a compressed table: one call
// per search, the table as an opaque pointer, other pointers as integers, false back when
// scratch memory runs out. The JS side (bindings/js/nearest.js) validates every argument first.
#include "embedding/nearest.h"

#include <emscripten/emscripten.h>

#include <cstdint>

#include "address.h"
#include "embedding/embedding.h"
#include "storage/packed_table.h"

namespace {
using emb::Embedding;
using emb::PackedTable;

// queries: m x dim floats, or 0 when the rows self[0 : m) are the queries; self: m rows left
// out of their own query's results, or 0; exclude: ascending rows left out of every query's.
template <typename Rows, typename Table>
bool nearest(Table& t, int metric, std::uintptr_t queries, std::size_t m, std::uintptr_t self, std::size_t k,
             std::uintptr_t exclude, std::size_t num_exclude, std::uintptr_t index, std::uintptr_t score) {
  emb::NearestQuery q;
  q.metric = static_cast<emb::Metric>(metric);
  q.k = k;
  q.m = m;
  q.queries = ptr<const float>(queries);
  q.self = ptr<const std::int32_t>(self);
  q.exclude = ptr<const std::int32_t>(exclude);
  q.num_exclude = num_exclude;
  q.padding_row = t.padding_idx;
  Rows rows(t);  // a float32 table's rows, or a compressed one's dequantised a block at a time
  return emb::nearest(rows, q, ptr<std::int32_t>(index), ptr<float>(score));
}

template <typename Rows, typename Table>
bool analogy(Table& t, std::int32_t a, std::int32_t b, std::int32_t c, std::size_t k, std::uintptr_t index,
             std::uintptr_t score) {
  Rows rows(t);
  return emb::analogy(rows, a, b, c, k, t.padding_idx, ptr<std::int32_t>(index), ptr<float>(score));
}
}  // namespace

extern "C" {
EMSCRIPTEN_KEEPALIVE bool emb_nearest_table(Embedding* t, int metric, std::uintptr_t queries, std::size_t m,
                                            std::uintptr_t self, std::size_t k, std::uintptr_t exclude,
                                            std::size_t num_exclude, std::uintptr_t index, std::uintptr_t score) {
  return nearest<emb::TableRows>(*t, metric, queries, m, self, k, exclude, num_exclude, index, score);
}
EMSCRIPTEN_KEEPALIVE bool emb_nearest_packed(PackedTable* t, int metric, std::uintptr_t queries, std::size_t m,
                                             std::uintptr_t self, std::size_t k, std::uintptr_t exclude,
                                             std::size_t num_exclude, std::uintptr_t index, std::uintptr_t score) {
  return nearest<emb::PackedRows>(*t, metric, queries, m, self, k, exclude, num_exclude, index, score);
}
EMSCRIPTEN_KEEPALIVE bool emb_nearest_analogy_table(Embedding* t, std::int32_t a, std::int32_t b, std::int32_t c,
                                                    std::size_t k, std::uintptr_t index, std::uintptr_t score) {
  return analogy<emb::TableRows>(*t, a, b, c, k, index, score);
}
EMSCRIPTEN_KEEPALIVE bool emb_nearest_analogy_packed(PackedTable* t, std::int32_t a, std::int32_t b, std::int32_t c,
                                                     std::size_t k, std::uintptr_t index, std::uintptr_t score) {
  return analogy<emb::PackedRows>(*t, a, b, c, k, index, score);
}
}
