// Training with rotating batches, as an epoch has, against PyTorch in the same run: each step is
//   opt.zeroGrad(); emb.forward(idx, out); emb.backward(idx, G); opt.step()
// with idx the next of 16 random batches (B = 4096 uniform indices, d = 64) and a fixed G.
// Contenders: ours (copying API), ours zero-copy (emb.batch), PyTorch 1.13 nn.Embedding with
// sparse=True and sparse=False (1 thread, bench/torch_bench.py serve). Every phase is timed
// (zeroGrad, forward, backward, step); timing windows of about targetMs alternate between the
// contenders, the order rotating, and the tables show medians over the repetitions. Ours minus
// zero-copy is what the copying API's JS costs (index and gradOutput copies in, rows out).
// --clock cpu (the default) times each process's CPU time (Node's process.cpuUsage, Python's
// time.process_time), less the cost of a clock read: on a machine shared with other work, time
// spent waiting for a core is not counted. --clock wall times wall-clock time.
// The floors (--floors, on by default): a bare wasm SIMD loop (bench/bare.c, in this process,
// its data in its own wasm memory) and a bare native C loop (bench/bare_native.c, a child served
// like PyTorch's), each doing per step the least any implementation must: forward gathers the
// batch's rows, step subtracts lr·G[i] from row idx[i] for each i in order (no coalescing, no
// checks, no gradient kept). --ahead K1,K2 adds wasm floors whose gather touches row idx[i+K]
// before copying row i (K rows in flight).
// --baseline DIR adds the package built in DIR (its node.js and .wasm files, e.g. a copy of an
// older dist/) as one more contender, for before/after figures in one run.
//   node bench/train-rotating.mjs [--V 10000,100000,1000000] [--optimizers sgd,momentum,adagrad,sparseAdam]
//                                 [--reps 7] [--targetMs 100] [--phases] [--dense false] [--baseline DIR] [--clock cpu|wall]
//                                 [--floors false] [--ahead 4,8,16]
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as wasmEmbedding from 'wasm-embedding';
import { DATA, makeIndices, median, randomFloats, report, describeError } from './lib/common.mjs';
import { startTorchWorker, torchVersion } from './lib/torch-worker.mjs';
import { buildBareNative, buildBareWasm, startLineWorker } from './lib/floors.mjs';
import { loadBare } from './lib/peers.mjs';

const { values: args } = parseArgs({
  options: {
    V: { type: 'string', default: '10000,100000,1000000' },
    optimizers: { type: 'string', default: 'sgd,momentum,adagrad,sparseAdam' },
    reps: { type: 'string', default: '7' },
    targetMs: { type: 'string', default: '100' },
    phases: { type: 'boolean', default: false },
    dense: { type: 'string', default: 'true' },
    baseline: { type: 'string' },
    clock: { type: 'string', default: 'cpu' },
    floors: { type: 'string', default: 'true' },
    ahead: { type: 'string', default: '' },
  },
});
const SIZES = args.V.split(',').map(Number);
const REPS = Number(args.reps);
const TARGET_MS = Number(args.targetMs);
const d = 64, B = 4096, BATCHES = 16;
if (!['cpu', 'wall'].includes(args.clock)) throw new Error(`--clock must be cpu or wall, got ${args.clock}`);
// Milliseconds, and what reading the clock itself costs (subtracted from every phase).
const clock = args.clock === 'cpu' ? () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; } : () => performance.now();
const CLOCK_COST = (() => {
  const reads = [];
  for (let i = 0; i < 1000; ++i) { const t = clock(); reads.push(clock() - t); }
  return median(reads);
})();
const PHASES = ['zeroGrad', 'forward', 'backward', 'step'];

// Each optimizer with the same options on both sides (PyTorch's names in torch_bench.py).
const OPTIMIZERS = {
  sgd: { name: 'SGD lr 0.01', options: { lr: 0.01 }, class: 'SGD' },
  momentum: { name: 'SGD lr 0.01, momentum 0.9', options: { lr: 0.01, momentum: 0.9 }, class: 'SGD' },
  adagrad: { name: 'Adagrad lr 0.01', options: { lr: 0.01 }, class: 'Adagrad' },
  sparseAdam: { name: 'SparseAdam lr 0.001', options: { lr: 0.001 }, class: 'SparseAdam', noDense: 'SparseAdam takes sparse gradients only' },
};
const AHEAD = args.ahead ? args.ahead.split(',').map(Number) : [];
const LABELS = {
  ours: 'ours', oursZeroCopy: 'ours zero-copy', oursBaseline: `baseline (${args.baseline})`, torchSparse: 'PyTorch sparse', torchDense: 'PyTorch dense',
  floorWasm: 'floor: bare wasm SIMD', floorNative: 'floor: bare native C',
  ...Object.fromEntries(AHEAD.map((k) => [`floorWasmAhead${k}`, `floor: bare wasm, ${k} rows ahead`])),
};

await wasmEmbedding.init({ simd: true });
const baseline = args.baseline ? await import(pathToFileURL(resolve(args.baseline, 'node.js')).href) : null;
await baseline?.init({ simd: true });
const torch = torchVersion();
const worker = torch ? startTorchWorker() : null;
const G = randomFloats(B * d, 11);
const floors = args.floors === 'true';
const log = (m) => process.stderr.write(`  … ${m}\n`);
const bare = floors ? (buildBareWasm(log), await loadBare()) : null;
const nativeExe = floors ? buildBareNative(log) : null;
const native = nativeExe ? startLineWorker(nativeExe) : null;
mkdirSync(DATA, { recursive: true });
const gradFile = fileURLToPath(new URL(`grad-B${B}-d${d}.f32`, DATA));
writeFileSync(gradFile, new Uint8Array(G.buffer));

/** Our contender (lib: the package), with window(ms) timing each phase of its steps. */
function ours(lib, key, V, opt, batches, zeroCopy) {
  const emb = new lib.Embedding(V, d, { seed: 1 });
  const optimizer = new lib[OPTIMIZERS[opt].class]([emb], OPTIMIZERS[opt].options);
  const out = new Float32Array(B * d);
  const batch = zeroCopy ? emb.batch(B) : null;
  if (batch) batch.gradOutput.set(G); // a real loop writes its loss gradient there
  let k = 0;
  const step = (ph) => {
    const idx = batches[k++ % BATCHES];
    const t0 = clock();
    optimizer.zeroGrad();
    const t1 = clock();
    if (batch) {
      batch.indices.set(idx);
      batch.forward(B);
    } else {
      emb.forward(idx, out);
    }
    const t2 = clock();
    if (batch) batch.backward(B);
    else emb.backward(idx, G);
    const t3 = clock();
    optimizer.step();
    const t4 = clock();
    ph[0] += t1 - t0 - CLOCK_COST; ph[1] += t2 - t1 - CLOCK_COST; ph[2] += t3 - t2 - CLOCK_COST; ph[3] += t4 - t3 - CLOCK_COST;
  };
  // Checked once: plain SGD moves row idx[0] by exactly -lr times its summed gradient.
  if (opt === 'sgd') {
    const r = batches[0][0];
    const want = Float64Array.from(emb.lookup(r));
    for (let i = 0; i < B; ++i) if (batches[0][i] === r) for (let j = 0; j < d; ++j) want[j] -= 0.01 * G[i * d + j];
    step([0, 0, 0, 0]);
    const got = emb.lookup(r);
    const j = want.findIndex((w, c) => !(Math.abs(got[c] - w) <= 1e-5 * Math.max(1, Math.abs(w))));
    if (j >= 0) throw new Error(`${LABELS[key]}: row ${r}[${j}] = ${got[j]} after one step, expected ${want[j]}`);
  }
  const window = (targetMs) => {
    const ph = [0, 0, 0, 0];
    let steps = 0;
    while (steps === 0 || ph[0] + ph[1] + ph[2] + ph[3] < targetMs) {
      step(ph);
      ++steps;
    }
    return { steps, phases: Object.fromEntries(PHASES.map((p, i) => [p, ph[i] / 1000])) };
  };
  return { window, dispose: () => { batch?.dispose(); optimizer.dispose(); emb.dispose(); } };
}

/** The bare wasm floor (bench/bare.c): gather, then sgd_scatter, per step; ahead > 0 touches rows ahead. */
function wasmFloor(V, batches, ahead) {
  const x = bare.exports;
  x.bench_reset();
  const table = bare.alloc(V * d * 4);
  bare.f32(table, V * d).fill(0.5);  // every page backed, as our table's are
  const idx = bare.alloc(BATCHES * B * 4);
  batches.forEach((b, k) => new Int32Array(x.memory.buffer, idx + k * B * 4, B).set(b));
  const grad = bare.put(G);
  const out = bare.alloc(B * d * 4);
  let k = 0;
  const window = (targetMs) => {
    let fwd = 0, upd = 0, steps = 0;
    while (steps === 0 || fwd + upd < targetMs) {
      const at = idx + (k++ % BATCHES) * B * 4;
      const t0 = clock();
      if (ahead > 0) x.gather_ahead(table, at, B, d, out, ahead);
      else x.gather_simd(table, at, B, d, out);
      const t1 = clock();
      x.sgd_scatter(table, at, B, d, grad, 0.01);
      const t2 = clock();
      fwd += t1 - t0 - CLOCK_COST; upd += t2 - t1 - CLOCK_COST;
      ++steps;
    }
    return { steps, phases: { zeroGrad: 0, forward: fwd / 1000, backward: 0, step: upd / 1000 } };
  };
  return { window };
}

/** Runs one (optimizer, V) cell: every contender set up, warmed up, then interleaved windows. */
async function cell(opt, V) {
  const batches = Array.from({ length: BATCHES }, (_, k) => makeIndices(V, B, 'uniform', k + 1));
  const contenders = [];
  const skipped = {};
  const mine = [['ours', wasmEmbedding, false], ['oursZeroCopy', wasmEmbedding, true]];
  if (baseline) mine.push(['oursBaseline', baseline, false]);
  for (const [key, lib, zeroCopy] of mine) {
    try {
      const c = ours(lib, key, V, opt, batches, zeroCopy);
      contenders.push({ key, window: async (ms) => c.window(ms), dispose: c.dispose });
    } catch (err) {
      skipped[key] = `failed: ${describeError(err)}`;
    }
  }
  if (bare && opt === 'sgd') {
    for (const k of [0, ...AHEAD]) {
      const key = k ? `floorWasmAhead${k}` : 'floorWasm';
      const f = wasmFloor(V, batches, k);
      contenders.push({ key, window: async (ms) => f.window(ms) });
    }
  }
  if (native && opt === 'sgd') {
    const indicesFile = fileURLToPath(new URL(`rotating-V${V}-B${B}.i32`, DATA));
    const all = new Uint8Array(BATCHES * B * 4);
    batches.forEach((b, k) => all.set(new Uint8Array(b.buffer), k * B * 4));
    writeFileSync(indicesFile, all);
    try {
      await native.request(`setup ${V} ${d} ${B} ${BATCHES} ${indicesFile} ${gradFile} ${args.clock} 0`);
      contenders.push({ key: 'floorNative', window: (ms) => native.request(`window ${ms}`) });
    } catch (err) {
      skipped.floorNative = `failed: ${describeError(err)}`;
    }
  }
  if (worker) {
    const keys = ['torchSparse'];
    if (args.dense === 'true' && !OPTIMIZERS[opt].noDense) keys.push('torchDense');
    else skipped.torchDense = OPTIMIZERS[opt].noDense ?? 'not run (--dense false)';
    const all = new Uint8Array(BATCHES * B * 4);
    batches.forEach((b, k) => all.set(new Uint8Array(b.buffer), k * B * 4));
    const indicesFile = fileURLToPath(new URL(`rotating-V${V}-B${B}.i32`, DATA));
    writeFileSync(indicesFile, all);
    try {
      await worker.request({ cmd: 'setup', keys, V, d, B, optimizer: opt, options: OPTIMIZERS[opt].options, indicesFile, gradFile, clock: args.clock });
      for (const key of keys) contenders.push({ key, window: (ms) => worker.request({ cmd: 'window', key, targetMs: ms }) });
    } catch (err) {
      for (const key of keys) skipped[key] = `failed: ${describeError(err)}`;
    }
  } else {
    skipped.torchSparse = skipped.torchDense = 'PyTorch not available (/usr/bin/python3 cannot import torch)';
  }
  // Warm-up window; a contender whose step takes over a second gets 3 repetitions.
  const reps = new Map();
  for (const c of contenders) {
    const w = await c.window(TARGET_MS / 4);
    const perStep = Object.values(w.phases).reduce((a, b) => a + b, 0) / w.steps;
    reps.set(c.key, perStep > 1 ? Math.min(REPS, 3) : REPS);
  }
  const samples = new Map(contenders.map((c) => [c.key, []]));
  for (let r = 0; r < REPS; ++r) {
    for (let k = 0; k < contenders.length; ++k) {
      const c = contenders[(k + r) % contenders.length];
      if (samples.get(c.key).length >= reps.get(c.key)) continue;
      const w = await c.window(TARGET_MS);
      samples.get(c.key).push(Object.fromEntries(PHASES.map((p) => [p, w.phases[p] / w.steps])));
    }
  }
  for (const c of contenders) c.dispose?.();
  const results = {};
  for (const [key, s] of samples) {
    results[key] = {
      seconds: median(s.map((x) => PHASES.reduce((a, p) => a + x[p], 0))),
      phases: Object.fromEntries(PHASES.map((p) => [p, median(s.map((x) => x[p]))])),
      samples: s,
    };
  }
  return { optimizer: opt, V, results, skipped };
}

const cells = [];
for (const opt of args.optimizers.split(',')) {
  if (!OPTIMIZERS[opt]) throw new Error(`unknown optimizer ${opt} (${Object.keys(OPTIMIZERS).join(', ')})`);
  for (const V of SIZES) {
    process.stderr.write(`  … rotating training: ${opt}, V = ${V}\n`);
    cells.push(await cell(opt, V));
  }
}
worker?.close();
native?.close();

// ---------------------------------------------------------------------------------------------
// Markdown
const fmtTime = (s) => (s == null ? '—' : s < 1e-3 ? `${(s * 1e6).toFixed(0)} µs` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(2)} s`);
const fmtRatio = (r) => (r == null || !Number.isFinite(r) ? '—' : `${r.toFixed(2)}×`);
const fmtV = (V) => (V >= 1e6 ? `${V / 1e6}M` : `${V / 1e3}k`);
const lines = [];
const print = (s = '') => lines.push(s);
const keys = ['ours', 'oursZeroCopy', ...(baseline ? ['oursBaseline'] : []), 'torchSparse', 'torchDense'];
const floorKeys = ['floorWasm', ...AHEAD.map((k) => `floorWasmAhead${k}`), 'floorNative'];
const present = (k) => cells.some((c) => c.results[k]);
const allKeys = [...keys, ...floorKeys].filter(present);
print(`### Training with 16 rotating batches, B = ${B}, d = ${d}: ${args.clock === 'cpu' ? 'CPU' : 'wall-clock'} time per step (zeroGrad + forward + backward + step), median of ${REPS} interleaved windows\n`);
print(`| optimizer | V | ${allKeys.map((k) => LABELS[k]).join(' | ')} | PyTorch sparse / ours | PyTorch dense / ours | 1M / 10k, ours | 1M / 10k, PyTorch sparse |`);
print(`|---|---:|${allKeys.map(() => '---:').join('|')}|---:|---:|---:|---:|`);
for (const c of cells) {
  const t = (k) => c.results[k]?.seconds;
  const growth = (k) => {
    const small = cells.find((x) => x.optimizer === c.optimizer && x.V === Math.min(...SIZES))?.results[k]?.seconds;
    return c.V === Math.max(...SIZES) && SIZES.length > 1 ? fmtRatio(t(k) / small) : '';
  };
  print(`| ${OPTIMIZERS[c.optimizer].name} | ${fmtV(c.V)} | ${allKeys.map((k) => (t(k) != null ? fmtTime(t(k)) : 'skipped')).join(' | ')} | ` +
    `${fmtRatio(t('torchSparse') / t('ours'))} | ${fmtRatio(t('torchDense') / t('ours'))} | ${growth('ours')} | ${growth('torchSparse')} |`);
}
print();
const notes = new Set();
for (const c of cells) for (const [k, why] of Object.entries(c.skipped)) notes.add(`${LABELS[k]}, ${OPTIMIZERS[c.optimizer].name}: ${why}`);
for (const n of notes) print(`- ${n}`);
if (torch) print(`- PyTorch ${torch}, 1 thread: \`opt.zero_grad(set_to_none=True); out = emb(idx); out.backward(G); opt.step()\`.`);
print();
// The cold gather alone: each contender's forward phase, and PyTorch's against ours.
if (allKeys.includes('torchSparse')) {
  const fwd = (c, k) => c.results[k]?.phases.forward;
  const gatherKeys = allKeys.filter((k) => k !== 'torchDense');
  print(`#### The forward gather alone (medians per step)\n`);
  print(`| optimizer | V | ${gatherKeys.map((k) => LABELS[k]).join(' | ')} | PyTorch / ours | PyTorch / ours zero-copy |`);
  print(`|---|---:|${gatherKeys.map(() => '---:').join('|')}|---:|---:|`);
  for (const c of cells) {
    print(`| ${OPTIMIZERS[c.optimizer].name} | ${fmtV(c.V)} | ${gatherKeys.map((k) => fmtTime(fwd(c, k))).join(' | ')} | ` +
      `${fmtRatio(fwd(c, 'torchSparse') / fwd(c, 'ours'))} | ${fmtRatio(fwd(c, 'torchSparse') / fwd(c, 'oursZeroCopy'))} |`);
  }
  print();
}
if (args.phases) {
  for (const c of cells) {
    print(`#### Per phase, ${OPTIMIZERS[c.optimizer].name}, V = ${fmtV(c.V)} (medians per step)\n`);
    print(`| contender | ${PHASES.join(' | ')} | total |`);
    print(`|---|${PHASES.map(() => '---:').join('|')}|---:|`);
    for (const k of allKeys) {
      const r = c.results[k];
      if (r) print(`| ${LABELS[k]} | ${PHASES.map((p) => fmtTime(r.phases[p])).join(' | ')} | ${fmtTime(r.seconds)} |`);
    }
    const [a, z] = [c.results.ours, c.results.oursZeroCopy];
    if (a && z) print(`| ours' JS copies (ours − zero-copy) | ${PHASES.map((p) => fmtTime(Math.max(0, a.phases[p] - z.phases[p]))).join(' | ')} | ${fmtTime(Math.max(0, a.seconds - z.seconds))} |`);
    print();
  }
}
const markdown = lines.join('\n');
if (process.send) report({ kind: 'rotating', d, B, batches: BATCHES, reps: REPS, targetMs: TARGET_MS, torch, node: process.version, cells, markdown });
else console.log(markdown);
