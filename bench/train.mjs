// One training-step comparison (one V; B = 4096, d = 64 by default) in this process. A step is
// forward (the B rows, materialised) + the loss gradient + backward + a plain SGD update, with
// loss = sum(out * G) for a fixed G, so d(loss)/d(out) = G and nobody needs to evaluate the loss.
// Each contender trains its own copy of the same table on the same indices; after its first step
// row indices[0] must equal  w0 - lr * (sum of G's rows at the positions holding that index).
// The contenders are in bench/lib/train-steps.mjs (shared with bench/memory.mjs).
//   node bench/train.mjs --V 100000
import { init, Embedding } from 'wasm-embedding';
import {
  childArgs, makeIndices, randomFloats, interleave, median, expectClose, report, describeError,
} from './lib/common.mjs';
import { loadTf, useTfBackend } from './lib/peers.mjs';
import { trainContenders } from './lib/train-steps.mjs';

const args = childArgs({ V: 100000, d: 64, B: 4096, lr: 0.01, reps: 5, targetMs: 100, skip: '', probe: '' });
const [V, d, B, lr, reps, targetMs] = [args.V, args.d, args.B, args.lr, args.reps, args.targetMs].map(Number);
const skipNames = new Set(args.skip.split(',').filter(Boolean));

const t0 = performance.now();
const indices = makeIndices(V, B, 'uniform');
const G = randomFloats(B * d, 11);
await init({ simd: true });
const table = new Embedding(V, d, { seed: 1 });
const ctx = { V, d, B, indices, G, table: table.weight };
table.dispose();

// What one step does to row indices[0] (float64 sum, compared with a tolerance).
const i0 = indices[0];
const expected = Float64Array.from(ctx.table.subarray(i0 * d, i0 * d + d));
for (let i = 0; i < B; ++i) {
  if (indices[i] !== i0) continue;
  for (let j = 0; j < d; ++j) expected[j] -= lr * G[i * d + j];
}

// --probe run: time the builtin gradient once here; --probe V:seconds: a probe from an earlier run.
let tfCpuBuiltinProbe = null;
const notes = [];
if (/^\d+:[\d.]+$/.test(args.probe)) {
  const [pV, seconds] = args.probe.split(':').map(Number);
  tfCpuBuiltinProbe = { V: pV, seconds };
} else if (args.probe === 'run' && !skipNames.has('tfjsCpuBuiltin')) {
  try {
    const tf = await loadTf();
    await useTfBackend(tf, 'cpu');
    const pV = 100;
    const seconds = tf.tidy(() => {
      const idx = tf.tensor1d(makeIndices(pV, B, 'uniform'), 'int32');
      const g = tf.tensor2d(G, [B, d]);
      const start = performance.now();
      tf.unsortedSegmentSum(g, idx, pV).dataSync();
      return (performance.now() - start) / 1000;
    });
    tfCpuBuiltinProbe = { V: pV, seconds };
    notes.push(`tfjs-backend-cpu: the kernel of tf.gather's own gradient (unsortedSegmentSum) took ${seconds.toFixed(2)} s for one step at V = ${pV}, B = ${B}, d = ${d}`);
  } catch (err) {
    notes.push(`tfjs-backend-cpu builtin probe failed: ${describeError(err)}`);
  }
}

const contenders = trainContenders({ V, d, B, lr, probe: () => tfCpuBuiltinProbe });
const ready = [];
const skipped = {};
for (const c of contenders) {
  if (skipNames.has(c.key)) { skipped[c.key] = { name: c.name, reason: 'skipped by the driver' }; continue; }
  const reason = c.skip?.(ctx);
  if (reason) { skipped[c.key] = { name: c.name, ...(typeof reason === 'string' ? { reason } : reason) }; continue; }
  try {
    const { run, row, before } = await c.setup(ctx);
    before?.();
    run();
    expectClose(`${c.name}: row ${i0} after one step`, row(i0), expected, 1e-5);
    ready.push({ ...c, run, before });
  } catch (err) {
    skipped[c.key] = { name: c.name, reason: `failed: ${describeError(err)}` };
  }
}
const setupSeconds = (performance.now() - t0) / 1000;

const samples = await interleave(ready, { reps, targetMs });
const results = ready.map((c) => ({ key: c.key, name: c.name, seconds: median(samples.get(c.name)), samples: samples.get(c.name) }));
report({ kind: 'train', V, d, B, lr, reps, targetMs, node: process.version, setupSeconds, results, skipped, notes, tfCpuBuiltinProbe });
