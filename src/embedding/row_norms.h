// The cache of inverse row norms that cosine search divides by. Empty (and costing nothing)
// until the first cosine search fills it; from then on, rows marked as changed are
// recomputed at the next search, and only they.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace emb {

class RowNorms {
 public:
  // Marks rows[0 : n) (or every row) as changed. Cheap: a few stores per row, nothing while
  // the cache is empty; past rows / 8 marks it recomputes everything instead.
  void changed(const std::int32_t* rows, std::size_t n);
  void changed_all();
  // Drops the cache (a table that was reallocated).
  void reset();

  // 1 / ||row r||_2 for r in [0, rows) (0 for a zero row), the rows of `table` as they are
  // now, recomputed where marked. nullptr (and nothing changed) when memory runs out.
  const float* current(const float* table, std::size_t rows, std::size_t dim);

 private:
  std::vector<float> inverse_;       // rows entries once filled; empty before the first search
  std::vector<std::int32_t> stale_;  // rows changed since (may repeat); capacity fixed when filled
  bool all_stale_ = true;
};

}  // namespace emb
