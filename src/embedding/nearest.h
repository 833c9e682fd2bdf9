// Exact nearest-neighbour search over the rows of a table: every row is scored (by the
// kernels of src/kernels/nearest/, a block of rows at a time) and a bounded heap per query
// keeps the k best. shared/API.md "Nearest neighbours".
#pragma once
#include <cstddef>
#include <cstdint>

namespace emb {
class Embedding;

enum class Metric : int { kCosine = 0, kDot = 1, kL2 = 2 };

// The rows a search reads. A float32 table is one (nearest.cc); a compressed table (int8,
// int4, float16) implements the same three operations on its own rows, and search, cosine,
// exclusions and analogies come with it.
class RowSource {
 public:
  RowSource(std::size_t rows, std::size_t dim) : rows(rows), dim(dim) {}
  virtual ~RowSource() = default;
  const std::size_t rows, dim;

  // out[0 : dim) = row r as float32 (dequantised).
  virtual void read_row(std::size_t r, float* out) = 0;
  // For q in [0, m), i in [0, n): out[q*n + i] = the dot product (l2 false) or the squared
  // Euclidean distance (l2 true) of query q (queries[q*dim : (q+1)*dim)) and row begin + i,
  // as kernels/nearest/nearest.h computes them. scratch: scratch_floats(n) floats of the
  // caller's, one region a thread (a search scores blocks on several threads at once).
  virtual void score_block(bool l2, const float* queries, std::size_t m, std::size_t begin, std::size_t n,
                           float* out, float* scratch) = 0;
  virtual std::size_t scratch_floats(std::size_t /*n*/) const { return 0; }
  // 1 / ||row||_2 for every row (0 for a zero row), current; nullptr when memory runs out.
  virtual const float* inverse_norms() = 0;
};

struct NearestQuery {
  Metric metric = Metric::kCosine;
  std::size_t k = 0;
  std::size_t m = 0;                     // number of queries
  const float* queries = nullptr;        // m x dim; nullptr: the rows self[0 : m) are the queries
  const std::int32_t* self = nullptr;    // per query, a row left out of its results (-1: none); or nullptr
  const std::int32_t* exclude = nullptr; // ascending rows left out of every query's results
  std::size_t num_exclude = 0;
  std::int32_t padding_row = -1;         // never returned (-1: none)
};

// For each query q, the k best rows, best first: index[q*k + s] and score[q*k + s].
//   cosine: (dot(query, row) * (1 / ||query||)) * (1 / ||row||), largest first (0 against a zero row);
//   dot:    dot(query, row), largest first;
//   l2:     sqrt(squared distance), smallest first.
// Scores are float32; equal scores go to the lower row. Rows scoring NaN, the padding row,
// self[q] and the excluded rows never qualify; slots beyond the qualifying rows hold index -1
// and score NaN. Rows and excluded rows must be in range (the caller checks). Returns false,
// having written nothing, when scratch memory runs out.
bool nearest(RowSource& rows, const NearestQuery& query, std::int32_t* index, float* score);

// The k best rows for "a is to b as c is to ?", as gensim's most_similar(positive=[b, c],
// negative=[a]): cosine against u_b + u_c - u_a (u_x = row x * (1 / ||row x||), float32, in
// gensim's order; gensim then divides by 3 and normalises, a scale cosine ignores), leaving out
// a, b, c and the padding row. Writes and returns as nearest.
bool analogy(RowSource& rows, std::int32_t a, std::int32_t b, std::int32_t c, std::size_t k, std::int32_t padding_row,
             std::int32_t* index, float* score);

// analogy()'s query, for searches of other kinds (the approximate index): fills q with one
// query, buffer[0 : dim) = u_b + u_c - u_a as analogy() computes it (buffer[dim : 2*dim) is
// scratch), leaving out exclude[0 : 3) = a, b, c ascending, the padding row, k rows. False when
// the row norms could not be had (memory).
bool analogy_query(RowSource& rows, std::int32_t a, std::int32_t b, std::int32_t c, std::size_t k,
                   std::int32_t padding_row, float* buffer, std::int32_t* exclude, NearestQuery& q);

// A float32 Embedding as a RowSource. Brings every row up to date with its optimizer first.
class TableRows final : public RowSource {
 public:
  explicit TableRows(Embedding& table);
  void read_row(std::size_t r, float* out) override;
  void score_block(bool l2, const float* queries, std::size_t m, std::size_t begin, std::size_t n,
                   float* out, float* scratch) override;
  const float* inverse_norms() override;

 private:
  Embedding& table_;
};

}  // namespace emb
