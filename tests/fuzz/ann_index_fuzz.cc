// libFuzzer target: any bytes as a saved approximate index (bindings/js/ann.js save()): the
// safetensors header parsed by the core, the five tensors taken as the JS loader takes them
// (names, dtypes, shapes), the layout validated (IvfIndex::validate). A layout that passes must
// be searchable without a crash, a leak or a sanitizer report, every answer a row of the table
// or -1: searched over a small table of its shape, for every metric, several nprobe values.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "ann/ivf_index.h"
#include "embedding/embedding.h"
#include "embedding/nearest.h"
#include "io/safetensors.h"

namespace {
using emb::ann::IvfIndex;

constexpr std::uint64_t kMaxRows = 2048, kMaxDim = 128, kMaxLists = 512;

const emb::SafetensorsTensor* find(const emb::SafetensorsHeader& h, const char* name) {
  for (std::size_t i = 0; i < h.tensors.size(); ++i) {
    const emb::SafetensorsTensor& t = h.tensors[i];
    if (t.name_size == std::strlen(name) && std::memcmp(h.text.data() + t.name_at, name, t.name_size) == 0) return &t;
  }
  return nullptr;
}

// The tensor's shape if it has this dtype and rank, else false.
bool shape_of(const emb::SafetensorsHeader& h, const emb::SafetensorsTensor* t, emb::Dtype dtype, std::uint32_t rank,
              std::uint64_t* dims) {
  if (t == nullptr || t->dtype != dtype || t->rank != rank) return false;
  for (std::uint32_t d = 0; d < rank; ++d) dims[d] = h.dims[t->shape_at + d];
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  emb::SafetensorsHeader h;
  if (!emb::parse_safetensors(data, size, size, h)) return 0;
  const std::uint8_t* section = data + 8 + h.header_size;
  std::uint64_t c[2], b[2], o[1], ids[1], codes[3], e[1];
  const auto* tc = find(h, "centroids");
  const auto* tb = find(h, "codebooks");
  const auto* to = find(h, "offsets");
  const auto* ti = find(h, "ids");
  const auto* tk = find(h, "codes");
  const auto* te = find(h, "extras");
  if (!shape_of(h, tc, emb::Dtype::kF32, 2, c) || !shape_of(h, tb, emb::Dtype::kF32, 2, b) ||
      !shape_of(h, to, emb::Dtype::kI32, 1, o) || !shape_of(h, ti, emb::Dtype::kI32, 1, ids) ||
      !shape_of(h, tk, emb::Dtype::kU8, 3, codes) || !shape_of(h, te, emb::Dtype::kF32, 1, e))
    return 0;
  const std::uint64_t lists = c[0], dim = c[1], rows = ids[0], blocks = codes[0];
  const std::uint64_t subspaces = emb::ann::subspaces_for(dim);
  if (rows > kMaxRows || dim > kMaxDim || lists > kMaxLists || blocks > rows) return 0;
  if ((rows > 0 ? !(lists >= 1 && lists <= rows) : lists != 0) || o[0] != lists + 1 || b[0] != subspaces ||
      b[1] != emb::ann::kCodewords || codes[1] != subspaces || codes[2] != 16 || e[0] != rows)
    return 0;
  const emb::Metric metric = static_cast<emb::Metric>(size % 3);
  IvfIndex index;
  if (!index.allocate(metric, lists, rows, dim, blocks)) return 0;
  std::memcpy(index.centroids.data(), section + tc->begin, tc->end - tc->begin);
  std::memcpy(index.codebooks.data(), section + tb->begin, tb->end - tb->begin);
  std::memcpy(index.offsets.data(), section + to->begin, to->end - to->begin);
  std::memcpy(index.ids.data(), section + ti->begin, ti->end - ti->begin);
  std::memcpy(index.codes.data(), section + tk->begin, tk->end - tk->begin);
  std::memcpy(index.extras.data(), section + te->begin, te->end - te->begin);
  if (index.validate() != emb::ann::LayoutError::kNone) return 0;

  // A table of that shape (values from the codes, so they vary with the input), and searches.
  emb::Embedding table;
  if (!table.allocate(rows, dim)) return 0;
  for (std::size_t i = 0; i < rows * dim; ++i) table.weight()[i] = static_cast<float>(data[i % size]) / 64.0f - 2.0f;
  table.all_rows_changed();
  emb::TableRows src(table);
  float query[kMaxDim * 2];
  for (std::size_t j = 0; j < 2 * dim; ++j) query[j] = static_cast<float>(data[(7 * j) % size]) / 32.0f - 4.0f;
  const std::size_t k = 5;
  std::int32_t out_index[2 * k];
  float out_score[2 * k];
  const auto check = [&](std::size_t m) {
    for (std::size_t s = 0; s < m * k; ++s)
      if (out_index[s] < -1 || out_index[s] >= static_cast<std::int64_t>(rows)) __builtin_trap();
  };
  for (std::size_t nprobe : {std::size_t{1}, std::size_t{3}, static_cast<std::size_t>(lists)}) {
    emb::NearestQuery q;
    q.metric = metric;
    q.k = k;
    q.m = 2;
    q.queries = query;
    if (!index.search(src, q, nprobe, 2 * k, out_index, out_score)) return 0;
    check(2);
    if (rows >= 3 && metric == emb::Metric::kCosine) {
      if (!index.analogy(src, 0, 1, static_cast<std::int32_t>(rows - 1), k, -1, nprobe, 2 * k, out_index, out_score))
        return 0;
      check(1);
    }
  }
  return 0;
}
