// The training runs of the checkpoint tests (checkpoint.test.mjs, and checkpoint-child.mjs in a
// new process): each option mix, its tables, and deterministic steps.
// Every mix trains an Embedding (padding, and on alternate mixes maxNorm or scaleGradByFreq),
// an EmbeddingBag ('sum' with per-sample weights, an empty bag) and a frozen table, in one
// optimizer whose lr changes before step 2 and before step 4.
export const MIXES = [
  { optimizer: 'SGD', options: { lr: 0.1 } },
  { optimizer: 'SGD', options: { lr: 0.1, momentum: 0.9 } },
  { optimizer: 'SGD', options: { lr: 0.05, momentum: 0.8, dampening: 0.2, weightDecay: 0.01 } },
  { optimizer: 'SGD', options: { lr: 0.05, momentum: 0.9, nesterov: true, maximize: true } },
  { optimizer: 'SGD', options: { lr: 0.1, weightDecay: 0.02 } },
  { optimizer: 'Adagrad', options: { lr: 0.1 } },
  { optimizer: 'Adagrad', options: { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1, eps: 1e-6 } },
  { optimizer: 'Adagrad', options: { lr: 0.1, weightDecay: 0.01 } },
  { optimizer: 'SparseAdam', options: { lr: 0.01, betas: [0.8, 0.99] } },
  { optimizer: 'RowwiseAdagrad', options: { lr: 0.1, weightDecay: 0.01 } },
];

/** lib: the package's exports. Returns { tables, optimizers } for mix. */
export function makeSetup(lib, mix) {
  const k = MIXES.indexOf(mix);
  const emb = new lib.Embedding(40, 5, { seed: 11, paddingIdx: 3, ...(k % 2 ? { maxNorm: 2.5 } : { scaleGradByFreq: true }) });
  const bag = new lib.EmbeddingBag(30, 5, { seed: 12, mode: 'sum' });
  const frozen = new lib.Embedding(10, 5, { seed: 13 });
  frozen.requiresGrad = false;
  const opt = new lib[mix.optimizer]([emb, bag, frozen], mix.options);
  return { tables: { emb, bag, frozen }, optimizers: { opt }, lr: mix.options.lr };
}

const ramp = (n, seed) => Float32Array.from({ length: n }, (_, i) => (((i * 7 + seed * 13) % 23) - 11) / 8);

/** Steps [from, to) of the deterministic training run. */
export function train({ tables: { emb, bag }, optimizers: { opt }, lr }, from, to) {
  for (let step = from; step < to; ++step) {
    opt.lr = lr * (step >= 2 ? 0.5 : 1) * (step >= 4 ? 0.5 : 1);
    opt.zeroGrad();
    const idx = Array.from({ length: 12 }, (_, i) => (i === 4 ? 3 : (i * 5 + step * 7) % (i % 3 ? 40 : 6)));
    emb.forward(idx);
    emb.backward(idx, ramp(12 * 5, step));
    const bagIdx = Array.from({ length: 9 }, (_, i) => (i * 11 + step * 3) % 30);
    const offsets = [0, 4, 4, 7];
    const weights = ramp(9, step + 1);
    bag.forward(bagIdx, offsets, weights);
    bag.backward(bagIdx, offsets, ramp(4 * 5, step + 2), weights);
    opt.step();
  }
}
