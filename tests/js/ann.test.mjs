// Approximate nearest neighbours (table.buildIndex, AnnIndex): on every table kind, the scores
// returned are emb.nearest's for those rows, bit for bit, with its exclusions, padding row and
// -1/NaN fill; with every list scanned the answers are emb.nearest's; builds are deterministic
// (and the same on the SIMD and scalar builds); save/load round trips; another table's index,
// a hostile file, a stale index, bad arguments and an abort are errors that change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, Embedding, EmbeddingBag, SGD, AnnIndex, saveSafetensors, loadSafetensors, memoryUsage } from 'wasm-embedding';
import { random } from './helpers.mjs';

const STORAGES = ['float32', 'float16', 'int8', 'int4'];
const METRICS = ['cosine', 'dot', 'l2'];

// rows x dim around `clusters` centres: the shape k-means meets in real embeddings.
function clustered(rows, dim, clusters, seed) {
  const r = random(seed);
  const centres = Float32Array.from({ length: clusters * dim }, () => r() * 4 - 2);
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < rows; ++i) {
    const c = Math.floor(r() * clusters);
    for (let j = 0; j < dim; ++j) out[i * dim + j] = centres[c * dim + j] + (r() - 0.5) * 0.6;
  }
  return out;
}

function table(storage, rows = 1500, dim = 20, options = {}) {
  const t = Embedding.fromPretrained(clustered(rows, dim, 30, 11), { embeddingDim: dim, ...options });
  if (storage === 'float32') return t;
  const small = t.quantize(storage);
  t.dispose();
  return small;
}

const sameBits = (a, b) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) || new Float32Array([a])[0] === new Float32Array([b])[0] && Object.is(Math.sign(a), Math.sign(b));

// Every row's exact score for each query, as emb.nearest gives it (k = all rows).
function exactScoreOf(t, query, metric, m) {
  const rows = t.numEmbeddings;
  const all = t.nearest(query, rows, { metric });
  return (q, row) => {
    for (let s = 0; s < rows; ++s) if (all.indices[q * rows + s] === row) return all.scores[q * rows + s];
    return undefined; // the row does not qualify (self, padding, excluded)
  };
}

function assertExactScores(t, index, query, k, metric, m, options = {}) {
  const got = index.nearest(query, k, options);
  const score = exactScoreOf(t, query, metric, m);
  const excluded = new Set(options.exclude ?? []);
  for (let q = 0; q < m; ++q) {
    for (let s = 0; s < k; ++s) {
      const row = got.indices[q * k + s];
      if (row === -1) {
        assert.ok(Number.isNaN(got.scores[q * k + s]));
        continue;
      }
      assert.ok(!excluded.has(row), `excluded row ${row} returned`);
      if (t.paddingIdx !== null) assert.notEqual(row, t.paddingIdx, 'the padding row returned');
      const want = score(q, row);
      assert.ok(want !== undefined, `row ${row} does not qualify for query ${q}`);
      assert.ok(sameBits(got.scores[q * k + s], want), `query ${q} slot ${s} row ${row}: ${got.scores[q * k + s]} vs emb.nearest's ${want}`);
      if (s > 0 && got.indices[q * k + s - 1] !== -1) {
        const prev = got.scores[q * k + s - 1];
        const cur = got.scores[q * k + s];
        assert.ok(metric === 'l2' ? prev < cur || (prev === cur && got.indices[q * k + s - 1] < row) : prev > cur || (prev === cur && got.indices[q * k + s - 1] < row), `order at query ${q} slot ${s}`);
      }
    }
  }
  return got;
}

test('every table kind and metric: scores are emb.nearest\'s for the rows returned; with every list scanned, emb.nearest\'s answers', async () => {
  await init();
  for (const storage of STORAGES) {
    for (const metric of storage === 'float32' ? METRICS : ['cosine']) {
      const t = table(storage, 1500, 20, { paddingIdx: 7 });
      const index = await t.buildIndex({ metric, seed: 3 });
      assert.ok(index instanceof AnnIndex);
      assert.equal(index.metric, metric);
      assert.equal(index.stale, false);
      assert.ok(index.byteLength > 1500 * 16, `byteLength ${index.byteLength}`);
      const rows = Int32Array.of(0, 7, 8, 600, 1499);
      assertExactScores(t, index, rows, 10, metric, rows.length, { exclude: [1, 9, 601] });
      const vectors = Float32Array.from({ length: 3 * 20 }, (_, i) => Math.sin(i));
      assertExactScores(t, index, vectors, 10, metric, 3);
      // Every list: the exact answer.
      const exact = t.nearest(rows, 10, { metric, exclude: [1, 9, 601] });
      const all = index.nearest(rows, 10, { exclude: [1, 9, 601], nprobe: index.lists });
      assert.deepEqual(all.indices, exact.indices, `${storage} ${metric}: every list`);
      assert.ok(all.scores.every((v, i) => sameBits(v, exact.scores[i])));
      // A single query equals its slot of a batch.
      const one = index.nearest(600, 10);
      const batch = index.nearest(rows, 10);
      assert.deepEqual(one.indices, batch.indices.subarray(30, 40));
      index.dispose();
      t.dispose();
    }
  }
});

test('the defaults find most of the true neighbours on clustered data; analogies match emb.analogy with every list', async () => {
  await init();
  const t = table('float32', 3000, 32);
  const index = await t.buildIndex();
  const queries = Int32Array.from({ length: 100 }, (_, i) => i * 29);
  const truth = t.nearest(queries, 10).indices;
  const got = index.nearest(queries, 10).indices;
  let hits = 0;
  for (let q = 0; q < 100; ++q) {
    const want = new Set(truth.subarray(q * 10, q * 10 + 10));
    for (const r of got.subarray(q * 10, q * 10 + 10)) hits += want.has(r);
  }
  assert.ok(hits / 1000 >= 0.9, `recall@10 ${hits / 1000}`);
  const a = t.analogy(1, 2, 3, 5);
  const b = index.analogy(1, 2, 3, 5, { nprobe: index.lists });
  assert.deepEqual(b.indices, a.indices);
  assert.ok(b.scores.every((v, i) => sameBits(v, a.scores[i])));
  const c = index.analogy(1, 2, 3);
  assert.equal(c.indices.length, 10);
  assert.ok(![1, 2, 3].some((r) => c.indices.includes(r)));
  index.dispose();
  t.dispose();
});

test('fewer qualifying rows than k: -1 and NaN fill, as emb.nearest; an EmbeddingBag table works too', async () => {
  await init();
  const t = Embedding.fromPretrained(clustered(6, 4, 2, 5), { embeddingDim: 4, paddingIdx: 2 });
  const index = await t.buildIndex({ lists: 3 });
  const got = index.nearest(0, 8, { exclude: [5] });
  const want = t.nearest(0, 8, { exclude: [5] });
  assert.deepEqual(got.indices, want.indices);
  assert.deepEqual(Array.from(got.indices.subarray(3)), [-1, -1, -1, -1, -1]);
  assert.ok(got.scores.subarray(3).every(Number.isNaN));
  index.dispose();
  t.dispose();
  const bag = EmbeddingBag.fromPretrained(clustered(200, 8, 4, 6), { embeddingDim: 8, mode: 'sum' });
  const bagIndex = await bag.buildIndex({ metric: 'dot' });
  assertExactScores(bag, bagIndex, 5, 4, 'dot', 1);
  bagIndex.dispose();
  bag.dispose();
  const empty = new Embedding(0, 3);
  const none = await empty.buildIndex();
  assert.deepEqual(none.nearest(new Float32Array(3), 2).indices, Int32Array.of(-1, -1));
  none.dispose();
  empty.dispose();
});

test('deterministic for a seed, and the same index on the SIMD and scalar builds', async () => {
  const save = async (simd, seed) => {
    await init({ simd });
    const t = table('float32', 800, 24);
    const index = await t.buildIndex({ seed });
    const bytes = index.save();
    index.dispose();
    t.dispose();
    return bytes;
  };
  const a = await save(true, 9);
  const b = await save(true, 9);
  const scalar = await save(false, 9);
  const other = await save(true, 10);
  await init();
  assert.deepEqual(a, b);
  assert.deepEqual(scalar, a, 'the scalar build builds the same index');
  assert.notDeepEqual(other, a);
});

test('save and load: the same answers; another table\'s index, other files and hostile layouts are Errors', async () => {
  await init();
  for (const storage of STORAGES) {
    const t = table(storage, 900, 20);
    const index = await t.buildIndex({ metric: storage === 'float32' ? 'l2' : 'cosine', nprobe: 5 });
    const bytes = index.save();
    const { metadata } = loadSafetensors(bytes);
    assert.equal(metadata.rows, '900');
    assert.equal(metadata.dim, '20');
    assert.match(metadata.checksum, /^[0-9a-f]{16}$/);
    const again = t.loadIndex(bytes);
    assert.equal(again.nprobe, 5);
    assert.equal(again.byteLength, index.byteLength);
    assert.equal(again.metric, index.metric);
    const q = Int32Array.from({ length: 40 }, (_, i) => i * 22);
    assert.deepEqual(again.nearest(q, 10), index.nearest(q, 10));
    assert.deepEqual(again.save(), bytes);
    again.dispose();
    index.dispose();
    t.dispose();
  }
  const t = table('float32', 300, 8);
  const index = await t.buildIndex();
  const bytes = index.save();
  // Another table of the same shape: its rows differ.
  const other = Embedding.fromPretrained(clustered(300, 8, 30, 99), { embeddingDim: 8 });
  assert.throws(() => other.loadIndex(bytes), { name: 'Error', message: /built for another table/ });
  const wider = new Embedding(300, 9);
  assert.throws(() => wider.loadIndex(bytes), { name: 'Error', message: /300 x 8 table, and this one is 300 x 9/ });
  assert.throws(() => t.loadIndex(saveSafetensors({ weight: t })), { name: 'Error', message: /not an index file/ });
  assert.throws(() => t.loadIndex(bytes.subarray(0, bytes.length - 1)), Error);
  assert.throws(() => t.loadIndex('index'), TypeError);
  // Hostile layouts, written with valid metadata: every one refused.
  const { tensors, metadata } = loadSafetensors(bytes);
  const rewrite = (name, edit) => {
    const copy = Object.fromEntries(Object.entries(tensors).map(([n, x]) => [n, { ...x, data: x.data.slice() }]));
    edit(copy[name].data, copy);
    return saveSafetensors(copy, metadata);
  };
  const cases = [
    ['ids', (d) => { d[1] = d[0]; }, /row ids/],
    ['ids', (d) => { d[0] = 300; }, /row ids/],
    ['ids', (d) => { d[0] = -1; }, /row ids/],
    ['offsets', (d) => { d[1] = d[2] + 1; }, /offsets/],
    ['offsets', (d) => { d[d.length - 1] = 299; }, /offsets/],
    ['centroids', (d) => { d[3] = NaN; }, /centroid/],
    ['extras', (d) => { d[5] = Infinity; }, /extra term/],
    ['extras', (d) => { d[5] = NaN; }, /extra term/],
    ['codebooks', (d) => { d[2] = -Infinity; }, /codeword/],
  ];
  for (const [name, edit, message] of cases) {
    assert.throws(() => t.loadIndex(rewrite(name, edit)), { name: 'Error', message }, `${name}: ${edit}`);
  }
  assert.throws(() => t.loadIndex(saveSafetensors({ ...tensors, extra: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } }, metadata)), /unexpected tensor/);
  const { ids, ...noIds } = tensors;
  assert.throws(() => t.loadIndex(saveSafetensors(noIds, metadata)), /"ids" is missing/);
  assert.throws(() => t.loadIndex(saveSafetensors(tensors, { ...metadata, version: '2' })), /version/);
  assert.throws(() => t.loadIndex(saveSafetensors({ ...tensors, codes: { dtype: 'U8', shape: [301, 8, 16], data: new Uint8Array(301 * 128) } }, metadata)), /301 blocks of codes for 300 rows/);
  assert.throws(() => t.loadIndex(saveSafetensors({ ...tensors, codes: { dtype: 'U8', shape: [1, 8, 16], data: new Uint8Array(128) } }, metadata)), /sizes disagree/);
  // Still loads after all that.
  assert.deepEqual(t.loadIndex(bytes).nearest(3, 5), index.nearest(3, 5));
  for (const x of [t, other, wider, index]) x.dispose();
});

test('stale: setWeight and a training step mark the index; searching it throws; a new build is fresh', async () => {
  await init();
  const t = table('float32', 400, 8);
  t.requiresGrad = true;
  let index = await t.buildIndex();
  t.nearest(3, 5); // searching the table changes nothing
  assert.equal(index.stale, false);
  t.setWeight(t.weight);
  assert.equal(index.stale, true);
  assert.throws(() => index.nearest(3, 5), { name: 'Error', message: /table changed .* since this index was built/ });
  assert.throws(() => index.save(), /table changed/);
  index = await t.buildIndex();
  assert.equal(index.stale, false);
  const sgd = new SGD([t], { lr: 0.1 });
  t.forward([1, 2]);
  t.backward([1, 2], new Float32Array(16).fill(1));
  sgd.step();
  assert.equal(index.stale, true);
  assert.throws(() => index.analogy(1, 2, 3), /table changed/);
  sgd.dispose?.();
  index.dispose();
  // A compressed table is frozen: never stale.
  const small = table('int8', 100, 8);
  const packed = await small.buildIndex();
  assert.equal(packed.stale, false);
  small.dispose();
  assert.throws(() => packed.nearest(1, 2), /disposed/);
  packed.dispose();
  t.dispose();
});

test('bad arguments: clear errors before anything runs', async () => {
  await init();
  const t = table('float32', 200, 8);
  const index = await t.buildIndex({ lists: 10 });
  assert.equal(index.lists, 10);
  assert.throws(() => index.nearest(3, -1), RangeError);
  assert.throws(() => index.nearest(3, 1.5), RangeError);
  assert.throws(() => index.nearest(200, 3), { name: 'RangeError', message: /query row 200 is out of range/ });
  assert.throws(() => index.nearest(new Float32Array(7), 3), { name: 'TypeError', message: /embeddingDim 8/ });
  assert.throws(() => index.nearest('cat', 3), TypeError);
  assert.throws(() => index.nearest(3, 3, { exclude: [0, 200] }), { name: 'RangeError', message: /exclude\[1\]/ });
  assert.throws(() => index.nearest(3, 3, { nprobe: 0 }), { name: 'RangeError', message: /nprobe/ });
  assert.throws(() => index.nearest(3, 3, { metric: 'cosine' }), { name: 'TypeError', message: /unknown option 'metric'/ });
  assert.throws(() => index.analogy(1, 2, 999), RangeError);
  await assert.rejects(t.buildIndex({ metric: 'hamming' }), RangeError);
  await assert.rejects(t.buildIndex({ seed: -1 }), RangeError);
  await assert.rejects(t.buildIndex({ lists: 0 }), RangeError);
  await assert.rejects(t.buildIndex({ onProgress: 3 }), TypeError);
  await assert.rejects(t.buildIndex({ signal: {} }), TypeError);
  await assert.rejects(t.buildIndex({ nearest: 3 }), TypeError);
  const l2 = await t.buildIndex({ metric: 'l2' });
  assert.throws(() => l2.analogy(1, 2, 3), { name: 'TypeError', message: /cosine/ });
  assert.deepEqual(index.nearest(3, 3), index.nearest(3, 3)); // unchanged
  l2.dispose();
  index.dispose();
  assert.throws(() => index.nearest(3, 3), /disposed/);
  index.dispose(); // idempotent
  t.dispose();
});

test('progress, abort and memory: progress rises to 1; an abort rejects with the signal\'s reason; builds and disposes leave the heap flat', async () => {
  await init();
  const t = table('float32', 20000, 16);
  const seen = [];
  const index = await t.buildIndex({ onProgress: (p) => seen.push(p) });
  assert.ok(seen.length > 3, `${seen.length} progress reports`);
  assert.ok(seen.every((p, i) => p >= 0 && p <= 1 && (i === 0 || p >= seen[i - 1])));
  assert.equal(seen.at(-1), 1);
  index.dispose();
  const controller = new AbortController();
  const reason = new Error('stop');
  await assert.rejects(t.buildIndex({ signal: controller.signal, onProgress: () => controller.abort(reason) }), (err) => err === reason);
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(t.buildIndex({ signal: aborted.signal }), { name: 'AbortError' });
  const before = memoryUsage().heapInUseBytes;
  for (let i = 0; i < 3; ++i) {
    const x = await t.buildIndex({ lists: 50 });
    x.nearest(Int32Array.of(1, 2, 3), 4);
    t.loadIndex(x.save()).dispose();
    x.dispose();
  }
  await assert.rejects(t.buildIndex({ signal: controller.signal }));
  assert.equal(memoryUsage().heapInUseBytes, before);
  t.dispose();
});

test('init({ threads: 2 }): builds and searches split over both threads give the same index and answers', async () => {
  const run = async (threads) => {
    const info = await init({ threads });
    assert.equal(info.threads, threads);
    const t = table('float32', 20000, 32);
    const index = await t.buildIndex({ seed: 4 });
    const bytes = index.save();
    const answers = index.nearest(Int32Array.from({ length: 200 }, (_, i) => i * 97), 10);
    index.dispose();
    t.dispose();
    return { bytes, answers };
  };
  const one = await run(1);
  const two = await run(2);
  await init();
  assert.deepEqual(two.bytes, one.bytes);
  assert.deepEqual(two.answers, one.answers);
});
