// Conformance against PyTorch: replays tests/fixtures/pytorch.json (written by
// tests/fixtures/generate.py from torch 1.13) through the public API, in both builds.
//
//   node --test tests/js/
//
// Every expected value comes from PyTorch (the fixture); nothing is compared with a value
// computed by this library, except the final SIMD-vs-scalar check, which compares two
// different builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, Embedding, SGD } from 'wasm-embedding';
import { BUILDS, pretrainedOptions, f32, checkShape, assertBitEqual, assertClose, assertRowsExactlyZero } from './helpers.mjs';

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/pytorch.json', import.meta.url), 'utf8'));

const GROUPS = ['forward', 'paddingIdx', 'maxNorm', 'scaleGradByFreq', 'gradAccumulation', 'sgd'];

const GRAD_TOL = { abs: 1e-6, rel: 1e-6 };   // PyTorch may fuse multiply-adds
const RENORM_TOL = { abs: 1e-6, rel: 1e-6 };
const SGD_TOL = { abs: 1e-5, rel: 1e-5 };

// ------------------------------------------------------------------------------ helpers

function assertRowsUnchanged(weight, initial, rows, dim, label) {
  for (const r of rows) {
    const s = r * dim;
    assertBitEqual(weight.subarray(s, s + dim), initial.subarray(s, s + dim),
      `${label} (row ${r} must be untouched)`);
  }
}

function make(c) {
  const emb = Embedding.fromPretrained(f32(c.weight), pretrainedOptions(c));
  assert.equal(emb.numEmbeddings, c.numEmbeddings, 'numEmbeddings');
  assert.equal(emb.embeddingDim, c.embeddingDim, 'embeddingDim');
  return emb;
}

function flatIndices(indices) {
  return indices.flat(Infinity);
}

// --------------------------------------------------------------------------- runners
// Each runner records every array it obtains from the library into `rec` (label -> array)
// before asserting on it, for the SIMD-vs-scalar comparison.

const runners = {
  forward(c, rec) {
    const d = c.embeddingDim;
    const emb = make(c);
    try {
      const expected = f32(c.expectedOutput);
      const out = rec('output', emb.forward(c.indices));
      assertBitEqual(out, expected, 'forward(nested number[])', d);
      const flat = flatIndices(c.indices);
      const out32 = rec('output Int32Array', emb.forward(Int32Array.from(flat)));
      assertBitEqual(out32, expected, 'forward(Int32Array)', d);
      const out64 = rec('output BigInt64Array', emb.forward(BigInt64Array.from(flat, BigInt)));
      assertBitEqual(out64, expected, 'forward(BigInt64Array)', d);
      assertBitEqual(rec('weight', emb.weight), f32(c.weight), 'weight after forward', d);
    } finally {
      emb.dispose();
    }
  },

  paddingIdx(c, rec) {
    const d = c.embeddingDim;
    const emb = make(c);
    try {
      assert.equal(emb.paddingIdx, c.expectedPaddingIdx, 'normalised paddingIdx');
      // fromPretrained keeps the padding row's values
      assertBitEqual(rec('initial weight', emb.weight), f32(c.weight), 'weight after fromPretrained', d);
      const out = rec('output', emb.forward(c.indices));
      assertBitEqual(out, f32(c.expectedOutput), 'forward output', d);
      emb.backward(c.indices, f32(c.gradOutput));
      const grad = rec('grad', emb.denseGrad());
      assertClose(grad, f32(c.expectedGrad), GRAD_TOL, 'dense gradient', d);
      assertRowsExactlyZero(grad, [c.expectedPaddingIdx], d, 'padding row gradient');
    } finally {
      emb.dispose();
    }
  },

  maxNorm(c, rec) {
    const d = c.embeddingDim;
    const initial = f32(c.weight);
    const emb = make(c);
    try {
      const out = rec('output', emb.forward(c.indices));
      assertClose(out, f32(c.expectedOutput), RENORM_TOL, 'forward output (renormalised rows)', d);
      const w = rec('weight', emb.weight);
      assertClose(w, f32(c.expectedWeight), RENORM_TOL, 'weight after forward (in-place renorm)', d);
      assertRowsUnchanged(w, initial, c.rowsNotLookedUp, d, 'row not looked up');
      assertRowsUnchanged(w, initial, c.rowsBelowMaxNorm, d, 'row below maxNorm');
      for (const r of c.rowsRenormalised) {
        const s = r * d;
        assert.ok(w.subarray(s, s + d).some((x, j) => x !== initial[s + j]),
          `row ${r} has norm above maxNorm and must be renormalised`);
      }
      emb.backward(c.indices, f32(c.gradOutput));
      assertClose(rec('grad', emb.denseGrad()), f32(c.expectedGrad), GRAD_TOL, 'dense gradient', d);
    } finally {
      emb.dispose();
    }
  },

  scaleGradByFreq(c, rec) {
    const d = c.embeddingDim;
    const emb = make(c);
    try {
      const out = rec('output', emb.forward(c.indices));
      assertBitEqual(out, f32(c.expectedOutput), 'forward output', d);
      emb.backward(c.indices, f32(c.gradOutput));
      assertClose(rec('grad', emb.denseGrad()), f32(c.expectedGrad), GRAD_TOL, 'dense gradient', d);
    } finally {
      emb.dispose();
    }
  },

  gradAccumulation(c, rec) {
    const d = c.embeddingDim;
    const emb = make(c);
    try {
      for (const s of c.steps) {
        emb.forward(s.indices);
        emb.backward(s.indices, f32(s.gradOutput));
      }
      assertClose(rec('grad', emb.denseGrad()), f32(c.expectedGrad), GRAD_TOL,
        `dense gradient after ${c.steps.length} backward calls`, d);
      if (c.afterZeroGrad) {
        const z = c.afterZeroGrad;
        emb.zeroGrad();
        const zero = rec('grad after zeroGrad', emb.denseGrad());
        checkShape(zero, c.expectedGrad, 'dense gradient after zeroGrad');
        assertRowsExactlyZero(zero, [...Array(c.numEmbeddings).keys()], d,
          'dense gradient after zeroGrad');
        emb.forward(z.indices);
        emb.backward(z.indices, f32(z.gradOutput));
        assertClose(rec('grad after zeroGrad + backward', emb.denseGrad()), f32(z.expectedGrad),
          GRAD_TOL, 'dense gradient after zeroGrad + one backward', d);
      }
    } finally {
      emb.dispose();
    }
  },

  sgd(c, rec) {
    const d = c.embeddingDim;
    const emb = make(c);
    let opt;
    try {
      opt = new SGD([emb], { ...c.sgdOptions });
      c.steps.forEach((s, k) => {
        if ('lr' in s) opt.lr = s.lr;
        opt.zeroGrad();
        emb.forward(s.indices);
        emb.backward(s.indices, f32(s.gradOutput));
        opt.step();
        const w = rec(`weight after step ${k + 1}`, emb.weight);
        assertClose(w, f32(s.expectedWeight), SGD_TOL,
          `weight after step ${k + 1}${'lr' in s ? ` (lr set to ${s.lr})` : ''}`, d);
      });
    } finally {
      if (opt && typeof opt.dispose === 'function') opt.dispose();
      emb.dispose();
    }
  },
};

// ------------------------------------------------------------------------------ tests
const cases = GROUPS.flatMap((group) => {
  assert.ok(Array.isArray(fixtures[group]) && fixtures[group].length > 0, `fixture group ${group}`);
  return fixtures[group].map((c) => ({ group, c, key: `${group} ${c.name}` }));
});

const results = new Map(BUILDS.map((b) => [b.label, new Map()]));  // build -> key -> Map(label -> copy)

for (const build of BUILDS) {
  test(`${build.label} build against PyTorch ${fixtures.torchVersion}`, async (t) => {
    await t.test(`${build.label}: init`, async () => {
      const info = await init({ simd: build.simd });
      assert.equal(info?.simd, build.simd, `init({ simd: ${build.simd} }) reports simd`);
    });
    for (const { group, c, key } of cases) {
      await t.test(`${build.label}: ${key}`, () => {
        const recorded = new Map();
        results.get(build.label).set(key, recorded);
        const rec = (label, arr) => {
          recorded.set(label, arr instanceof Float32Array ? arr.slice() : arr);
          return arr;
        };
        runners[group](c, rec);
      });
    }
  });
}

test('simd and scalar builds agree bit for bit', async (t) => {
  const [a, b] = BUILDS.map((x) => results.get(x.label));
  for (const { key, c } of cases) {
    await t.test(`simd vs scalar: ${key}`, (st) => {
      const ra = a.get(key);
      const rb = b.get(key);
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
