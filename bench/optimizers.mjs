// Training-step time for each optimizer as the table grows, and EmbeddingBag forward
// throughput. A step = forward + backward + optimizer step + zeroGrad; it should cost
// O(rows touched x dim), so the time should not grow with numEmbeddings.
//   node bench/optimizers.mjs [--dim 64] [--batch 4096] [--reps 5] [--simd true|false]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { init, Embedding, EmbeddingBag, SGD, Adagrad, SparseAdam, RowwiseAdagrad } from 'wasm-embedding';

const { values: args } = parseArgs({
  options: { dim: { type: 'string', default: '64' }, batch: { type: 'string', default: '4096' },
    reps: { type: 'string', default: '5' }, simd: { type: 'string', default: 'true' } },
});
const [d, B, reps] = [args.dim, args.batch, args.reps].map(Number);
const info = await init({ simd: args.simd === 'true' });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const batchesFor = (V) => Array.from({ length: 8 }, () => Int32Array.from({ length: B }, () => Math.floor(random() * V)));
const gradOutput = Float32Array.from({ length: B * d }, () => random() - 0.5);

const optimizers = {
  'SGD': (p) => new SGD(p, { lr: 0.1 }),
  'SGD momentum 0.9 + weightDecay 1e-4': (p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 }),
  'Adagrad': (p) => new Adagrad(p, { lr: 0.1 }),
  'SparseAdam': (p) => new SparseAdam(p, { lr: 0.01 }),
  'RowwiseAdagrad': (p) => new RowwiseAdagrad(p, { lr: 0.1 }),
};
const sizes = [10_000, 100_000, 1_000_000];

// Median milliseconds per training step, over `reps` runs of 20 steps (after 3 warm-up steps,
// which also allocate the optimizer's state).
function timeSteps(V, makeOptimizer) {
  const emb = new Embedding(V, d, { seed: 1 });
  const opt = makeOptimizer([emb]);
  const batches = batchesFor(V);
  const out = new Float32Array(B * d);
  let k = 0;
  const step = () => {
    const indices = batches[k++ % batches.length];
    emb.forward(indices, out);
    emb.backward(indices, gradOutput);
    opt.step();
    opt.zeroGrad();
  };
  for (let i = 0; i < 3; ++i) step();
  const samples = [];
  for (let r = 0; r < reps; ++r) {
    const start = performance.now();
    for (let i = 0; i < 20; ++i) step();
    samples.push((performance.now() - start) / 20);
  }
  emb.weight; // reading the table settles lazy updates: a real user pays this once per export
  opt.dispose();
  emb.dispose();
  return median(samples);
}

const training = {};
for (const [name, make] of Object.entries(optimizers)) {
  training[name] = sizes.map((V) => timeSteps(V, make));
}

// EmbeddingBag forward: 4096 bags of 20 indices, V = 100,000.
function timeBags(mode) {
  const V = 100_000;
  const bags = 4096;
  const perBag = 20;
  const bag = new EmbeddingBag(V, d, { mode, seed: 1 });
  const indices = Int32Array.from({ length: bags * perBag }, () => Math.floor(random() * V));
  const offsets = Int32Array.from({ length: bags }, (_, b) => b * perBag);
  bag.forward(indices, offsets);
  const samples = [];
  for (let r = 0; r < reps; ++r) {
    const start = performance.now();
    for (let i = 0; i < 20; ++i) bag.forward(indices, offsets);
    samples.push((performance.now() - start) / 20);
  }
  bag.dispose();
  const ms = median(samples);
  return { ms, lookupsPerSecond: (bags * perBag) / (ms / 1000) };
}
const bagForward = Object.fromEntries(['sum', 'mean', 'max'].map((mode) => [mode, timeBags(mode)]));

console.log(`training step (forward + backward + step + zeroGrad), B=${B}, d=${d}, uniform indices, ${info.simd ? 'SIMD' : 'scalar'} build, median of ${reps} (Node ${process.version})\n`);
console.log(`| optimizer | ${sizes.map((V) => `V=${V.toLocaleString('en')}`).join(' | ')} | 1M vs 10k |`);
console.log(`|---|${sizes.map(() => '---').join('|')}|---|`);
for (const [name, times] of Object.entries(training)) {
  console.log(`| ${name} | ${times.map((t) => `${t.toFixed(3)} ms`).join(' | ')} | ${(times[2] / times[0]).toFixed(2)}× |`);
}
console.log(`\nEmbeddingBag forward, V=100,000, d=${d}, 4096 bags x 20 indices, median of ${reps}\n`);
console.log('| mode | ms / call | lookups / s |\n|---|---|---|');
for (const [mode, r] of Object.entries(bagForward)) console.log(`| ${mode} | ${r.ms.toFixed(3)} | ${(r.lookupsPerSecond / 1e6).toFixed(1)} M |`);

mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(new URL('results/optimizers.json', import.meta.url), JSON.stringify({ d, B, reps, simd: info.simd, node: process.version, sizes, training, bagForward }, null, 2));
