// One forward comparison (one V, d, B, index distribution) in this process: every contender
// gets the same table and the same Int32Array of indices, and must hand back a Float32Array of
// the B rows. Contenders are checked once (rows 0 and B-1 of their output are the table's rows),
// then timed interleaved, medians over repetitions. Run by bench/run.mjs; by hand:
//   node bench/forward.mjs --d 64 --B 4096 --dist uniform
import { init, Embedding } from 'wasm-embedding';
import {
  childArgs, makeIndices, interleave, median, checkForward, report, describeError,
} from './lib/common.mjs';
import { loadTf, useTfBackend, switchTfBackend, loadOrt, loadBare } from './lib/peers.mjs';
import { gatherModel } from './lib/onnx.mjs';

const args = childArgs({ V: 100000, d: 64, B: 4096, dist: 'uniform', reps: 5, targetMs: 60, skip: '' });
const [V, d, B, reps, targetMs] = [args.V, args.d, args.B, args.reps, args.targetMs].map(Number);
const skipNames = new Set(args.skip.split(',').filter(Boolean));

// ---------------------------------------------------------------------------------------------
// The contenders. Each: name (as printed), key (stable id for JSON and columns), setup(ctx)
// resolving to { run, output(), before? } (run: one forward; output(): the Float32Array it
// produced; before: untimed, called ahead of each timing window),
// async: true when run returns a promise, skip(ctx): a reason to leave it out, or null.
// The first one is the baseline of every "time vs ours" ratio.
// ---------------------------------------------------------------------------------------------
const contenders = [
  {
    key: 'ours', name: 'ours: emb.forward(Int32Array, out)',
    setup: ({ emb, indices }) => {
      const out = new Float32Array(B * d);
      return { run: () => emb.forward(indices, out), output: () => out };
    },
  },
  // ── ZERO-COPY PATH (issue #3, item 2) ──────────────────────────────────────────────────
  // Indices go into the batch's wasm memory once, outside the timed loop (as for the bare loop
  // below); run() is one forward; the rows stay in wasm memory (batch.output). Other zero-copy
  // variants go here (and into bench/lib/train-steps.mjs); the tables pick new keys up.
  {
    key: 'oursZeroCopy', name: 'ours zero-copy: batch.forward(B), rows read in place',
    skip: ({ emb }) => (typeof emb.batch === 'function' ? null : 'this build has no emb.batch()'),
    setup: ({ emb, indices }) => {
      const batch = emb.batch(B);
      batch.indices.set(indices);
      let out;
      return { run: () => { out = batch.forward(B); }, output: () => out };
    },
  },
  // ───────────────────────────────────────────────────────────────────────────────────────
  {
    key: 'oursNew', name: 'ours: emb.forward(Int32Array) → new array',
    setup: ({ emb, indices }) => {
      let out;
      return { run: () => { out = emb.forward(indices); }, output: () => out };
    },
  },
  {
    key: 'oursScalar', name: 'ours, scalar build: forward(Int32Array, out)',
    setup: ({ embScalar, indices }) => {
      const out = new Float32Array(B * d);
      return { run: () => embScalar.forward(indices, out), output: () => out };
    },
  },
  {
    key: 'plainJs', name: 'plain JS: out.set(table.subarray(...)) per row',
    setup: ({ table, indices }) => {
      const out = new Float32Array(B * d);
      const run = () => {
        for (let i = 0; i < B; ++i) {
          const r = indices[i] * d;
          out.set(table.subarray(r, r + d), i * d);
        }
      };
      return { run, output: () => out };
    },
  },
  {
    key: 'tfjsWasm', name: 'tfjs-backend-wasm: tf.gather + dataSync',
    setup: (ctx) => tfGather(ctx, 'wasm'),
  },
  {
    key: 'tfjsCpu', name: 'tfjs-backend-cpu: tf.gather + dataSync',
    setup: (ctx) => tfGather(ctx, 'cpu'),
  },
  {
    key: 'ort', name: 'onnxruntime-web: Gather, run + output',
    async: true,
    setup: async ({ table, indices }) => {
      const ort = await loadOrt();
      const session = await ort.InferenceSession.create(gatherModel(table, V, d, 'int32'),
        { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      let out;
      const run = async () => {
        const result = await session.run({ indices: new ort.Tensor('int32', indices, [B]) });
        out = result.out.data; // a Float32Array copied out of ORT's wasm memory
        result.out.dispose();
      };
      return { run, output: () => out };
    },
  },
  {
    key: 'bareSimd', name: 'floor: bare wasm SIMD loop (data in wasm memory)',
    setup: async (ctx) => bare(ctx, (x, p) => x.gather_simd(p.table, p.indices, B, d, p.out)),
  },
  {
    key: 'bareMemcpy', name: 'floor: memory.copy per row (data in wasm memory)',
    setup: async (ctx) => bare(ctx, (x, p) => x.gather_memcpy(p.table, p.indices, B, d, p.out)),
  },
  {
    key: 'bareBound', name: 'bound: one memory.copy of B·d·4 contiguous bytes',
    check: false, // copies a contiguous block, not the rows: nothing to compare
    setup: async (ctx) => bare(ctx, (x, p) => x.copy_bytes(p.out, p.table, B * d * 4)),
  },
];

async function tfGather({ table, indices }, backend) {
  const tf = await loadTf();
  await useTfBackend(tf, backend);
  const t = tf.tensor2d(table, [V, d]);
  let out;
  const run = () => {
    const idx = tf.tensor1d(indices, 'int32');
    const rows = tf.gather(t, idx);
    out = rows.dataSync();
    rows.dispose();
    idx.dispose();
  };
  // tfjs has one active backend and tensors live in the one that made them: switch before
  // each timing window (untimed), never inside it.
  return { run, output: () => out, before: () => switchTfBackend(tf, backend) };
}

async function bare({ table, indices }, call) {
  const m = await loadBare();
  const p = { table: m.put(table), indices: m.put(indices), out: m.alloc(B * d * 4) };
  return { run: () => call(m.exports, p), output: () => m.f32(p.out, B * d) };
}

// ---------------------------------------------------------------------------------------------
const t0 = performance.now();
const indices = makeIndices(V, B, args.dist);
await init({ simd: true });
const emb = new Embedding(V, d, { seed: 1 });
await init({ simd: false });
const embScalar = new Embedding(V, d, { seed: 1 });
await init({ simd: true });
const table = emb.weight;
const ctx = { V, d, B, dist: args.dist, indices, table, emb, embScalar };

const ready = [];
const skipped = {};
for (const c of contenders) {
  if (skipNames.has(c.key)) { skipped[c.key] = { name: c.name, reason: 'skipped by the driver' }; continue; }
  const reason = c.skip?.(ctx);
  if (reason) { skipped[c.key] = { name: c.name, reason }; continue; }
  try {
    const { run, output, before } = await c.setup(ctx);
    before?.();
    if (c.async) await run(); else run();
    if (c.check !== false) checkForward(c.name, output(), table, indices, d);
    ready.push({ ...c, run, before });
  } catch (err) {
    skipped[c.key] = { name: c.name, reason: `failed: ${describeError(err)}` };
  }
}
const setupSeconds = (performance.now() - t0) / 1000;

const samples = await interleave(ready, { reps, targetMs });
const results = ready.map((c) => {
  const xs = samples.get(c.name);
  const t = median(xs);
  return { key: c.key, name: c.name, seconds: t, samples: xs, gigabytesPerSecond: (B * d * 4) / t / 1e9 };
});
report({ kind: 'forward', V, d, B, dist: args.dist, reps, targetMs, node: process.version, setupSeconds, results, skipped });
