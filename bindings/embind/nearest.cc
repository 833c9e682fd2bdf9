// Embind layer for nearest-neighbour search over a float32 table: one call per search,
// pointers as integers, false back when scratch memory runs out. The JS side
// (bindings/js/nearest.js) validates every argument first.
#include <emscripten/bind.h>

#include <cstdint>

#include "address.h"
#include "embedding/embedding.h"
#include "embedding/nearest.h"

namespace {
using emb::Embedding;

// queries: m x dim floats, or 0 when the rows self[0 : m) are the queries; self: m rows left
// out of their own query's results, or 0; exclude: ascending rows left out of every query's.
bool nearest(Embedding& e, int metric, std::uintptr_t queries, std::size_t m, std::uintptr_t self, std::size_t k,
             std::uintptr_t exclude, std::size_t num_exclude, std::uintptr_t index, std::uintptr_t score) {
  emb::NearestQuery q;
  q.metric = static_cast<emb::Metric>(metric);
  q.k = k;
  q.m = m;
  q.queries = ptr<const float>(queries);
  q.self = ptr<const std::int32_t>(self);
  q.exclude = ptr<const std::int32_t>(exclude);
  q.num_exclude = num_exclude;
  q.padding_row = e.padding_idx;
  emb::TableRows rows(e);
  return emb::nearest(rows, q, ptr<std::int32_t>(index), ptr<float>(score));
}

bool analogy(Embedding& e, std::int32_t a, std::int32_t b, std::int32_t c, std::size_t k, std::uintptr_t index,
             std::uintptr_t score) {
  emb::TableRows rows(e);
  return emb::analogy(rows, a, b, c, k, e.padding_idx, ptr<std::int32_t>(index), ptr<float>(score));
}
}  // namespace

EMSCRIPTEN_BINDINGS(nearest) {
  emscripten::function("nearest", &nearest);
  emscripten::function("analogy", &analogy);
}
