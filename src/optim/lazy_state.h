// The bookkeeping of a lazy optimizer: which step each row has reached. Rows without gradient
// fall behind; settle() brings one up to a given step, and the table calls catch_up before it
// reads rows.
#pragma once
#include <cstdint>
#include <vector>

#include "embedding/embedding.h"

namespace emb {

class LazyState : public OptimizerState {
 public:
  using OptimizerState::OptimizerState;

  void catch_up(Embedding& t, const std::int32_t* rows, std::size_t n) final {
    if (row_step_.empty()) return;
    for (std::size_t i = 0; i < n; ++i) catch_up_row(t, rows[i]);
  }
  void catch_up_all(Embedding& t) final {
    if (row_step_.empty()) return;
    for (std::size_t r = 0; r < t.rows(); ++r) catch_up_row(t, static_cast<std::int32_t>(r));
  }

 protected:
  // Applies to row r the zero-gradient steps it owes, up to and including step `target`,
  // and records that the row has reached it.
  virtual void settle(Embedding& t, std::size_t r, std::int64_t target) = 0;
  // Starts (lazy) or stops (eager) tracking rows; a lazy start finds every row current.
  void track_rows(const Embedding& t, bool lazy) {
    if (!lazy) row_step_.clear();
    else if (row_step_.empty()) row_step_.assign(t.rows(), step_);
  }

  // Settles row r if it owes steps, and tells the table's norm cache it moved.
  void catch_up_row(Embedding& t, std::int32_t r) {
    if (row_step_[static_cast<std::size_t>(r)] >= step_) return;
    settle(t, static_cast<std::size_t>(r), step_);
    t.rows_changed(&r, 1);
  }

  std::int64_t step_ = 0;               // steps taken
  std::vector<std::int64_t> row_step_;  // per row, the last step it has taken (empty: eager)
};

}  // namespace emb
