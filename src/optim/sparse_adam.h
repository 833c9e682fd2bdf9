// torch.optim.SparseAdam on one embedding table (semantics.md §3.2): lazy by design, only
// the rows in the gradient move, and only their moments are updated.
#pragma once
#include <cstdint>

#include "embedding/embedding.h"

namespace emb {

// The step functions below return false, taking no step, when the optimizer's state for the
// table cannot be allocated (wasm memory exhausted); `action`: see StepAction.

struct SparseAdamOptions {
  float lr = 0.001f;
  double beta1 = 0.9;
  double beta2 = 0.999;
  float eps = 1e-8f;
};

// One step of optimizer `owner`; nothing when the table has no gradient. O(rows touched x dim).
bool sparse_adam_step(Embedding& table, std::uint32_t owner, const SparseAdamOptions& options,
                      StepAction action = StepAction::kStep);

}  // namespace emb
