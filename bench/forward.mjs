// Forward throughput of both builds against plain JavaScript, init() time and shipped sizes.
// Same process, same data, contenders interleaved, medians of several repetitions.
//   node bench/forward.mjs [--rows 100000] [--dim 64] [--batch 4096] [--reps 9]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { init, Embedding } from 'wasm-embedding';

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, dim: { type: 'string', default: '64' },
    batch: { type: 'string', default: '4096' }, reps: { type: 'string', default: '9' } },
});
const [V, d, B, reps] = [args.rows, args.dim, args.batch, args.reps].map(Number);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// Seconds per call of fn, timed over at least 100 ms.
function timePerCall(fn) {
  fn();
  let calls = 0;
  const start = performance.now();
  let elapsed;
  do {
    for (let i = 0; i < 10; ++i) fn();
    calls += 10;
    elapsed = performance.now() - start;
  } while (elapsed < 100);
  return elapsed / 1000 / calls;
}

let seed = 12345;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const indices = Int32Array.from({ length: B }, () => Math.floor(random() * V));

const contenders = {};
for (const simd of [true, false]) {
  await init({ simd });
  const emb = new Embedding(V, d, { seed: 1 });
  const out = new Float32Array(B * d);
  contenders[simd ? 'wasm SIMD, forward(Int32Array, out)' : 'wasm scalar, forward(Int32Array, out)'] = () => emb.forward(indices, out);
  if (simd) {
    const table = emb.weight;
    contenders['plain JS, out.set(table.subarray(...))'] = () => {
      for (let i = 0; i < B; ++i) out.set(table.subarray(indices[i] * d, indices[i] * d + d), i * d);
    };
    const list = Array.from(indices);
    contenders['wasm SIMD, forward(number[]) returning a new array'] = () => emb.forward(list);
  }
}
const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let r = 0; r < reps; ++r) for (const [name, fn] of Object.entries(contenders)) samples[name].push(timePerCall(fn));

const baseline = median(samples['wasm SIMD, forward(Int32Array, out)']);
const rows = Object.entries(samples).map(([name, xs]) => {
  const t = median(xs);
  return { name, microseconds: t * 1e6, rowsPerSecond: B / t, gigabytesPerSecond: (B * d * 4) / t / 1e9, vsSimd: t / baseline };
});

// init() to ready, in fresh processes (module load + compile + instantiate).
const initScript = (simd) => `const t0 = performance.now(); const { init } = await import('wasm-embedding');
  await init({ simd: ${simd} }); console.log(performance.now() - t0);`;
const initMs = {};
for (const simd of [true, false]) {
  const times = [];
  for (let r = 0; r < reps; ++r) {
    times.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', initScript(simd)], { encoding: 'utf8' })));
  }
  initMs[simd ? 'simd' : 'scalar'] = median(times);
}

const sizes = ['index.js', 'embedding.js', 'embedding.wasm', 'embedding-scalar.js', 'embedding-scalar.wasm'].map((file) => {
  const bytes = readFileSync(new URL(`../dist/${file}`, import.meta.url));
  return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
});

console.log(`forward: V=${V}, d=${d}, B=${B}, uniform indices, median of ${reps} (Node ${process.version})\n`);
console.log('| contender | µs / call | rows / s | GB/s | time vs SIMD |\n|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.microseconds.toFixed(1)} | ${(r.rowsPerSecond / 1e6).toFixed(1)} M | ${r.gigabytesPerSecond.toFixed(2)} | ${r.vsSimd.toFixed(2)}× |`);
}
console.log(`\ninit() to ready in a fresh process (median of ${reps}): SIMD ${initMs.simd.toFixed(1)} ms, scalar ${initMs.scalar.toFixed(1)} ms\n`);
console.log('| file | bytes | gzip -9 |\n|---|---|---|');
for (const s of sizes) console.log(`| ${s.file} | ${s.raw} | ${s.gzip} |`);
const total = (pick) => sizes.reduce((sum, s) => sum + pick(s), 0);
console.log(`| all | ${total((s) => s.raw)} | ${total((s) => s.gzip)} |`);

mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(new URL('results/forward.json', import.meta.url), JSON.stringify({ V, d, B, reps, node: process.version, rows, initMs, sizes }, null, 2));
