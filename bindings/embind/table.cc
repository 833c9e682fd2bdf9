// Embind layer for tables (Embedding and EmbeddingBag share the C++ class): thin, raw methods.
// Pointers travel as integers into wasm memory, failures as status codes; the JS wrapper
// (bindings/js/) owns validation, messages and memory. One file per family, each with its
// own EMSCRIPTEN_BINDINGS block.
#include <emscripten/bind.h>

#include <cstdint>

#include "address.h"
#include "embedding/embedding.h"

namespace {
using emb::Embedding;

// Statuses: -1 success, -2 bad offsets, else the position of the first out-of-range index.
int forward(Embedding& e, std::uintptr_t idx, std::size_t n, std::uintptr_t out) {
  return static_cast<int>(e.forward(ptr<const std::int32_t>(idx), n, ptr<float>(out)));
}
int prepare_lookup(Embedding& e, std::uintptr_t idx, std::size_t n) {
  return static_cast<int>(e.prepare_lookup(ptr<const std::int32_t>(idx), n));
}
// Gathers rows already prepared by prepare_lookup.
void gather(Embedding& e, std::uintptr_t idx, std::size_t n, std::uintptr_t out) {
  e.gather(ptr<const std::int32_t>(idx), n, ptr<float>(out));
}
int backward(Embedding& e, std::uintptr_t idx, std::size_t n, std::uintptr_t grad_out) {
  return static_cast<int>(e.backward(ptr<const std::int32_t>(idx), n, ptr<const float>(grad_out)));
}
int begin_backward(Embedding& e, std::uintptr_t idx, std::size_t n) {
  return static_cast<int>(e.begin_backward(ptr<const std::int32_t>(idx), n));
}
void backward_piece(Embedding& e, std::size_t start, std::size_t count, std::uintptr_t grad_out) {
  e.backward_piece(start, count, ptr<const float>(grad_out));
}
int bag_forward(Embedding& e, std::uintptr_t idx, std::size_t n, std::uintptr_t offsets, std::size_t num_bags,
                int mode, std::uintptr_t psw, std::uintptr_t out) {
  return static_cast<int>(e.bag_forward(ptr<const std::int32_t>(idx), n, ptr<const std::int32_t>(offsets), num_bags,
                                        static_cast<emb::BagMode>(mode), ptr<const float>(psw), ptr<float>(out)));
}
int bag_backward(Embedding& e, std::uintptr_t idx, std::size_t n, std::uintptr_t offsets, std::size_t num_bags,
                 int mode, std::uintptr_t psw, std::uintptr_t grad_out, std::uintptr_t psw_grad) {
  return static_cast<int>(e.bag_backward(ptr<const std::int32_t>(idx), n, ptr<const std::int32_t>(offsets),
                                         num_bags, static_cast<emb::BagMode>(mode), ptr<const float>(psw),
                                         ptr<const float>(grad_out), ptr<float>(psw_grad)));
}
void set_options(Embedding& e, int padding_idx, bool has_max_norm, double max_norm, double norm_type,
                 bool scale_grad_by_freq) {
  e.padding_idx = padding_idx;
  e.has_max_norm = has_max_norm;
  e.max_norm = max_norm;
  e.norm_type = norm_type;
  e.scale_grad_by_freq = scale_grad_by_freq;
}
// The seed arrives as a double holding an integer in [0, 2^53).
void init_normal(Embedding& e, double seed) { e.init_normal(static_cast<std::uint64_t>(seed)); }
std::uintptr_t weight_ptr(Embedding& e) { return reinterpret_cast<std::uintptr_t>(e.weight()); }
bool grad_present(Embedding& e) { return e.grad().present; }
// The optimizer whose state the table holds (its id), or 0.
std::uint32_t optimizer_owner(Embedding& e) { return e.optimizer_owner(); }
std::size_t grad_count(Embedding& e) { return e.grad().rows.size(); }
std::uintptr_t grad_rows_ptr(Embedding& e) { return reinterpret_cast<std::uintptr_t>(e.grad().rows.data()); }
std::uintptr_t grad_values_ptr(Embedding& e) {
  return reinterpret_cast<std::uintptr_t>(e.grad().values.data());
}

}  // namespace

EMSCRIPTEN_BINDINGS(table) {
  using namespace emscripten;
  class_<Embedding>("Embedding")
      .constructor<>()
      .function("allocate", &Embedding::allocate)
      .function("initNormal", &init_normal)
      .function("setOptions", &set_options)
      .function("weightPtr", &weight_ptr)
      .function("forward", &forward)
      .function("prepareLookup", &prepare_lookup)
      .function("gather", &gather)
      .function("backward", &backward)
      .function("beginBackward", &begin_backward)
      .function("backwardPiece", &backward_piece)
      .function("endGradient", &Embedding::end_gradient)
      .function("bagForward", &bag_forward)
      .function("bagBackward", &bag_backward)
      .function("gradPresent", &grad_present)
      .function("optimizerOwner", &optimizer_owner)
      .function("gradCount", &grad_count)
      .function("gradRowsPtr", &grad_rows_ptr)
      .function("gradValuesPtr", &grad_values_ptr)
      .function("coalesceGrad", &Embedding::coalesce_grad)
      .function("zeroGrad", &Embedding::zero_grad)
      .function("clearGrad", &Embedding::clear_grad)
      .function("catchUpAll", &Embedding::catch_up_all)
      .function("allRowsChanged", &Embedding::all_rows_changed)
      .function("releaseOptimizerState", &Embedding::release_optimizer_state);
}
