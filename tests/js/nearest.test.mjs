// Nearest neighbours and analogies: against a float64 brute force (exact but for rows whose
// scores lie within float32 rounding of each other), against gensim 4.2's most_similar
// (tests/fixtures/gensim.json), SIMD = scalar, the row-norm cache after every way rows change,
// and bad arguments (a clear error, nothing changed, the heap flat).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, Embedding, EmbeddingBag, SGD, Adagrad, SparseAdam, RowwiseAdagrad, memoryUsage } from 'wasm-embedding';
import { BUILDS, random } from './helpers.mjs';

const gensim = JSON.parse(readFileSync(new URL('../fixtures/gensim.json', import.meta.url), 'utf8'));
const DIMS = [1, 3, 4, 17, 64, 100, 300];
const METRICS = ['cosine', 'dot', 'l2'];

const uniform = (n, seed) => { const r = random(seed); return Float32Array.from({ length: n }, () => r() * 2 - 1); };

// Every row's float64 score and how far float32 arithmetic may move it.
function exactScores(weight, dim, query, metric) {
  const rows = weight.length / dim;
  const score = new Float64Array(rows);
  const error = new Float64Array(rows);
  let qq = 0;
  for (let j = 0; j < dim; ++j) qq += query[j] * query[j];
  for (let r = 0; r < rows; ++r) {
    let dot = 0, magnitude = 0, rr = 0, dd = 0;
    for (let j = 0; j < dim; ++j) {
      const x = weight[r * dim + j];
      dot += query[j] * x;
      magnitude += Math.abs(query[j] * x);
      rr += x * x;
      dd += (query[j] - x) ** 2;
    }
    const bound = 1e-6 * (dim + 4);
    if (metric === 'dot') [score[r], error[r]] = [dot, bound * magnitude];
    else if (metric === 'l2') [score[r], error[r]] = [Math.sqrt(dd), bound * Math.sqrt(dd) + 1e-30];
    else if (qq === 0 || rr === 0) [score[r], error[r]] = [0, 0];
    else [score[r], error[r]] = [dot / Math.sqrt(qq * rr), bound * (magnitude / Math.sqrt(qq * rr) + 1)];
  }
  return { score, error };
}

// Checks one query's k results against the float64 scores: each returned score is its row's
// (within rounding), each rank holds a row as good as the float64 ranking's at that rank, the
// same row wherever the ranking is clear of rounding, equal float32 scores in ascending rows,
// and -1/NaN past the qualifying rows.
function checkQuery(indices, scores, exact, metric, k, leftOut, label) {
  const better = metric === 'l2' ? (a, b) => a < b : (a, b) => a > b;
  const order = [...exact.score.keys()].filter((r) => !leftOut.has(r))
    .sort((a, b) => (exact.score[a] === exact.score[b] ? a - b : better(exact.score[a], exact.score[b]) ? -1 : 1));
  for (let s = 0; s < k; ++s) {
    const at = `${label}, rank ${s}`;
    if (s >= order.length) {
      assert.equal(indices[s], -1, `${at}: no row qualifies`);
      assert.ok(Number.isNaN(scores[s]), `${at}: score NaN`);
      continue;
    }
    const row = indices[s];
    assert.ok(row >= 0 && !leftOut.has(row), `${at}: row ${row} must not be returned`);
    const want = order[s];
    const tol = exact.error[row] + exact.error[want];
    assert.ok(Math.abs(scores[s] - exact.score[row]) <= exact.error[row], `${at}: score ${scores[s]} of row ${row}, exact ${exact.score[row]}`);
    assert.ok(Math.abs(exact.score[row] - exact.score[want]) <= tol, `${at}: row ${row} (${exact.score[row]}) where row ${want} (${exact.score[want]}) ranks`);
    const clear = [order[s - 1], order[s + 1]].every((o) => o === undefined || Math.abs(exact.score[o] - exact.score[want]) > 2 * tol);
    if (clear) assert.equal(row, want, `${at}: a clear ranking`);
    if (s > 0 && scores[s] === scores[s - 1]) assert.ok(indices[s - 1] < row, `${at}: a tie goes to the lower row`);
  }
}

function heapFlat(fn) {
  fn(); // warm the scratch region up
  const before = memoryUsage().heapInUseBytes;
  fn();
  assert.equal(memoryUsage().heapInUseBytes, before, 'the heap is back where it was');
}

for (const { label, simd } of BUILDS) {
  test(`${label}: every metric matches a float64 brute force, dims ${DIMS.join(', ')}`, async () => {
    await init({ simd });
    for (const dim of DIMS) {
      const rows = dim === 300 ? 150 : 400;
      const weight = uniform(rows * dim, dim);
      weight.fill(0, 5 * dim, 6 * dim); // a zero row
      const emb = Embedding.fromPretrained(weight, { embeddingDim: dim, paddingIdx: 9 });
      const queries = uniform(3 * dim, dim + 1000);
      for (const metric of METRICS) {
        for (const k of [1, 10, rows + 3]) {
          const label = `dim ${dim}, ${metric}, k ${k}`;
          // Three vectors in one call, then row 17 (left out of its own results).
          const batch = emb.nearest(queries, k, { metric });
          for (let q = 0; q < 3; ++q) {
            const query = queries.subarray(q * dim, (q + 1) * dim);
            checkQuery(batch.indices.subarray(q * k), batch.scores.subarray(q * k), exactScores(weight, dim, query, metric),
              metric, k, new Set([9]), `${label}, query ${q}`);
          }
          const byRow = emb.nearest(17, k, { metric });
          checkQuery(byRow.indices, byRow.scores, exactScores(weight, dim, weight.subarray(17 * dim, 18 * dim), metric),
            metric, k, new Set([9, 17]), `${label}, row 17`);
        }
      }
      emb.dispose();
    }
  });

  test(`${label}: ties go to the lower row, decided on the float32 score`, async () => {
    await init({ simd });
    // Rows 2, 5, 7 are one vector; 4 is its double (same cosine, twice the dot); small integers tie often.
    const emb = Embedding.fromPretrained([[1, 1, 0], [0, 1, 0], [1, 2, 3], [-1, 0, 0], [2, 4, 6], [1, 2, 3], [0, 0, 1], [1, 2, 3]]);
    const { indices, scores } = emb.nearest(new Float32Array([1, 2, 3]), 8, { metric: 'dot' });
    assert.deepEqual([...indices], [4, 2, 5, 7, 0, 6, 1, 3]);
    assert.deepEqual([...scores], [28, 14, 14, 14, 3, 3, 2, -1]);
    const l2 = emb.nearest(5, 3, { metric: 'l2' });
    assert.deepEqual([...l2.indices], [2, 7, 6]);
    assert.deepEqual([...l2.scores], [0, 0, 3]);
    emb.dispose();
  });

  test(`${label}: batches equal single queries; Int32Array rows leave out their own row`, async () => {
    await init({ simd });
    const dim = 17;
    const emb = Embedding.fromPretrained(uniform(300 * dim, 5), { embeddingDim: dim });
    const rows = Int32Array.from({ length: 70 }, (_, i) => (i * 37) % 300); // 70 queries: past one group of 64
    for (const metric of METRICS) {
      const batch = emb.nearest(rows, 6, { metric, exclude: [3, 4] });
      rows.forEach((row, q) => {
        const single = emb.nearest(row, 6, { metric, exclude: new Int32Array([4, 3]) });
        assert.deepEqual(batch.indices.subarray(q * 6, q * 6 + 6), single.indices, `${metric}, query ${q}`);
        assert.deepEqual(batch.scores.subarray(q * 6, q * 6 + 6), single.scores, `${metric}, query ${q}`);
        assert.ok(![...single.indices].some((i) => i === row || i === 3 || i === 4));
      });
    }
    emb.dispose();
  });

  test(`${label}: the padding row, excluded rows and NaN scores never qualify; -1 and NaN fill the rest`, async () => {
    await init({ simd });
    const emb = Embedding.fromPretrained([[1, 0], [0, 1], [NaN, 1], [1, 1], [-1, 0]], { paddingIdx: 1 });
    for (const metric of METRICS) {
      const { indices, scores } = emb.nearest(new Float32Array([1, 0.5]), 5, { metric, exclude: [4] });
      assert.deepEqual([...indices].sort(), [-1, -1, -1, 0, 3], metric);
      assert.ok(Number.isNaN(scores[3]) && Number.isNaN(scores[4]), metric);
    }
    assert.deepEqual(emb.nearest(new Float32Array([NaN, 0]), 2).indices, Int32Array.of(-1, -1));
    assert.deepEqual(emb.nearest(0, 0), { indices: new Int32Array(0), scores: new Float32Array(0) });
    emb.dispose();
  });

  test(`${label}: cosine against a zero row is 0, l2 scores are Euclidean distances`, async () => {
    await init({ simd });
    const emb = Embedding.fromPretrained([[0, 0], [3, 4], [-3, -4]]);
    assert.deepEqual(emb.nearest(new Float32Array([6, 8]), 3), { indices: Int32Array.of(1, 0, 2), scores: Float32Array.of(1, 0, -1) });
    assert.deepEqual(emb.nearest(new Float32Array([6, 8]), 3, { metric: 'l2' }), { indices: Int32Array.of(1, 0, 2), scores: Float32Array.of(5, 10, 15) });
    assert.deepEqual(emb.nearest(0, 2).scores, Float32Array.of(0, 0), 'a zero query');
    emb.dispose();
  });

  test(`${label}: nearest and analogy equal gensim 4.2's most_similar`, async () => {
    await init({ simd });
    for (const t of gensim.tables) {
      const emb = Embedding.fromPretrained(new Float32Array(Uint8Array.from(Buffer.from(t.weight, 'base64')).buffer), { embeddingDim: t.embeddingDim });
      const check = (got, want, what) => {
        want.scores.forEach((score, s) => {
          assert.ok(Math.abs(got.scores[s] - score) <= 2e-6, `${t.name} ${what}, rank ${s}: ${got.scores[s]} vs gensim ${score}`);
          const clear = [want.scores[s - 1], want.scores[s + 1]].every((x) => x === undefined || Math.abs(x - score) > 4e-6);
          if (clear) assert.equal(got.indices[s], want.indices[s], `${t.name} ${what}, rank ${s}`);
        });
      };
      for (const c of t.byRow) check(emb.nearest(c.row, 10), c, `row ${c.row}`);
      for (const c of t.byVector) check(emb.nearest(Float32Array.from(c.vector), 10), c, 'a vector');
      for (const c of t.analogies) check(emb.analogy(c.a, c.b, c.c, 10), c, `analogy ${c.a}:${c.b}::${c.c}`);
      emb.dispose();
    }
  });
}

test('the SIMD and scalar builds give bit-identical results', async () => {
  const results = {};
  for (const simd of [true, false]) {
    await init({ simd });
    results[simd] = DIMS.flatMap((dim) => {
      const emb = Embedding.fromPretrained(uniform(97 * dim, dim + 7), { embeddingDim: dim });
      const out = METRICS.flatMap((metric) => [emb.nearest(uniform(5 * dim, 3), 7, { metric }), emb.nearest(Int32Array.of(1, 50), 97, { metric })]);
      out.push(emb.analogy(1, 2, 3, 20));
      emb.dispose();
      return out;
    });
  }
  assert.deepEqual(results[true], results[false]); // typed arrays compare exactly
});

// The search on a table must equal the search on a fresh table holding the same weights,
// whose norms are computed from scratch: then the cache is current.
function assertNormsCurrent(table, label) {
  const fresh = Embedding.fromPretrained(table.weight, { embeddingDim: table.embeddingDim });
  const query = uniform(table.embeddingDim * 3, 99);
  assert.deepEqual(table.nearest(query, table.numEmbeddings), fresh.nearest(query, table.numEmbeddings), label);
  fresh.dispose();
}

test('row norms stay right after optimizer steps (lazy rows too), setWeight, maxNorm and loads', async () => {
  await init();
  const optimizers = {
    'SGD': (p) => new SGD(p, { lr: 0.5 }),
    'SGD momentum + weight decay (lazy)': (p) => new SGD(p, { lr: 0.3, momentum: 0.9, weightDecay: 0.1 }),
    'Adagrad weight decay (lazy)': (p) => new Adagrad(p, { lr: 0.5, weightDecay: 0.2 }),
    'SparseAdam': (p) => new SparseAdam(p, { lr: 0.3 }),
    'RowwiseAdagrad': (p) => new RowwiseAdagrad(p, { lr: 0.5 }),
  };
  for (const [name, make] of Object.entries(optimizers)) {
    const emb = new Embedding(40, 6, { seed: 1 });
    emb.nearest(0, 3); // fills the cache
    const opt = make([emb]);
    for (let step = 0; step < 4; ++step) {
      emb.backward([step, 7, 7, 30 + step], Float32Array.from({ length: 24 }, (_, i) => Math.sin(i + step)));
      opt.step();
      opt.zeroGrad();
      assertNormsCurrent(emb, `${name}, step ${step}`);
    }
    emb.forward([1, 2]); // catches those rows up on its own (lazy optimizers)
    assertNormsCurrent(emb, `${name}, after a forward`);
    opt.dispose();
    emb.dispose();
  }
  const emb = new Embedding(30, 4, { seed: 2, maxNorm: 1 });
  emb.nearest(0, 3);
  emb.forward([3, 4, 3]); // renormalises rows 3 and 4
  assertNormsCurrent(emb, 'maxNorm forward');
  const batch = emb.batch(2);
  batch.indices.set([5, 6]);
  batch.forward(2);
  assertNormsCurrent(emb, 'maxNorm Batch.forward');
  batch.dispose();
  emb.setWeight(uniform(120, 5));
  assertNormsCurrent(emb, 'setWeight');
  emb.dispose();
  const bag = new EmbeddingBag(20, 5, { seed: 3, maxNorm: 0.5, mode: 'sum' });
  bag.nearest(0, 2);
  bag.forward([1, 2, 3], [0, 1]);
  assertNormsCurrent(bag, 'maxNorm EmbeddingBag.forward');
  assert.deepEqual(bag.analogy(1, 2, 3, 4).indices.length, 4);
  bag.dispose();
});

test('bad arguments throw a clear error, change nothing and leave the heap flat', async () => {
  await init();
  const emb = new Embedding(10, 3, { seed: 4, paddingIdx: 2 });
  const weight = emb.weight;
  const cases = [
    [() => emb.nearest(10, 3), RangeError, /^query row 10 is out of range \(valid rows: \[0, 9\]\)$/],
    [() => emb.nearest(-1, 3), RangeError, /^query row -1 is out of range/],
    [() => emb.nearest(1.5, 3), TypeError, /^query row must be an integer row index, got 1.5$/],
    [() => emb.nearest(NaN, 3), TypeError, /got NaN/],
    [() => emb.nearest(new Float32Array(4), 3), TypeError, /one or more vectors of embeddingDim 3 values, got a Float32Array of length 4/],
    [() => emb.nearest(new Float32Array(0), 3), TypeError, /of length 0/],
    [() => emb.nearest(new Float64Array(3), 3), TypeError, /^query must be a row index, a Float32Array of vectors or an Int32Array of row indices, got a Float64Array$/],
    [() => emb.nearest([1, 2, 3], 3), TypeError, /got an array/],
    [() => emb.nearest(Int32Array.of(1, 12), 3), RangeError, /^query row at position 1, 12 is out of range/],
    [() => emb.nearest(1, -1), RangeError, /^k must be an integer in \[0, 2147483647\], got -1$/],
    [() => emb.nearest(1, 2.5), RangeError, /got 2.5/],
    [() => emb.nearest(1), RangeError, /got undefined/],
    [() => emb.nearest(1, 3, { metric: 'cos' }), RangeError, /^metric must be 'cosine', 'dot' or 'l2', got "cos"$/],
    [() => emb.nearest(1, 3, { k: 3 }), TypeError, /unknown option 'k'/],
    [() => emb.nearest(1, 3, { exclude: [1, 10] }), RangeError, /^exclude\[1\] = 10 is out of range/],
    [() => emb.nearest(1, 3, { exclude: [0.5] }), TypeError, /^exclude\[0\] = must be an integer/],
    [() => emb.nearest(1, 3, { exclude: 4 }), TypeError, /^exclude must be an array or an Int32Array of row indices, got 4$/],
    [() => emb.nearest(1, 2 ** 31 - 1), RangeError, /out of memory/],
    [() => emb.analogy(1, 2, 10), RangeError, /^c 10 is out of range/],
    [() => emb.analogy('1', 2, 3), TypeError, /^a must be an integer row index, got "1"$/],
    [() => emb.analogy(1, 2, 3, -2), RangeError, /^k must be/],
  ];
  for (const [call, type, message] of cases) {
    heapFlat(() => assert.throws(call, (err) => err instanceof type && message.test(err.message), String(message)));
  }
  assert.deepEqual(emb.weight, weight);
  emb.dispose();
  assert.throws(() => emb.nearest(1, 3), { message: 'Embedding has been disposed' });
  assert.throws(() => emb.analogy(1, 2, 3), { message: 'Embedding has been disposed' });
  const table = new Embedding(1000, 16, { seed: 5 });
  heapFlat(() => table.nearest(Int32Array.of(1, 2, 3), 20)); // a successful search leaves nothing behind either
  heapFlat(() => table.analogy(1, 2, 3, 20));
  table.dispose();
});
