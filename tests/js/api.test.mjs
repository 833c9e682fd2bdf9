// The API of shared/API.md as users call it: names, defaults, shapes, ownership.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, Embedding, EmbeddingBag, SGD, Table, Optimizer, version } from 'wasm-embedding';
import { random } from './helpers.mjs';

const info = await init();

test('init resolves to { simd, threads, version } and is idempotent', async () => {
  assert.deepEqual(info, { simd: true, threads: 1, version: '0.1.0' });
  assert.equal(version, '0.1.0');
  assert.deepEqual(await init(), info);
});

test('a new table has the requested shape and torch defaults', () => {
  const emb = new Embedding(7, 3);
  assert.equal(emb.numEmbeddings, 7);
  assert.equal(emb.embeddingDim, 3);
  assert.equal(emb.paddingIdx, null);
  assert.equal(emb.maxNorm, null);
  assert.equal(emb.normType, 2);
  assert.equal(emb.scaleGradByFreq, false);
  assert.equal(emb.requiresGrad, true);
  assert.equal(emb.grad, null);
  assert.equal(emb.weight.length, 21);
  emb.dispose();
});

test('the seed decides the table: same seed, same table; N(0, 1) statistics', () => {
  const a = new Embedding(200, 50, { seed: 42 });
  const b = new Embedding(200, 50, { seed: 42 });
  const c = new Embedding(200, 50, { seed: 43 });
  assert.deepEqual(a.weight, b.weight);
  assert.notDeepEqual(a.weight, c.weight);
  const w = a.weight;
  const mean = w.reduce((s, v) => s + v, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.03, `std ${std}`);
  const unseeded = [new Embedding(4, 4), new Embedding(4, 4)];
  assert.notDeepEqual(unseeded[0].weight, unseeded[1].weight);
  for (const e of [a, b, c, ...unseeded]) e.dispose();
});

test('paddingIdx: negative values normalise, the row starts at zero and never gets a gradient', () => {
  const emb = new Embedding(10, 4, { paddingIdx: -2, seed: 1 });
  assert.equal(emb.paddingIdx, 8);
  assert.deepEqual(emb.lookup(8), new Float32Array(4));
  assert.ok(emb.lookup(7).some((v) => v !== 0));
  emb.backward([8, 3, 8], new Float32Array(12).fill(1));
  assert.deepEqual(Array.from(emb.grad.indices), [3]);
  assert.deepEqual(emb.denseGrad().subarray(32, 36), new Float32Array(4));
  emb.dispose();
});

test('forward keeps input order and shape, accepts every index type, and writes into out', () => {
  const weights = Float32Array.from({ length: 12 }, (_, i) => i);
  const emb = Embedding.fromPretrained(weights, { embeddingDim: 2 });
  const expected = new Float32Array([10, 11, 0, 1, 10, 11, 4, 5]);
  assert.deepEqual(emb.forward([5, 0, 5, 2]), expected);
  assert.deepEqual(emb.forward([[5, 0], [5, 2]]), expected);
  assert.deepEqual(emb.forward([[[5], [0]], [[5], [2]]]), expected);
  assert.deepEqual(emb.forward(new Int32Array([5, 0, 5, 2])), expected);
  assert.deepEqual(emb.forward(new Uint32Array([5, 0, 5, 2])), expected);
  assert.deepEqual(emb.forward(new BigInt64Array([5n, 0n, 5n, 2n])), expected);
  assert.deepEqual(emb.forward([]), new Float32Array(0));
  const out = new Float32Array(8);
  assert.equal(emb.forward([5, 0, 5, 2], out), out);
  assert.deepEqual(out, expected);
  const row = emb.lookup(3);
  assert.deepEqual(row, new Float32Array([6, 7]));
  row[0] = 99; // a copy: the table is unchanged
  assert.deepEqual(emb.lookup(3), new Float32Array([6, 7]));
  emb.dispose();
});

test('fromPretrained: rows or flat weights, frozen by default, padding row kept as given', () => {
  const emb = Embedding.fromPretrained([[1, 2], [3, 4], [5, 6]], { paddingIdx: 1 });
  assert.equal(emb.numEmbeddings, 3);
  assert.equal(emb.embeddingDim, 2);
  assert.equal(emb.requiresGrad, false);
  assert.deepEqual(emb.lookup(1), new Float32Array([3, 4]));
  assert.throws(() => emb.backward([0], [1, 1]), { name: 'Error', message: /frozen/ });
  const trainable = Embedding.fromPretrained(new Float32Array([1, 2, 3, 4]), { embeddingDim: 2, freeze: false });
  assert.equal(trainable.requiresGrad, true);
  trainable.backward([1], [0.5, 0.25]);
  assert.deepEqual(trainable.grad, { indices: new Int32Array([1]), values: new Float32Array([0.5, 0.25]) });
  emb.dispose();
  trainable.dispose();
});

test('gradients accumulate across backward calls until zeroGrad, coalesced and sorted', () => {
  const emb = new Embedding(6, 2, { seed: 3 });
  emb.backward([4, 1, 4], [1, 2, 3, 4, 5, 6]);
  emb.backward([[0, 4]], new Float32Array([10, 20, 30, 40]));
  assert.deepEqual(emb.grad, {
    indices: new Int32Array([0, 1, 4]),
    values: new Float32Array([10, 20, 3, 4, 36, 48]),
  });
  const dense = emb.denseGrad();
  assert.deepEqual(dense, new Float32Array([10, 20, 3, 4, 0, 0, 0, 0, 36, 48, 0, 0]));
  emb.zeroGrad();
  assert.deepEqual(emb.grad, { indices: new Int32Array(0), values: new Float32Array(0) });
  assert.deepEqual(emb.denseGrad(), new Float32Array(12));
  emb.dispose();
});

test('weight is a copy; setWeight replaces the table', () => {
  const emb = new Embedding(3, 2, { seed: 5 });
  const w = emb.weight;
  w[0] = 123;
  assert.notEqual(emb.weight[0], 123);
  emb.setWeight(new Float32Array([1, 2, 3, 4, 5, 6]));
  assert.deepEqual(emb.forward([2, 0]), new Float32Array([5, 6, 1, 2]));
  emb.dispose();
});

test('requiresGrad can be toggled; SGD skips frozen tables and tables without gradient', () => {
  const a = Embedding.fromPretrained([[1, 1], [2, 2]], { freeze: false });
  const b = Embedding.fromPretrained([[1, 1], [2, 2]], { freeze: false });
  const c = Embedding.fromPretrained([[1, 1], [2, 2]], { freeze: false });
  a.backward([1], [1, 1]);
  b.backward([1], [1, 1]);
  b.requiresGrad = false;
  const opt = new SGD([a, b, c], { lr: 0.5, momentum: 0.9 });
  opt.step();
  assert.deepEqual(a.weight, new Float32Array([1, 1, 1.5, 1.5]));
  assert.deepEqual(b.weight, new Float32Array([1, 1, 2, 2]));
  assert.deepEqual(c.weight, new Float32Array([1, 1, 2, 2]));
  opt.zeroGrad();
  assert.deepEqual(a.grad.indices, new Int32Array(0));
  opt.dispose();
  for (const e of [a, b, c]) e.dispose();
});

test('SGD: plain steps move only the rows with a gradient; lr can change between steps', () => {
  const emb = Embedding.fromPretrained([[0, 0], [1, 1], [2, 2]], { freeze: false });
  const opt = new SGD([emb], { lr: 0.5 });
  emb.backward([1, 1], [1, 2, 3, 4]);
  opt.step();
  assert.deepEqual(emb.weight, new Float32Array([0, 0, -1, -2, 2, 2]));
  opt.zeroGrad();
  opt.lr = 0.25;
  assert.equal(opt.lr, 0.25);
  emb.backward([2], [4, 8]);
  opt.step();
  assert.deepEqual(emb.weight, new Float32Array([0, 0, -1, -2, 1, 0]));
  opt.dispose();
  emb.dispose();
});

test('dispose frees and is idempotent; Symbol.dispose is an alias; later use throws', () => {
  const emb = new Embedding(3, 2);
  assert.equal(typeof emb[Symbol.dispose], 'function');
  emb[Symbol.dispose]();
  assert.equal(emb.disposed, true);
  emb.dispose();
  for (const use of [() => emb.forward([0]), () => emb.weight, () => emb.grad, () => emb.backward([0], [1, 1]),
    () => emb.zeroGrad(), () => emb.setWeight(new Float32Array(6)), () => emb.lookup(0), () => emb.denseGrad()]) {
    assert.throws(use, { name: 'Error', message: 'Embedding has been disposed' });
  }
  assert.throws(() => new SGD([emb], { lr: 1 }), { message: /disposed/ });
  const live = new Embedding(3, 2);
  const opt = new SGD([live], { lr: 1 });
  live.requiresGrad = false; // frozen or not, a disposed parameter is an error
  live.dispose();
  assert.throws(() => opt.step(), { message: /disposed/ });
  opt.dispose();
  assert.throws(() => opt.step(), { message: 'SGD has been disposed' });
});

test('maxNorm renormalises looked-up rows in place, once per unique row', () => {
  const emb = Embedding.fromPretrained([[3, 4], [0.3, 0.4], [6, 8]], { maxNorm: 1 });
  const out = emb.forward([0, 0, 1]);
  const scaled = [Math.fround(3 * Math.fround(1 / (5 + 1e-7))), Math.fround(4 * Math.fround(1 / (5 + 1e-7)))];
  assert.deepEqual(Array.from(out), [...scaled, ...scaled, Math.fround(0.3), Math.fround(0.4)]);
  assert.deepEqual(Array.from(emb.weight), [...scaled, Math.fround(0.3), Math.fround(0.4), 6, 8]);
  emb.dispose();
});

test('Batch: the zero-copy path gives forward and backward results without copies', () => {
  const emb = new Embedding(50, 6, { seed: 4, paddingIdx: 0 });
  const batch = emb.batch(8);
  assert.equal(batch.capacity, 8);
  assert.equal(batch.indices.length, 8);
  assert.equal(batch.output.length, 48);
  batch.indices.set([3, 0, 49, 3]);
  const rows = batch.forward(4);
  assert.equal(rows.buffer, batch.output.buffer, 'a view of wasm memory, not a copy');
  assert.deepEqual(rows, emb.forward([3, 0, 49, 3]));
  batch.gradOutput.fill(0.5);
  batch.backward(4);
  const reference = new Embedding(50, 6, { seed: 4, paddingIdx: 0 });
  reference.backward([3, 0, 49, 3], new Float32Array(24).fill(0.5));
  assert.deepEqual(emb.grad, reference.grad);
  batch.indices.fill(7);
  assert.deepEqual(batch.forward(), emb.forward(new Int32Array(8).fill(7))); // n defaults to the capacity
  batch.dispose();
  batch.dispose();
  assert.throws(() => batch.indices, { message: 'Batch has been disposed' });
  emb.dispose();
  reference.dispose();
});

test('Batch: backward reads gradOutput when called, so one Batch accumulates several mini-batches before a step', () => {
  // Gradient accumulation through one Batch: each mini-batch overwrites indices and gradOutput
  // before its backward. The step must apply both calls' gradients, as separate copying calls
  // give them, bit for bit (a backward that kept a reference to gradOutput would apply what
  // gradOutput holds at the step instead).
  const dim = 8, next = random(31);
  const parts = [0, 1].map(() => ({
    idx: Int32Array.from({ length: 64 }, () => Math.floor(next() * 40)),
    G: Float32Array.from({ length: 64 * dim }, () => next() * 2 - 1),
  }));
  const viaBatch = new Embedding(40, dim, { seed: 5 }), viaCopies = new Embedding(40, dim, { seed: 5 });
  const optBatch = new SGD([viaBatch], { lr: 0.1 }), optCopies = new SGD([viaCopies], { lr: 0.1 });
  const batch = viaBatch.batch(64);
  for (const { idx, G } of parts) {
    batch.indices.set(idx);
    batch.forward();
    batch.gradOutput.set(G);
    batch.backward();
    viaCopies.backward(idx, G);
  }
  batch.gradOutput.fill(1e6); // written after the last backward, before the step: not part of it
  optBatch.step();
  optCopies.step();
  assert.deepEqual(viaBatch.weight, viaCopies.weight);
  batch.dispose();
  for (const o of [optBatch, optCopies, viaBatch, viaCopies]) o.dispose();
});

test('forward and backward of calls bigger than their 1 MB copy pieces equal the zero-copy ones, bit for bit', () => {
  // 3,000 lookups of 256 floats: 3 MB, copied in and out in three pieces; paddingIdx and
  // repeated rows across the pieces' boundaries.
  const n = 3000, dim = 256, rows = 400;
  const next = random(18);
  const idx = Int32Array.from({ length: n }, () => Math.floor(next() * rows));
  idx[1023] = idx[1024] = idx[2047] = 0;
  const G = Float32Array.from({ length: n * dim }, () => next() * 2 - 1);
  const copying = new Embedding(rows, dim, { seed: 6, paddingIdx: 0 });
  const zeroCopy = new Embedding(rows, dim, { seed: 6, paddingIdx: 0 });
  const batch = zeroCopy.batch(n);
  batch.indices.set(idx);
  assert.deepEqual(copying.forward(idx), batch.forward());
  batch.gradOutput.set(G);
  for (let call = 0; call < 2; ++call) {  // the second call adds to the first's gradient
    copying.backward(idx, G);
    batch.backward();
    assert.deepEqual(copying.grad, zeroCopy.grad);
  }
  for (const t of [copying, zeroCopy]) t.dispose();
});

test('gradients are the same bits whichever way a table slots its rows (by size and batch)', () => {
  // A gradient depends on the lookups and gradOutput only. The same lookups into a 1,000-row
  // table (backward in one pass, a row map), a 300,000-row one (two passes, rows slotted in a
  // hash table sized to the call) and, with scaleGradByFreq, both in two passes; bags too.
  const n = 5000, dim = 8;
  const next = random(29);
  const idx = Int32Array.from({ length: n }, () => Math.floor(next() * 1000));
  const G = Float32Array.from({ length: n * dim }, () => next() * 2 - 1);
  const offsets = Int32Array.from({ length: 1000 }, (_, b) => b * 5 - (b % 7 === 3 ? 2 : 0));
  const bagG = Float32Array.from({ length: 1000 * dim }, () => next() * 2 - 1);
  const cases = [
    ['Embedding', (rows) => new Embedding(rows, dim, { seed: 2, paddingIdx: 7 }), (t) => t.backward(idx, G)],
    ['Embedding, scaleGradByFreq', (rows) => new Embedding(rows, dim, { seed: 2, paddingIdx: 7, scaleGradByFreq: true }), (t) => t.backward(idx, G)],
    ['EmbeddingBag mean', (rows) => new EmbeddingBag(rows, dim, { seed: 2, paddingIdx: 7, mode: 'mean' }), (t) => t.backward(idx, offsets, bagG)],
  ];
  for (const [name, make, backward] of cases) {
    const small = make(1000), big = make(300_000);
    // Two calls in a row (the second adds to the first's gradient, unread in between), then
    // after zeroGrad a third on its own, then a fourth adding to a gradient that was read.
    for (const calls of [2, 1, 1]) {
      for (let c = 0; c < calls; ++c) for (const t of [small, big]) backward(t);
      assert.deepEqual(small.grad.indices, big.grad.indices, `${name}, after ${calls} call(s)`);
      assert.deepEqual(small.grad.values, big.grad.values, `${name}, after ${calls} call(s)`);
      if (calls === 2) for (const t of [small, big]) t.zeroGrad();
    }
    assert.ok(!small.grad.indices.includes(7), `${name}: the padding row gets no gradient`);
    for (const t of [small, big]) t.dispose();
  }
});

test('Batch: bad n or indices throw before anything changes; views are fresh after growth', () => {
  const emb = Embedding.fromPretrained([[3, 4], [6, 8]], { maxNorm: 1, freeze: false });
  const batch = emb.batch(3);
  batch.indices.set([0, 1, 2]);
  assert.throws(() => batch.forward(3), { name: 'RangeError', message: /^index 2 at position 2 is out of range \(valid indices: \[0, 1\]\)$/ });
  assert.throws(() => batch.backward(3), { name: 'RangeError' });
  assert.deepEqual(emb.weight, new Float32Array([3, 4, 6, 8]), 'no renormalisation happened');
  assert.equal(emb.grad, null);
  for (const n of [4, -1, 1.5, '2']) assert.throws(() => batch.forward(n), { name: 'RangeError', message: /n must be an integer in \[0, 3\]/ });
  const before = batch.indices;
  const big = new Embedding(4_000_000, 16, { seed: 1 }); // grows wasm memory
  assert.equal(before.length, 0, 'the old view was detached by the growth');
  batch.indices.set([1, 0]);
  assert.deepEqual(Array.from(batch.forward(2)), Array.from(emb.forward([1, 0])));
  emb.requiresGrad = false;
  assert.throws(() => batch.backward(1), { message: /frozen/ });
  assert.throws(() => emb.batch(-1), { name: 'RangeError' });
  big.dispose();
  emb.dispose();
  assert.throws(() => batch.forward(1), { message: 'Embedding has been disposed' });
  batch.dispose();
});

test('lookups of rows that owe lazy optimizer updates see them, on every forward path', () => {
  for (const dim of [4, 300]) {
    const emb = new Embedding(20, dim, { seed: 8 });
    const twin = new Embedding(20, dim, { seed: 8 });
    const opts = { lr: 0.1, momentum: 0.9, weightDecay: 0.05 };
    const [opt, twinOpt] = [new SGD([emb], opts), new SGD([twin], opts)];
    for (let step = 0; step < 3; ++step) {
      for (const [e, o] of [[emb, opt], [twin, twinOpt]]) {
        e.backward([1], new Float32Array(dim).fill(1));
        o.step();
        o.zeroGrad();
      }
    }
    // Row 5 never had a gradient but owes three steps of decay and momentum.
    const viaLookup = emb.lookup(5);
    const viaForward = emb.forward([5, 6, 7]);
    const settled = twin.weight; // settles every row
    assert.deepEqual(viaLookup, settled.subarray(5 * dim, 6 * dim));
    assert.deepEqual(viaForward, settled.subarray(5 * dim, 8 * dim));
    assert.notDeepEqual(viaLookup, new Embedding(20, dim, { seed: 8 }).lookup(5), 'the row did move');
    for (const x of [emb, twin, opt, twinOpt]) x.dispose();
  }
});

test('Table is the shared base class, not a table of its own', () => {
  assert.throws(() => new Table(2, 2, {}), { name: 'TypeError', message: /create an Embedding or an EmbeddingBag/ });
  assert.throws(() => Table.fromPretrained([[1]]), { name: 'TypeError', message: /use Embedding.fromPretrained/ });
  const emb = new Embedding(2, 2);
  assert.ok(emb instanceof Table);
  assert.throws(() => new Optimizer([emb], {}), { name: 'TypeError', message: /create an SGD/ });
  assert.ok(new SGD([emb], { lr: 1 }) instanceof Optimizer);
  emb.dispose();
});
