// The search arguments the nearest-neighbour bindings take (nearest.cc, ann.cc), as the core's
// emb::NearestQuery: pointers into wasm memory as integers (0: none).
#pragma once
#include <cstddef>
#include <cstdint>

#include "address.h"
#include "embedding/nearest.h"

inline emb::NearestQuery nearest_query(emb::Metric metric, std::uintptr_t queries, std::size_t m, std::uintptr_t self,
                                       std::size_t k, std::uintptr_t exclude, std::size_t num_exclude,
                                       std::int32_t padding_row) {
  emb::NearestQuery q;
  q.metric = metric;
  q.k = k;
  q.m = m;
  q.queries = ptr<const float>(queries);
  q.self = ptr<const std::int32_t>(self);
  q.exclude = ptr<const std::int32_t>(exclude);
  q.num_exclude = num_exclude;
  q.padding_row = padding_row;
  return q;
}
