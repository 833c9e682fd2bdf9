// Threads: each call with the threads build at 2 (or --threads) threads against the same call on
// one thread (the SIMD build), in the same process: wall-clock time, windows of about targetMs
// alternating between the two, medians over the repetitions, and the speed-up. Results are
// checked to be the same bits first.
//   node bench/threads.mjs [--threads 2] [--reps 9] [--targetMs 150]
import { parseArgs } from 'node:util';
import * as lib from 'wasm-embedding';
import { makeIndices, median, randomFloats, timeSync } from './lib/common.mjs';

const { values: args } = parseArgs({
  options: { threads: { type: 'string', default: '2' }, reps: { type: 'string', default: '9' }, targetMs: { type: 'string', default: '150' } },
});
const [THREADS, REPS, TARGET_MS] = [args.threads, args.reps, args.targetMs].map(Number);

// Each case: setup(lib) -> { run, result } on the active runtime.
const CASES = [
  ['forward, V = 100k, d = 64, B = 65,536: emb.forward(idx, out)', () => {
    const emb = new lib.Embedding(100_000, 64, { seed: 1 });
    const idx = makeIndices(100_000, 65_536, 'uniform');
    const out = new Float32Array(65_536 * 64);
    return { run: () => emb.forward(idx, out), result: () => out };
  }],
  ['forward, V = 100k, d = 64, B = 65,536: zero-copy batch.forward', () => {
    const emb = new lib.Embedding(100_000, 64, { seed: 1 });
    const batch = emb.batch(65_536);
    batch.indices.set(makeIndices(100_000, 65_536, 'uniform'));
    return { run: () => batch.forward(), result: () => batch.output.slice() };
  }],
  ['backward, V = 100k, d = 64, B = 65,536: zeroGrad + emb.backward(idx, G)', () => {
    const emb = new lib.Embedding(100_000, 64, { seed: 1 });
    const idx = makeIndices(100_000, 65_536, 'uniform');
    const G = randomFloats(65_536 * 64, 3);
    return { run: () => { emb.zeroGrad(); emb.backward(idx, G); }, result: () => emb.grad.values };
  }],
  ['backward, the same: zeroGrad + zero-copy batch.backward', () => {
    const emb = new lib.Embedding(100_000, 64, { seed: 1 });
    const batch = emb.batch(65_536);
    batch.indices.set(makeIndices(100_000, 65_536, 'uniform'));
    batch.gradOutput.set(randomFloats(65_536 * 64, 3));
    return { run: () => { emb.zeroGrad(); batch.backward(); }, result: () => emb.grad.values };
  }],
  ['nearest, 341,479 x 100 (GloVe 6B 100-d\'s shape), cosine, k = 10, one query by row', () => {
    const emb = new lib.Embedding(341_479, 100, { seed: 1 });
    let out;
    return { run: () => { out = emb.nearest(4242, 10); }, result: () => out.scores };
  }],
  ['bag forward, V = 100k, d = 64, 8192 bags of 8, mean', () => {
    const bag = new lib.EmbeddingBag(100_000, 64, { seed: 1, mode: 'mean' });
    const idx = makeIndices(100_000, 65_536, 'uniform');
    const offsets = Int32Array.from({ length: 8192 }, (_, b) => b * 8);
    let out;
    return { run: () => { out = bag.forward(idx, offsets); }, result: () => out };
  }],
  ['bag forward, the same: zero-copy bagBatch.forward', () => {
    const bag = new lib.EmbeddingBag(100_000, 64, { seed: 1, mode: 'mean' });
    const batch = bag.batch(65_536, 8192);
    batch.indices.set(makeIndices(100_000, 65_536, 'uniform'));
    batch.offsets.set(Int32Array.from({ length: 8193 }, (_, b) => b * 8));
    return { run: () => batch.forward(), result: () => batch.output.slice() };
  }],
];

const one = await lib.init({ threads: 1 });
const single = CASES.map(([, setup]) => setup());
const info = await lib.init({ threads: THREADS });
if (info.threads !== THREADS) throw new Error(`threads build unavailable: ${info.threadsFallback}`);
const multi = CASES.map(([, setup]) => setup());
console.log(`### Threads: ${THREADS} threads against 1 (wall clock, median of ${REPS} interleaved windows; Node ${process.version}, ${one.simd ? 'SIMD' : 'scalar'} single-thread build)\n`);
console.log(`| call | 1 thread | ${THREADS} threads | speed-up |\n|---|---:|---:|---:|`);
for (const [k, [name]] of CASES.entries()) {
  const [a, b] = [single[k], multi[k]];
  a.run();
  b.run();
  const [ra, rb] = [a.result(), b.result()];
  if (ra.length !== rb.length || !ra.every((v, i) => Object.is(v, rb[i]))) throw new Error(`${name}: ${THREADS} threads differ from 1`);
  const samples = [[], []];
  for (let r = 0; r < REPS; ++r) {
    for (const [j, c] of (r % 2 ? [[1, b], [0, a]] : [[0, a], [1, b]])) samples[j].push(timeSync(c.run, TARGET_MS));
  }
  const [ta, tb] = samples.map(median);
  console.log(`| ${name} | ${(ta * 1e3).toFixed(2)} ms | ${(tb * 1e3).toFixed(2)} ms | ${(ta / tb).toFixed(2)}× |`);
}

// What the copying calls pay in the threads build: its wasm memory is shared, and V8 copies into
// and out of shared memory word by word (relaxed atomics) rather than with memcpy.
const floats = 256 * 1024, src = randomFloats(floats, 5), back = new Float32Array(floats);
const memories = [['an ArrayBuffer', new ArrayBuffer(4 * floats)], ['shared wasm memory', new WebAssembly.Memory({ initial: 16, maximum: 16, shared: true }).buffer]];
const copies = memories.map(([name, buffer]) => {
  const view = new Float32Array(buffer, 0, floats);
  return { name, into: [], out: [], view };
});
for (let r = 0; r < REPS; ++r) {
  for (const c of copies) {
    c.into.push(timeSync(() => c.view.set(src), 50));
    c.out.push(timeSync(() => back.set(c.view), 50));
  }
}
console.log(`\nCopying 1 MB with TypedArray.prototype.set (median of ${REPS}): ${copies.map((c) => `${c.name}: in ${(median(c.into) * 1e6).toFixed(0)} µs, out ${(median(c.out) * 1e6).toFixed(0)} µs`).join('; ')}.`);
