#include "embedding/nearest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <utility>

#include "embedding/embedding.h"
#include "kernels/active.h"
#include "parallel/parallel.h"

namespace emb {
namespace {

// Queries scored together in one pass over the table (their vectors stay in L1/L2 while each
// row is read once from memory), and the scores a block of rows produces for them.
constexpr std::size_t kQueryGroup = 64;
constexpr std::size_t kBlockScores = 16384;
constexpr std::size_t kMaxBlockRows = 1024;
// The most pieces a search is split into (one a thread).
constexpr std::size_t kMaxPieces = 64;

template <typename T>
std::unique_ptr<T[]> allocate(std::size_t n) {
  return std::unique_ptr<T[]>(new (std::nothrow) T[n > 0 ? n : 1]);
}

// The k best (key, row) pairs seen so far for one query, kept as a heap in the query's output
// slots whose root is the worst pair. A higher key is better; equal keys go to the lower row.
// Rows arrive in increasing order, so a newcomer whose key equals the worst one's is worse.
struct TopK {
  float* keys;
  std::int32_t* rows;
  std::size_t k, size;

  bool full() const { return size == k; }
  // The key a newcomer must beat once the heap is full.
  float bar() const { return keys[0]; }

  void offer(float key, std::int32_t row) {
    if (size < k) {
      std::size_t i = size++;
      for (; i > 0 && is_worse(key, row, (i - 1) / 2); i = (i - 1) / 2) move((i - 1) / 2, i);
      keys[i] = key;
      rows[i] = row;
    } else {
      sift_down(0, size, key, row);
    }
  }

  // Best first (keys negated back when `negate`), then index -1 and NaN where no row reached.
  void finish(bool negate) {
    for (std::size_t n = size; n > 1; --n) {  // heap sort: the worst goes last
      const float key = keys[n - 1];
      const std::int32_t row = rows[n - 1];
      move(0, n - 1);
      sift_down(0, n - 1, key, row);
    }
    if (negate)
      for (std::size_t s = 0; s < size; ++s) keys[s] = -keys[s];
    std::fill(keys + size, keys + k, std::numeric_limits<float>::quiet_NaN());
    std::fill(rows + size, rows + k, -1);
  }

 private:
  // Whether (key, row) is worse than the pair in slot s.
  bool is_worse(float key, std::int32_t row, std::size_t s) const {
    return key < keys[s] || (key == keys[s] && row > rows[s]);
  }
  // Whether the pair in slot s is worse than (key, row).
  bool slot_is_worse(std::size_t s, float key, std::int32_t row) const {
    return keys[s] < key || (keys[s] == key && rows[s] > row);
  }
  void move(std::size_t from, std::size_t to) {
    keys[to] = keys[from];
    rows[to] = rows[from];
  }
  // Puts (key, row) at slot i of the heap [0, n), sinking it while a child is worse than it
  // (the worst pair stays on top).
  void sift_down(std::size_t i, std::size_t n, float key, std::int32_t row) {
    for (std::size_t child; (child = 2 * i + 1) < n; i = child) {
      if (child + 1 < n && slot_is_worse(child + 1, keys[child], rows[child])) ++child;  // the worse child
      if (!slot_is_worse(child, key, row)) break;
      move(child, i);
    }
    keys[i] = key;
    rows[i] = row;
  }
};

// Merges the best-first lists of the pieces (keys higher-is-better, rows -1 past the end of a
// list) into the k best of all, as one heap over every row would keep them: higher keys first,
// equal keys to the lower row (the pieces' rows are distinct).
void merge_pieces(const float* keys, const std::int32_t* rows, std::size_t pieces, std::size_t m, std::size_t k,
                  bool negate, std::int32_t* index, float* score) {
  for (std::size_t q = 0; q < m; ++q) {
    std::size_t next[kMaxPieces] = {};
    for (std::size_t s = 0; s < k; ++s) {
      std::size_t best = pieces;
      for (std::size_t p = 0; p < pieces; ++p) {
        const std::size_t at = (p * m + q) * k + next[p];
        if (next[p] == k || rows[at] < 0) continue;
        const std::size_t b = (best * m + q) * k + next[best];
        if (best == pieces || keys[at] > keys[b] || (keys[at] == keys[b] && rows[at] < rows[b])) best = p;
      }
      if (best == pieces) {
        index[q * k + s] = -1;
        score[q * k + s] = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      const std::size_t at = (best * m + q) * k + next[best]++;
      index[q * k + s] = rows[at];
      score[q * k + s] = negate ? -keys[at] : keys[at];
    }
  }
}

}  // namespace

bool nearest(RowSource& src, const NearestQuery& nq, std::int32_t* index, float* score) {
  const std::size_t rows = src.rows, dim = src.dim, m = nq.m, k = nq.k;
  if (m == 0 || k == 0) return true;
  const bool cosine = nq.metric == Metric::kCosine, l2 = nq.metric == Metric::kL2;

  // Rows split into ranges, 4 a thread (src/parallel: a helper that starts late then holds up
  // less of the call), each range keeping its own k best per query, merged at the end; on one
  // thread the heaps are the output itself.
  constexpr std::size_t kPiecesPerThread = 4;
  const std::size_t pieces = piece_count(rows, std::uint64_t{rows} * dim * m, kPiecesPerThread);
  const std::size_t group = std::min(m, kQueryGroup);
  const std::size_t block = std::max<std::size_t>(4, std::min(kMaxBlockRows, kBlockScores / group) & ~std::size_t{3});
  const std::unique_ptr<float[]> scores = allocate<float>(pieces * group * block);
  const std::size_t scratch_floats = src.scratch_floats(block);
  const std::unique_ptr<float[]> scratch = allocate<float>(pieces * scratch_floats + 1);
  const std::unique_ptr<TopK[]> top = allocate<TopK>(pieces * group);
  const std::unique_ptr<float[]> own_queries = nq.queries ? nullptr : allocate<float>(m * dim);
  const std::unique_ptr<float[]> inverse_query = cosine ? allocate<float>(m) : nullptr;
  const std::unique_ptr<float[]> piece_keys = pieces > 1 ? allocate<float>(pieces * m * k) : nullptr;
  const std::unique_ptr<std::int32_t[]> piece_rows = pieces > 1 ? allocate<std::int32_t>(pieces * m * k) : nullptr;
  if (!scores || !scratch || !top || (!nq.queries && !own_queries) || (cosine && !inverse_query) ||
      (pieces > 1 && (!piece_keys || !piece_rows)))
    return false;
  const float* inverse_row = cosine && rows > 0 ? src.inverse_norms() : nullptr;
  if (cosine && rows > 0 && inverse_row == nullptr) return false;

  const float* queries = nq.queries;
  if (!queries) {
    for (std::size_t q = 0; q < m; ++q) src.read_row(static_cast<std::size_t>(nq.self[q]), own_queries.get() + q * dim);
    queries = own_queries.get();
  }
  if (cosine) kernels::inverse_norms_f32(queries, m, dim, inverse_query.get());

  const auto excluded = [&](std::int32_t row, std::size_t q) {
    return row == nq.padding_row || (nq.self && row == nq.self[q]) ||
           std::binary_search(nq.exclude, nq.exclude + nq.num_exclude, row);
  };
  parallel_for(rows, std::uint64_t{rows} * dim * m, [&](std::size_t piece, std::size_t row_begin, std::size_t row_end) {
    float* keys = pieces > 1 ? piece_keys.get() + piece * m * k : score;
    std::int32_t* best_rows = pieces > 1 ? piece_rows.get() + piece * m * k : index;
    float* block_scores = scores.get() + piece * group * block;
    float* piece_scratch = scratch.get() + piece * scratch_floats;
    TopK* heaps = top.get() + piece * group;
    // Queries a group at a time, each group in one pass over the rows, a block at a time: score
    // the block, turn its scores into keys (higher is better), offer them to the heaps.
    for (std::size_t first = 0; first < m; first += group) {
      const std::size_t g = std::min(group, m - first);
      for (std::size_t q = 0; q < g; ++q) heaps[q] = TopK{keys + (first + q) * k, best_rows + (first + q) * k, k, 0};
      for (std::size_t begin = row_begin; begin < row_end; begin += block) {
        const std::size_t n = std::min(block, row_end - begin);
        src.score_block(l2, queries + first * dim, g, begin, n, block_scores, piece_scratch);
        for (std::size_t q = 0; q < g; ++q) {
          float* key = block_scores + q * n;
          if (cosine) {
            const float inverse = inverse_query[first + q];
            for (std::size_t i = 0; i < n; ++i) key[i] = (key[i] * inverse) * inverse_row[begin + i];
          } else if (l2) {
            for (std::size_t i = 0; i < n; ++i) key[i] = -std::sqrt(key[i]);
          }
          TopK& heap = heaps[q];
          for (std::size_t i = 0; i < n; ++i) {
            if (heap.full() ? !(key[i] > heap.bar()) : std::isnan(key[i])) continue;
            const std::int32_t row = static_cast<std::int32_t>(begin + i);
            if (!excluded(row, first + q)) heap.offer(key[i], row);
          }
        }
      }
      for (std::size_t q = 0; q < g; ++q) heaps[q].finish(pieces == 1 && l2);
    }
  }, kPiecesPerThread);
  if (pieces > 1) merge_pieces(piece_keys.get(), piece_rows.get(), pieces, m, k, l2, index, score);
  return true;
}

bool analogy_query(RowSource& src, std::int32_t a, std::int32_t b, std::int32_t c, std::size_t k,
                   std::int32_t padding_row, float* buffer, std::int32_t* exclude, NearestQuery& q) {
  const std::size_t dim = src.dim;
  const float* inverse = src.inverse_norms();
  if (inverse == nullptr) return false;
  float* mean = buffer;
  float* row = buffer + dim;
  std::fill(mean, mean + dim, 0.0f);
  // gensim: mean += weight * unit vector, the positive keys first, then the negative one.
  const std::pair<std::int32_t, float> terms[] = {{b, 1.0f}, {c, 1.0f}, {a, -1.0f}};
  for (const auto& [r, weight] : terms) {
    src.read_row(static_cast<std::size_t>(r), row);
    for (std::size_t j = 0; j < dim; ++j) mean[j] += weight * (row[j] * inverse[r]);
  }
  exclude[0] = a;  // ascending, as nearest() wants them
  exclude[1] = b;
  exclude[2] = c;
  std::sort(exclude, exclude + 3);
  q = NearestQuery();
  q.k = k;
  q.m = 1;
  q.queries = mean;
  q.exclude = exclude;
  q.num_exclude = 3;
  q.padding_row = padding_row;
  return true;
}

bool analogy(RowSource& src, std::int32_t a, std::int32_t b, std::int32_t c, std::size_t k, std::int32_t padding_row,
             std::int32_t* index, float* score) {
  const std::unique_ptr<float[]> buffer = allocate<float>(2 * src.dim);
  std::int32_t exclude[3];
  NearestQuery q;
  return buffer && analogy_query(src, a, b, c, k, padding_row, buffer.get(), exclude, q) && nearest(src, q, index, score);
}

TableRows::TableRows(Embedding& table) : RowSource(table.rows(), table.dim()), table_(table) { table.catch_up_all(); }

void TableRows::read_row(std::size_t r, float* out) {
  std::memcpy(out, table_.weight() + r * dim, dim * sizeof(float));
}

void TableRows::score_block(bool l2, const float* queries, std::size_t m, std::size_t begin, std::size_t n,
                            float* out, float* /*scratch*/) {
  const float* block = table_.weight() + begin * dim;
  if (l2) kernels::l2sq_block_f32(block, n, dim, queries, m, out);
  else kernels::dot_block_f32(block, n, dim, queries, m, out);
}

const float* TableRows::inverse_norms() { return table_.inverse_norms(); }

}  // namespace emb
