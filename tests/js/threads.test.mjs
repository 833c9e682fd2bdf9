// init({ threads }): the threads build in Node. Big calls are split into one piece per thread
// (src/parallel: a piece once a call has at least 256K floats of work per thread; these calls
// have at least twice that), and every result must be the same bits as on one thread: forward
// (copying and zero-copy, narrow and wide rows), backward (padding, scaleGradByFreq,
// accumulation over calls), bags (sum with weights, mean, max), the optimizers' steps on top,
// and nearest-neighbour search (every metric, several queries, exclusions, analogies; compressed
// tables too). init() waits until every helper is in its loop, so a helper that did not take its
// piece would hang the call rather than pass. Also: the fallback without SIMD, and bad options.
//
//   node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from 'wasm-embedding';
import { assertBitEqual } from './helpers.mjs';

const { init, Embedding, EmbeddingBag, SGD, Adagrad, SparseAdam } = lib;

// A deterministic stream of indices in [0, rows) with hot rows (repeats) and the padding row.
function indices(n, rows, seed) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  return Int32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 3 : i % 11 === 0 ? 0 : next() % rows));
}
const floats = (n, seed) => Float32Array.from(indices(n, 1 << 20, seed), (v) => v / (1 << 19) - 1);

// Runs fn with the runtime of `threads` and returns everything it recorded (label -> array).
async function record(threads, fn) {
  const info = await init({ threads });
  assert.equal(info.threads, threads);
  const out = new Map();
  await fn((label, value) => out.set(label, value));
  return out;
}

function sameRecords(one, many) {
  assert.deepEqual([...many.keys()], [...one.keys()]);
  for (const [label, want] of one) {
    const got = many.get(label);
    if (want instanceof Float32Array) assertBitEqual(got, want, `${label}: 2 threads vs 1`);
    else assert.deepEqual(got, want, `${label}: 2 threads vs 1`);
  }
}

test('threads: embedding forward, backward and optimizer steps are the same bits as one thread', async () => {
  const workload = async (rec) => {
    for (const dim of [7, 64, 300]) {
      const rows = 30_000;
      const n = Math.ceil(1_200_000 / dim);
      for (const [Opt, options] of [[SGD, { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 }], [Adagrad, { lr: 0.1 }], [SparseAdam, { lr: 0.01 }]]) {
        const label = `d ${dim}, ${Opt.name}`;
        const emb = new Embedding(rows, dim, { seed: 5, paddingIdx: 0, scaleGradByFreq: Opt === Adagrad });
        const opt = new Opt([emb], options);
        const batch = emb.batch(n);
        for (let step = 0; step < 2; ++step) {
          const idx = indices(n, rows, 10 * dim + step);
          const g = floats(n * dim, 20 * dim + step);
          opt.zeroGrad();
          rec(`${label} step ${step}: forward`, emb.forward(idx));
          emb.backward(idx, g);
          emb.backward(idx.subarray(0, n >> 1), g.subarray(0, (n >> 1) * dim)); // accumulates into the first call's rows
          rec(`${label} step ${step}: gradient rows`, emb.grad.indices);
          rec(`${label} step ${step}: gradient values`, emb.grad.values);
          opt.step();
          batch.indices.set(idx);
          rec(`${label} step ${step}: zero-copy forward`, batch.forward(n).slice());
          batch.gradOutput.set(g);
          batch.backward(n);
        }
        rec(`${label}: weights`, emb.weight);
        batch.dispose();
        opt.dispose();
        emb.dispose();
      }
    }
  };
  sameRecords(await record(1, workload), await record(2, workload));
});

test('threads: bag forward and backward (sum with weights, mean, max) are the same bits as one thread', async () => {
  const workload = async (rec) => {
    const rows = 20_000, dim = 48, bags = 3000;
    const idx = indices(bags * 9, rows, 77);
    const offsets = Int32Array.from({ length: bags }, (_, b) => b * 9 - (b % 5 === 1 ? 3 : 0)); // uneven bags
    offsets[0] = 0;
    for (const mode of ['sum', 'mean', 'max']) {
      const bag = new EmbeddingBag(rows, dim, { mode, seed: 9, paddingIdx: 3, scaleGradByFreq: mode === 'mean' });
      const weights = mode === 'sum' ? floats(idx.length, 5) : undefined;
      const g = floats(bags * dim, 6);
      rec(`${mode}: forward`, bag.forward(idx, offsets, weights));
      const weightsGrad = bag.backward(idx, offsets, g, weights);
      if (weightsGrad) rec(`${mode}: d(loss)/d(perSampleWeights)`, weightsGrad);
      rec(`${mode}: gradient`, bag.grad.values);
      const opt = new SGD([bag], { lr: 0.5 });
      opt.step();
      rec(`${mode}: weights after a step`, bag.weight);
      opt.dispose();
      bag.dispose();
    }
  };
  sameRecords(await record(1, workload), await record(2, workload));
});

test('threads: nearest and analogy over a big table are the same bits as one thread', async () => {
  const workload = async (rec) => {
    const rows = 40_000, dim = 64;
    const emb = new Embedding(rows, dim, { seed: 21, paddingIdx: 7 });
    const queries = floats(3 * dim, 4);
    for (const metric of ['cosine', 'dot', 'l2']) {
      const byRow = emb.nearest(12, 10, { metric, exclude: [3, 99] });
      rec(`${metric}: by row: indices`, byRow.indices);
      rec(`${metric}: by row: scores`, byRow.scores);
      const batch = emb.nearest(queries, 25, { metric });
      rec(`${metric}: 3 queries: indices`, batch.indices);
      rec(`${metric}: 3 queries: scores`, batch.scores);
    }
    const analogy = emb.analogy(1, 2, 3, 5);
    rec('analogy: indices', analogy.indices);
    rec('analogy: scores', analogy.scores);
    // Compressed tables: several queries are scored over rows dequantised into per-thread blocks.
    for (const storage of ['float16', 'int8', 'int4']) {
      const small = emb.quantize(storage);
      for (const metric of ['cosine', 'l2']) {
        const batch = small.nearest(queries, 25, { metric });
        rec(`${storage}, ${metric}: 3 queries: indices`, batch.indices);
        rec(`${storage}, ${metric}: 3 queries: scores`, batch.scores);
      }
      rec(`${storage}: analogy`, small.analogy(1, 2, 3, 5).indices);
      small.dispose();
    }
    emb.dispose();
  };
  sameRecords(await record(1, workload), await record(2, workload));
});

test('threads: without SIMD init() falls back to one thread and says why; bad counts are rejected', async () => {
  const info = await init({ threads: 2, simd: false });
  assert.equal(info.threads, 1);
  assert.equal(info.simd, false);
  assert.match(info.threadsFallback, /needs WebAssembly SIMD/);
  assert.equal((await init({ threads: 1 })).threadsFallback, undefined);
  await assert.rejects(init({ threads: 0 }), { name: 'RangeError', message: /threads must be an integer in \[1, 64\], got 0/ });
  // Objects keep the runtime they were made with.
  await init({ threads: 2 });
  const emb = new Embedding(10, 3, { seed: 1 });
  await init();
  assert.deepEqual(emb.forward([1, 2]), new Embedding(10, 3, { seed: 1 }).forward([1, 2]));
});
