// torch.optim.SGD on one embedding table, with the results of a dense-gradient nn.Embedding
// (shared/reference/semantics.md §3.2), at O(rows touched x dim) a step.
#pragma once
#include <cstdint>

#include "embedding/embedding.h"

namespace emb {

// The step functions below return false, taking no step, when the optimizer's state for the
// table cannot be allocated (wasm memory exhausted); `action`: see StepAction.

struct SgdOptions {
  float lr = 0.0f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
  bool maximize = false;
  bool operator==(const SgdOptions& o) const {
    return lr == o.lr && momentum == o.momentum && dampening == o.dampening && weight_decay == o.weight_decay &&
           nesterov == o.nesterov && maximize == o.maximize;
  }
};

// One step of optimizer `owner` on `table`; does nothing when the table has no gradient.
// Plain SGD moves the gradient's rows only. With momentum or weight decay the dense
// mathematics moves every row; here a row without gradient owes those steps until it is next
// read or touched, and then takes them at once: replayed bit for bit when few (up to 8), else
// as a linear recurrence in closed form (2x2 matrix power, in double). Changing an option between steps first settles
// every row's debt, O(rows x dim), once.
bool sgd_step(Embedding& table, std::uint32_t owner, const SgdOptions& options,
              StepAction action = StepAction::kStep);

}  // namespace emb
