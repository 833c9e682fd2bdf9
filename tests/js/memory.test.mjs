// Memory: create/dispose leaves the wasm heap flat, the FinalizationRegistry frees what users
// forget, and results stay right when wasm memory grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { init, Embedding, SGD, SparseAdam, memoryUsage } from 'wasm-embedding';

await init();
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function cycle() {
  const emb = new Embedding(100, 16, { paddingIdx: 0, maxNorm: 2, scaleGradByFreq: true, seed: 1 });
  emb.forward([1, 2, 3, 2]);
  emb.backward([1, 2, 3, 2], new Float32Array(64).fill(0.5));
  const opt = new SGD([emb], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
  opt.step();
  assert.equal(emb.grad.indices.length, 3);
  opt.dispose();
  emb.dispose();
}

test('10,000 create/train/dispose cycles leave the wasm heap flat', () => {
  cycle(); // warm the shared scratch region up
  const before = memoryUsage();
  for (let i = 0; i < 10000; ++i) cycle();
  const after = memoryUsage();
  assert.equal(after.heapInUseBytes, before.heapInUseBytes);
  assert.equal(after.wasmMemoryBytes, before.wasmMemoryBytes);
});

test('objects dropped without dispose() are freed by the FinalizationRegistry', async () => {
  const dropSome = () => {
    for (let i = 0; i < 200; ++i) {
      const emb = new Embedding(1000, 8, { seed: i });
      emb.backward([1, 2], new Float32Array(16));
      new SGD([emb], { lr: 0.1, momentum: 0.5 }).step();
    }
  };
  const collect = async (target) => {
    for (let tries = 0; tries < 50 && memoryUsage().heapInUseBytes !== target; ++tries) {
      gc();
      await sleep(20);
    }
    return memoryUsage().heapInUseBytes;
  };
  // A first round grows the heap, which costs the allocator a little bookkeeping once.
  dropSome();
  const before = await collect(-1);
  dropSome();
  assert.ok(memoryUsage().heapInUseBytes > before + 200 * 1000 * 8 * 4, 'the tables were allocated');
  assert.equal(await collect(before), before);
});

test('results stay right after wasm memory grows', () => {
  const emb = new Embedding(50, 7, { seed: 9 });
  const indices = [3, 49, 0, 3];
  const first = emb.forward(indices);
  const out = new Float32Array(28);
  emb.backward(indices, Float32Array.from({ length: 28 }, (_, i) => i));
  const grad = emb.grad;
  const growthBefore = memoryUsage().wasmMemoryBytes;
  const big = new Embedding(8_000_000, 8, { seed: 1 }); // 256 MB: forces memory.grow
  assert.ok(memoryUsage().wasmMemoryBytes > growthBefore, 'memory grew');
  assert.deepEqual(emb.forward(indices, out), first);
  assert.deepEqual(emb.grad, grad);
  assert.equal(big.forward([7_999_999]).length, 8);
  // A large batch grows the scratch region in the middle of a call.
  const many = Int32Array.from({ length: 2_000_000 }, (_, i) => i % 50);
  const rows = emb.forward(many);
  assert.deepEqual(rows.subarray(3 * 7, 4 * 7), first.subarray(0, 7));
  big.dispose();
  emb.dispose();
});

test('an optimizer whose state does not fit in wasm memory throws RangeError and steps nothing', () => {
  // 1.4 GB of table; SparseAdam needs twice that again, past wasm32's 4 GB.
  const big = new Embedding(5_600_000, 64, { seed: 3 });
  const small = new Embedding(10, 2, { seed: 3 });
  big.backward([7], new Float32Array(64).fill(1));
  small.backward([1], [1, 1]);
  const [rowBefore, smallBefore] = [big.lookup(7), small.weight];
  const opt = new SparseAdam([small, big], { lr: 0.1 });
  assert.throws(() => opt.step(), { name: 'RangeError', message: /out of memory for the optimizer state of a 5600000 x 64 table/ });
  assert.deepEqual(big.lookup(7), rowBefore);
  assert.deepEqual(small.weight, smallBefore, 'no table was stepped, not even the one that fits');
  big.dispose();
  opt.dispose();
  const rest = new SparseAdam([small], { lr: 0.1 }); // the module still works
  rest.step();
  assert.notDeepEqual(small.weight, smallBefore);
  small.dispose();
});
