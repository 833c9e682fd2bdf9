// Loading the peers in Node: TensorFlow.js (wasm and cpu backends), onnxruntime-web, the bare
// wasm module. Each loader is imported lazily so a child only pays for what it uses.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { NODE_MODULES, BUILD } from './common.mjs';

let tfPromise = null;
/** @tensorflow/tfjs-core with both backends registered; the wasm backend finds its .wasm files on disk. */
export function loadTf() {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const tfw = await import('@tensorflow/tfjs-backend-wasm');
    // A file path (with the trailing slash): the Node build reads the .wasm with fs.
    tfw.setWasmPaths(fileURLToPath(new URL('@tensorflow/tfjs-backend-wasm/dist/', NODE_MODULES)));
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // one thread, as everyone else
    return tf;
  })();
  return tfPromise;
}

/** Switches tfjs to 'wasm' or 'cpu' and checks that it took. */
export async function useTfBackend(tf, name) {
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs backend ${name} did not initialise`);
  if (name === 'wasm' && !(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('tfjs-backend-wasm: no SIMD');
}

let ortPromise = null;
/** onnxruntime-web on its wasm execution provider, one thread, .wasm read from its dist folder. */
export function loadOrt() {
  ortPromise ??= (async () => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = fileURLToPath(new URL('onnxruntime-web/dist/', NODE_MODULES));
    return ort;
  })();
  return ortPromise;
}

/** The bare module (bench/bare.c, built by the driver into bench/results/build/bare.wasm). */
export async function loadBare() {
  const bytes = readFileSync(new URL('bare.wasm', BUILD));
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const x = instance.exports;
  x._initialize?.();
  /** Copies a typed array into wasm memory; returns its byte offset. */
  const put = (array) => {
    const ptr = x.bench_alloc(array.byteLength);
    if (!ptr) throw new Error('bare module: out of memory');
    new Uint8Array(x.memory.buffer, ptr, array.byteLength).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return ptr;
  };
  const alloc = (bytes) => {
    const ptr = x.bench_alloc(bytes);
    if (!ptr) throw new Error('bare module: out of memory');
    return ptr;
  };
  return { exports: x, put, alloc, f32: (ptr, n) => new Float32Array(x.memory.buffer, ptr, n) };
}

/** Makes an initialised tfjs backend the active one, synchronously (no await: setBackend on a
 * registered backend switches before its promise settles). */
export function switchTfBackend(tf, name) {
  if (tf.getBackend() === name) return;
  tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`tfjs: could not switch to ${name}`);
}
