// Optimizers against PyTorch: replays the adagrad, sparseAdam, sgd, lazy and mixedParams groups
// of tests/fixtures/bag_optim.json (written by tests/fixtures/generate_bag_optim.py from torch
// 1.13) in both builds, then SIMD vs scalar bit identity; RowwiseAdagrad (not in PyTorch)
// against a float64 reference written here from FBGEMM's formula; frozen parameters skipped;
// lr changed between steps; Embedding and EmbeddingBag in one optimizer.
//
//   node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, Embedding, EmbeddingBag, SGD, Adagrad, SparseAdam, RowwiseAdagrad } from 'wasm-embedding';
import { BUILDS, f32, assertBitEqual, assertClose } from './helpers.mjs';

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/bag_optim.json', import.meta.url), 'utf8'));

const OPTIMIZERS = { SGD, Adagrad, SparseAdam, RowwiseAdagrad };

const STEP_TOL = { abs: 1e-5, rel: 1e-5 };       // per step, a few steps
const LONG_TOL = { abs: 2e-5, rel: 2e-5 };       // 200 steps (lazy catch-up in closed form / replay)
const ROWWISE_TOL = { abs: 1e-5, rel: 1e-5 };    // float32 library vs float64 reference

// ------------------------------------------------------------------------------ helpers

function embeddingOf(c) {
  return Embedding.fromPretrained(f32(c.weight), { embeddingDim: c.embeddingDim, freeze: false, ...c.options });
}

/** The 200-step cases' gradOutput (exact in float32): see gradOutputRule in the fixture. */
function lazyGradOutput(step, n, d) {
  const g = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) g[i * d + j] = (((step * 7 + i * 13 + j * 5) % 17) - 8) / 8;
  }
  return g;
}

// --------------------------------------------------------------------------- runners
// Each runner records every array it obtains from the library into `rec` (label -> array)
// before asserting on it, for the SIMD-vs-scalar comparison.

/** One Embedding, an optimizer, every step checked (groups adagrad, sparseAdam, sgd). */
function runSteps(Opt, c, rec) {
  const d = c.embeddingDim;
  const emb = embeddingOf(c);
  let opt;
  try {
    opt = new Opt([emb], { ...c.optimizerOptions });
    c.steps.forEach((s, k) => {
      if ('lr' in s) {
        opt.lr = s.lr;
        assert.equal(opt.lr, s.lr, 'opt.lr reads back what was set');
      }
      opt.zeroGrad();
      emb.forward(s.indices);
      emb.backward(s.indices, f32(s.gradOutput));
      opt.step();
      const w = rec(`weight after step ${k + 1}`, emb.weight);
      assertClose(w, f32(s.expectedWeight), STEP_TOL,
        `weight after step ${k + 1}${'lr' in s ? ` (lr set to ${s.lr})` : ''}`, d);
    });
    if (c.optimizerOptions.weightDecay === undefined && Opt !== SGD) {
      // lazy by construction: rows never touched are exactly as they were
      const w = emb.weight;
      const w0 = f32(c.weight);
      for (const r of c.rowsNeverTouched) {
        assertBitEqual(w.subarray(r * d, (r + 1) * d), w0.subarray(r * d, (r + 1) * d),
          `row ${r} never touched (no weight decay) must be bit-identical`);
      }
    }
  } finally {
    if (opt) opt.dispose();
    emb.dispose();
  }
}

/**
 * 200 steps; the weight is read only at the checkpoints (readEvery: also read it every so
 * many steps, which makes the lazy rows catch up at other moments: same result).
 */
function runLazy(c, rec, readEvery = 0) {
  const d = c.embeddingDim;
  const emb = embeddingOf(c);
  const Opt = OPTIMIZERS[c.optimizer];
  let opt;
  try {
    opt = new Opt([emb], { ...c.optimizerOptions });
    const checkpoints = new Map(c.checkpoints.map((cp) => [cp.step, cp]));
    assert.equal(c.stepIndices.length, c.numSteps);
    for (let s = 1; s <= c.numSteps; s++) {
      const indices = c.stepIndices[s - 1];
      opt.zeroGrad();
      emb.forward(indices);
      emb.backward(indices, lazyGradOutput(s, indices.length, d));
      opt.step();
      if (checkpoints.has(s)) {
        const label = `weight after step ${s}${readEvery ? ` (read every ${readEvery} steps)` : ''}`;
        const w = rec(label, emb.weight);
        assertClose(w, f32(checkpoints.get(s).expectedWeight), LONG_TOL, label, d);
      } else if (readEvery && s % readEvery === 0) {
        emb.weight; // forces every owed update now
      }
    }
  } finally {
    if (opt) opt.dispose();
    emb.dispose();
  }
}

function makeParam(p) {
  const Cls = p.kind === 'EmbeddingBag' ? EmbeddingBag : Embedding;
  return Cls.fromPretrained(f32(p.weight), { embeddingDim: p.embeddingDim, freeze: p.freeze, ...p.options });
}

/** One optimizer over an Embedding, an EmbeddingBag and a frozen Embedding. */
function runMixed(c, rec) {
  const params = c.params.map(makeParam);
  const Opt = OPTIMIZERS[c.optimizer];
  let opt;
  try {
    c.params.forEach((p, i) => assert.equal(params[i].requiresGrad, !p.freeze, `params[${i}] requiresGrad`));
    opt = new Opt(params, { ...c.optimizerOptions });
    c.steps.forEach((s, k) => {
      opt.zeroGrad();
      s.inputs.forEach((inp, i) => {
        if (inp === null) return;
        const t = params[i];
        if (t instanceof EmbeddingBag) {
          t.forward(inp.indices, inp.offsets);
          t.backward(inp.indices, inp.offsets, f32(inp.gradOutput));
        } else {
          t.forward(inp.indices);
          t.backward(inp.indices, f32(inp.gradOutput));
        }
      });
      opt.step();
      s.expectedWeights.forEach((expected, i) => {
        const p = c.params[i];
        const label = `${p.kind}${p.freeze ? ' (frozen)' : ''} params[${i}] weight after step ${k + 1}`;
        const w = rec(label, params[i].weight);
        if (p.freeze) assertBitEqual(w, f32(p.weight), `${label}: frozen, must not move`, p.embeddingDim);
        else assertClose(w, f32(expected), STEP_TOL, label, p.embeddingDim);
      });
    });
  } finally {
    if (opt) opt.dispose();
    params.forEach((p) => p.dispose());
  }
}

// ------------------------------------------------------------------------- fixture tests
const SHORT = { adagrad: Adagrad, sparseAdam: SparseAdam, sgd: SGD };
const cases = [
  ...Object.entries(SHORT).flatMap(([group, Opt]) =>
    fixtures[group].map((c) => ({ key: `${group} ${c.name}`, c, run: (rec) => runSteps(Opt, c, rec) }))),
  ...fixtures.lazy.map((c) => ({ key: `lazy ${c.name}`, c, run: (rec) => runLazy(c, rec) })),
  ...fixtures.lazy.map((c) => ({ key: `lazy ${c.name}, weight read every 7 steps`, c, run: (rec) => runLazy(c, rec, 7) })),
  ...fixtures.mixedParams.map((c) => ({ key: `mixedParams ${c.name}`, c, run: (rec) => runMixed(c, rec) })),
];
for (const g of [...Object.keys(SHORT), 'lazy', 'mixedParams']) {
  assert.ok(Array.isArray(fixtures[g]) && fixtures[g].length > 0, `fixture group ${g}`);
}

const results = new Map(BUILDS.map((b) => [b.label, new Map()]));

for (const build of BUILDS) {
  test(`${build.label} build: optimizers against PyTorch ${fixtures.torchVersion}`, async (t) => {
    await t.test(`${build.label}: init`, async () => {
      const info = await init({ simd: build.simd });
      assert.equal(info?.simd, build.simd, `init({ simd: ${build.simd} }) reports simd`);
    });
    for (const { key, run } of cases) {
      await t.test(`${build.label}: ${key}`, () => {
        const recorded = new Map();
        results.get(build.label).set(key, recorded);
        run((label, arr) => {
          recorded.set(label, arr instanceof Float32Array ? arr.slice() : arr);
          return arr;
        });
      });
    }
  });
}

test('optimizers: simd and scalar builds agree bit for bit', async (t) => {
  const [a, b] = BUILDS.map((x) => results.get(x.label));
  for (const { key } of cases) {
    await t.test(`simd vs scalar: ${key}`, (st) => {
      const ra = a.get(key);
      const rb = b.get(key);
      const labels = ra && rb ? [...ra.keys()].filter((l) => rb.has(l)) : [];
      if (labels.length === 0) {
        st.skip('no results recorded in both builds (see the failing per-build subtests)');
        return;
      }
      for (const l of labels) assertBitEqual(ra.get(l), rb.get(l), `${l}: simd (actual) vs scalar (expected)`);
    });
  }
});

// ------------------------------------------------------------------ RowwiseAdagrad reference
/**
 * FBGEMM's row-wise Adagrad in float64, from the formula: one accumulator G per row; for each
 * row r with a gradient g (length D): g' = g + weightDecay * w_r; G[r] += mean_j(g'_j^2);
 * w_r -= lr * g' / (sqrt(G[r]) + eps). Rows without a gradient do not change.
 */
class RowwiseReference {
  constructor(weight, rows, dim, { lr = 0.01, eps = 1e-10, weightDecay = 0 } = {}) {
    this.w = Float64Array.from(weight);
    this.G = new Float64Array(rows);
    this.dim = dim;
    this.lr = lr;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  /** grads: Map row -> Float64Array(dim), the batch's summed gradient of that row. */
  step(grads) {
    const { w, G, dim, lr, eps, weightDecay } = this;
    for (const [r, g] of grads) {
      const gp = g.map((x, j) => x + weightDecay * w[r * dim + j]);
      G[r] += gp.reduce((s, x) => s + x * x, 0) / dim;
      const m = lr / (Math.sqrt(G[r]) + eps);
      for (let j = 0; j < dim; j++) w[r * dim + j] -= m * gp[j];
    }
  }
}

/** Row gradients (float64) of an Embedding lookup, or of a bag (sum / mean, 1-D + offsets). */
function rowGrads(dim, indices, gradOutput, bag) {
  const grads = new Map();
  const add = (r, src, k, scale) => {
    if (!grads.has(r)) grads.set(r, new Float64Array(dim));
    const g = grads.get(r);
    for (let j = 0; j < dim; j++) g[j] += scale * gradOutput[k * dim + j];
  };
  if (!bag) {
    indices.forEach((r, i) => add(r, gradOutput, i, 1));
  } else {
    const { offsets, mode, paddingIdx = null } = bag;
    offsets.forEach((start, b) => {
      const end = b + 1 < offsets.length ? offsets[b + 1] : indices.length;
      const live = indices.slice(start, end).filter((r) => r !== paddingIdx);
      for (const r of live) add(r, gradOutput, b, mode === 'mean' ? 1 / live.length : 1);
    });
  }
  return grads;
}

// Batches with duplicates, rows left out for several steps, rows never touched (8, 9),
// and lr changed at some steps.
const ROWWISE_STEPS = [
  { indices: [1, 1, 2], offsets: [0, 1] },
  { indices: [4, 7, 7, 7], offsets: [0, 2, 2] },
  { indices: [1, 2, 2, 1], offsets: [0, 3], lr: 0.3 },
  { indices: [0, 0, 5], offsets: [0, 1] },
  { indices: [2, 6, 1], offsets: [0, 1, 2], lr: 0.02 },
  { indices: [4, 4], offsets: [0] },
  { indices: [3, 7, 3, 0, 1], offsets: [0, 2] },
  { indices: [6, 2], offsets: [0, 1], lr: 0.1 },
];

function seededGrad(seed, n) {
  // small deterministic pseudo-random values (exact float32: multiples of 1/64)
  return Float32Array.from({ length: n }, (_, i) => ((((seed * 131 + i * 71) % 97) - 48) / 64));
}

const ROWWISE_CONFIGS = [
  { label: 'defaults', options: {} },
  { label: 'lr 0.1', options: { lr: 0.1 } },
  { label: 'lr 0.1 eps 0.01', options: { lr: 0.1, eps: 0.01 } },
  { label: 'lr 0.1 weightDecay 0.1', options: { lr: 0.1, weightDecay: 0.1 } },
  { label: 'lr 0.05 eps 1e-6 weightDecay 0.5', options: { lr: 0.05, eps: 1e-6, weightDecay: 0.5 } },
];

for (const build of BUILDS) {
  test(`${build.label} build: RowwiseAdagrad against the formula (float64 reference)`, async (t) => {
    await init({ simd: build.simd });
    for (const { label, options } of ROWWISE_CONFIGS) {
      for (const kind of ['Embedding', 'EmbeddingBag sum', 'EmbeddingBag mean', 'both in one optimizer']) {
        await t.test(`${build.label}: RowwiseAdagrad ${label}, ${kind}`, () => {
          const V = 10;
          const D = 5;
          const w0 = Float32Array.from({ length: V * D }, (_, i) => Math.fround(Math.sin(i + 1) * 1.5));
          const useEmb = kind === 'Embedding' || kind.startsWith('both');
          const bagMode = kind.includes('mean') ? 'mean' : 'sum';
          const useBag = kind.startsWith('EmbeddingBag') || kind.startsWith('both');
          const emb = useEmb ? Embedding.fromPretrained(w0, { embeddingDim: D, freeze: false }) : null;
          const bag = useBag ? EmbeddingBag.fromPretrained(w0.map((x) => -x), { embeddingDim: D, freeze: false, mode: bagMode, paddingIdx: 9 }) : null;
          const params = [emb, bag].filter(Boolean);
          const refEmb = useEmb ? new RowwiseReference(w0, V, D, options) : null;
          const refBag = useBag ? new RowwiseReference(w0.map((x) => -x), V, D, options) : null;
          const opt = new RowwiseAdagrad(params, options);
          try {
            ROWWISE_STEPS.forEach((s, k) => {
              if ('lr' in s) {
                opt.lr = s.lr;
                for (const r of [refEmb, refBag]) if (r) r.lr = s.lr;
              }
              opt.zeroGrad();
              if (emb) {
                const g = seededGrad(k + 1, s.indices.length * D);
                emb.forward(s.indices);
                emb.backward(s.indices, g);
                refEmb.step(rowGrads(D, s.indices, g));
              }
              if (bag) {
                // the padding row 9 is looked up at step 2 and must stay as it is
                const indices = k === 1 ? [9, ...s.indices.slice(1)] : s.indices;
                const g = seededGrad(k + 101, s.offsets.length * D);
                bag.forward(indices, s.offsets);
                bag.backward(indices, s.offsets, g);
                refBag.step(rowGrads(D, indices, g, { offsets: s.offsets, mode: bagMode, paddingIdx: 9 }));
              }
              opt.step();
              if (emb) assertClose(emb.weight, refEmb.w, ROWWISE_TOL, `Embedding weight after step ${k + 1}`, D);
              if (bag) assertClose(bag.weight, refBag.w, ROWWISE_TOL, `EmbeddingBag weight after step ${k + 1}`, D);
            });
            // rows that never got a gradient (8, 9; 9 is the bag's padding row, looked up at
            // step 2) are exactly as they were
            for (const [tbl, sign] of [[emb, 1], [bag, -1]]) {
              if (!tbl) continue;
              const w = tbl.weight;
              for (const r of [8, 9]) {
                assertBitEqual(w.subarray(r * D, (r + 1) * D), w0.subarray(r * D, (r + 1) * D).map((x) => sign * x),
                  `row ${r} never got a gradient: unchanged`);
              }
            }
          } finally {
            opt.dispose();
            params.forEach((p) => p.dispose());
          }
        });
      }
    }
  });
}

// ------------------------------------------------------------------ frozen parameters skipped
const SKIP_CONFIGS = [
  ['SGD', { lr: 0.1, momentum: 0.9, weightDecay: 0.1 }],
  ['SGD', { lr: 0.1 }],
  ['Adagrad', { lr: 0.1, weightDecay: 0.1, lrDecay: 0.1 }],
  ['Adagrad', { lr: 0.1 }],
  ['SparseAdam', { lr: 0.1 }],
  ['RowwiseAdagrad', { lr: 0.1, weightDecay: 0.1 }],
];

for (const build of BUILDS) {
  test(`${build.label} build: optimizers skip frozen parameters (Embedding and EmbeddingBag)`, async (t) => {
    await init({ simd: build.simd });
    for (const [name, options] of SKIP_CONFIGS) {
      await t.test(`${build.label}: ${name} ${JSON.stringify(options)}`, () => {
        const w = Float32Array.from({ length: 12 }, (_, i) => i / 4 - 1);
        const frozenEmb = Embedding.fromPretrained(w, { embeddingDim: 3 });                 // freeze: true
        const frozenBag = EmbeddingBag.fromPretrained(w, { embeddingDim: 3, mode: 'sum' });  // freeze: true
        const live = Embedding.fromPretrained(w, { embeddingDim: 3, freeze: false });
        // trained, then frozen: has a gradient, still must be skipped
        const laterFrozen = EmbeddingBag.fromPretrained(w, { embeddingDim: 3, freeze: false, mode: 'mean' });
        const params = [frozenEmb, frozenBag, live, laterFrozen];
        const opt = new OPTIMIZERS[name](params, options);
        try {
          assert.equal(frozenEmb.requiresGrad, false);
          assert.equal(frozenBag.requiresGrad, false);
          for (let k = 0; k < 4; k++) {
            opt.zeroGrad();
            frozenEmb.forward([0, 1]);
            frozenBag.forward([0, 1, 2], [0, 1]);
            live.backward([1, 1, 2], Float32Array.from({ length: 9 }, (_, i) => (i % 4) - 1.5));
            laterFrozen.backward([0, 3], [0, 1], Float32Array.from({ length: 6 }, (_, i) => i - 2.5));
            laterFrozen.requiresGrad = false;
            opt.step();
            laterFrozen.requiresGrad = true;
          }
          laterFrozen.requiresGrad = false;
          opt.step();
          assertBitEqual(frozenEmb.weight, w, `${name}: frozen Embedding unchanged`);
          assertBitEqual(frozenBag.weight, w, `${name}: frozen EmbeddingBag unchanged`);
          assertBitEqual(laterFrozen.weight, w, `${name}: EmbeddingBag frozen before every step (with a gradient) unchanged`);
          assert.ok(live.weight.some((x, i) => x !== w[i]), `${name}: the trainable table did move`);
          assert.throws(() => frozenEmb.backward([0], new Float32Array(3)), Error, 'backward on a frozen table throws');
        } finally {
          opt.dispose();
          params.forEach((p) => p.dispose());
        }
      });
    }
  });
}

// ------------------------------------------------------------------ lr between steps (API)
test('lr: readable, settable between steps; a bad lr is rejected and changes nothing', async () => {
  await init();
  const emb = Embedding.fromPretrained(Float32Array.from([1, 2, 3, 4]), { embeddingDim: 2, freeze: false });
  const opts = [
    new SGD([emb], { lr: 0.1, momentum: 0.9 }),
    new Adagrad([emb], { lr: 0.2 }),
    new SparseAdam([emb], { lr: 0.3 }),
    new RowwiseAdagrad([emb], { lr: 0.4 }),
  ];
  try {
    assert.deepEqual(opts.map((o) => o.lr), [0.1, 0.2, 0.3, 0.4]);
    for (const o of opts) {
      o.lr = 0.05;
      assert.equal(o.lr, 0.05);
      assert.throws(() => { o.lr = -1; }, RangeError);
      assert.throws(() => { o.lr = NaN; }, RangeError);
      assert.equal(o.lr, 0.05, 'a rejected lr leaves the old one');
    }
    assert.equal(new Adagrad([emb]).lr, 0.01, 'Adagrad default lr');
    assert.equal(new SparseAdam([emb]).lr, 0.001, 'SparseAdam default lr');
    assert.equal(new RowwiseAdagrad([emb]).lr, 0.01, 'RowwiseAdagrad default lr');
  } finally {
    opts.forEach((o) => o.dispose());
    emb.dispose();
  }
});

test('dispose: settles owed updates, then step() throws', async () => {
  await init();
  const emb = Embedding.fromPretrained(Float32Array.from([1, 2, 3, 4, 5, 6]), { embeddingDim: 2, freeze: false });
  const opt = new SGD([emb], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
  try {
    for (let k = 0; k < 3; k++) {
      opt.zeroGrad();
      emb.backward([k % 2], Float32Array.from([1, -1]));
      opt.step();
    }
    const before = emb.weight;
    opt.dispose();
    assertBitEqual(emb.weight, before, 'weight after dispose (owed updates applied once)');
    assert.throws(() => opt.step(), /disposed/);
    opt.dispose(); // idempotent
  } finally {
    emb.dispose();
  }
});
