// Embind bindings for approximate nearest-neighbour indexes (src/ann/): the class `AnnIndex`, an
// index and the build under way, with one thin method per operation. The table searched travels
// as its handle's address (`ptr`) and whether it is compressed (an emb::PackedTable) or not (a
// float32 emb::Embedding); other pointers as integers. The JS side (bindings/js/ann.js) checks
// every argument first. Bound through the package's own Embind runtime (bindings/embind/runtime.js).
#include <emscripten/bind.h>

#include <cstdint>
#include <new>

#include "address.h"
#include "nearest_query.h"
#include "ann/checksum.h"
#include "ann/ivf_index.h"
#include "embedding/embedding.h"
#include "storage/packed_table.h"

namespace {
using emb::Embedding;
using emb::PackedTable;
using emb::ann::IvfBuilder;
using emb::ann::IvfIndex;
using std::size_t;
using std::uintptr_t;

// An index and the build under way, if any.
struct AnnHandle {
  IvfIndex index;
  IvfBuilder* builder = nullptr;
  ~AnnHandle() { delete builder; }
};

// 0 (a handle whose ptr is 0) when memory runs out.
AnnHandle* make() { return new (std::nothrow) AnnHandle(); }

// Calls fn(rows, padding_idx, changes) with the table's RowSource.
template <typename Fn>
auto with_rows(uintptr_t table, bool packed, Fn fn) {
  if (packed) {
    PackedTable& t = *ptr<PackedTable>(table);
    emb::PackedRows rows(t);
    return fn(static_cast<emb::RowSource&>(rows), t.padding_idx, std::uint64_t{0});
  }
  Embedding& t = *ptr<Embedding>(table);
  emb::TableRows rows(t);  // catches every row up with its optimizer first
  return fn(static_cast<emb::RowSource&>(rows), t.padding_idx, t.changes());
}

// Starts a build; false when memory runs out. The seed in two 32-bit halves.
bool build_begin(AnnHandle& h, uintptr_t table, bool packed, int metric, size_t lists, size_t sample,
                 size_t iterations, std::uint32_t seed_hi, std::uint32_t seed_lo) {
  delete h.builder;
  h.builder = new (std::nothrow) IvfBuilder();
  if (h.builder == nullptr) return false;
  emb::ann::BuildOptions o;
  o.metric = static_cast<emb::Metric>(metric);
  o.lists = lists;
  o.sample = sample;
  o.iterations = iterations;
  o.seed = (std::uint64_t{seed_hi} << 32) | seed_lo;
  // The index is for the rows as they are now: a change during the build makes it stale.
  return with_rows(table, packed, [&](emb::RowSource& rows, std::int32_t, std::uint64_t changes) {
    h.index.table_changes = changes;
    return h.builder->begin(rows, o, h.index);
  });
}

// One step of the build: 1 done, 0 more to do, -1 out of memory (the index is unusable then).
int build_step(AnnHandle& h, uintptr_t table, bool packed) {
  return with_rows(table, packed, [&](emb::RowSource& rows, std::int32_t, std::uint64_t) {
    if (!h.builder->step(rows)) return -1;
    if (!h.builder->done()) return 0;
    delete h.builder;
    h.builder = nullptr;
    return 1;
  });
}

bool search(AnnHandle& h, uintptr_t table, bool packed, uintptr_t queries, size_t m, uintptr_t self, size_t k,
            uintptr_t exclude, size_t num_exclude, size_t nprobe, size_t rerank, uintptr_t index, uintptr_t score) {
  return with_rows(table, packed, [&](emb::RowSource& rows, std::int32_t padding, std::uint64_t) {
    const emb::NearestQuery q = nearest_query(h.index.metric, queries, m, self, k, exclude, num_exclude, padding);
    return h.index.search(rows, q, nprobe, rerank, ptr<std::int32_t>(index), ptr<float>(score));
  });
}

bool analogy(AnnHandle& h, uintptr_t table, bool packed, std::int32_t a, std::int32_t b, std::int32_t c, size_t k,
             size_t nprobe, size_t rerank, uintptr_t index, uintptr_t score) {
  return with_rows(table, packed, [&](emb::RowSource& rows, std::int32_t padding, std::uint64_t) {
    return h.index.analogy(rows, a, b, c, k, padding, nprobe, rerank, ptr<std::int32_t>(index), ptr<float>(score));
  });
}

// The checksum of a table's stored rows (float32 after optimizer catch-up, or as packed), in
// two 32-bit halves at out[0] (high), out[1] (low).
void checksum(uintptr_t table, bool packed, uintptr_t out) {
  std::uint64_t sum;
  if (packed) {
    PackedTable& t = *ptr<PackedTable>(table);
    sum = emb::ann::checksum(t.data(), t.byte_length());
  } else {
    Embedding& t = *ptr<Embedding>(table);
    t.catch_up_all();
    sum = emb::ann::checksum(reinterpret_cast<const std::uint8_t*>(t.weight()), t.rows() * t.dim() * sizeof(float));
  }
  ptr<std::uint32_t>(out)[0] = static_cast<std::uint32_t>(sum >> 32);
  ptr<std::uint32_t>(out)[1] = static_cast<std::uint32_t>(sum);
}
}  // namespace

EMSCRIPTEN_BINDINGS(ann) {
  emscripten::class_<AnnHandle>("AnnIndex")
      .constructor(&make, emscripten::allow_raw_pointers())
      .function("buildBegin", &build_begin)
      .function("buildStep", &build_step)
      .function("buildProgress", +[](AnnHandle& h) { return h.builder ? h.builder->progress() : 1.0; })
      // Whether the table changed since the index was built or loaded.
      .function("stale", +[](AnnHandle& h, uintptr_t table, bool packed) {
        return !packed && ptr<Embedding>(table)->changes() != h.index.table_changes;
      })
      // After a load: the index is for the table as it is now.
      .function("markCurrent", +[](AnnHandle& h, uintptr_t table, bool packed) {
        h.index.table_changes = packed ? 0 : ptr<Embedding>(table)->changes();
      })
      .function("search", &search)
      .function("analogy", &analogy)
      // The layout, for saving (and filling, after allocate, when loading).
      .function("lists", +[](AnnHandle& h) { return h.index.lists; })
      .function("subspaces", +[](AnnHandle& h) { return h.index.subspaces; })
      .function("blocks", +[](AnnHandle& h) { return h.index.blocks; })
      .function("metric", +[](AnnHandle& h) { return static_cast<int>(h.index.metric); })
      .function("byteLength", +[](AnnHandle& h) { return h.index.byte_length(); })
      .function("centroidsPtr", +[](AnnHandle& h) { return address(h.index.centroids.data()); })
      .function("offsetsPtr", +[](AnnHandle& h) { return address(h.index.offsets.data()); })
      .function("idsPtr", +[](AnnHandle& h) { return address(h.index.ids.data()); })
      .function("codesPtr", +[](AnnHandle& h) { return address(h.index.codes.data()); })
      .function("codebooksPtr", +[](AnnHandle& h) { return address(h.index.codebooks.data()); })
      .function("extrasPtr", +[](AnnHandle& h) { return address(h.index.extras.data()); })
      .function("allocate", +[](AnnHandle& h, int metric, size_t lists, size_t rows, size_t dim, size_t blocks) {
        return h.index.allocate(static_cast<emb::Metric>(metric), lists, rows, dim, blocks);
      })
      // emb::ann::LayoutError: 0 when the layout is sound (the index is searchable then).
      .function("validate", +[](AnnHandle& h) { return static_cast<int>(h.index.validate()); });
  emscripten::function("annChecksum", &checksum);
}
