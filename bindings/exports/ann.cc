// Plain C exports for approximate nearest-neighbour indexes (src/ann/): one call per
// operation, the index and its table as opaque pointers (the table a float32 emb::Embedding or,
// with packed true, an emb::PackedTable), other pointers as integers. The JS side
// (bindings/js/ann.js, class WasmAnnIndex) validates every argument first.
#include <emscripten/emscripten.h>

#include <cstdint>
#include <new>

#include "address.h"
#include "ann/checksum.h"
#include "ann/ivf_index.h"
#include "embedding/embedding.h"
#include "storage/packed_table.h"

namespace {
using emb::Embedding;
using emb::PackedTable;
using emb::ann::IvfBuilder;
using emb::ann::IvfIndex;

// An index and the build under way, if any.
struct AnnHandle {
  IvfIndex index;
  IvfBuilder* builder = nullptr;
  ~AnnHandle() { delete builder; }
};

// Calls fn(rows, padding_idx, changes) with the table's RowSource.
template <typename Fn>
auto with_rows(void* table, bool packed, Fn fn) {
  if (packed) {
    PackedTable& t = *static_cast<PackedTable*>(table);
    emb::PackedRows rows(t);
    return fn(static_cast<emb::RowSource&>(rows), t.padding_idx, std::uint64_t{0});
  }
  Embedding& t = *static_cast<Embedding*>(table);
  emb::TableRows rows(t);  // catches every row up with its optimizer first
  return fn(static_cast<emb::RowSource&>(rows), t.padding_idx, t.changes());
}
}  // namespace

extern "C" {
EMSCRIPTEN_KEEPALIVE AnnHandle* emb_ann_new() { return new (std::nothrow) AnnHandle(); }
EMSCRIPTEN_KEEPALIVE void emb_ann_delete(AnnHandle* h) { delete h; }

// Starts a build; false when memory runs out. seed in two 32-bit halves.
EMSCRIPTEN_KEEPALIVE bool emb_ann_build_begin(AnnHandle* h, void* table, bool packed, int metric, std::size_t lists,
                                              std::size_t sample, std::size_t iterations, std::uint32_t seed_hi,
                                              std::uint32_t seed_lo) {
  delete h->builder;
  h->builder = new (std::nothrow) IvfBuilder();
  if (h->builder == nullptr) return false;
  emb::ann::BuildOptions o;
  o.metric = static_cast<emb::Metric>(metric);
  o.lists = lists;
  o.sample = sample;
  o.iterations = iterations;
  o.seed = (std::uint64_t{seed_hi} << 32) | seed_lo;
  // The index is for the rows as they are now: a change during the build makes it stale.
  return with_rows(table, packed, [&](emb::RowSource& rows, std::int32_t, std::uint64_t changes) {
    h->index.table_changes = changes;
    return h->builder->begin(rows, o, h->index);
  });
}
// One step of the build: 1 done, 0 more to do, -1 out of memory (the index is unusable then).
EMSCRIPTEN_KEEPALIVE int emb_ann_build_step(AnnHandle* h, void* table, bool packed) {
  return with_rows(table, packed, [&](emb::RowSource& rows, std::int32_t, std::uint64_t) {
    if (!h->builder->step(rows)) return -1;
    if (!h->builder->done()) return 0;
    delete h->builder;
    h->builder = nullptr;
    return 1;
  });
}
EMSCRIPTEN_KEEPALIVE double emb_ann_build_progress(AnnHandle* h) { return h->builder ? h->builder->progress() : 1.0; }

// Whether the table changed since the index was built or loaded.
EMSCRIPTEN_KEEPALIVE bool emb_ann_stale(AnnHandle* h, void* table, bool packed) {
  return !packed && static_cast<Embedding*>(table)->changes() != h->index.table_changes;
}
// After a load: the index is for the table as it is now.
EMSCRIPTEN_KEEPALIVE void emb_ann_mark_current(AnnHandle* h, void* table, bool packed) {
  h->index.table_changes = packed ? 0 : static_cast<Embedding*>(table)->changes();
}

EMSCRIPTEN_KEEPALIVE bool emb_ann_search(AnnHandle* h, void* table, bool packed, std::uintptr_t queries, std::size_t m,
                                         std::uintptr_t self, std::size_t k, std::uintptr_t exclude,
                                         std::size_t num_exclude, std::size_t nprobe, std::size_t rerank,
                                         std::uintptr_t index, std::uintptr_t score) {
  return with_rows(table, packed, [&](emb::RowSource& rows, std::int32_t padding, std::uint64_t) {
    emb::NearestQuery q;
    q.metric = h->index.metric;
    q.k = k;
    q.m = m;
    q.queries = ptr<const float>(queries);
    q.self = ptr<const std::int32_t>(self);
    q.exclude = ptr<const std::int32_t>(exclude);
    q.num_exclude = num_exclude;
    q.padding_row = padding;
    return h->index.search(rows, q, nprobe, rerank, ptr<std::int32_t>(index), ptr<float>(score));
  });
}
EMSCRIPTEN_KEEPALIVE bool emb_ann_analogy(AnnHandle* h, void* table, bool packed, std::int32_t a, std::int32_t b,
                                          std::int32_t c, std::size_t k, std::size_t nprobe, std::size_t rerank,
                                          std::uintptr_t index, std::uintptr_t score) {
  return with_rows(table, packed, [&](emb::RowSource& rows, std::int32_t padding, std::uint64_t) {
    return h->index.analogy(rows, a, b, c, k, padding, nprobe, rerank, ptr<std::int32_t>(index), ptr<float>(score));
  });
}

// The layout, for saving (and filling, after emb_ann_allocate, when loading).
EMSCRIPTEN_KEEPALIVE std::size_t emb_ann_lists(AnnHandle* h) { return h->index.lists; }
EMSCRIPTEN_KEEPALIVE std::size_t emb_ann_subspaces(AnnHandle* h) { return h->index.subspaces; }
EMSCRIPTEN_KEEPALIVE std::size_t emb_ann_blocks(AnnHandle* h) { return h->index.blocks; }
EMSCRIPTEN_KEEPALIVE int emb_ann_metric(AnnHandle* h) { return static_cast<int>(h->index.metric); }
EMSCRIPTEN_KEEPALIVE std::size_t emb_ann_byte_length(AnnHandle* h) { return h->index.byte_length(); }
EMSCRIPTEN_KEEPALIVE float* emb_ann_centroids(AnnHandle* h) { return h->index.centroids.data(); }
EMSCRIPTEN_KEEPALIVE std::int32_t* emb_ann_offsets(AnnHandle* h) { return h->index.offsets.data(); }
EMSCRIPTEN_KEEPALIVE std::int32_t* emb_ann_ids(AnnHandle* h) { return h->index.ids.data(); }
EMSCRIPTEN_KEEPALIVE std::uint8_t* emb_ann_codes(AnnHandle* h) { return h->index.codes.data(); }
EMSCRIPTEN_KEEPALIVE float* emb_ann_codebooks(AnnHandle* h) { return h->index.codebooks.data(); }
EMSCRIPTEN_KEEPALIVE float* emb_ann_extras(AnnHandle* h) { return h->index.extras.data(); }
EMSCRIPTEN_KEEPALIVE bool emb_ann_allocate(AnnHandle* h, int metric, std::size_t lists, std::size_t rows,
                                           std::size_t dim, std::size_t blocks) {
  return h->index.allocate(static_cast<emb::Metric>(metric), lists, rows, dim, blocks);
}
// emb::ann::LayoutError: 0 when the layout is sound (the index is searchable then).
EMSCRIPTEN_KEEPALIVE int emb_ann_validate(AnnHandle* h) { return static_cast<int>(h->index.validate()); }

// The checksum of a table's stored rows (float32 after optimizer catch-up, or as packed), in
// two 32-bit halves at out[0] (high), out[1] (low).
EMSCRIPTEN_KEEPALIVE void emb_ann_checksum(void* table, bool packed, std::uintptr_t out) {
  std::uint64_t sum;
  if (packed) {
    PackedTable& t = *static_cast<PackedTable*>(table);
    sum = emb::ann::checksum(t.data(), t.byte_length());
  } else {
    Embedding& t = *static_cast<Embedding*>(table);
    t.catch_up_all();
    sum = emb::ann::checksum(reinterpret_cast<const std::uint8_t*>(t.weight()), t.rows() * t.dim() * sizeof(float));
  }
  ptr<std::uint32_t>(out)[0] = static_cast<std::uint32_t>(sum >> 32);
  ptr<std::uint32_t>(out)[1] = static_cast<std::uint32_t>(sum);
}
}
