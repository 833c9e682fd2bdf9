// What a call through the bindings costs: this package (Embind, bindings/embind/) against another
// build of it (by default none; --baseline <dist dir>: the package before the change, with plain
// `extern "C"` exports), both loaded in this one process and timed interleaved, the order of the
// two rotating between repetitions. Three calls, each on a 1000 x 64 table (SIMD build):
//   one call   batch(1).forward(1): one wasm call (the zero-copy path)
//   two calls  forward(Int32Array(3), out): prepareLookup + gather
//   B = 4096   forward(Int32Array(4096), out): the same two calls, a big batch
//
//   node bench/bindings.mjs --baseline ../embind-base/dist [--reps 15] [--targetMs 30]
// Prints (or hands bench/run.mjs) nanoseconds per call, medians, and ours / baseline.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { childArgs, interleave, median, report, makeIndices } from './lib/common.mjs';

const { baseline, reps, targetMs } = childArgs({ baseline: '', reps: 15, targetMs: 30 });
const V = 1000;
const D = 64;

async function contender(name, url) {
  const lib = await import(url);
  await lib.init({ simd: true });
  const emb = new lib.Embedding(V, D, { seed: 1 });
  const batch = emb.batch(1);
  batch.indices[0] = 7;
  const three = makeIndices(V, 3, 'uniform');
  const big = makeIndices(V, 4096, 'uniform');
  const out3 = new Float32Array(3 * D);
  const outBig = new Float32Array(4096 * D);
  return {
    name,
    cases: {
      one: () => batch.forward(1),
      two: () => emb.forward(three, out3),
      b4096: () => emb.forward(big, outBig),
    },
    check: () => [batch.forward(1)[0], emb.forward(three, out3)[5], emb.forward(big, outBig)[4096 * D - 1]],
  };
}

const ours = await contender('ours', new URL('../dist/node.js', import.meta.url).href);
const contenders = [ours];
if (baseline) contenders.push(await contender('baseline', pathToFileURL(resolve(baseline, 'node.js')).href));
// Same seed, same kernels: both must give the same rows (the comparison is of the same work).
if (contenders.length === 2 && contenders[0].check().join() !== contenders[1].check().join()) {
  throw new Error('bench/bindings.mjs: ours and the baseline give different rows');
}

const CASES = { one: 'one call: batch(1).forward(1)', two: 'two calls: forward(3 rows, out)', b4096: 'B = 4096: forward(4096 rows, out)' };
const results = [];
for (const [key, label] of Object.entries(CASES)) {
  const samples = await interleave(contenders.map((c) => ({ name: c.name, run: c.cases[key] })), { reps: Number(reps), targetMs: Number(targetMs) });
  const ns = Object.fromEntries([...samples].map(([name, s]) => [name, median(s) * 1e9]));
  results.push({ key, label, ns, ratio: ns.baseline ? ns.ours / ns.baseline : null, samples: Object.fromEntries(samples) });
}
report({ kind: 'bindings', reps: Number(reps), results });
