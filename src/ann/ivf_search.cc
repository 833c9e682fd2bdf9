// Searching an IvfIndex: rank the lists, scan the best ones' codes, re-rank the best
// candidates exactly. See ivf_index.h.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

#include "ann/ivf_index.h"
#include "kernels/active.h"
#include "parallel/parallel.h"

namespace emb::ann {
namespace {
// Queries whose centroid scores are computed in one pass over the centroids. (Scanning a
// group's lists list by list, each list's codes read once for the group, measured no faster:
// a list is probed by ~2 of 32 queries, and the 32 lookup tables then miss L1.)
constexpr std::size_t kQueryGroup = 32;

struct Candidate {
  float key;  // higher is better
  std::int32_t row;
};
// a before b: a higher key, or the same key and a lower row (emb::nearest's order).
inline bool better(const Candidate& a, const Candidate& b) {
  return a.key > b.key || (a.key == b.key && a.row < b.row);
}

// One query's scan: estimate = coarse[list] + base + step * sum + extra; its candidates.
struct QueryScan {
  float base = 0, step = 0;
  std::size_t size = 0;
};

// One thread's scratch, allocated before the work is split (pieces must not allocate).
struct Scratch {
  Buffer<float> coarse;          // kQueryGroup x lists
  Buffer<Candidate> order;       // lists, ranked
  Buffer<float> table;           // subspaces x 16: a query's dot product with each codeword
  Buffer<std::uint8_t> lut;      // subspaces x 16: the same, quantised (kernels/ann)
  Buffer<std::uint16_t> sums;    // longest list (whole blocks)
  Buffer<Candidate> heaps;       // kQueryGroup x rerank
  Buffer<QueryScan> scans;       // kQueryGroup
  Buffer<float> row_scratch;     // RowSource::scratch_floats(1) + 1
  Buffer<float> inverse_query;   // 1
  bool allocate(std::size_t lists, std::size_t subspaces, std::size_t longest, std::size_t rerank, std::size_t extra) {
    return coarse.allocate(kQueryGroup * lists) && order.allocate(lists + 1) && table.allocate(subspaces * kCodewords) &&
           lut.allocate(subspaces * kCodewords) && sums.allocate(longest) && heaps.allocate(kQueryGroup * rerank) &&
           scans.allocate(kQueryGroup) && row_scratch.allocate(extra + 1) && inverse_query.allocate(1);
  }
};
}  // namespace

bool IvfIndex::search(RowSource& src, const NearestQuery& nq, std::size_t nprobe, std::size_t rerank,
                      std::int32_t* index, float* score) const {
  const std::size_t m = nq.m, k = nq.k;
  if (m == 0 || k == 0) return true;
  const bool cosine = metric == Metric::kCosine, l2 = metric == Metric::kL2;
  rerank = std::max(rerank, k);
  nprobe = std::min(std::max<std::size_t>(1, nprobe), lists);  // 0 only for a table without rows
  const std::uint64_t work = std::uint64_t{m} * (lists * dim + nprobe * (rows / std::max<std::size_t>(lists, 1) + 1) * subspaces);
  const std::size_t pieces = piece_count(m, work);
  Buffer<Scratch> scratch;
  if (!scratch.allocate(pieces)) return false;
  for (std::size_t p = 0; p < pieces; ++p) new (&scratch[p]) Scratch();
  struct Destroy {
    Buffer<Scratch>& s;
    std::size_t n;
    ~Destroy() {
      for (std::size_t p = 0; p < n; ++p) s[p].~Scratch();
    }
  } destroy{scratch, pieces};
  for (std::size_t p = 0; p < pieces; ++p)
    if (!scratch[p].allocate(lists, subspaces, longest_list_, rerank, src.scratch_floats(1))) return false;
  Buffer<float> own_queries;
  const float* queries = nq.queries;
  if (!queries) {
    if (!own_queries.allocate(m * dim)) return false;
    for (std::size_t q = 0; q < m; ++q) src.read_row(static_cast<std::size_t>(nq.self[q]), own_queries.data() + q * dim);
    queries = own_queries.data();
  }
  const float* inverse_row = cosine && rows > 0 ? src.inverse_norms() : nullptr;
  if (cosine && rows > 0 && inverse_row == nullptr) return false;

  // The largest table entry: <= 127, and the sum over subspaces must fit a uint16 (kernels/ann).
  const float top_entry = static_cast<float>(std::min<std::size_t>(127, 65535 / std::max<std::size_t>(subspaces, 1)));
  parallel_for(m, work, [&](std::size_t piece, std::size_t begin, std::size_t end) {
    Scratch& s = scratch[piece];
    for (std::size_t first = begin; first < end; first += kQueryGroup) {
      const std::size_t g = std::min(kQueryGroup, end - first);
      kernels::dot_block_f32(centroids.data(), lists, dim, queries + first * dim, g, s.coarse.data());
      const auto excluded = [&](std::int32_t row, std::size_t q) {
        return row == nq.padding_row || (nq.self && row == nq.self[q]) ||
               std::binary_search(nq.exclude, nq.exclude + nq.num_exclude, row);
      };
      // Lists ranked by the centroid's key (NaN last) for query gq of the group: the best
      // `count` first, in rank order when `sorted`.
      const auto rank_lists = [&](std::size_t gq, std::size_t count, bool sorted) {
        const float* coarse = s.coarse.data() + gq * lists;
        Candidate* order = s.order.data();
        for (std::size_t c = 0; c < lists; ++c) {
          const float key = coarse[c] + centroid_bias[c];
          order[c] = {std::isnan(key) ? -std::numeric_limits<float>::infinity() : key, static_cast<std::int32_t>(c)};
        }
        if (count > 0 && count < lists) std::nth_element(order, order + count - 1, order + lists, better);
        if (sorted) std::sort(order, order + count, better);
      };
      // Scans list l for query gq: the best `rerank` candidates by the estimate, in a heap
      // whose root is the worst.
      const auto scan = [&](std::size_t gq, std::size_t l) {
        const std::size_t from = static_cast<std::size_t>(offsets[l]), n = static_cast<std::size_t>(offsets[l + 1]) - from;
        if (n == 0) return;
        QueryScan& qs = s.scans[gq];
        Candidate* heap = s.heaps.data() + gq * rerank;
        const std::uint8_t* lut = s.lut.data();
        const std::size_t first_block = static_cast<std::size_t>(block_offsets[l]);
        kernels::pq4_scan(codes.data() + first_block * subspaces * 16, blocks_for(n), subspaces, lut, s.sums.data());
        const float list_base = s.coarse[gq * lists + l] + qs.base;
        const float step = qs.step;
        const float* extra = extras.data() + from;
        const std::uint16_t* sums = s.sums.data();
        // Sums that cannot beat the heap's worst are skipped by one integer comparison: `skip`
        // is below every sum whose estimate could (one step of margin for the rounding).
        float bar = -std::numeric_limits<float>::infinity();
        long skip = -1;
        const auto update = [&]() {
          bar = heap[0].key;
          const float need = step > 0 ? (bar - list_base - max_extra[l]) / step : -1.0f;
          skip = std::isfinite(need) ? static_cast<long>(std::fmin(std::fmax(std::floor(need) - 1.0f, -1.0f), 65536.0f))
                                     : (need > 0 ? 65536 : -1);
        };
        if (qs.size == rerank) update();
        for (std::size_t i = 0; i < n; ++i) {
          if (static_cast<long>(sums[i]) < skip) continue;
          float key = list_base + step * static_cast<float>(sums[i]) + extra[i];
          if (qs.size == rerank && !(key >= bar)) continue;  // NaN too
          if (std::isnan(key)) key = -std::numeric_limits<float>::infinity();
          const Candidate c{key, ids[from + i]};
          if (qs.size == rerank && !better(c, heap[0])) continue;
          if (excluded(c.row, first + gq)) continue;
          if (qs.size < rerank) {
            heap[qs.size++] = c;
            std::push_heap(heap, heap + qs.size, better);
          } else {
            std::pop_heap(heap, heap + qs.size, better);
            heap[qs.size - 1] = c;
            std::push_heap(heap, heap + qs.size, better);
          }
          if (qs.size == rerank) update();
        }
      };

      for (std::size_t gq = 0; gq < g; ++gq) {
        const std::size_t q = first + gq;
        const float* query = queries + q * dim;
        // The query's table (q_s · codeword per subspace, less the subspace's smallest entry,
        // in steps of `step`, 8 bits), then its nprobe lists, best first (the bar rises early).
        float* table = s.table.data();
        std::uint8_t* lut = s.lut.data();
        float base = 0, widest = 0;
        for (std::size_t sub = 0; sub < subspaces; ++sub) {
          const float qv = query[sub];
          const float* book = codebooks.data() + sub * kCodewords;
          float* t = table + sub * kCodewords;
          float low = std::numeric_limits<float>::infinity(), high = -low;
          for (std::size_t w = 0; w < kCodewords; ++w) {
            t[w] = qv * book[w];
            low = std::min(low, t[w]);
            high = std::max(high, t[w]);
          }
          for (std::size_t w = 0; w < kCodewords; ++w) t[w] -= low;
          base += low;
          widest = std::max(widest, high - low);
        }
        const float step = std::isfinite(widest) && widest > 0 ? widest / top_entry : 0.0f;
        for (std::size_t i = 0; i < subspaces * kCodewords; ++i)
          lut[i] = step > 0 ? static_cast<std::uint8_t>(std::fmin(std::nearbyint(table[i] / step), top_entry)) : 0;
        QueryScan& qs = s.scans[gq];
        qs = QueryScan{base, step, 0};
        rank_lists(gq, nprobe, true);
        for (std::size_t i = 0; i < nprobe; ++i) scan(gq, static_cast<std::size_t>(s.order[i].row));
        // Fewer candidates than wanted (a small table): the next lists in rank order.
        if (qs.size < rerank && nprobe < lists) {
          rank_lists(gq, lists, true);
          for (std::size_t i = nprobe; i < lists && qs.size < rerank; ++i) scan(gq, static_cast<std::size_t>(s.order[i].row));
        }
        // Exact re-ranking: emb::nearest's scores and keys for the candidates.
        Candidate* heap = s.heaps.data() + gq * rerank;
        if (cosine) kernels::inverse_norms_f32(query, 1, dim, s.inverse_query.data());
        std::size_t kept = 0;
        for (std::size_t i = 0; i < qs.size; ++i) {
          const std::int32_t row = heap[i].row;
          float key;
          src.score_block(l2, query, 1, static_cast<std::size_t>(row), 1, &key, s.row_scratch.data());
          if (cosine) key = (key * s.inverse_query[0]) * inverse_row[row];
          else if (l2) key = -std::sqrt(key);
          if (std::isnan(key)) continue;
          heap[kept++] = {key, row};
        }
        const std::size_t found = std::min(kept, k);
        std::partial_sort(heap, heap + found, heap + kept, better);
        for (std::size_t i = 0; i < k; ++i) {
          index[q * k + i] = i < found ? heap[i].row : -1;
          score[q * k + i] = i < found ? (l2 ? -heap[i].key : heap[i].key) : std::numeric_limits<float>::quiet_NaN();
        }
      }
    }
  });
  return true;
}

bool IvfIndex::analogy(RowSource& src, std::int32_t a, std::int32_t b, std::int32_t c, std::size_t k,
                       std::int32_t padding_row, std::size_t nprobe, std::size_t rerank, std::int32_t* index,
                       float* score) const {
  Buffer<float> buffer;
  std::int32_t exclude[3];
  NearestQuery q;
  return buffer.allocate(2 * dim) && analogy_query(src, a, b, c, k, padding_row, buffer.data(), exclude, q) &&
         search(src, q, nprobe, rerank, index, score);
}

}  // namespace emb::ann
