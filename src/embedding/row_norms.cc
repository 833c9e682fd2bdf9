#include "embedding/row_norms.h"

#include "embedding/embedding.h"
#include "kernels/active.h"

namespace emb {

void RowNorms::changed(const std::int32_t* rows, std::size_t n) {
  if (inverse_.empty() || all_stale_) return;
  // The list never reallocates: its capacity was reserved when the cache was filled.
  if (n > stale_.capacity() - stale_.size()) {
    changed_all();
    return;
  }
  for (std::size_t i = 0; i < n; ++i) stale_.push_back(rows[i]);
}

void RowNorms::changed_all() {
  all_stale_ = true;
  stale_.clear();
}

void RowNorms::reset() {
  inverse_ = {};
  stale_ = {};
  all_stale_ = true;
}

const float* RowNorms::current(const float* table, std::size_t rows, std::size_t dim) {
  if (inverse_.size() != rows) {
    const std::size_t list = rows / 8 + 1;
    if (!Embedding::can_allocate((rows + list) * sizeof(float) + 4096)) return nullptr;
    inverse_.resize(rows);
    stale_.reserve(list);
    all_stale_ = true;
  }
  if (all_stale_) {
    kernels::inverse_norms_f32(table, rows, dim, inverse_.data());
  } else {
    for (std::int32_t r : stale_)
      kernels::inverse_norms_f32(table + static_cast<std::size_t>(r) * dim, 1, dim, inverse_.data() + r);
  }
  all_stale_ = false;
  stale_.clear();
  return inverse_.data();
}

}  // namespace emb
