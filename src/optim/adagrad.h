// torch.optim.Adagrad on one embedding table, with the results of a dense-gradient
// nn.Embedding (semantics.md §3.2), and FBGEMM's row-wise Adagrad (§3.4).
#pragma once
#include <cstdint>

#include "embedding/embedding.h"

namespace emb {

// The step functions below return false, taking no step, when the optimizer's state for the
// table cannot be allocated (wasm memory exhausted); `action`: see StepAction.

struct AdagradOptions {
  float lr = 0.01f;
  double lr_decay = 0.0;
  float weight_decay = 0.0f;
  float initial_accumulator_value = 0.0f;
  float eps = 1e-10f;
  bool operator==(const AdagradOptions& o) const {
    return lr == o.lr && lr_decay == o.lr_decay && weight_decay == o.weight_decay &&
           initial_accumulator_value == o.initial_accumulator_value && eps == o.eps;
  }
};

// One step of optimizer `owner`; nothing when the table has no gradient. Rows without
// gradient do not move unless weight_decay is set; then each owes its steps until it is next
// read or touched, and replays them then (no closed form: O(steps owed x dim) for that row).
// Changing an option between steps first settles every row, O(rows x dim x steps owed).
bool adagrad_step(Embedding& table, std::uint32_t owner, const AdagradOptions& options,
                  StepAction action = StepAction::kStep);

struct RowwiseAdagradOptions {
  float lr = 0.01f;
  float eps = 1e-10f;
  float weight_decay = 0.0f;
};

// FBGEMM's row-wise Adagrad: one accumulator G per row. For each row with gradient g:
//   g' = g + weight_decay * w;  G += mean(g'^2);  m = lr / (sqrt(G) + eps);
//   w = (1 - m * weight_decay) * w - m * g          (= w - m * g')
// Rows without gradient do not change (weight decay too applies to touched rows only).
bool rowwise_adagrad_step(Embedding& table, std::uint32_t owner, const RowwiseAdagradOptions& options,
                          StepAction action = StepAction::kStep);

}  // namespace emb
