// The threads build's helper threads (only in that build). helperCount is bound through Embind;
// the helpers' entry point stays a plain wasm export, because no JS binding calls it: each
// helper (bindings/js/threads-worker.js) is a bare instance of the module over the shared memory,
// with no glue and no Embind runtime, and calls it directly by its export name.
#if defined(EMB_THREADS)
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <cstdint>

#include "parallel/parallel.h"

extern "C" {
void* emscripten_tls_init(void);  // Emscripten's pthread runtime (no public header in 3.1.6)

// Never returns for id >= 1: sets up the thread's thread-local storage, then takes its piece of
// every parallel loop. id 0 returns at once (the JS side calls it so to find the export).
EMSCRIPTEN_KEEPALIVE void emb_threads_helper_main(std::uint32_t id) {
  if (id == 0) return;
  emscripten_tls_init();
  emb::helper_loop(id);
}
}

EMSCRIPTEN_BINDINGS(threads) {
  // Helpers that have entered their loop.
  emscripten::function("threadsHelperCount", +[]() -> std::size_t { return emb::helper_count(); });
}
#endif
