// Checkpoints: for every optimizer and option mix, N steps, saveCheckpoint, loadCheckpoint into
// fresh objects (here, and in a new Node process on the scalar build), M more steps: the same
// bits as N + M steps without interruption. The file's layout (PyTorch's names); truncated,
// corrupted or foreign files rejected with an Error, creating nothing; bad arguments.
//
//   node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  init, Embedding, EmbeddingBag, SGD, Adagrad, SparseAdam, RowwiseAdagrad,
  saveCheckpoint, loadCheckpoint, loadSafetensors, saveSafetensors, memoryUsage,
} from 'wasm-embedding';
import { MIXES, makeSetup, train } from './checkpoint-training.mjs';
import { assertBitEqual } from './helpers.mjs';

const N = 3, M = 3;
const OPTIMIZERS = { SGD, Adagrad, SparseAdam, RowwiseAdagrad };

function finalWeights(tables) {
  return Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, t.weight]));
}

function dispose(objects) {
  for (const o of Object.values(objects.optimizers ?? {})) o.dispose();
  for (const t of Object.values(objects.tables ?? {})) t.dispose();
}

test('checkpoints resume bit for bit, for every optimizer and option mix', async () => {
  await init();
  for (const mix of MIXES) {
    const label = `${mix.optimizer} ${JSON.stringify(mix.options)}`;
    const lib = { Embedding, EmbeddingBag, ...OPTIMIZERS };
    const uninterrupted = makeSetup(lib, mix);
    train(uninterrupted, 0, N + M);

    const saved = makeSetup(lib, mix);
    train(saved, 0, N);
    const bytes = saveCheckpoint({ tables: saved.tables, optimizers: saved.optimizers }, { step: String(N) });
    const restored = loadCheckpoint(bytes);
    assert.deepEqual(restored.metadata, { step: String(N) });
    assert.deepEqual(Object.keys(restored.tables), Object.keys(saved.tables));
    for (const [name, t] of Object.entries(restored.tables)) {
      const original = saved.tables[name];
      assert.equal(t.constructor, original.constructor);
      for (const key of ['numEmbeddings', 'embeddingDim', 'paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'requiresGrad', 'mode', 'includeLastOffset']) {
        assert.equal(t[key], original[key], `${label}: ${name}.${key}`);
      }
    }
    assert.equal(restored.optimizers.opt.lr, saved.optimizers.opt.lr);
    train(saved, N, N + M); // saving changed nothing in the saved objects
    train({ ...restored, lr: mix.options.lr }, N, N + M);

    const want = finalWeights(uninterrupted.tables);
    for (const [name, w] of Object.entries(want)) {
      assertBitEqual(finalWeights(saved.tables)[name], w, `${label}: ${name} of the saved objects`);
      assertBitEqual(finalWeights(restored.tables)[name], w, `${label}: ${name} restored`);
    }
    for (const objects of [uninterrupted, saved, restored]) dispose(objects);
  }
});

test('a checkpoint resumes bit for bit in a new Node process, on the scalar build', async () => {
  await init();
  const dir = mkdtempSync(join(tmpdir(), 'wasm-embedding-checkpoint-'));
  try {
    const lib = { Embedding, EmbeddingBag, ...OPTIMIZERS };
    const want = {};
    for (const [k, mix] of MIXES.entries()) {
      const uninterrupted = makeSetup(lib, mix);
      train(uninterrupted, 0, N + M);
      want[k] = finalWeights(uninterrupted.tables);
      dispose(uninterrupted);
      const saved = makeSetup(lib, mix);
      train(saved, 0, N);
      writeFileSync(join(dir, `${k}.safetensors`), saveCheckpoint({ tables: saved.tables, optimizers: saved.optimizers }));
      dispose(saved);
    }
    // The child loads each file, trains M steps, and writes the tables as a safetensors file.
    execFileSync(process.execPath, [new URL('./checkpoint-child.mjs', import.meta.url).pathname, dir, String(MIXES.length), String(N), String(M)], { stdio: 'inherit' });
    for (const k of MIXES.keys()) {
      const { tensors } = loadSafetensors(readFileSync(join(dir, `${k}.after.safetensors`)));
      for (const [name, w] of Object.entries(want[k])) assertBitEqual(tensors[name].data, w, `mix ${k}: ${name} after the new process`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the file is safetensors with PyTorch names: <table>.weight and <optimizer>.state.<i>.<field>', async () => {
  await init();
  const emb = new Embedding(6, 3, { seed: 1 });
  const bag = new EmbeddingBag(4, 3, { seed: 2, mode: 'sum' });
  const opt = new SGD([emb, bag], { lr: 0.5, momentum: 0.9 });
  const adam = new SparseAdam([bag], { lr: 0.1 });
  emb.backward([1, 2], new Float32Array(6).fill(1));
  opt.step();
  bag.backward([1, 3], [0, 1], new Float32Array(6).fill(1));
  adam.step(); // the bag's state is now SparseAdam's (switching settles SGD's debts and drops its state)
  const { tensors, metadata } = loadSafetensors(saveCheckpoint({ tables: { emb, bag }, optimizers: { opt, adam } }));
  assert.deepEqual(Object.keys(tensors).sort(), [
    'adam.state.0.exp_avg', 'adam.state.0.exp_avg_sq', 'adam.state.0.step',
    'bag.weight', 'emb.weight',
    'opt.state.0.buffer_step', 'opt.state.0.dampening', 'opt.state.0.lr', 'opt.state.0.maximize', 'opt.state.0.momentum',
    'opt.state.0.momentum_buffer', 'opt.state.0.nesterov', 'opt.state.0.row_step', 'opt.state.0.step', 'opt.state.0.weight_decay',
  ]);
  assert.deepEqual(tensors['emb.weight'].shape, [6, 3]);
  assert.deepEqual(tensors['opt.state.0.momentum_buffer'].shape, [6, 3]);
  assert.deepEqual(tensors['opt.state.0.row_step'].shape, [6]);
  assert.deepEqual(tensors['opt.state.0.step'], { dtype: 'I64', shape: [], data: new BigInt64Array([1n]) });
  assert.deepEqual(tensors['adam.state.0.exp_avg'].shape, [4, 3]);
  const description = JSON.parse(metadata['wasm-embedding.checkpoint']);
  assert.deepEqual(description.optimizers.opt.params, ['emb', 'bag']);
  assert.deepEqual(description.optimizers.opt.state, [0]);
  assert.deepEqual(description.optimizers.adam.options, { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8 });
  assert.match(metadata['wasm-embedding.checksum'], /^crc32:[0-9a-f]{8}$/);
  for (const o of [opt, adam, emb, bag]) o.dispose();
});

test('truncated, corrupted and foreign files are rejected with an Error, creating nothing', async () => {
  await init();
  const emb = new Embedding(50, 8, { seed: 3 });
  const opt = new Adagrad([emb], { lr: 0.1, weightDecay: 0.01 });
  emb.backward([1, 2, 3], new Float32Array(24).fill(0.25));
  opt.step();
  const bytes = saveCheckpoint({ tables: { emb }, optimizers: { opt } });
  const heap = memoryUsage().heapInUseBytes;
  const rejects = (file, message, what) => {
    assert.throws(() => loadCheckpoint(file), (err) => err instanceof Error && message.test(err.message), what);
    assert.equal(memoryUsage().heapInUseBytes, heap, `${what}: nothing left behind`);
  };
  for (const cut of [0, 7, 8, 100, bytes.length - 1]) rejects(bytes.subarray(0, cut), /safetensors/, `truncated to ${cut} bytes`);
  const headerSize = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  for (const at of [8 + headerSize, 8 + headerSize + 1000, bytes.length - 1]) {
    const bad = bytes.slice();
    bad[at] ^= 0x10;
    rejects(bad, /the file is corrupted: its checksum is "crc32:[0-9a-f]{8}", its contents give/, `a flipped bit in the data at ${at}`);
  }
  // A changed option in the description, the JSON still valid.
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerSize));
  const edited = bytes.slice();
  edited.set(new TextEncoder().encode(header.replace('\\"lr\\":0.1', '\\"lr\\":0.9')), 8);
  assert.notDeepEqual(edited, bytes);
  rejects(edited, /the file is corrupted/, 'an edited option');
  rejects(saveSafetensors({ weight: emb }), /not a wasm-embedding checkpoint/, 'a plain safetensors file');
  rejects(new Uint8Array([1, 2, 3]), /safetensors/, 'three bytes');
  assert.throws(() => loadCheckpoint('file'), TypeError);
  opt.dispose();
  emb.dispose();
});

test('saveCheckpoint: bad arguments throw; tables saved without their optimizer get its owed updates', async () => {
  await init();
  const emb = new Embedding(10, 2, { seed: 4 });
  const other = new Embedding(10, 2, { seed: 5 });
  const opt = new SGD([emb, other], { lr: 0.1, momentum: 0.9 });
  assert.throws(() => saveCheckpoint(null), { name: 'TypeError', message: /expects \{ tables, optimizers \}/ });
  assert.throws(() => saveCheckpoint({ tables: { emb }, extra: 1 }), { name: 'TypeError', message: /unknown option 'extra'/ });
  assert.throws(() => saveCheckpoint({ tables: { a: emb, b: emb } }), { name: 'TypeError', message: /tables.b is the same table as tables.a/ });
  assert.throws(() => saveCheckpoint({ tables: { a: {} } }), { name: 'TypeError', message: /tables.a is a Object, not an Embedding or EmbeddingBag/ });
  assert.throws(() => saveCheckpoint({ tables: { emb }, optimizers: { opt } }), { name: 'TypeError', message: /optimizers.opt steps a table \(its params\[1\]\) that is not among the tables/ });
  assert.throws(() => saveCheckpoint({ tables: { emb }, optimizers: { opt: emb } }), { name: 'TypeError', message: /not an SGD, Adagrad, SparseAdam or RowwiseAdagrad/ });
  const small = emb.quantize('int8');
  assert.throws(() => saveCheckpoint({ tables: { small } }), { name: 'TypeError', message: /tables.small is stored as int8; compressed tables are frozen/ });
  small.dispose();

  // Momentum makes rows that a step did not touch owe updates; saved without the optimizer, the
  // table carries them out first, as its weight getter would.
  for (let k = 0; k < 3; ++k) {
    opt.zeroGrad();
    emb.backward([k], [1, 1]);
    opt.step();
  }
  const alone = loadCheckpoint(saveCheckpoint({ tables: { emb } }));
  assert.deepEqual(alone.tables.emb.weight, emb.weight);
  alone.tables.emb.dispose();
  opt.dispose();
  emb.dispose();
  assert.throws(() => saveCheckpoint({ tables: { emb } }), { message: 'Embedding has been disposed' });
  assert.throws(() => saveCheckpoint({ tables: { other }, optimizers: { opt } }), { message: 'SGD has been disposed' });
  other.dispose();
});
