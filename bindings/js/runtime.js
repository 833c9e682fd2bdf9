// Loading the wasm module and owning its memory: init(), the active runtime, aligned
// allocations and the reusable scratch region every call passes its inputs through.
// Where the .wasm comes from is the platform's business (platform.browser.js, platform.node.js).
import createModule from '../../build/js/glue.js'; // Emscripten's glue (minified by scripts/build.sh), bundled into dist/
import { checkOptions, describe } from './check.js';

export const version = '0.1.0';

// A module using one SIMD128 instruction (i8x16.splat): valid only where wasm SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
]);

let platform = null; // { defaultWasm(simd), compile(source), fileSource?(source, readBytes), startWorker(url) }, set by the entry module
let active = null; // the Runtime that new objects use
const loaded = new Map(); // build name -> Promise<Runtime>, for the default .wasm of each build

/** Called once by the entry module (index.js, node.js) with how this platform loads wasm. */
export function usePlatform(p) {
  platform = p;
}

/** A source only the platform can read (a Node fs.ReadStream, as its file), or undefined. */
export async function fileSource(source, readBytes) {
  return platform?.fileSource?.(source, readBytes);
}

/**
 * Remote tables' persistent row store where the platform keeps its own (Node: a directory), or
 * null (browsers: remote tables bring theirs, OPFS or IndexedDB, in dist/remote.js).
 */
export function platformRowStore() {
  return platform?.openRowStore ?? null;
}

/** True where this engine validates wasm SIMD128. */
export function simdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Loads the wasm module. Idempotent; call it again with other options to switch builds
 * (objects keep the build they were created with). threads > 1 loads the threads build (big
 * calls split across that many threads) where shared memory is available, and else falls back
 * to one thread, saying why in the result's threadsFallback.
 * @param {{ simd?: boolean, wasm?: string | URL | ArrayBuffer | ArrayBufferView, threads?: number }} [options]
 */
export async function init(options = {}) {
  checkOptions(options, ['simd', 'wasm', 'threads'], 'init options');
  const { simd = simdSupported(), wasm, threads = 1 } = options;
  if (typeof simd !== 'boolean') throw new TypeError(`init: simd must be a boolean, got ${describe(simd)}`);
  if (simd && !simdSupported()) throw new Error('init: this engine does not support WebAssembly SIMD; use init({ simd: false })');
  if (!(wasm === undefined || typeof wasm === 'string' || wasm instanceof URL || wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm))) {
    throw new TypeError(`init: wasm must be a URL, a path or the module's bytes, got ${describe(wasm)}`);
  }
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new RangeError(`init: threads must be an integer in [1, ${MAX_THREADS}], got ${describe(threads)}`);
  }
  const fallback = threads > 1 ? threadsUnavailable(simd) : undefined;
  const helpers = fallback ? 1 : threads;
  const build = helpers > 1 ? `threads ${helpers}` : simd ? 'simd' : 'scalar';
  const load = (source) => (helpers > 1 ? loadThreadsRuntime(source, helpers) : loadRuntime(simd, source ?? platform.defaultWasm(simd)));
  let runtime;
  if (wasm === undefined) {
    if (!loaded.has(build)) loaded.set(build, load(undefined));
    try {
      runtime = await loaded.get(build);
    } catch (err) {
      loaded.delete(build); // let a later init() try again
      throw err;
    }
  } else {
    runtime = await load(wasm);
  }
  active = runtime;
  return { simd: runtime.simd, threads: runtime.threads, version, ...(fallback && { threadsFallback: fallback }) };
}

const MAX_THREADS = 64;

// Why the threads build cannot run here, or undefined when it can.
function threadsUnavailable(simd) {
  if (!simd) return 'the threads build needs WebAssembly SIMD, and this init() is for the scalar build';
  if (typeof SharedArrayBuffer !== 'function' || globalThis.crossOriginIsolated === false) {
    return 'SharedArrayBuffer is not available: the page is not cross-origin isolated (serve it with the headers ' +
      'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  return undefined;
}

// Instantiates a build's glue with our own loader (Emscripten's would fetch by name, which
// bundlers cannot see): the platform fetches and compiles the module while the glue sets itself
// up, then the glue hands over its imports. Resolves to the Emscripten module.
async function startGlue(glue, compiled) {
  let fail;
  const failed = new Promise((_, reject) => { fail = reject; });
  const ready = glue({
    instantiateWasm(imports, receive) {
      compiled.then((module) => WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module))).catch(fail);
      return {};
    },
  });
  return Promise.race([ready, failed]);
}

async function loadRuntime(simd, source) {
  return newRuntime(await startGlue(createModule, platform.compile(source)), simd, 1);
}

// The threads build lives in a module of its own (dist/threads.js), loaded only when asked for.
async function loadThreadsRuntime(source, threads) {
  const { loadThreads, defaultThreadsWasm } = await import('./threads.js');
  const compiled = platform.compile(source ?? defaultThreadsWasm());
  const m = await loadThreads({ start: (glue) => startGlue(glue, compiled), compiled, threads, startWorker: platform.startWorker });
  return newRuntime(m, true, threads);
}

const newRuntime = (m, simd, threads) => ({ m, simd, threads, scratchRaw: 0, scratchPtr: 0, scratchBytes: 0 });

/** Throws a clear message unless the bytes start with wasm's magic number; advice says what to do. */
export function checkWasmBytes(bytes, where, advice = 'Serve the .wasm next to the module, or pass init({ wasm })') {
  const magic = [0, 0x61, 0x73, 0x6d];
  if (bytes.length < 4 || magic.some((b, i) => bytes[i] !== b)) {
    const head = Array.from(bytes.subarray(0, 16), (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    throw new Error(
      `wasm-embedding: ${where} is not a WebAssembly module (it starts with ${JSON.stringify(head)}); ` +
      `the server sent something else, such as an HTML page for a missing file. ${advice}`,
    );
  }
  return bytes;
}

/** Bytes of wasm memory: its current size, and how much of it malloc has handed out. */
export function memoryUsage() {
  const rt = requireRuntime();
  return { wasmMemoryBytes: rt.m.HEAPU8.length, heapInUseBytes: rt.m.heapInUse() };
}

/** The runtime new objects use; throws until init() has resolved. */
export function requireRuntime() {
  if (active === null) throw new Error('wasm-embedding: call await init() first');
  return active;
}

export const alignUp = (bytes) => Math.ceil(bytes / 64) * 64;

// Allocates wasm memory starting on a 64-byte cache line (SIMD rows then never straddle one
// line more than they must). Returns { raw, at }: free raw, use at; at is 0 when out of memory.
export function allocAligned(m, bytes) {
  const raw = bytes <= 2 ** 32 - 4096 - 64 ? m._malloc(bytes + 64) >>> 0 : 0; // beyond: _malloc's size would wrap
  return { raw, at: raw && alignUp(raw) };
}

// One reusable region of wasm memory for inputs and outputs, grown when a call needs more; it
// starts on a cache line. It may move and memory may grow: callers read rt.m.HEAP* only after
// this returns.
export function scratch(rt, bytes) {
  if (bytes > rt.scratchBytes) {
    const size = Math.max(bytes, 2 * rt.scratchBytes, 4096);
    if (rt.scratchRaw) rt.m._free(rt.scratchRaw);
    const { raw, at } = allocAligned(rt.m, size);
    Object.assign(rt, { scratchRaw: raw, scratchPtr: at, scratchBytes: raw ? size : 0 });
    if (!raw) throw new RangeError(`wasm-embedding: out of memory allocating ${bytes} bytes`);
  }
  return rt.scratchPtr;
}

/** Makes `dispose()` also available as [Symbol.dispose]() where the engine has it. */
export function disposable(...classes) {
  if (typeof Symbol.dispose !== 'symbol') return;
  for (const cls of classes) {
    cls.prototype[Symbol.dispose] = function dispose() {
      this.dispose();
    };
  }
}
