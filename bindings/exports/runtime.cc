// Plain C exports for the runtime: what the JS side asks of the module as a whole.
#include <emscripten/emscripten.h>
#include <malloc.h>

#include <cstddef>

extern "C" {
// Bytes in use by malloc: lets the tests check that create/dispose leaves the heap flat.
EMSCRIPTEN_KEEPALIVE std::size_t emb_runtime_heap_in_use() { return mallinfo().uordblks; }
}
