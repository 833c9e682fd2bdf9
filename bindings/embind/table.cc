// Embind bindings for tables (emb::Embedding; Embedding and EmbeddingBag share it): the class
// `Table`, its lifetime and one thin method per call. Pointers into wasm memory travel as
// integers, failures as status codes; the JS side (bindings/js/table.js) owns validation,
// messages and memory. Bound through the package's own Embind runtime (bindings/embind/runtime.js).
#include <emscripten/bind.h>

#include <cstdint>
#include <new>

#include "address.h"
#include "embedding/embedding.h"

using emb::Embedding;
using std::size_t;
using std::uintptr_t;

namespace {
// 0 (a handle whose ptr is 0) when memory runs out.
Embedding* make() { return new (std::nothrow) Embedding(); }
}  // namespace

EMSCRIPTEN_BINDINGS(table) {
  emscripten::class_<Embedding>("Table")
      .constructor(&make, emscripten::allow_raw_pointers())
      .function("allocate", +[](Embedding& e, size_t rows, size_t dim) { return e.allocate(rows, dim); })
      // The seed arrives as a double holding an integer in [0, 2^53).
      .function("initNormal", +[](Embedding& e, double seed) { e.init_normal(static_cast<std::uint64_t>(seed)); })
      .function("setOptions", +[](Embedding& e, int padding_idx, bool has_max_norm, double max_norm, double norm_type,
                                  bool scale_grad_by_freq) {
        e.padding_idx = padding_idx;
        e.has_max_norm = has_max_norm;
        e.max_norm = max_norm;
        e.norm_type = norm_type;
        e.scale_grad_by_freq = scale_grad_by_freq;
      })
      .function("weightPtr", +[](Embedding& e) { return address(e.weight()); })
      // Statuses: -1 success, -2 bad offsets, else the position of the first out-of-range index.
      .function("forward", +[](Embedding& e, uintptr_t idx, size_t n, uintptr_t out) {
        return static_cast<int>(e.forward(ptr<const std::int32_t>(idx), n, ptr<float>(out)));
      })
      .function("prepareLookup", +[](Embedding& e, uintptr_t idx, size_t n) {
        return static_cast<int>(e.prepare_lookup(ptr<const std::int32_t>(idx), n));
      })
      // Gathers rows already prepared by prepareLookup.
      .function("gather", +[](Embedding& e, uintptr_t idx, size_t n, uintptr_t out) {
        e.gather(ptr<const std::int32_t>(idx), n, ptr<float>(out));
      })
      .function("backward", +[](Embedding& e, uintptr_t idx, size_t n, uintptr_t grad_out) {
        return static_cast<int>(e.backward(ptr<const std::int32_t>(idx), n, ptr<const float>(grad_out)));
      })
      .function("beginBackward", +[](Embedding& e, uintptr_t idx, size_t n) {
        return static_cast<int>(e.begin_backward(ptr<const std::int32_t>(idx), n));
      })
      .function("backwardPiece", +[](Embedding& e, size_t start, size_t count, uintptr_t grad_out) {
        e.backward_piece(start, count, ptr<const float>(grad_out));
      })
      .function("endGradient", +[](Embedding& e) { e.end_gradient(); })
      .function("bagForward", +[](Embedding& e, uintptr_t idx, size_t n, uintptr_t offsets, size_t num_bags, int mode,
                                  uintptr_t psw, uintptr_t out) {
        return static_cast<int>(e.bag_forward(ptr<const std::int32_t>(idx), n, ptr<const std::int32_t>(offsets),
                                              num_bags, static_cast<emb::BagMode>(mode), ptr<const float>(psw),
                                              ptr<float>(out)));
      })
      .function("bagBackward", +[](Embedding& e, uintptr_t idx, size_t n, uintptr_t offsets, size_t num_bags, int mode,
                                   uintptr_t psw, uintptr_t grad_out, uintptr_t psw_grad) {
        return static_cast<int>(e.bag_backward(ptr<const std::int32_t>(idx), n, ptr<const std::int32_t>(offsets),
                                               num_bags, static_cast<emb::BagMode>(mode), ptr<const float>(psw),
                                               ptr<const float>(grad_out), ptr<float>(psw_grad)));
      })
      .function("gradPresent", +[](Embedding& e) { return e.grad().present; })
      .function("gradCount", +[](Embedding& e) { return e.grad().rows.size(); })
      .function("gradRowsPtr", +[](Embedding& e) { return address(e.grad().rows.data()); })
      .function("gradValuesPtr", +[](Embedding& e) { return address(e.grad().values.data()); })
      .function("coalesceGrad", +[](Embedding& e) { e.coalesce_grad(); })
      .function("zeroGrad", +[](Embedding& e) { e.zero_grad(); })
      // The optimizer whose state the table holds (its id), or 0.
      .function("optimizerOwner", +[](Embedding& e) { return e.optimizer_owner(); })
      .function("releaseOptimizerState", +[](Embedding& e, std::uint32_t owner) { e.release_optimizer_state(owner); })
      .function("catchUpAll", +[](Embedding& e) { e.catch_up_all(); })
      // The row norms cosine search caches are stale after JS wrote the weights.
      .function("allRowsChanged", +[](Embedding& e) { e.all_rows_changed(); });
}
