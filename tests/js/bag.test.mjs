// EmbeddingBag against PyTorch: replays the `bag` group of tests/fixtures/bag_optim.json
// (written by tests/fixtures/generate_bag_optim.py from torch 1.13) through the public API,
// in both builds; then SIMD vs scalar bit identity, and every bad input of issue 4 (right
// error type, table and gradient unchanged).
//
//   node --test tests/js/
//
// Expected values come from PyTorch, except where a case's `reference` says otherwise
// (scaleGradByFreq: the documented formula, because 1.13's CPU kernel is wrong; paddingIdx +
// includeLastOffset + empty last bag: PyTorch through the equivalent call), see the generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, Embedding, EmbeddingBag } from 'wasm-embedding';
import { BUILDS, pretrainedOptions, f32, where, assertBitEqual, assertClose, assertRowsExactlyZero } from './helpers.mjs';

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/bag_optim.json', import.meta.url), 'utf8'));

// PyTorch's CPU bag kernels may fuse multiply-adds and multiply by 1/n for the mean.
const OUT_TOL = { abs: 1e-6, rel: 1e-6 };
const GRAD_TOL = { abs: 1e-6, rel: 1e-6 };
const RENORM_TOL = { abs: 1e-6, rel: 1e-6 };
// d(loss)/d(perSampleWeights) is a dot product of embeddingDim terms: summation order matters more
const PSW_GRAD_TOL = { abs: 1e-5, rel: 1e-5 };

// ------------------------------------------------------------------------------ helpers

function make(c) {
  const bag = EmbeddingBag.fromPretrained(f32(c.weight), pretrainedOptions(c));
  assert.equal(bag.numEmbeddings, c.numEmbeddings, 'numEmbeddings');
  assert.equal(bag.embeddingDim, c.embeddingDim, 'embeddingDim');
  assert.equal(bag.mode, c.options.mode, 'mode');
  assert.equal(bag.paddingIdx, c.expectedPaddingIdx, 'normalised paddingIdx');
  return bag;
}

const is2d = (c) => c.form === '2-D';
const psw = (c) => (c.perSampleWeights ? f32(c.perSampleWeights) : undefined);

/** forward exactly as the case describes it (2-D: no offsets argument unless weights). */
function forwardOf(bag, c) {
  const w = psw(c);
  if (is2d(c)) return w ? bag.forward(c.indices, null, w) : bag.forward(c.indices);
  return w ? bag.forward(c.indices, c.offsets, w) : bag.forward(c.indices, c.offsets);
}

function backwardOf(bag, c) {
  const w = psw(c);
  const g = f32(c.gradOutput);
  if (is2d(c)) return w ? bag.backward(c.indices, null, g, w) : bag.backward(c.indices, null, g);
  return w ? bag.backward(c.indices, c.offsets, g, w) : bag.backward(c.indices, c.offsets, g);
}

/** The same bags as 1-D indices + offsets (what 2-D input means: offsets 0, N, 2N, ...). */
function asOneD(c) {
  if (!is2d(c)) return { indices: c.indices, offsets: c.offsets };
  const n = c.indices[0].length;
  return { indices: c.indices.flat(), offsets: c.indices.map((_, b) => b * n) };
}

// ---------------------------------------------------------------------------- the runner
function runBagCase(c, rec) {
  const d = c.embeddingDim;
  const initial = f32(c.weight);
  const bag = make(c);
  try {
    assertBitEqual(rec('initial weight', bag.weight), initial, 'weight after fromPretrained', d);
    const out = rec('output', forwardOf(bag, c));
    const expectedOut = f32(c.expectedOutput);
    assert.equal(out.length, c.numBags * d, `output length (numBags ${c.numBags} x ${d})`);
    if (c.options.mode === 'max' && c.options.maxNorm === undefined) {
      assertBitEqual(out, expectedOut, 'forward output (max selects rows: exact)', d);
    } else {
      assertClose(out, expectedOut, c.options.maxNorm === undefined ? OUT_TOL : RENORM_TOL,
        'forward output', d);
    }

    const w = rec('weight after forward', bag.weight);
    if (c.expectedWeight) {
      assertClose(w, f32(c.expectedWeight), RENORM_TOL, 'weight after forward (in-place renorm)', d);
      for (let r = 0; r < c.numEmbeddings; r++) {
        if (c.rowsRenormalised.includes(r)) continue;
        assertBitEqual(w.subarray(r * d, (r + 1) * d), initial.subarray(r * d, (r + 1) * d),
          `row ${r} is not renormalised and must be untouched`);
      }
    } else {
      assertBitEqual(w, initial, 'weight after forward (no maxNorm: unchanged)', d);
    }

    const pswGrad = backwardOf(bag, c);
    const grad = rec('grad', bag.denseGrad());
    assertClose(grad, f32(c.expectedGrad), GRAD_TOL,
      `dense gradient${c.reference !== 'pytorch' ? ` (reference: ${c.reference})` : ''}`, d);
    if (c.expectedPaddingIdx !== null) {
      assertRowsExactlyZero(grad, [c.expectedPaddingIdx], d, 'padding row gradient');
    }
    if (c.perSampleWeights) {
      rec('perSampleWeights grad', pswGrad);
      assertClose(pswGrad, f32(c.expectedPerSampleWeightsGrad), PSW_GRAD_TOL,
        'backward() return value: d(loss)/d(perSampleWeights)');
    } else {
      assert.equal(pswGrad, undefined, 'backward() without perSampleWeights returns undefined');
    }
    if (!c.expectedWeight) {
      assertBitEqual(bag.weight, initial, 'weight after backward (unchanged)', d);
    }

    // Other index containers and the 1-D form of a 2-D input give the very same output
    // (maxNorm cases are skipped: their table has changed).
    if (!c.expectedWeight) {
      const { indices, offsets } = asOneD(c);
      const w8 = psw(c);
      const again = (idx, off, label) =>
        assertBitEqual(w8 ? bag.forward(idx, off, w8) : bag.forward(idx, off), out, label, d);
      again(Int32Array.from(indices), Int32Array.from(offsets), 'forward(Int32Array, Int32Array offsets)');
      again(BigInt64Array.from(indices, BigInt), Int32Array.from(offsets),
        'forward(BigInt64Array, Int32Array offsets)');
      again(indices, offsets, is2d(c) ? 'forward of the 1-D form (offsets 0, N, 2N, ...)' : 'forward again');
    }

    // A second identical backward doubles the gradient exactly; zeroGrad() clears it.
    backwardOf(bag, c);
    const twice = rec('grad after two backward calls', bag.denseGrad());
    assertBitEqual(twice, grad.map((x) => 2 * x), 'gradient after two identical backward calls', d);
    bag.zeroGrad();
    const zero = bag.denseGrad();
    assertRowsExactlyZero(zero, [...Array(c.numEmbeddings).keys()], d, 'gradient after zeroGrad');
  } finally {
    bag.dispose();
  }
}

// ------------------------------------------------------------------------- fixture tests
const cases = fixtures.bag;
assert.ok(Array.isArray(cases) && cases.length > 0, 'fixture group bag');
const results = new Map(BUILDS.map((b) => [b.label, new Map()]));

for (const build of BUILDS) {
  test(`${build.label} build: EmbeddingBag against PyTorch ${fixtures.torchVersion}`, async (t) => {
    await t.test(`${build.label}: init`, async () => {
      const info = await init({ simd: build.simd });
      assert.equal(info?.simd, build.simd, `init({ simd: ${build.simd} }) reports simd`);
    });
    for (const c of cases) {
      await t.test(`${build.label}: bag ${c.name}`, () => {
        const recorded = new Map();
        results.get(build.label).set(c.name, recorded);
        const rec = (label, arr) => {
          recorded.set(label, arr instanceof Float32Array ? arr.slice() : arr);
          return arr;
        };
        runBagCase(c, rec);
      });
    }
  });
}

test('EmbeddingBag: simd and scalar builds agree bit for bit', async (t) => {
  const [a, b] = BUILDS.map((x) => results.get(x.label));
  for (const c of cases) {
    await t.test(`simd vs scalar: bag ${c.name}`, (st) => {
      const ra = a.get(c.name);
      const rb = b.get(c.name);
      const labels = ra && rb ? [...ra.keys()].filter((l) => rb.has(l)) : [];
      if (labels.length === 0) {
        st.skip('no results recorded in both builds (see the failing per-build subtests)');
        return;
      }
      for (const l of labels) {
        assertBitEqual(ra.get(l), rb.get(l), `${l}: simd (actual) vs scalar (expected)`, c.embeddingDim);
      }
    });
  }
});

// ------------------------------------------------------------------------------ API basics
test('EmbeddingBag construction: defaults, seed, fromPretrained keeps the padding row', async (t) => {
  for (const build of BUILDS) {
    await t.test(`${build.label}: defaults`, async () => {
      await init({ simd: build.simd });
      const a = new EmbeddingBag(7, 3, { seed: 5 });
      const b = new EmbeddingBag(7, 3, { seed: 5, paddingIdx: -1 });
      try {
        assert.equal(a.mode, 'mean', "default mode is 'mean'");
        assert.equal(a.includeLastOffset, false, 'default includeLastOffset is false');
        assert.equal(b.paddingIdx, 6, 'paddingIdx -1 normalised to 6');
        const wa = a.weight;
        const wb = b.weight;
        assert.equal(wa.length, 21);
        assertBitEqual(wa.subarray(0, 18), wb.subarray(0, 18), 'same seed, same table');
        assertRowsExactlyZero(wb, [6], 3, 'the padding row of a new table');
        // mean of rows 1 and 2
        const out = a.forward([1, 2], [0]);
        const expected = Float32Array.from([0, 1, 2], (j) => (wa[3 + j] + wa[6 + j]) / 2);
        assertClose(out, expected, OUT_TOL, 'default mean');
      } finally {
        a.dispose();
        b.dispose();
      }
    });
  }
  await init();
  const p = EmbeddingBag.fromPretrained([[1, 2], [3, 4], [5, 6]], { mode: 'sum', paddingIdx: 1 });
  try {
    assert.equal(p.requiresGrad, false, 'fromPretrained freezes by default');
    assertBitEqual(p.weight, Float32Array.from([1, 2, 3, 4, 5, 6]), 'padding row kept as given');
    assertBitEqual(p.forward([[0, 1, 2]]), Float32Array.from([6, 8]), 'padding left out of the sum');
    assert.throws(() => p.backward([[0, 1]], null, new Float32Array(2)), Error,
      'backward on a frozen bag throws');
  } finally {
    p.dispose();
  }
});

// ------------------------------------------------------------------------------ bad input
await init();

// Everything a failed call could have changed.
function snapshot(bag) {
  return { weight: bag.weight, grad: bag.grad, dense: bag.denseGrad() };
}

// Rows of norm > 1 with maxNorm 1: a forward that renormalised anything would show.
function trainedBag(options = {}) {
  const weights = Array.from({ length: 10 }, (_, r) => [r + 1, -(r + 2), 0.5 * r + 3]);
  const bag = EmbeddingBag.fromPretrained(weights, { freeze: false, maxNorm: 1, mode: 'sum', ...options });
  const before = bag.weight;
  const offsets = options.includeLastOffset ? [0, 2, 4] : [0, 2];
  bag.backward([1, 2, 2, 5], offsets, Float32Array.from({ length: 6 }, (_, i) => i + 1));
  assert.deepEqual(bag.weight, before, 'backward does not renormalise');
  assert.ok(bag.grad !== null);
  return bag;
}

function assertRejected(bag, call, expected, label) {
  const before = snapshot(bag);
  assert.throws(call, expected, label);
  assert.deepEqual(snapshot(bag), before, `${label}: table and gradient unchanged after the throw`);
}

// [label, bag options, indices, offsets, perSampleWeights, expected error]
const g = (bags, d = 3) => new Float32Array(bags * d);
const BAD_CALLS = [
  ['offsets not starting at 0', {}, [1, 2, 3], [1, 2], undefined, { name: 'RangeError', message: /offsets\[0\]/ }],
  ['offsets not starting at 0 (Int32Array)', {}, [1, 2, 3], new Int32Array([2]), undefined, { name: 'RangeError' }],
  ['decreasing offsets', {}, [1, 2, 3, 4], [0, 3, 1], undefined, { name: 'RangeError', message: /decrease/ }],
  ['an offset past the end', {}, [1, 2, 3], [0, 4], undefined, { name: 'RangeError', message: /past the end/ }],
  ['an offset past the end (last of three)', {}, [1, 2, 3], [0, 1, 9], undefined, { name: 'RangeError' }],
  ['includeLastOffset with offsets[-1] < indices.length', { includeLastOffset: true }, [1, 2, 3], [0, 1, 2], undefined, { name: 'RangeError', message: /last offset/ }],
  ['includeLastOffset with offsets[-1] > indices.length', { includeLastOffset: true }, [1, 2, 3], [0, 1, 4], undefined, { name: 'RangeError' }],
  ['includeLastOffset with no offsets at all', { includeLastOffset: true }, [1, 2, 3], [], undefined, { name: 'RangeError' }],
  ['offsets together with 2-D input', {}, [[1, 2], [3, 4]], [0, 2], undefined, { name: 'TypeError', message: /2-D/ }],
  ['offsets together with 2-D input (Int32Array offsets)', {}, [[1, 2], [3, 4]], new Int32Array([0, 1]), undefined, { name: 'TypeError' }],
  ['ragged 2-D input', {}, [[1, 2], [3]], undefined, undefined, { name: 'TypeError', message: /equal-length/ }],
  ['ragged 2-D input (longer later bag)', {}, [[1], [3, 4]], undefined, undefined, { name: 'TypeError' }],
  ['2-D input mixing a bag and a number', {}, [[1, 2], 3], undefined, undefined, { name: 'TypeError' }],
  ['1-D input without offsets', {}, [1, 2, 3], undefined, undefined, { name: 'TypeError' }],
  ['perSampleWeights with mode mean', { mode: 'mean' }, [1, 2, 3], [0], Float32Array.of(1, 2, 3), { name: 'TypeError', message: /only supported with mode 'sum'/ }],
  ['perSampleWeights with mode max', { mode: 'max' }, [1, 2, 3], [0], Float32Array.of(1, 2, 3), { name: 'TypeError', message: /only supported with mode 'sum'/ }],
  ['perSampleWeights with mode mean, 2-D', { mode: 'mean' }, [[1, 2], [3, 4]], null, Float32Array.of(1, 2, 3, 4), { name: 'TypeError' }],
  ['perSampleWeights too short', {}, [1, 2, 3], [0, 1], Float32Array.of(1, 2), { name: 'TypeError', message: /perSampleWeights/ }],
  ['perSampleWeights too long', {}, [1, 2, 3], [0, 1], Float32Array.of(1, 2, 3, 4), { name: 'TypeError' }],
  ['perSampleWeights of the wrong length, 2-D', {}, [[1, 2], [3, 4]], null, Float32Array.of(1, 2, 3), { name: 'TypeError' }],
  ['out-of-range index', {}, [1, 10, 3], [0, 1], undefined, { name: 'RangeError', message: /index 10 at position 1 .*valid indices: \[0, 9\]/ }],
  ['negative index', {}, [1, -1], [0], undefined, { name: 'RangeError', message: /index -1/ }],
  ['out-of-range index, Int32Array', {}, new Int32Array([0, 2, 11]), [0, 2], undefined, { name: 'RangeError', message: /index 11/ }],
  ['out-of-range index, BigInt64Array', {}, new BigInt64Array([0n, 12n]), [0], undefined, { name: 'RangeError', message: /index 12/ }],
  ['out-of-range index, 2-D', {}, [[1, 2], [3, 10]], undefined, undefined, { name: 'RangeError', message: /index 10 at position \[1\]\[1\]/ }],
  ['out-of-range index with perSampleWeights', {}, [4, 10], [0], Float32Array.of(1, 2), { name: 'RangeError' }],
  ['out-of-range index, mode max', { mode: 'max' }, [4, 10], [0], undefined, { name: 'RangeError' }],
  ['non-integer index', {}, [1, 2.5], [0], undefined, { name: 'TypeError' }],
  ['non-integer offset', {}, [1, 2], [0, 0.5], undefined, { name: 'TypeError' }],
  ['offsets of the wrong type', {}, [1, 2], '0', undefined, { name: 'TypeError' }],
];

test('bad input: the right error, and the table and gradient unchanged (forward and backward)', async (t) => {
  for (const [label, options, indices, offsets, weights, expected] of BAD_CALLS) {
    await t.test(label, () => {
      const bag = trainedBag(options);
      try {
        // a gradOutput of the right length for the bags as given, so that only the bad part can throw
        const twoD = Array.isArray(indices) && indices.some(Array.isArray);
        const nb = twoD ? indices.length
          : Math.max((offsets?.length ?? 1) - (options.includeLastOffset ? 1 : 0), 0);
        assertRejected(bag, () => bag.forward(indices, offsets, weights), expected, `forward: ${label}`);
        assertRejected(bag, () => bag.backward(indices, offsets, g(nb), weights), expected, `backward: ${label}`);
      } finally {
        bag.dispose();
      }
    });
  }
});

test('bad input: gradOutput of the wrong length (TypeError), state unchanged', () => {
  const bag = trainedBag();
  try {
    assertRejected(bag, () => bag.backward([1, 2, 3], [0, 1], g(1)), { name: 'TypeError' }, 'too short');
    assertRejected(bag, () => bag.backward([1, 2, 3], [0, 1], g(3)), { name: 'TypeError' }, 'too long');
    assertRejected(bag, () => bag.backward([[1, 2], [3, 4]], null, g(1)), { name: 'TypeError' }, '2-D, too short');
    assertRejected(bag, () => bag.backward([1, 2, 3], [0, 1], g(2), Float32Array.of(1, 2)),
      { name: 'TypeError' }, 'perSampleWeights too short with a right gradOutput');
  } finally {
    bag.dispose();
  }
});

test('bad options: mode and max with scaleGradByFreq', () => {
  const ctor = [
    ['bad mode string', { mode: 'avg' }, { name: 'RangeError', message: /mode/ }],
    ['mode in the wrong case', { mode: 'SUM' }, { name: 'RangeError', message: /mode/ }],
    ['max mode with scaleGradByFreq', { mode: 'max', scaleGradByFreq: true }, { name: 'TypeError', message: /scaleGradByFreq/ }],
    ['unknown option (typo include_last_offset)', { include_last_offset: true }, { name: 'TypeError' }],
    ['includeLastOffset not a boolean', { includeLastOffset: 1 }, { name: 'TypeError' }],
  ];
  for (const [label, options, expected] of ctor) {
    assert.throws(() => new EmbeddingBag(10, 3, options), expected, `new EmbeddingBag: ${label}`);
    assert.throws(() => EmbeddingBag.fromPretrained([[1, 2], [3, 4]], options), expected,
      `EmbeddingBag.fromPretrained: ${label}`);
  }
});

test('bad options: a mode of the wrong type is a TypeError (README: wrong type -> TypeError)', () => {
  assert.throws(() => new EmbeddingBag(10, 3, { mode: 0 }), { name: 'TypeError', message: /mode/ });
  assert.throws(() => new EmbeddingBag(10, 3, { mode: null }), { name: 'TypeError', message: /mode/ });
});

test('a rejected call on an Embedding next to a bag changes neither', () => {
  // an Embedding and an EmbeddingBag are separate tables: a bag error must not touch the other
  const emb = Embedding.fromPretrained([[3, 4], [6, 8]], { maxNorm: 1, freeze: false });
  const bag = trainedBag();
  try {
    const e0 = emb.weight;
    assertRejected(bag, () => bag.forward([1, 99], [0]), { name: 'RangeError' }, 'bag forward');
    assert.deepEqual(emb.weight, e0);
  } finally {
    emb.dispose();
    bag.dispose();
  }
});
