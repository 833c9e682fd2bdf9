// The bookkeeping of a lazy optimizer: which step each row has reached. Rows without gradient
// fall behind; settle() brings one up to a given step, and the table calls catch_up before it
// reads rows.
#pragma once
#include <cstdint>
#include <vector>

#include "embedding/embedding.h"
#include "kernels/touch.h"

namespace emb {

class LazyState : public OptimizerState {
 public:
  using OptimizerState::OptimizerState;

  void catch_up(Embedding& t, const std::int32_t* rows, std::size_t n) final {
    if (row_step_.empty()) return;
    // Settling reads and writes a row of the table and of the state's per-row array, and the
    // lookup after this reads the table's rows: all touched a block ahead (kernels/touch.h)
    // when they do not fit in cache (touching a 10k x 64 table's rows too cost 16% of a step).
    const std::size_t row_bytes = t.dim() * sizeof(float);
    const float* state = state_rows();
    RowToucher weight_ahead(t.weight(), row_bytes, t.rows(), rows, n);
    RowToucher state_ahead(state, row_bytes, t.rows(), rows, state ? n : 0);
    for (std::size_t i = 0; i < n; ++i) {
      weight_ahead.before(i);
      state_ahead.before(i);
      catch_up_row(t, rows[i]);
    }
  }
  void catch_up_all(Embedding& t) final {
    if (row_step_.empty()) return;
    for (std::size_t r = 0; r < t.rows(); ++r) catch_up_row(t, static_cast<std::int32_t>(r));
  }

 protected:
  // Applies to row r the zero-gradient steps it owes, up to and including step `target`,
  // and records that the row has reached it.
  virtual void settle(Embedding& t, std::size_t r, std::int64_t target) = 0;
  // The rows x dim array settling also reads and writes (momentum buffer...), or nullptr.
  virtual const float* state_rows() const { return nullptr; }
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
