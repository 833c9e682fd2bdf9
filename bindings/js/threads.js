// The threads build, loaded by init({ threads }) only (a file of its own, so the single-threaded
// bundles do not carry it): Emscripten's glue for the module over shared memory, and helper
// threads, each a worker (Web Worker, or worker_threads in Node) holding its own instance of the
// same module on the same memory (threads-worker.js). The C++ side splits big calls into one
// piece per thread (src/parallel/parallel.h). Emscripten's own pthread workers are not used:
// with ES modules its 3.1.6 runtime fails in Node (`ReferenceError: Worker is not defined`,
// or `__dirname is not defined in ES module scope` with ENVIRONMENT=node), and it loads its
// worker script by a URL that bundlers cannot see.
import createModule from '../../build/js/threads-glue.js'; // Emscripten's glue (threads build), bundled into dist/threads.js

const STACK_BYTES = 256 * 1024; // each helper's C stack, in wasm memory
const READY_TIMEOUT_MS = 30_000;

/** The threads build's .wasm, next to this module (bundlers see the literal URL). */
export const defaultThreadsWasm = () => new URL('./embedding-threads.wasm', import.meta.url);
const WORKER_URL = () => new URL('./threads-worker.js', import.meta.url);

/**
 * Instantiates the threads build and starts threads - 1 helpers.
 * @param {{ start: Function, compiled: Promise<WebAssembly.Module>, threads: number, startWorker: Function }} how
 *   start(glue) instantiates a glue on the compiled module (runtime.js); startWorker(url) -> (a promise of) a
 *   Worker (web) or a worker_threads Worker
 * @returns {Promise<object>} the Emscripten module
 */
export async function loadThreads({ start, compiled, threads, startWorker }) {
  const m = await start(createModule);
  // The raw exports have minified names: the helpers need two of them, found here by identity
  // once Emscripten's lazy wrappers have made way for them (each called once, harmlessly).
  m.stackRestore(m.stackSave());
  m._emb_threads_helper_main(0);
  const names = {};
  for (const [name, fn] of Object.entries(m.asm)) {
    if (fn === m.stackRestore) names.stackRestore = name;
    if (fn === m._emb_threads_helper_main) names.main = name;
  }
  if (!names.stackRestore || !names.main) throw new Error('wasm-embedding: the threads build does not export its helper entry points');
  const workers = [];
  try {
    for (let id = 1; id < threads; ++id) {
      const stack = m._malloc(STACK_BYTES);
      if (!stack) throw new RangeError('wasm-embedding: out of memory for a helper thread\'s stack');
      const url = WORKER_URL();
      workers.push(await startHelper(await startWorker(url), url, { module: await compiled, memory: m.wasmMemory, id, stackTop: stack + STACK_BYTES, names }));
    }
    // Each helper said it was about to enter its loop; wait until all are in it.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (m.threadsHelperCount() < threads - 1) {
      if (Date.now() > deadline) throw new Error(`wasm-embedding: ${threads - 1 - m.threadsHelperCount()} helper thread(s) did not start`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } catch (err) {
    for (const w of workers) w.terminate();
    throw err;
  }
  m.helperWorkers = workers;
  return m;
}

// Starts one helper: waits for its 'loaded', sends it the module, memory and stack, waits for
// 'ready'. Then it listens no more and, in Node, does not keep the process alive (its listener
// would: adding one references the worker's port again).
function startHelper(worker, url, init) {
  return new Promise((resolve, reject) => {
    const listen = (event, fn) => {
      if (worker.on) {
        worker.on(event, fn);
        return () => worker.off(event, fn);
      }
      const web = (e) => fn(event === 'message' ? e.data : e);
      worker.addEventListener(event, web);
      return () => worker.removeEventListener(event, web);
    };
    const stop = [];
    const settle = (error) => {
      for (const unlisten of stop) unlisten();
      if (error) {
        worker.terminate();
        reject(new Error(`wasm-embedding: helper thread ${init.id} failed: ${error}`));
      } else {
        worker.unref?.();
        resolve(worker);
      }
    };
    stop.push(listen('message', (message) => {
      if (message === 'loaded') worker.postMessage(init);
      else if (message === 'ready') settle();
      else settle(message?.error ?? `unexpected message ${String(message)}`);
    }));
    // A Web Worker whose script did not load gets an error event without a message.
    stop.push(listen('error', (err) => settle(err?.message ?? `could not load its script ${url.href}: serve threads-worker.js next to the module`)));
  });
}
