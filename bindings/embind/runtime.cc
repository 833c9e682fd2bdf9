// Embind layer for the runtime: what the JS side asks of the module as a whole.
#include <emscripten/bind.h>
#include <malloc.h>

#include <cstddef>

namespace {
// Bytes in use by malloc: lets the tests check that create/dispose leaves the heap flat.
std::size_t heap_in_use() { return mallinfo().uordblks; }
}  // namespace

EMSCRIPTEN_BINDINGS(runtime) {
  emscripten::function("heapInUse", &heap_in_use);
}
