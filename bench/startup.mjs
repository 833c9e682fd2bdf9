// init() to ready for one contender, in this fresh process: from before importing the library to
// the moment it can run a lookup (module load, wasm compile and instantiate, backend setup);
// importMs: the part spent importing the JavaScript.
//   node bench/startup.mjs --contender ours
// For ours, phases splits the time after the import, as it runs: read (from init() to the bytes
// being handed to WebAssembly.compile; the Emscripten glue sets itself up meanwhile), compile,
// instantiate (from compiled to instantiated), and ready (C++ static constructors: the Embind
// registrations, bindings/embind/runtime.js binding them, the glue's last steps, until init()
// resolves). importFloor: Node's cost for a first import() of a one-line module, the part of
// importMs that is not ours. baseline: another build of this package, --baseline <its dist dir>
// (bench/run.mjs passes the plain-export package before the Embind change, to compare).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { childArgs, report, NODE_MODULES, BUILD } from './lib/common.mjs';

const marks = {};
function timeWasmPhases() {
  const { compile, instantiate, Module } = WebAssembly;
  // Node's platform compiles files synchronously (bindings/js/platform.node.js).
  WebAssembly.Module = function TimedModule(bytes) {
    marks.read = performance.now();
    const module = new Module(bytes);
    marks.compiled = performance.now();
    return module;
  };
  Object.setPrototypeOf(WebAssembly.Module, Module); // its statics (imports, exports)
  WebAssembly.compile = async function timedCompile(bytes) {
    marks.read = performance.now();
    const module = await compile(bytes);
    marks.compiled = performance.now();
    return module;
  };
  WebAssembly.instantiate = async function timedInstantiate(module, imports) {
    const instance = await instantiate(module, imports);
    marks.instantiated = performance.now();
    return instance;
  };
}

const STARTUPS = {
  ours: async (mark) => { timeWasmPhases(); const { init } = await import('wasm-embedding'); mark(); await init({ simd: true }); },
  oursScalar: async (mark) => { timeWasmPhases(); const { init } = await import('wasm-embedding'); mark(); await init({ simd: false }); },
  baseline: async (mark) => {
    timeWasmPhases();
    const { init } = await import(pathToFileURL(resolve(baseline, 'node.js')).href);
    mark();
    await init({ simd: true });
  },
  importFloor: async (mark) => { await import('data:text/javascript,export default 1'); mark(); },
  tfjsWasm: async (mark) => {
    const tf = await import('@tensorflow/tfjs-core');
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    mark();
    setWasmPaths(fileURLToPath(new URL('@tensorflow/tfjs-backend-wasm/dist/', NODE_MODULES)));
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    await tf.setBackend('wasm');
    await tf.ready();
  },
  // onnxruntime-web loads and instantiates its wasm with the first session: a 4 x 4 Gather model.
  ort: async (mark) => {
    const ort = await import('onnxruntime-web');
    mark();
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = fileURLToPath(new URL('onnxruntime-web/dist/', NODE_MODULES));
    const { gatherModel } = await import('./lib/onnx.mjs');
    await ort.InferenceSession.create(gatherModel(new Float32Array(16), 4, 4), { executionProviders: ['wasm'] });
  },
  bare: async (mark) => { mark(); await WebAssembly.instantiate(readFileSync(new URL('bare.wasm', BUILD)), {}); },
};

const { contender, baseline } = childArgs({ contender: 'ours', baseline: '' });
const t0 = performance.now();
let imported = 0;
await STARTUPS[contender](() => { imported = performance.now() - t0; });
const end = performance.now();
const phases = marks.instantiated && {
  read: marks.read - t0 - imported,
  compile: marks.compiled - marks.read,
  instantiate: marks.instantiated - marks.compiled,
  ready: end - marks.instantiated,
};
report({ kind: 'startup', contender, ms: end - t0, importMs: imported, phases });
