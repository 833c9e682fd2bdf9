// Embind bindings for the runtime: what the JS side asks of the module as a whole.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <malloc.h>

#include <cstddef>

// Calls the module's reenterProbeCallback(depth) (JS); the re-entrancy test sets it to call back
// into the module while this call is on the stack (tests/js/bindings.test.mjs).
EM_JS(double, emb_reenter_probe_callback, (int depth), { return Module['reenterProbeCallback'](depth); });

namespace {
// depth, x and y as given, combined with what the callback returned: the test checks that a
// nested call left this call's arguments and result alone.
double reenter_probe(int depth, double x, float y) { return depth * 1e6 + x * 1e3 + y + emb_reenter_probe_callback(depth); }
}  // namespace

EMSCRIPTEN_BINDINGS(runtime) {
  // Bytes in use by malloc: lets the tests check that create/dispose leaves the heap flat.
  emscripten::function("heapInUse", +[]() -> std::size_t { return mallinfo().uordblks; });
  emscripten::function("reenterProbe", &reenter_probe);
}
