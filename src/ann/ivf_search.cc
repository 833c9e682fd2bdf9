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
// Queries whose centroid scores are computed together (the centroids are read once for them).
constexpr std::size_t kQueryGroup = 16;

struct Candidate {
  float key;  // higher is better
  std::int32_t row;
};
// a before b: a higher key, or the same key and a lower row (emb::nearest's order).
inline bool better(const Candidate& a, const Candidate& b) {
  return a.key > b.key || (a.key == b.key && a.row < b.row);
}

// One thread's scratch, allocated before the work is split (pieces must not allocate).
struct Scratch {
  Buffer<float> coarse;          // kQueryGroup x lists
  Buffer<Candidate> order;       // lists, ranked
  Buffer<std::int16_t> query;    // stride
  Buffer<std::int32_t> dots;     // longest list
  Buffer<float> keys;            // longest list
  Buffer<Candidate> heap;        // rerank
  Buffer<float> row_scratch;     // RowSource::scratch_floats(1) + 1
  Buffer<float> inverse_query;   // 1
  bool allocate(std::size_t lists, std::size_t stride, std::size_t longest, std::size_t rerank, std::size_t extra) {
    return coarse.allocate(kQueryGroup * lists) && order.allocate(lists) && query.allocate(stride) &&
           dots.allocate(longest) && keys.allocate(longest) && heap.allocate(rerank) && row_scratch.allocate(extra + 1) &&
           inverse_query.allocate(1);
  }
};
}  // namespace

bool IvfIndex::search(RowSource& src, const NearestQuery& nq, std::size_t nprobe, std::size_t rerank,
                      std::int32_t* index, float* score) const {
  const std::size_t m = nq.m, k = nq.k;
  if (m == 0 || k == 0) return true;
  const bool cosine = metric == Metric::kCosine, l2 = metric == Metric::kL2;
  rerank = std::max(rerank, k);
  nprobe = std::max<std::size_t>(1, std::min(nprobe, lists));
  const std::uint64_t work = std::uint64_t{m} * (lists * dim + nprobe * (rows / std::max<std::size_t>(lists, 1) + 1) * stride);
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
    if (!scratch[p].allocate(lists, stride, longest_list_, rerank, src.scratch_floats(1))) return false;
  Buffer<float> own_queries;
  const float* queries = nq.queries;
  if (!queries) {
    if (!own_queries.allocate(m * dim)) return false;
    for (std::size_t q = 0; q < m; ++q) src.read_row(static_cast<std::size_t>(nq.self[q]), own_queries.data() + q * dim);
    queries = own_queries.data();
  }
  const float* inverse_row = cosine && rows > 0 ? src.inverse_norms() : nullptr;
  if (cosine && rows > 0 && inverse_row == nullptr) return false;

  // The int16 query's bound: 255 * Σ_j |q_j| must fit an int32 (kernels/ann).
  const float limit = static_cast<float>(std::min<double>(32767.0, 2147483647.0 / (255.0 * std::max<std::size_t>(stride, 1))));
  parallel_for(m, work, [&](std::size_t piece, std::size_t begin, std::size_t end) {
    Scratch& s = scratch[piece];
    for (std::size_t first = begin; first < end; first += kQueryGroup) {
      const std::size_t g = std::min(kQueryGroup, end - first);
      kernels::dot_block_f32(centroids.data(), lists, dim, queries + first * dim, g, s.coarse.data());
      for (std::size_t gq = 0; gq < g; ++gq) {
        const std::size_t q = first + gq;
        const float* query = queries + q * dim;
        const std::int32_t self = nq.self ? nq.self[q] : -1;
        const auto excluded = [&](std::int32_t row) {
          return row == nq.padding_row || row == self || std::binary_search(nq.exclude, nq.exclude + nq.num_exclude, row);
        };
        // Lists ranked by the centroid's key (NaN last), the best nprobe first.
        const float* coarse = s.coarse.data() + gq * lists;
        Candidate* order = s.order.data();
        for (std::size_t c = 0; c < lists; ++c) {
          const float key = coarse[c] + centroid_bias[c];
          order[c] = {std::isnan(key) ? -std::numeric_limits<float>::infinity() : key, static_cast<std::int32_t>(c)};
        }
        std::nth_element(order, order + nprobe - 1, order + lists, better);
        // Best lists first: the candidates' bar rises early, and fewer enter the heap.
        std::sort(order, order + nprobe, better);
        // The int16 query and the sum the codes' biases multiply.
        float top = 0, sum = 0;
        for (std::size_t j = 0; j < dim; ++j) {
          top = std::max(top, std::fabs(query[j]));
          sum += query[j];
        }
        const float qs = std::isfinite(top) && top > 0 ? top / limit : 0.0f;
        std::int16_t* qi = s.query.data();
        std::fill(qi, qi + stride, std::int16_t{0});
        if (qs > 0)
          for (std::size_t j = 0; j < dim; ++j) qi[j] = static_cast<std::int16_t>(std::nearbyint(query[j] / qs));
        // Scan: the best `rerank` candidates by the codes' estimate, in a heap whose root is the worst.
        Candidate* heap = s.heap.data();
        std::size_t size = 0;
        std::size_t probed = 0;
        for (; probed < lists && (probed < nprobe || size < rerank); ++probed) {
          if (probed == nprobe) std::sort(order + nprobe, order + lists, better);  // past nprobe: in rank order
          const std::size_t l = static_cast<std::size_t>(order[probed].row);
          const std::size_t from = static_cast<std::size_t>(offsets[l]), n = static_cast<std::size_t>(offsets[l + 1]) - from;
          kernels::code_dot_u8(codes.data() + from * stride, n, stride, qi, s.dots.data());
          // The estimates, element-wise (vectorised by the compiler), then the candidates.
          const float* scale = factors.data() + from;
          const float* bias = scale + rows;
          const float* extra = bias + rows;
          const std::int32_t* dots = s.dots.data();
          float* keys = s.keys.data();
          for (std::size_t i = 0; i < n; ++i) keys[i] = scale[i] * (qs * static_cast<float>(dots[i])) + bias[i] * sum + extra[i];
          for (std::size_t i = 0; i < n; ++i) {
            float key = keys[i];
            if (size == rerank && !(key >= heap[0].key)) continue;  // NaN too
            if (std::isnan(key)) key = -std::numeric_limits<float>::infinity();
            const Candidate c{key, ids[from + i]};
            if (size == rerank && !better(c, heap[0])) continue;
            if (excluded(c.row)) continue;
            if (size < rerank) {
              heap[size++] = c;
              std::push_heap(heap, heap + size, better);
            } else {
              std::pop_heap(heap, heap + size, better);
              heap[size - 1] = c;
              std::push_heap(heap, heap + size, better);
            }
          }
        }
        // Exact re-ranking: emb::nearest's scores and keys for the candidates.
        if (cosine) kernels::inverse_norms_f32(query, 1, dim, s.inverse_query.data());
        std::size_t kept = 0;
        for (std::size_t i = 0; i < size; ++i) {
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
  // emb::analogy's query, in its order (embedding/nearest.cc).
  const float* inverse = src.inverse_norms();
  Buffer<float> query;
  if (inverse == nullptr || !query.allocate(2 * dim)) return false;
  float* mean = query.data();
  float* row = mean + dim;
  std::fill(mean, mean + dim, 0.0f);
  const std::pair<std::int32_t, float> terms[] = {{b, 1.0f}, {c, 1.0f}, {a, -1.0f}};
  for (const auto& [r, weight] : terms) {
    src.read_row(static_cast<std::size_t>(r), row);
    for (std::size_t j = 0; j < dim; ++j) mean[j] += weight * (row[j] * inverse[r]);
  }
  std::int32_t exclude[] = {a, b, c};
  std::sort(exclude, exclude + 3);
  NearestQuery nq;
  nq.k = k;
  nq.m = 1;
  nq.queries = mean;
  nq.exclude = exclude;
  nq.num_exclude = 3;
  nq.padding_row = padding_row;
  return search(src, nq, nprobe, rerank, index, score);
}

}  // namespace emb::ann
