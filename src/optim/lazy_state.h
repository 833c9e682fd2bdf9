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
    for (std::size_t i = 0; i < n; ++i) settle(t, static_cast<std::size_t>(rows[i]), step_);
  }
  void catch_up_all(Embedding& t) final {
    if (row_step_.empty()) return;
    for (std::size_t r = 0; r < t.rows(); ++r) settle(t, r, step_);
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

  std::int64_t step_ = 0;               // steps taken
  std::vector<std::int64_t> row_step_;  // per row, the last step it has taken (empty: eager)
};

}  // namespace emb
