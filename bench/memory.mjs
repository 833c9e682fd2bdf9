// Peak memory of one training contender, alone in this fresh process: RSS after loading (the
// baseline), then create a V x d table (each contender its own idiomatic way) and train a few
// steps; reports the peak RSS (VmHWM) growth over the baseline, relative to the table's bytes,
// and the wasm memory where there is one.
//   node --expose-gc bench/memory.mjs --contender ours
import { init, memoryUsage } from 'wasm-embedding';
import { childArgs, makeIndices, randomFloats, rss, report } from './lib/common.mjs';
import { loadTf, useTfBackend } from './lib/peers.mjs';
import { trainContenders } from './lib/train-steps.mjs';

const args = childArgs({ contender: 'ours', V: 1000000, d: 64, B: 4096, lr: 0.01, steps: 3 });
const [V, d, B, lr, steps] = [args.V, args.d, args.B, args.lr, args.steps].map(Number);
const contender = trainContenders({ V, d, B, lr }).find((c) => c.key === args.contender);
if (!contender) throw new Error(`memory.mjs: unknown contender ${args.contender}`);

// Load everything first: the baseline includes the library and its (empty) wasm memory.
const indices = makeIndices(V, B, 'uniform');
const G = randomFloats(B * d, 11);
let tf = null;
if (args.contender.startsWith('tfjs')) {
  tf = await loadTf();
  await useTfBackend(tf, args.contender === 'tfjsWasm' ? 'wasm' : 'cpu');
} else {
  await init({ simd: true });
}
globalThis.gc?.();
const base = rss();
const wasmBefore = args.contender === 'ours' ? memoryUsage() : null;

const t0 = performance.now();
const { run } = await contender.setup({ indices, G });
for (let s = 0; s < steps; ++s) run();
const seconds = (performance.now() - t0) / 1000;

const end = rss();
const tableBytes = V * d * 4;
const result = {
  kind: 'memory', contender: args.contender, name: contender.name, V, d, B, steps, tableBytes, seconds,
  baselineRss: base.rss, peakRss: end.peak, endRss: end.rss,
  growth: end.peak - base.rss, growthVsTable: (end.peak - base.rss) / tableBytes,
};
if (wasmBefore) {
  const after = memoryUsage();
  Object.assign(result, { wasmMemoryBytes: after.wasmMemoryBytes, heapInUseBytes: after.heapInUseBytes, wasmMemoryBefore: wasmBefore.wasmMemoryBytes });
}
if (tf) {
  const m = tf.memory();
  result.tfBytes = m.numBytes;
  const heap = tf.backend().wasm?.HEAPU8;
  if (heap) result.wasmMemoryBytes = heap.buffer.byteLength;
}
report(result);
