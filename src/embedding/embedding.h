// An embedding table: a rows x dim float32 matrix, looked up by row index, with a
// row-sparse gradient. torch.nn.Embedding semantics (shared/reference/semantics.md §1).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace emb {

// The accumulated gradient of a table: one value row per touched table row.
struct SparseGrad {
  std::vector<std::int32_t> rows;  // touched table rows; sorted only after coalesce()
  std::vector<float> values;       // rows.size() x dim, row-major
  bool present = false;            // false: no gradient at all (torch's grad is None)
};

class Embedding {
 public:
  Embedding() = default;
  ~Embedding();
  Embedding(const Embedding&) = delete;
  Embedding& operator=(const Embedding&) = delete;

  // Allocates a zero table, without gradient. Returns false (and keeps what it had) if
  // memory runs out.
  bool allocate(std::size_t rows, std::size_t dim);
  // Fills the table with N(0, 1) from `seed`, then zeroes the padding row.
  void init_normal(std::uint64_t seed);

  std::size_t rows() const { return rows_; }
  std::size_t dim() const { return dim_; }
  float* weight() { return weight_; }

  // Options, as in torch (the JS layer validates them): padding_idx -1 means none.
  std::int32_t padding_idx = -1;
  bool has_max_norm = false;
  double max_norm = 0.0;
  double norm_type = 2.0;
  bool scale_grad_by_freq = false;

  // Renormalises the looked-up rows (if max_norm is set), then
  // out[i*dim : (i+1)*dim] = weight[idx[i]] for i in [0, n).
  // Returns -1, or the first position whose index is out of range (nothing changed then).
  std::int64_t forward(const std::int32_t* idx, std::size_t n, float* out);

  // Accumulates d(loss)/d(weight) for the lookups idx[0 : n) with output gradient
  // grad_out[0 : n*dim). Padding lookups contribute nothing. Returns -1, or the first
  // out-of-range position (nothing changed then).
  std::int64_t backward(const std::int32_t* idx, std::size_t n, const float* grad_out);

  // Sorts the gradient rows ascending (values follow), as torch's coalesce() does.
  void coalesce_grad();
  void zero_grad();   // an empty but present gradient (torch 1.13 zero_grad())
  void clear_grad();  // no gradient at all (grad = None)
  const SparseGrad& grad() const { return grad_; }
  // The gradient row of table row r, or nullptr when r has none.
  const float* grad_row(std::size_t r) const;

 private:
  // Maps each distinct non-padding index of idx[0 : n) to a slot (in order of first
  // appearance) into call_rows_, fills targets_[i] with it (kSkipRow for padding) and
  // counts_[slot] with its multiplicity. Leaves slot_of_row_ all -1 again.
  void assign_slots(const std::int32_t* idx, std::size_t n);
  std::vector<std::int32_t>& slot_map();

  float* weight_ = nullptr;
  std::size_t rows_ = 0, dim_ = 0;
  SparseGrad grad_;
  std::vector<std::int32_t> grad_slot_of_row_;  // row -> index into grad_.rows, or -1
  // Per-call scratch, kept to avoid reallocating on every call.
  std::vector<std::int32_t> slot_of_row_, call_rows_, targets_, counts_;
  std::vector<float> call_values_, scale_;
};

}  // namespace emb
