// Compressed tables (quantize, fromQuantized) against PyTorch 1.13: replays
// tests/fixtures/storage.json (written by tests/fixtures/generate_storage.py) through the public
// API in both builds, then the API's promises and every bad input (right error, heap flat).
//
// What is exact and what is not:
//   * the bytes quantize() stores (read through saveSafetensors) are those of PyTorch's
//     embedding_bag_byte_prepack / _4bit_prepack / .half(), byte for byte;
//   * lookups of int8/int4 tables are PyTorch's embedding_bag_byte_unpack / _4bit_unpack bit
//     for bit, float16 lookups its .half() widened, whether the table was quantized here or its
//     bytes came from PyTorch's prepack;
//   * bags are F.embedding_bag over those unpacked rows bit for bit (every mode, per-sample
//     weights, padding); PyTorch's fused embedding_bag_*_rowwise_offsets rounds differently
//     (semantics.md §8.1) and is met within a stated bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, Embedding, EmbeddingBag, SGD, Adagrad, memoryUsage, saveSafetensors, loadSafetensors, parseWordVectors, loadWordVectors, saveWordVectors,
} from 'wasm-embedding';
import { BUILDS, assertBitEqual } from './helpers.mjs';

const fx = JSON.parse(readFileSync(new URL('../fixtures/storage.json', import.meta.url), 'utf8'));
const STORAGES = ['float16', 'int8', 'int4'];

const num = (v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
const f32s = (a) => Float32Array.from(a, num);
const bytesOf = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));

// IEEE binary16 -> number, written out (independent of the package).
function halfToNumber(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return e === 0 ? sign * m * 2 ** -24 : sign * (1024 + m) * 2 ** (e - 25);
}
const widenHalves = (bytes) => Float32Array.from(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2), halfToNumber);

/** The rows PyTorch reads back from a prepack case's bytes of `storage`. */
function pytorchRows(c, storage) {
  if (storage === 'float16') return widenHalves(bytesOf(c.float16));
  return f32s(storage === 'int8' ? c.unpackInt8 : c.unpackInt4);
}

const rowBytes = (storage, d) => (storage === 'float16' ? 2 * d : storage === 'int8' ? d + 8 : Math.ceil(d / 2) + 4);
const range = (n) => Int32Array.from({ length: n }, (_, i) => i);

for (const build of BUILDS) {
  test(`${build.label}: quantize and fromQuantized read back as PyTorch does, bit for bit`, async () => {
    await init({ simd: build.simd });
    let checked = 0;
    for (const c of fx.prepack) {
      const { numEmbeddings: rows, embeddingDim: dim } = c;
      const emb = Embedding.fromPretrained(f32s(c.weight), { embeddingDim: dim });
      for (const storage of STORAGES) {
        const hex = storage === 'int8' ? c.int8 : storage === 'int4' ? c.int4 : c.float16;
        if (hex === null) continue; // a row PyTorch makes infinite or NaN: see the unrepresentable test
        const label = `${c.name}, ${storage}${storage === 'int4' ? ` (${c.int4Source})` : ''}`;
        const expected = pytorchRows(c, storage);
        const q = emb.quantize(storage);
        assert.equal(q.storage, storage);
        assert.equal(q.byteLength, hex.length / 2, `${label}: byteLength`);
        const stored = loadSafetensors(saveSafetensors({ t: q })).tensors.t.data; // U8 bytes; F16 widened (one to one)
        if (storage === 'float16') assertBitEqual(stored, widenHalves(bytesOf(hex)), `${label}: the float16 bits`, dim);
        else assert.equal(Buffer.from(stored).toString('hex'), hex, `${label}: the stored bytes are PyTorch's prepack`);
        assertBitEqual(q.weight, expected, `${label}: quantize().weight`, dim);
        assertBitEqual(q.forward(range(rows).reverse()), reversedRows(expected, rows, dim), `${label}: forward`, dim);
        const loaded = Embedding.fromQuantized(bytesOf(hex), { storage, numEmbeddings: rows, embeddingDim: dim });
        assertBitEqual(loaded.weight, expected, `${label}: fromQuantized(PyTorch's bytes).weight`, dim);
        q.dispose();
        loaded.dispose();
        checked++;
      }
      emb.dispose();
    }
    assert.ok(checked >= 40, `${checked} cases`);
  });

  test(`${build.label}: float16 rounds as .half(): nearest even, underflow to zero, overflow refused`, async () => {
    await init({ simd: build.simd });
    const { values, bits, widened } = fx.half;
    const finite = [];
    values.forEach((v, i) => {
      if ((bits[i] & 0x7c00) !== 0x7c00) finite.push(i);
    });
    const table = Embedding.fromPretrained(Float32Array.from(finite, (i) => num(values[i])), { embeddingDim: 1 });
    const q = table.quantize('float16');
    assertBitEqual(q.weight, Float32Array.from(finite, (i) => num(widened[i])), 'finite values');
    assert.ok(finite.some((i) => values[i] !== 0 && widened[i] === 0), 'the fixture has an underflow to zero');
    assert.ok(finite.some((i) => Object.is(widened[i], -0)), 'the fixture has -0');
    // Values PyTorch turns into an infinity (or that are NaN or infinite): a RangeError naming the row.
    const refused = values.map((_, i) => i).filter((i) => !finite.includes(i));
    assert.ok(refused.some((i) => Number.isFinite(num(values[i]))), 'the fixture has a finite value that overflows');
    for (const i of refused) {
      const w = new Float32Array(4);
      w[2] = num(values[i]);
      const emb = Embedding.fromPretrained(w, { embeddingDim: 1 });
      assert.throws(() => emb.quantize('float16'),
        (err) => err instanceof RangeError && /row 2 cannot be stored as float16/.test(err.message), `value ${values[i]}`);
      emb.dispose();
    }
    table.dispose();
    q.dispose();
  });

  test(`${build.label}: rows that cannot be represented throw a RangeError naming the row`, async () => {
    await init({ simd: build.simd });
    for (const c of fx.unrepresentable) {
      const d = c.embeddingDim;
      const w = new Float32Array(4 * d).fill(0.5);
      w.set(f32s(c.row), 3 * d); // the fourth row
      const emb = Embedding.fromPretrained(w, { embeddingDim: d });
      for (const storage of STORAGES) {
        if (c.rejects.includes(storage)) {
          const before = memoryUsage().heapInUseBytes;
          assert.throws(() => emb.quantize(storage),
            (err) => err instanceof RangeError && err.message.startsWith(`quantize('${storage}'): row 3 cannot be stored as ${storage}: `),
            `${c.name}: ${storage}`);
          assert.equal(memoryUsage().heapInUseBytes, before, `${c.name}: ${storage}: heap flat after the throw`);
        } else {
          emb.quantize(storage).dispose();
        }
      }
      assertBitEqual(emb.weight, w, `${c.name}: the table is unchanged`);
      emb.dispose();
    }
    // What PyTorch itself makes of them: non-finite lookups.
    const int4Scale = fx.unrepresentable.find((c) => c.name === 'int4 scale past float16');
    assert.ok(int4Scale.torchInt4Unpack.some((v) => !Number.isFinite(num(v))));
  });

  test(`${build.label}: bags are our float32 bags and F.embedding_bag over PyTorch's unpacked rows`, async () => {
    await init({ simd: build.simd });
    for (const c of fx.bags) {
      const options = { embeddingDim: c.embeddingDim, mode: c.mode, paddingIdx: c.paddingIdx };
      const bag = EmbeddingBag.fromQuantized(bytesOf(c.packed), { ...options, storage: c.storage, numEmbeddings: c.numEmbeddings });
      const dense = EmbeddingBag.fromPretrained(bag.weight, options);
      const args = [Int32Array.from(c.indices), Int32Array.from(c.offsets), c.perSampleWeights ? f32s(c.perSampleWeights) : undefined];
      const out = bag.forward(...args);
      assertBitEqual(out, dense.forward(...args), `${c.name}: against a float32 EmbeddingBag of the dequantised rows`, c.embeddingDim);
      if (c.perSampleWeights && c.paddingIdx === null) {
        // PyTorch's CPU kernel fuses the multiply-adds here (the same call with a padding row
        // is bit for bit ours): within the rounding of the terms.
        assertWithinRounding(out, c, c.expected, 'F.embedding_bag');
      } else {
        assertBitEqual(out, f32s(c.expected), `${c.name}: against F.embedding_bag`, c.embeddingDim);
      }
      bag.dispose();
      dense.dispose();
    }
  });

  test(`${build.label}: nearest and analogy on a compressed table are those of its dequantised float32 table`, async () => {
    await init({ simd: build.simd });
    const emb = new Embedding(700, 37, { paddingIdx: 5, seed: 12 });
    const queries = Float32Array.from({ length: 3 * 37 }, (_, i) => Math.sin(i));
    for (const storage of STORAGES) {
      const q = emb.quantize(storage);
      const dense = Embedding.fromPretrained(q.weight, { embeddingDim: 37, paddingIdx: 5 });
      const same = (a, b, what) => {
        assert.deepEqual(a.indices, b.indices, `${storage}: ${what}: indices`);
        assertBitEqual(a.scores, b.scores, `${storage}: ${what}: scores`);
      };
      for (const metric of ['cosine', 'dot', 'l2']) {
        // One query (scored straight from the packed rows), several (a block at a time), vectors.
        same(q.nearest(3, 12, { metric }), dense.nearest(3, 12, { metric }), `${metric}, one row`);
        same(q.nearest(Int32Array.of(0, 5, 699), 12, { metric, exclude: [1, 2] }),
          dense.nearest(Int32Array.of(0, 5, 699), 12, { metric, exclude: [1, 2] }), `${metric}, three rows`);
        same(q.nearest(queries, 700, { metric }), dense.nearest(queries, 700, { metric }), `${metric}, every row for three vectors`);
      }
      same(q.analogy(10, 20, 30, 7), dense.analogy(10, 20, 30, 7), 'analogy');
      assert.ok(!q.nearest(queries, 700).indices.includes(5), `${storage}: the padding row is never returned`);
      q.dispose();
      dense.dispose();
    }
    emb.dispose();
  });
}

// |ours - theirs| <= (n + 4) * 2^-22 * magnitude per element, n the bag's entries: two orders of
// rounding the same n terms (each lookup rounds twice, each weight and sum once).
function assertWithinRounding(out, c, theirs, what) {
  const d = c.embeddingDim;
  const offsets = [...c.offsets, c.indices.length];
  let worst = 0;
  for (let b = 0; b + 1 < offsets.length; ++b) {
    const n = offsets[b + 1] - offsets[b];
    for (let j = 0; j < d; ++j) {
      const i = b * d + j;
      const diff = Math.abs(out[i] - num(theirs[i]));
      const bound = (n + 4) * 2 ** -22 * num(c.magnitude[i]);
      assert.ok(diff <= bound, `${c.name}, bag ${b} col ${j}: ours ${out[i]}, ${what} ${theirs[i]}, |diff| ${diff} > ${bound}`);
      worst = Math.max(worst, diff / (bound || 1));
    }
  }
  return worst;
}

function reversedRows(rows, n, dim) {
  const out = new Float32Array(rows.length);
  for (let r = 0; r < n; ++r) out.set(rows.subarray((n - 1 - r) * dim, (n - r) * dim), r * dim);
  return out;
}

await init();

test('PyTorch\'s fused rowwise_offsets bags round differently: within (n + 4) * 2^-22 of the terms', () => {
  const cases = fx.bags.filter((b) => b.fused);
  let worst = 0;
  for (const c of cases) {
    const bag = EmbeddingBag.fromQuantized(bytesOf(c.packed), { storage: c.storage, numEmbeddings: c.numEmbeddings, embeddingDim: c.embeddingDim, mode: 'sum' });
    const out = bag.forward(Int32Array.from(c.indices), Int32Array.from(c.offsets), c.perSampleWeights ? f32s(c.perSampleWeights) : undefined);
    worst = Math.max(worst, assertWithinRounding(out, c, c.fused, 'rowwise_offsets'));
    bag.dispose();
  }
  assert.ok(cases.length >= 8 && worst > 0, `${cases.length} cases; the largest difference is ${worst.toFixed(3)} of the bound`);
});

test('saveSafetensors writes a compressed table as its stored rows; fromSafetensors reads it back as it was', () => {
  const emb = new Embedding(40, 9, { paddingIdx: 3, seed: 13 });
  const bag = new EmbeddingBag(40, 9, { mode: 'max', paddingIdx: 3, seed: 13 });
  for (const storage of STORAGES) {
    const q = emb.quantize(storage);
    const qb = bag.quantize(storage);
    const file = saveSafetensors({ 'emb.weight': q, 'bag.weight': qb, plain: emb }, { note: 'kept' });
    const { tensors, metadata } = loadSafetensors(file);
    assert.deepEqual(metadata, {
      note: 'kept', 'emb.weight.storage': storage, 'emb.weight.embedding_dim': '9', 'bag.weight.storage': storage, 'bag.weight.embedding_dim': '9',
    });
    const expected = storage === 'float16' ? { dtype: 'F16', shape: [40, 9] } : { dtype: 'U8', shape: [40, rowBytes(storage, 9)] };
    assert.deepEqual({ dtype: tensors['emb.weight'].dtype, shape: tensors['emb.weight'].shape }, expected);
    assert.equal(tensors.plain.dtype, 'F32');
    const back = Embedding.fromSafetensors(file, 'emb.weight', { paddingIdx: 3 });
    const backBag = EmbeddingBag.fromSafetensors(file, 'bag.weight', { mode: 'max', paddingIdx: 3, freeze: true });
    assert.equal(back.storage, storage);
    assert.equal(backBag.storage, storage);
    assert.equal(backBag.mode, 'max');
    assertBitEqual(back.weight, q.weight, `${storage}: the rows`);
    assertBitEqual(backBag.forward([3, 1, 2], [0]), qb.forward([3, 1, 2], [0]), `${storage}: a bag`);
    assert.deepEqual(saveSafetensors({ 'emb.weight': back, 'bag.weight': backBag, plain: emb }, { note: 'kept' }), file, `${storage}: the same file again`);
    assert.throws(() => Embedding.fromSafetensors(file, 'emb.weight', { freeze: false }), (e) => e instanceof TypeError && /frozen: freeze must be true/.test(e.message));
    assert.throws(() => Embedding.fromSafetensors(file, 'emb.weight', { maxNorm: 1 }), (e) => e instanceof TypeError && /maxNorm/.test(e.message));
    for (const t of [q, qb, back, backBag]) t.dispose();
  }
  // An F16 tensor without our metadata is a float32 table, widened.
  const halves = new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff]);
  const widened = Embedding.fromSafetensors(saveSafetensors({ w: { dtype: 'F16', shape: [2, 2], data: halves } }), 'w');
  assert.equal(widened.storage, 'float32');
  assertBitEqual(widened.weight, Float32Array.of(1, -2, 2 ** -24, 65504), 'widened');
  widened.dispose();
  emb.dispose();
  bag.dispose();
});

test('a safetensors file PyTorch wrote (prepack bytes, .half(), our metadata) loads as those compressed tables', () => {
  const file = readFileSync(new URL(`../fixtures/${fx.torchFile.file}`, import.meta.url));
  for (const t of fx.torchFile.tables) {
    const emb = Embedding.fromSafetensors(file, t.name);
    assert.equal(emb.storage, t.storage);
    assert.equal(emb.numEmbeddings, t.numEmbeddings);
    assertBitEqual(emb.weight, f32s(t.rows), `${t.name}: the rows PyTorch reads back`, t.embeddingDim);
    emb.dispose();
  }
});

test('fromSafetensors refuses a compressed tensor its metadata does not describe', () => {
  const source = new Embedding(4, 6, { seed: 14 });
  const q = source.quantize('int4');
  const u8 = loadSafetensors(saveSafetensors({ w: q })).tensors.w.data;
  const file = (meta, tensor = { dtype: 'U8', shape: [4, 7], data: u8 }) => saveSafetensors({ w: tensor }, meta);
  const cases = [
    [{ 'w.storage': 'int2', 'w.embedding_dim': '6' }, /metadata names storage "int2"/],
    [{ 'w.storage': 'int4', 'w.embedding_dim': 'six' }, /"w.embedding_dim" must be a whole number, got "six"/],
    [{ 'w.storage': 'int4' }, /must be a whole number, got undefined/],
    [{ 'w.storage': 'int8', 'w.embedding_dim': '6' }, /is U8 \[4, 7\], but int8 rows of dim 6 are U8 \[rows, 14\]/],
    [{ 'w.storage': 'float16', 'w.embedding_dim': '7' }, /is U8 \[4, 7\], but float16 rows of dim 7 are F16 \[rows, 7\]/],
  ];
  for (const [meta, message] of cases) {
    assert.throws(() => Embedding.fromSafetensors(file(meta), 'w'), (e) => e instanceof Error && message.test(e.message), JSON.stringify(meta));
  }
  // The right bytes under the right metadata load (int4 takes the odd dim 5 in 7 bytes a row too).
  const six = Embedding.fromSafetensors(file({ 'w.storage': 'int4', 'w.embedding_dim': '6' }), 'w');
  const five = Embedding.fromSafetensors(file({ 'w.storage': 'int4', 'w.embedding_dim': '5' }), 'w');
  assertBitEqual(six.weight, q.weight, 'int4, dim 6');
  assert.equal(five.embeddingDim, 5);
  for (const t of [q, source, six, five]) t.dispose();
});

// A GloVe file of 300 rows whose values span several magnitudes, a duplicate word in the middle.
function wordVectorsText() {
  const lines = [];
  for (let r = 0; r < 300; ++r) {
    const values = Array.from({ length: 13 }, (_, j) => (Math.sin(r * 13 + j) * 10 ** ((r % 5) - 2)).toPrecision(6));
    lines.push(`${r === 150 ? 'w7' : `w${r}`} ${values.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

test('word vectors load straight into a compressed table, row by row: as quantizing the float32 table', async () => {
  const text = wordVectorsText();
  const float32 = parseWordVectors(text);
  for (const build of BUILDS) {
    await init({ simd: build.simd });
    const dense = parseWordVectors(text);
    for (const storage of STORAGES) {
      const reference = dense.embedding.quantize(storage);
      const parsed = parseWordVectors(text, { storage });
      // Streamed in 97-byte chunks, so rows arrive in pieces.
      const bytes = new TextEncoder().encode(text);
      const chunks = (async function* chunks() { for (let at = 0; at < bytes.length; at += 97) yield bytes.subarray(at, at + 97); })();
      const loaded = await loadWordVectors(chunks, { storage, format: 'glove' });
      for (const { vocab, embedding, duplicates } of [parsed, loaded]) {
        assert.equal(embedding.storage, storage);
        assert.equal(embedding.requiresGrad, false);
        assert.deepEqual(vocab.words, dense.vocab.words);
        assert.equal(duplicates, 1);
        assertBitEqual(embedding.weight, reference.weight, `${build.label}, ${storage}`, 13);
      }
      // Written out, a compressed table's words carry its dequantised values.
      const back = parseWordVectors(saveWordVectors(parsed.vocab, parsed.embedding, { format: 'glove' }));
      assertBitEqual(back.embedding.weight, reference.weight, `${build.label}, ${storage}: saveWordVectors`, 13);
      for (const t of [reference, parsed.embedding, loaded.embedding, back.embedding]) t.dispose();
    }
    dense.embedding.dispose();
  }
  float32.embedding.dispose();
});

test('a word-vector row the storage cannot hold: a RangeError naming its line, the heap flat', async () => {
  parseWordVectors('a 1 2\n', { storage: 'int8' }).embedding.dispose(); // warm the parser's buffers up
  const before = memoryUsage().heapInUseBytes;
  assert.throws(() => parseWordVectors('a 1 2\nb 3 4\nc 70000 1\n', { storage: 'float16' }),
    (e) => e instanceof RangeError && e.message === "parseWordVectors: line 3 (row 2) cannot be stored as float16: 70000 at column 0 is past float16's range (±65504)");
  assert.throws(() => parseWordVectors('2 2\na 1 2\nb -70000 -69999\n', { storage: 'int4' }),
    (e) => e instanceof RangeError && /^parseWordVectors: line 3 \(row 1\) cannot be stored as int4: its minimum -70000/.test(e.message));
  // 1e39 reads as Infinity (a float32 table keeps it): a compressed one cannot.
  await assert.rejects(loadWordVectors(new TextEncoder().encode('a 1 2\nb 3 1e39\n'), { storage: 'int8' }),
    (e) => e instanceof RangeError && e.message === 'loadWordVectors: line 2 (row 1) cannot be stored as int8: it holds Infinity at column 1');
  assert.throws(() => parseWordVectors('a 1 2\n', { storage: 'int8', freeze: false }), (e) => e instanceof TypeError && /frozen: freeze must be true/.test(e.message));
  assert.throws(() => parseWordVectors('a 1 2\n', { storage: 'int3' }), (e) => e instanceof RangeError && /storage must be/.test(e.message));
  assert.throws(() => parseWordVectors('a 1 2\n', { storage: 8 }), TypeError);
  assert.equal(memoryUsage().heapInUseBytes, before);
  const f32 = parseWordVectors('a 1 2\n', { storage: 'float32' }).embedding;
  assert.equal(f32.storage, 'float32');
  f32.dispose();
});

test('storage and byteLength of every storage, empty tables included', () => {
  const noColumns = new Embedding(3, 0);
  const noRowsBag = new EmbeddingBag(0, 5, { mode: 'max' });
  for (const storage of STORAGES) {
    const noDim = noColumns.quantize(storage);
    assert.equal(noDim.byteLength, 3 * rowBytes(storage, 0));
    assert.deepEqual(noDim.forward([0, 2]), new Float32Array(0));
    const noRows = noRowsBag.quantize(storage);
    assert.equal(noRows.byteLength, 0);
    assertBitEqual(noRows.forward([], [0, 0]), new Float32Array(10), `${storage}: two empty bags`);
    noDim.dispose();
    noRows.dispose();
  }
  noColumns.dispose();
  noRowsBag.dispose();
  for (const d of [1, 7, 100]) {
    const emb = new Embedding(10, d, { seed: 1 });
    assert.equal(emb.storage, 'float32');
    assert.equal(emb.byteLength, 10 * 4 * d);
    for (const storage of STORAGES) {
      const q = emb.quantize(storage);
      assert.equal(q.storage, storage);
      assert.equal(q.byteLength, 10 * rowBytes(storage, d), `${storage}, d = ${d}`);
      assert.ok(q instanceof Embedding);
      q.dispose();
    }
    emb.dispose();
  }
});

test('quantize keeps paddingIdx (the padding row reads back as exact zeros) and a bag\'s mode', () => {
  const emb = new Embedding(20, 9, { paddingIdx: -2, seed: 3 });
  const bag = new EmbeddingBag(20, 9, { mode: 'max', includeLastOffset: true, paddingIdx: 4, seed: 3 });
  for (const storage of STORAGES) {
    const q = emb.quantize(storage);
    assert.equal(q.paddingIdx, 18);
    assertBitEqual(q.lookup(18), new Float32Array(9), `${storage}: the padding row`);
    const qb = bag.quantize(storage);
    assert.ok(qb instanceof EmbeddingBag);
    assert.equal(qb.mode, 'max');
    assert.equal(qb.includeLastOffset, true);
    assert.equal(qb.paddingIdx, 4);
    // The padding entry is left out of the bag: max of row 7 alone.
    assertBitEqual(qb.forward([4, 7, 4], [0, 3]), qb.weight.slice(7 * 9, 8 * 9), `${storage}: bag`);
    q.dispose();
    qb.dispose();
  }
  emb.dispose();
  bag.dispose();
});

test('a quantized table is its own copy: the source can change or go', () => {
  const emb = new Embedding(50, 16, { seed: 4 });
  const q = emb.quantize('int8');
  const before = q.weight;
  emb.setWeight(new Float32Array(50 * 16));
  assertBitEqual(q.weight, before, 'after setWeight on the source');
  emb.dispose();
  assertBitEqual(q.forward(range(50)), before, 'after the source is disposed');
  q.dispose();
  assert.throws(() => q.forward([0]), /has been disposed/);
});

test('rows owing lazy optimizer updates are quantized as updated', () => {
  const emb = new Embedding(30, 8, { seed: 5 });
  const opt = new SGD([emb], { lr: 0.1, momentum: 0.9 });
  for (let step = 0; step < 3; ++step) {
    opt.zeroGrad();
    emb.backward([step, 7], new Float32Array(16).fill(1));
    opt.step();
  }
  const q = emb.quantize('float16');
  const settled = Embedding.fromPretrained(emb.weight, { embeddingDim: 8 });
  const reference = settled.quantize('float16');
  assertBitEqual(q.weight, reference.weight, 'quantize after catching up');
  for (const t of [q, reference, settled, emb]) t.dispose();
  opt.dispose();
});

test('compressed tables are frozen: backward, setWeight, requiresGrad and optimizers refuse them', () => {
  const emb = new Embedding(10, 4, { seed: 6 });
  const bag = new EmbeddingBag(10, 4, { mode: 'sum', seed: 6 });
  for (const storage of STORAGES) {
    const q = emb.quantize(storage);
    const qb = bag.quantize(storage);
    const frozen = new RegExp(`stored as ${storage}, and compressed tables are frozen`);
    assert.equal(q.requiresGrad, false);
    assert.equal(q.grad, null);
    q.zeroGrad(); // nothing to zero
    assert.throws(() => q.backward([1], new Float32Array(4)), (e) => e instanceof TypeError && /^backward: this Embedding/.test(e.message) && frozen.test(e.message));
    assert.throws(() => qb.backward([1], [0], new Float32Array(4)), (e) => e instanceof TypeError && frozen.test(e.message));
    const batch = q.batch(2);
    batch.indices.set([3, 1]);
    assertBitEqual(batch.forward(2), q.forward([3, 1]), `${storage}: Batch.forward`);
    assert.throws(() => batch.backward(2), (e) => e instanceof TypeError && frozen.test(e.message));
    batch.dispose();
    assert.throws(() => q.setWeight(new Float32Array(40)), (e) => e instanceof TypeError && frozen.test(e.message));
    assert.throws(() => { q.requiresGrad = true; }, (e) => e instanceof TypeError && frozen.test(e.message));
    q.requiresGrad = false;
    assert.throws(() => new SGD([emb, q], { lr: 0.1 }), (e) => e instanceof TypeError && /params\[1\] is stored as/.test(e.message));
    assert.throws(() => new Adagrad([qb]), (e) => e instanceof TypeError && /params\[0\] is stored as/.test(e.message));
    assert.throws(() => q.quantize('int8'), (e) => e instanceof TypeError && /already stored as/.test(e.message));
    q.dispose();
    qb.dispose();
  }
  emb.dispose();
  bag.dispose();
});

test('quantize and fromQuantized reject bad arguments, leaving the heap flat', () => {
  const emb = new Embedding(6, 5, { seed: 7 });
  emb.quantize('int4').dispose(); // warm the scratch region up
  const before = memoryUsage().heapInUseBytes;
  assert.throws(() => emb.quantize('int2'), (e) => e instanceof RangeError && /'float16', 'int8' or 'int4', got "int2"/.test(e.message));
  assert.throws(() => emb.quantize('float32'), RangeError);
  assert.throws(() => emb.quantize(8), (e) => e instanceof TypeError && /got 8/.test(e.message));
  assert.throws(() => emb.quantize(), TypeError);
  const renorm = new Embedding(6, 5, { maxNorm: 1, seed: 7 });
  assert.throws(() => renorm.quantize('int8'), (e) => e instanceof TypeError && /maxNorm 1/.test(e.message));
  renorm.dispose();

  const good = new Uint8Array(6 * 13);
  const opts = { storage: 'int8', numEmbeddings: 6, embeddingDim: 5 };
  assert.throws(() => Embedding.fromQuantized(good.subarray(1), opts),
    (e) => e instanceof RangeError && /6 int8 rows of dim 5 take 78 bytes \(13 a row\), got 77/.test(e.message));
  assert.throws(() => Embedding.fromQuantized([1, 2, 3], opts), (e) => e instanceof TypeError && /Uint8Array or an ArrayBuffer, got an array/.test(e.message));
  assert.throws(() => Embedding.fromQuantized(good, { ...opts, storage: 'int3' }), RangeError);
  assert.throws(() => Embedding.fromQuantized(good, { ...opts, maxNorm: 1 }), (e) => e instanceof TypeError && /unknown option 'maxNorm'/.test(e.message));
  assert.throws(() => Embedding.fromQuantized(good, { ...opts, mode: 'sum' }), (e) => e instanceof TypeError && /unknown option 'mode'/.test(e.message));
  assert.throws(() => Embedding.fromQuantized(good, { ...opts, paddingIdx: 6 }), (e) => e instanceof RangeError && /paddingIdx/.test(e.message));
  assert.throws(() => EmbeddingBag.fromQuantized(good, { ...opts, mode: 'median' }), (e) => e instanceof RangeError && /mode/.test(e.message));
  assert.throws(() => Embedding.fromQuantized(good, { storage: 'int8', numEmbeddings: 6 }), RangeError);
  // A row whose scale or bias is not a finite number: named with its bytes.
  const nanBias = good.slice();
  new DataView(nanBias.buffer).setFloat32(2 * 13 + 9, NaN, true);
  assert.throws(() => Embedding.fromQuantized(nanBias, opts), (e) => e instanceof RangeError && /row 2 \(bytes 26 to 38\) holds a scale or bias that is not a finite number/.test(e.message));
  const infHalf = new Uint8Array(6 * 10);
  infHalf[4 * 10 + 3] = 0x7c; // row 4, value 1: 0x7c00
  assert.throws(() => Embedding.fromQuantized(infHalf, { ...opts, storage: 'float16' }), (e) => e instanceof RangeError && /row 4 .* an infinity or a NaN/.test(e.message));
  assert.equal(memoryUsage().heapInUseBytes, before, 'heap flat after the throws');

  // Accepted byte sources: a Uint8Array view at an offset, a Buffer, an ArrayBuffer.
  const q = emb.quantize('int8');
  const bytes = new Uint8Array(6 * 13 + 3);
  const fromView = Embedding.fromQuantized(bytes.subarray(3), opts);
  const fromBuffer = EmbeddingBag.fromQuantized(Buffer.alloc(6 * 13), { ...opts, mode: 'sum', paddingIdx: -1 });
  const fromArrayBuffer = Embedding.fromQuantized(new ArrayBuffer(6 * 13), opts);
  assert.equal(fromBuffer.paddingIdx, 5);
  for (const t of [q, fromView, fromBuffer, fromArrayBuffer]) t.dispose();
  emb.dispose();
});

test('lookups on compressed tables check indices as float32 tables do', () => {
  const emb = new Embedding(5, 3, { seed: 8 });
  const bag = new EmbeddingBag(5, 3, { mode: 'sum', seed: 8 });
  const q = emb.quantize('int4');
  assert.throws(() => q.forward([1, 5]), (e) => e instanceof RangeError && /index 5 at position 1 is out of range/.test(e.message));
  assert.throws(() => q.forward(Int32Array.of(0, -1)), (e) => e instanceof RangeError && /index -1 at position 1/.test(e.message));
  const qb = bag.quantize('int8');
  assert.throws(() => qb.forward([1, 7], [0]), (e) => e instanceof RangeError && /index 7 at position 1/.test(e.message));
  assert.throws(() => qb.forward([1, 2], [0, 3]), RangeError);
  assert.throws(() => qb.forward([1, 2], [0], [1]), TypeError);
  for (const t of [q, qb, emb, bag]) t.dispose();
});

test('1,000 quantize/lookup/dispose cycles leave the heap flat', () => {
  const emb = new Embedding(200, 24, { seed: 9 });
  const bag = new EmbeddingBag(200, 24, { mode: 'mean', seed: 9 });
  const cycle = () => {
    for (const storage of STORAGES) {
      const q = emb.quantize(storage);
      q.forward([1, 2, 3]);
      q.dispose();
      const qb = bag.quantize(storage);
      qb.forward([1, 2, 3, 4], [0, 1]);
      qb.dispose();
    }
  };
  cycle();
  const before = memoryUsage().heapInUseBytes;
  for (let i = 0; i < 1000; ++i) cycle();
  assert.equal(memoryUsage().heapInUseBytes, before);
  emb.dispose();
  bag.dispose();
});
