// torch.optim.SGD on one embedding table, with the results of a dense-gradient
// nn.Embedding (shared/reference/semantics.md §3.2).
#pragma once
#include <vector>

#include "embedding/embedding.h"

namespace emb {

struct SgdOptions {
  float lr = 0.0f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
  bool maximize = false;
};

// What SGD keeps per table between steps.
struct SgdState {
  std::vector<float> momentum_buffer;  // rows x dim once the first momentum step ran
};

// One step on `table`, which must have a gradient (grad().present).
// Plain SGD (no momentum, no weight decay) touches only the gradient's rows:
// O(rows touched x dim). Momentum or weight decay move every row, as the dense
// mathematics does: O(rows x dim).
void sgd_step(Embedding& table, SgdState& state, const SgdOptions& options);

}  // namespace emb
