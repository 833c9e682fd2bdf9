// BagBatch, EmbeddingBag's zero-copy path: the same results as the copying API bit for bit
// (every mode, includeLastOffset, padding, per-sample weights, both builds), the same errors
// for the same bad input with nothing changed, views that survive memory growth, and memory
// that comes back on dispose.
//
//   node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, EmbeddingBag, Embedding, BagBatch, memoryUsage } from 'wasm-embedding';
import { BUILDS, assertBitEqual } from './helpers.mjs';

// Bags over 30 rows: an empty first bag, duplicates, the last row, an empty bag in the middle.
const INDICES = [4, 29, 4, 0, 7, 7, 13, 29, 2, 11];
const STARTS = [0, 0, 3, 5, 5, 9]; // 6 bags
const dim = 5;

function gradOutputFor(numBags) {
  return Float32Array.from({ length: numBags * dim }, (_, i) => ((i * 7) % 11) / 4 - 1.25);
}

for (const build of BUILDS) {
  test(`BagBatch gives the copying API's results bit for bit (${build.label} build)`, async () => {
    await init({ simd: build.simd });
    for (const mode of ['sum', 'mean', 'max']) {
      for (const includeLastOffset of [false, true]) {
        for (const paddingIdx of [null, 7]) {
          for (const weighted of mode === 'sum' ? [false, true] : [false]) {
            const label = `${mode}, includeLastOffset ${includeLastOffset}, paddingIdx ${paddingIdx}, weighted ${weighted}`;
            const options = { mode, includeLastOffset, paddingIdx, seed: 21 };
            const copying = new EmbeddingBag(30, dim, options);
            const zeroCopy = new EmbeddingBag(30, dim, options);
            const offsets = includeLastOffset ? [...STARTS, INDICES.length] : STARTS;
            const numBags = STARTS.length;
            const weights = weighted ? Float32Array.from(INDICES, (_, i) => 0.5 + i / 8) : undefined;
            const gradOutput = gradOutputFor(numBags);

            const batch = zeroCopy.batch(16, 8);
            batch.indices.set(INDICES);
            batch.offsets.set(offsets);
            if (weights) batch.perSampleWeights.set(weights);
            const call = weighted ? { perSampleWeights: true } : {};
            const pooled = batch.forward(INDICES.length, numBags, call);
            assert.equal(pooled.buffer, batch.output.buffer, `${label}: a view of wasm memory`);
            assertBitEqual(pooled, copying.forward(INDICES, offsets, weights), `${label}: forward`, dim);

            batch.gradOutput.set(gradOutput);
            const weightsGrad = batch.backward(INDICES.length, numBags, call);
            const want = copying.backward(INDICES, offsets, gradOutput, weights);
            if (weighted) assertBitEqual(weightsGrad, want, `${label}: d(loss)/d(perSampleWeights)`);
            else assert.equal(weightsGrad, undefined);
            assert.deepEqual(zeroCopy.grad, copying.grad, `${label}: gradient`);
            batch.dispose();
            copying.dispose();
            zeroCopy.dispose();
          }
        }
      }
    }
  });
}

test('BagBatch: bad counts, offsets, indices and options throw what the copying API throws, and change nothing', async () => {
  await init();
  const bag = new EmbeddingBag(30, dim, { mode: 'sum', seed: 5 });
  const batch = bag.batch(10, 4);
  assert.equal(batch.capacity, 10);
  assert.equal(batch.maxBags, 4);
  assert.equal(batch.offsets.length, 5);
  assert.equal(batch.output.length, 4 * dim);
  const weightsBefore = bag.weight;
  const state = () => [bag.weight, bag.grad];
  const before = state();

  for (const n of [11, -1, 2.5, '3']) assert.throws(() => batch.forward(n, 1), { name: 'RangeError', message: /^n must be an integer in \[0, 10\] \(the batch's capacity\)/ });
  for (const k of [5, -1, 0.5]) assert.throws(() => batch.forward(3, k), { name: 'RangeError', message: /^numBags must be an integer in \[0, 4\] \(the batch's maxBags\)/ });

  // Offsets: each fault gives the copying API's message for the same offsets.
  batch.indices.set([1, 2, 3, 4]);
  for (const offsets of [[1, 2], [0, 3, 2], [0, 5]]) {
    batch.offsets.set(offsets);
    let want;
    try { bag.forward([1, 2, 3, 4], offsets); } catch (err) { want = err; }
    assert.ok(want instanceof RangeError, `the copying API rejects offsets [${offsets}]`);
    assert.throws(() => batch.forward(4, offsets.length), { name: 'RangeError', message: want.message });
    batch.gradOutput.fill(1);
    assert.throws(() => batch.backward(4, offsets.length), { name: 'RangeError', message: want.message });
  }

  // An index out of range, named with its position.
  batch.offsets.set([0, 2]);
  batch.indices.set([1, 30, 3]);
  assert.throws(() => batch.forward(3, 2), { name: 'RangeError', message: 'index 30 at position 1 is out of range (valid indices: [0, 29])' });
  assert.throws(() => batch.backward(3, 2), { name: 'RangeError', message: 'index 30 at position 1 is out of range (valid indices: [0, 29])' });
  batch.indices[1] = -1;
  assert.throws(() => batch.forward(3, 2), { name: 'RangeError', message: /^index -1 at position 1/ });

  assert.throws(() => batch.forward(3, 2, { weights: true }), { name: 'TypeError', message: /unknown option 'weights'/ });
  assert.throws(() => batch.forward(3, 2, { perSampleWeights: 1 }), { name: 'TypeError', message: /perSampleWeights must be a boolean/ });
  assert.deepEqual(state(), before, 'nothing changed');
  assert.deepEqual(bag.weight, weightsBefore);

  const mean = new EmbeddingBag(30, dim, { mode: 'mean', seed: 5 });
  const meanBatch = mean.batch(4);
  assert.throws(() => meanBatch.forward(0, 0, { perSampleWeights: true }), { name: 'TypeError', message: /only supported with mode 'sum' \(this bag's mode is 'mean'\)/ });
  mean.requiresGrad = false;
  assert.throws(() => meanBatch.backward(0, 0), { message: /frozen/ });

  assert.throws(() => new BagBatch(new Embedding(3, 2), 4), { name: 'TypeError', message: /bag must be an EmbeddingBag/ });
  assert.throws(() => bag.batch(-1), { name: 'RangeError', message: /capacity/ });
  assert.throws(() => bag.batch(4, 1.5), { name: 'RangeError', message: /maxBags/ });
  for (const b of [batch, meanBatch]) b.dispose();
  for (const t of [bag, mean]) t.dispose();
});

test('BagBatch: views are made again after memory growth; dispose gives the memory back', async () => {
  await init();
  const bag = new EmbeddingBag(20, 3, { mode: 'max', seed: 9 });
  const batch = bag.batch(1000, 100);
  const oldIndices = batch.indices;
  const big = new Embedding(4_000_000, 16, { seed: 1 }); // grows wasm memory
  assert.equal(oldIndices.length, 0, 'the old view was detached by the growth');
  batch.indices.set([3, 19, 0]);
  batch.offsets.set([0, 1]);
  assert.deepEqual(batch.forward(3, 2), bag.forward([3, 19, 0], [0, 1]));
  big.dispose();
  batch.dispose();

  // The heap is flat across a batch's life, errors included (no growth in between: growing
  // adds the allocator's own bookkeeping).
  const heapBefore = memoryUsage().heapInUseBytes;
  const again = bag.batch(1000, 100);
  assert.ok(memoryUsage().heapInUseBytes > heapBefore, 'the batch holds wasm memory');
  again.indices.set([3, 99, 0]);
  again.offsets.set([0, 1]);
  assert.throws(() => again.forward(3, 2), RangeError);
  again.dispose();
  again.dispose();
  assert.equal(memoryUsage().heapInUseBytes, heapBefore, 'heap back to its level before the batch');
  assert.throws(() => again.indices, { message: 'BagBatch has been disposed' });
  assert.throws(() => again.forward(1, 1), { message: 'BagBatch has been disposed' });

  const last = bag.batch(4);
  bag.dispose();
  assert.throws(() => last.forward(0, 0), { message: 'EmbeddingBag has been disposed' });
  last.dispose();
});
