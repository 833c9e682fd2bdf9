// The training-step contenders, shared by bench/train.mjs (timing) and bench/memory.mjs (peak
// memory). A step: forward (the B rows, materialised) + backward with d(loss)/d(out) = G + a
// plain SGD update. setup(ctx) resolves to { run, row(i), before? }: run is one step, row(i)
// reads row i of the contender's table (for the check), before() runs untimed ahead of each
// timing window. ctx: { indices, G, table? }: with table (a Float32Array) every contender starts
// from a copy of it; without, each makes its own table its idiomatic way (the memory benchmark).
// The first contender is the baseline of every "time vs ours" ratio.
import { Embedding, SGD } from 'wasm-embedding';
import { randomFloats } from './common.mjs';
import { loadTf, useTfBackend, switchTfBackend } from './peers.mjs';

// tfjs-backend-cpu's own gradient of tf.gather (an UnsortedSegmentSum over V segments) costs
// O(V * B * d): timed once on a tiny table (bench/train.mjs --probe) and run only where the
// extrapolated step is shorter than this.
export const TF_CPU_BUILTIN_LIMIT_S = 5;

/** probe(): { V, seconds } of one builtin-gradient step on a tiny table, or null. */
export function trainContenders({ V, d, B, lr, probe = () => null }) {
  return [
    {
      key: 'ours', name: 'ours: forward(idx, out) + backward + SGD.step + zeroGrad',
      setup: ({ indices, G }) => {
        const emb = new Embedding(V, d, { seed: 1 }); // the same table as ctx.table (same seed)
        const opt = new SGD([emb], { lr });
        const out = new Float32Array(B * d);
        const run = () => {
          emb.forward(indices, out);
          emb.backward(indices, G);
          opt.step();
          opt.zeroGrad();
        };
        return { run, row: (i) => emb.lookup(i) };
      },
    },
    // ── ZERO-COPY PATH (issue #3, item 2) ──────────────────────────────────────────────────
    // Indices and G go into the batch's wasm memory once, outside the timed loop; a step is
    // forward, backward, SGD step and zeroGrad through it. Other zero-copy variants go here.
    {
      key: 'oursZeroCopy', name: 'ours zero-copy: batch.forward + batch.backward + SGD.step + zeroGrad',
      skip: () => (typeof Embedding.prototype.batch === 'function' ? null : 'this build has no emb.batch()'),
      setup: ({ indices, G }) => {
        const emb = new Embedding(V, d, { seed: 1 });
        const opt = new SGD([emb], { lr });
        const batch = emb.batch(B);
        batch.indices.set(indices);
        batch.gradOutput.set(G);
        const run = () => {
          batch.forward(B);
          batch.backward(B);
          opt.step();
          opt.zeroGrad();
        };
        return { run, row: (i) => emb.lookup(i) };
      },
    },
    // ───────────────────────────────────────────────────────────────────────────────────────
    {
      key: 'plainJs', name: 'plain JS: out.set per row + sparse update by hand',
      setup: ({ table, indices, G }) => {
        const w = table ? table.slice() : randomFloats(V * d, 1);
        const out = new Float32Array(B * d);
        const run = () => {
          for (let i = 0; i < B; ++i) out.set(w.subarray(indices[i] * d, indices[i] * d + d), i * d);
          // Plain SGD is linear: updating once per occurrence equals summing duplicates first.
          for (let i = 0; i < B; ++i) {
            const r = indices[i] * d, g = i * d;
            for (let j = 0; j < d; ++j) w[r + j] -= lr * G[g + j];
          }
        };
        return { run, row: (i) => w.slice(i * d, i * d + d) };
      },
    },
    {
      key: 'tfjsWasm', name: 'tfjs-backend-wasm: gather + scatterND gradient + dense update',
      setup: (ctx) => tfStep(ctx, { V, d, B, lr }, 'wasm', 'scatterND'),
    },
    {
      key: 'tfjsCpu', name: 'tfjs-backend-cpu: gather + scatterND gradient + dense update',
      setup: (ctx) => tfStep(ctx, { V, d, B, lr }, 'cpu', 'scatterND'),
    },
    {
      key: 'tfjsCpuBuiltin', name: "tfjs-backend-cpu: tf.gather's own gradient (unsortedSegmentSum)",
      skip: () => {
        const p = probe();
        if (!p) return 'not probed in this run';
        const estimate = p.seconds * (V / p.V);
        return estimate > TF_CPU_BUILTIN_LIMIT_S
          ? { reason: `too slow: its gradient took ${p.seconds.toFixed(2)} s at V = ${p.V} and grows with V: ≈ ${Math.round(estimate)} s a step here`, estimate }
          : null;
      },
      setup: (ctx) => tfStep(ctx, { V, d, B, lr }, 'cpu', 'builtin'),
    },
  ];
}

/**
 * tfjs: the table is a tf.variable. tf.gather's registered gradient is an UnsortedSegmentSum of
 * the output gradient over V segments; the wasm backend has no such kernel, so there the
 * gradient is scatterND (which sums duplicates into a dense V x d tensor). 'builtin' calls
 * tf.unsortedSegmentSum itself (the gradient registry is not part of tfjs-core's Node bundle;
 * the kernel is the same). The update is tf.train.sgd's: table.assign(table + (-lr) * grad),
 * dense, with -lr * G folded in beforehand.
 */
async function tfStep({ table, indices, G }, { V, d, B, lr }, backend, gradient) {
  const tf = await loadTf();
  await useTfBackend(tf, backend);
  const initial = table ? tf.tensor2d(table, [V, d]) : tf.randomNormal([V, d]);
  const w = tf.variable(initial);
  initial.dispose(); // the variable holds its own reference to the data
  const minusLrG = tf.tidy(() => tf.mul(tf.tensor2d(G, [B, d]), tf.scalar(-lr)));
  let out;
  const run = () => {
    tf.tidy(() => {
      const idx = tf.tensor1d(indices, 'int32');
      out = tf.gather(w, idx).dataSync(); // the forward, read back as everyone else's
      const step = gradient === 'scatterND'
        ? tf.scatterND(tf.reshape(idx, [B, 1]), minusLrG, [V, d])
        : tf.unsortedSegmentSum(minusLrG, idx, V);
      w.assign(tf.add(w, step));
    });
  };
  const row = (i) => tf.tidy(() => tf.slice(w, [i, 0], [1, d]).dataSync());
  return { run, row, before: () => switchTfBackend(tf, backend), tf };
}
