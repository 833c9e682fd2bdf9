// The benchmark driver (`npm run bench`, `npm run bench -- --quick`): one fresh Node process per
// comparison (bench/forward.mjs, train.mjs, train-rotating.mjs, memory.mjs, startup.mjs), PyTorch in its own Python
// process (bench/torch_bench.py) when /usr/bin/python3 can import torch. Prints markdown tables
// (times are medians; "vs ours" = time / time of our copying API in the same comparison) and
// writes everything to bench/results/bench.json and bench/results/bench.md.
//
//   node bench/run.mjs [--quick] [--only sizes,startup,bindings,forward,train,rotating,memory] [--reps 7]
//                      [--baseline <dist dir>]
//
// --baseline: the dist/ directory of another build of the package (the plain-export package
// before the Embind change, docs/bindings.md says how to build it): startup and sizes then show
// it too, and bindings (bench/bindings.mjs) times calls through both in one process.
// --quick: forward at d = 64, B in {64, 4096}; training at V in {10k, 100k}; 3 repetitions.
// rotating: training with 16 rotating batches for each optimizer against PyTorch sparse and
// dense, in the same run (bench/train-rotating.mjs; PyTorch dense skipped with --quick).
import { fork, spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { makeIndices, median, RESULTS, BUILD, DATA, NODE_MODULES, describeError } from './lib/common.mjs';
import { buildBareWasm } from './lib/floors.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'sizes,startup,bindings,forward,train,rotating,memory' },
    baseline: { type: 'string', default: '' },
    reps: { type: 'string' },
  },
});
const QUICK = opts.quick;
const SECTIONS = new Set(opts.only.split(','));
const BASELINE = opts.baseline;
const REPS = Number(opts.reps ?? (QUICK ? 3 : 7));
const V_FORWARD = 100000;
const DIMS = QUICK ? [64] : [16, 64, 128, 300];
const BATCHES = QUICK ? [64, 4096] : [1, 64, 4096, 65536];
const DISTS = ['uniform', 'zipf'];
const TRAIN_VS = QUICK ? [10000, 100000] : [10000, 100000, 1000000];
const TRAIN = { d: 64, B: 4096, lr: 0.01 };
const MEMORY = { V: 1000000, d: 64, B: 4096, steps: 3 };
const STARTUP_REPS = QUICK ? 3 : 7;
const PYTHON = '/usr/bin/python3';
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

const started = performance.now();
const out = []; // the markdown, as printed
const print = (s = '') => { console.log(s); out.push(s); };
const log = (s) => process.stderr.write(`  … ${s}\n`);
const json = { started: new Date().toISOString(), quick: QUICK, reps: REPS, machine: machine() };

// ---------------------------------------------------------------------------------------------
// Formatting
const fmtTime = (s) => {
  if (s == null || !Number.isFinite(s)) return '—';
  const us = s * 1e6;
  if (us < 10) return `${us.toFixed(2)} µs`;
  if (us < 1000) return `${us.toFixed(us < 100 ? 1 : 0)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : us < 1e5 ? 1 : 0)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
};
const fmtRatio = (r) => (r == null || !Number.isFinite(r) ? '—' : `${r < 10 ? r.toFixed(2) : r < 100 ? r.toFixed(1) : r.toFixed(0)}×`);
const fmtMB = (b) => (b == null ? '—' : `${(b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 1 : 0)} MiB`);
const fmtKB = (b) => `${(b / 1000).toFixed(1)} KB`;
const table = (header, rows) => {
  print(`| ${header.join(' | ')} |`);
  print(`|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) print(`| ${r.join(' | ')} |`);
  print();
};

// Short column labels for the wide forward tables (full names are printed under each table).
const LABELS = {
  ours: 'ours forward(i32, out)', oursZeroCopy: 'ours zero-copy', oursNew: 'ours forward(i32) new',
  oursScalar: 'ours scalar', plainJs: 'plain JS', tfjsWasm: 'tfjs wasm', tfjsCpu: 'tfjs cpu',
  ort: 'onnxruntime-web', torch: 'PyTorch 1 thr', bareSimd: 'bare SIMD loop',
  bareMemcpy: 'memory.copy / row', bareBound: 'memory.copy bound',
};

function gitState() {
  try {
    const git = (...a) => execFileSync('git', a, { cwd: here('..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', '.', ':(exclude)bench') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    commit: gitState(),
    cores: cpus.length, cpu: cpus[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version, v8: process.versions.v8, platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Children
function runNode(script, args, { execArgv = [], timeoutMs = 20 * 60 * 1000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(here(script), args.map(String), { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv });
    let result = null;
    let stderr = '';
    child.stdout.resume(); // tfjs prints a banner in Node: not ours to show
    child.stderr.on('data', (b) => { stderr += b; });
    child.on('message', (m) => { result = m; });
    const timer = setTimeout(() => { stderr += '\n(timed out)'; child.kill('SIGKILL'); }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`${script} ${args.join(' ')} exited with ${signal ?? code}: ${errorLine(stderr)}`));
    });
  });
}

/** The line of a child's stderr that says what went wrong. */
function errorLine(stderr) {
  const lines = stderr.trim().split('\n');
  return lines.find((l) => /^\w*Error\b|Error:/.test(l)) ?? lines.slice(-3).join(' / ');
}

function runPython(mode, config, timeoutMs = 20 * 60 * 1000) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [here('torch_bench.py'), mode, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => { stderr += b; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop();
      try {
        if (code === 0) return resolve(JSON.parse(last));
      } catch { /* fall through */ }
      reject(new Error(`torch_bench.py ${mode} exited with ${code}: ${errorLine(stderr || stdout)}`));
    });
  });
}

function torchAvailable() {
  try {
    return execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Writes the indices to bench/results/data/ for PyTorch (the JS children make the same ones). */
function indicesFile(V, B, dist) {
  mkdirSync(DATA, { recursive: true });
  const path = fileURLToPath(new URL(`idx-${dist}-V${V}-B${B}.i32`, DATA));
  const idx = makeIndices(V, B, dist);
  writeFileSync(path, new Uint8Array(idx.buffer));
  return path;
}

// ---------------------------------------------------------------------------------------------
// Sections
function sizes() {
  const nm = (p) => fileURLToPath(new URL(p, NODE_MODULES));
  const dist = (p) => here(`../dist/${p}`);
  const groups = [
    ['ours, browsers: index.js + both builds\' .wasm', ['index.js', 'embedding.wasm', 'embedding-scalar.wasm'].map(dist)],
    ['ours: what a browser loads for the SIMD build', ['index.js', 'embedding.wasm'].map(dist)],
    ['ours: what init({ threads }) adds: threads.js + threads-worker.js + its .wasm', ['threads.js', 'threads-worker.js', 'embedding-threads.wasm'].map(dist)],
    ['tfjs-backend-wasm (SIMD .wasm + backend + tfjs-core)', [
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
      '@tensorflow/tfjs-core/dist/tf-core.min.js'].map(nm)],
    ['tfjs-backend-wasm (all three .wasm)', [
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm'].map(nm)],
    ['tfjs-backend-cpu (backend + tfjs-core)', [
      '@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
      '@tensorflow/tfjs-core/dist/tf-core.min.js'].map(nm)],
    ['onnxruntime-web (wasm EP: .wasm + glue + ort.wasm.min.mjs)', [
      'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm',
      'onnxruntime-web/dist/ort-wasm-simd-threaded.mjs',
      'onnxruntime-web/dist/ort.wasm.min.mjs'].map(nm)],
    ['bare bench module (bare.wasm)', [fileURLToPath(new URL('bare.wasm', BUILD))]],
  ];
  if (BASELINE) {
    const base = (p) => `${BASELINE}/${p}`;
    groups.splice(2, 0,
      ['baseline (--baseline), browsers: index.js + both builds\' .wasm', ['index.js', 'embedding.wasm', 'embedding-scalar.wasm'].map(base)],
      ['ours: both single-thread .wasm builds', ['embedding.wasm', 'embedding-scalar.wasm'].map(dist)],
      ['baseline: both single-thread .wasm builds', ['embedding.wasm', 'embedding-scalar.wasm'].map(base)]);
  }
  const rows = [];
  const data = [];
  for (const [group, files] of groups) {
    let raw = 0, gz = 0;
    const detail = [];
    for (const f of files) {
      if (!existsSync(f)) { detail.push(`${f.split('/').pop()} (missing)`); continue; }
      const bytes = readFileSync(f);
      const g = gzipSync(bytes, { level: 9 }).length;
      raw += bytes.length; gz += g;
      detail.push(`${f.split('/').pop()} ${fmtKB(bytes.length)} / ${fmtKB(g)}`);
    }
    rows.push([group, fmtKB(raw), fmtKB(gz), detail.join('; ')]);
    data.push({ group, raw, gzip: gz, files: detail });
  }
  print('### Shipped file sizes (raw / gzip -9)\n');
  table(['what', 'raw', 'gzip', 'files (raw / gzip)'], rows);
  json.sizes = data;
}

async function startup() {
  const contenders = [
    ['ours', 'ours, SIMD build: import + init()'],
    ['oursScalar', 'ours, scalar build: import + init({ simd: false })'],
    ...(BASELINE ? [['baseline', 'baseline (--baseline), SIMD build: import + init()']] : []),
    ['tfjsWasm', 'tfjs-backend-wasm: import + setBackend("wasm") + ready()'],
    ['ort', 'onnxruntime-web: import + first InferenceSession (4 × 4 Gather)'],
    ['bare', 'bare bench module: WebAssembly.instantiate'],
    ['importFloor', 'Node: a first import() of a one-line module'],
  ];
  const samples = Object.fromEntries(contenders.map(([k]) => [k, { ms: [], importMs: [], phases: [] }]));
  const errors = {};
  for (let r = 0; r < STARTUP_REPS; ++r) {
    for (const [key] of contenders) {
      if (errors[key]) continue;
      try {
        const res = await runNode('startup.mjs', ['--contender', key, '--baseline', BASELINE]);
        samples[key].ms.push(res.ms);
        samples[key].importMs.push(res.importMs);
        if (res.phases) samples[key].phases.push(res.phases);
      } catch (err) {
        errors[key] = describeError(err);
      }
    }
  }
  const ours = median(samples.ours.ms);
  const oursFastest = Math.min(...samples.ours.ms);
  print(`### Startup: import to ready in a fresh Node process (median and fastest of ${STARTUP_REPS}, interleaved)\n`);
  table(['contender', 'to ready', 'of which JS import', 'vs ours', 'fastest', 'vs ours, fastest'], contenders.map(([key, name]) => {
    if (errors[key]) return [name, `failed: ${errors[key]}`, '', '', '', ''];
    const ms = median(samples[key].ms);
    const fastest = Math.min(...samples[key].ms);
    return [name, `${ms.toFixed(1)} ms`, `${median(samples[key].importMs).toFixed(1)} ms`, fmtRatio(ms / ours),
      `${fastest.toFixed(1)} ms`, fmtRatio(fastest / oursFastest)];
  }));
  // Where ours goes: each phase's median over the runs (bench/startup.mjs says what each holds).
  const phase = (key, name) => `${median(samples[key].phases.map((p) => p[name])).toFixed(1)} ms`;
  print('Where our startup goes (medians; JS import includes Node\'s first-import cost, the last row above):\n');
  table(['build', 'JS import', 'read .wasm (the glue sets up meanwhile)', 'compile', 'instantiate', 'ctors (Embind registration) + ready'],
    ['ours', 'oursScalar', 'baseline'].filter((key) => samples[key] && !errors[key]).map((key) => [{ ours: 'SIMD', oursScalar: 'scalar', baseline: 'baseline, SIMD' }[key],
      `${median(samples[key].importMs).toFixed(1)} ms`, phase(key, 'read'), phase(key, 'compile'), phase(key, 'instantiate'), phase(key, 'ready')]));
  if (!errors.tfjsWasm && !errors.ours) {
    const tfjs = median(samples.tfjsWasm.ms);
    print(`Ours (SIMD) import + init(): ${ours.toFixed(1)} ms median, ${(ours / tfjs).toFixed(2)}× tfjs-backend-wasm's ${tfjs.toFixed(1)} ms in the same run.\n`);
  }
  json.startup = { reps: STARTUP_REPS, samples, errors };
}

async function forward(torchVersion) {
  const cells = [];
  for (const d of DIMS) for (const B of BATCHES) for (const dist of DISTS) cells.push({ d, B, dist });
  const results = [];
  for (const [n, cell] of cells.entries()) {
    log(`forward ${n + 1}/${cells.length}: d = ${cell.d}, B = ${cell.B}, ${cell.dist}`);
    try {
      const r = await runNode('forward.mjs', ['--V', V_FORWARD, '--d', cell.d, '--B', cell.B, '--dist', cell.dist,
        '--reps', REPS, '--targetMs', 60]);
      results.push(r);
    } catch (err) {
      results.push({ ...cell, results: [], skipped: { all: { name: 'all contenders', reason: describeError(err) } } });
    }
  }
  let torchNote = null;
  if (torchVersion) {
    log('forward: PyTorch');
    try {
      const t = await runPython('forward', {
        V: V_FORWARD, reps: REPS, targetMs: 60,
        cells: cells.map((c) => ({ ...c, indicesFile: indicesFile(V_FORWARD, c.B, c.dist) })),
      });
      for (const tr of t.results) {
        const cell = results.find((r) => r.d === tr.d && r.B === tr.B && r.dist === tr.dist);
        cell?.results.push({ ...tr, gigabytesPerSecond: (tr.B * tr.d * 4) / tr.seconds / 1e9 });
      }
      torchNote = `PyTorch ${t.torch} (Python ${t.python}), F.embedding with int64 indices, 1 thread, timed in its own process`;
    } catch (err) {
      torchNote = `PyTorch failed: ${describeError(err)}`;
    }
  } else {
    torchNote = `PyTorch skipped: ${PYTHON} cannot import torch`;
  }
  json.forward = { V: V_FORWARD, cells: results, torchNote };

  // The key comparison first, as rows.
  for (const dist of DISTS) {
    const key = results.find((r) => r.d === 64 && r.B === 4096 && r.dist === dist);
    if (!key) continue;
    const ours = key.results.find((x) => x.key === 'ours')?.seconds;
    print(`### Forward, V = 100,000, d = 64, B = 4096, ${dist} indices (median of ${REPS})\n`);
    table(['contender', 'time / call', 'min – max of the repetitions', 'GB/s of output', 'time vs ours'],
      key.results.map((x) => [x.name, fmtTime(x.seconds), `${fmtTime(Math.min(...x.samples))} – ${fmtTime(Math.max(...x.samples))}`,
        x.gigabytesPerSecond.toFixed(2), fmtRatio(x.seconds / ours)]));
    const skipped = Object.values(key.skipped ?? {});
    for (const { name, reason } of skipped) print(`- ${name}: ${reason}`);
    if (skipped.length) print();
  }

  // The whole grid: one table per distribution, "time (time vs ours)" in each cell.
  const keys = [];
  for (const r of results) for (const x of r.results) if (!keys.includes(x.key)) keys.push(x.key);
  const names = {};
  for (const r of results) for (const x of r.results) names[x.key] ??= x.name;
  for (const dist of DISTS) {
    print(`### Forward grid, V = 100,000, ${dist} indices: time per call (time vs ours)\n`);
    const rows = results.filter((r) => r.dist === dist).map((r) => {
      const ours = r.results.find((x) => x.key === 'ours')?.seconds;
      return [r.d, r.B, ...keys.map((k) => {
        const x = r.results.find((y) => y.key === k);
        if (!x) return r.skipped?.[k] ? 'skipped' : '—';
        return k === 'ours' ? fmtTime(x.seconds) : `${fmtTime(x.seconds)} (${fmtRatio(x.seconds / ours)})`;
      })];
    });
    table(['d', 'B', ...keys.map((k) => LABELS[k] ?? k)], rows);
  }
  print(`Columns: ${keys.map((k) => `*${LABELS[k] ?? k}* = ${names[k]}`).join('; ')}.`);
  print(`${torchNote}.`);
  const skips = new Set();
  for (const r of results) for (const { name, reason } of Object.values(r.skipped ?? {})) skips.add(`${name} at d = ${r.d}, B = ${r.B}, ${r.dist}: ${reason}`);
  for (const s of skips) print(`- ${s}`);
  print();
}

async function train(torchVersion) {
  const results = [];
  let probe = 'run';
  for (const V of TRAIN_VS) {
    log(`train: V = ${V}`);
    let r;
    try {
      r = await runNode('train.mjs', ['--V', V, '--d', TRAIN.d, '--B', TRAIN.B, '--lr', TRAIN.lr, '--reps', REPS,
        '--targetMs', 100, '--probe', probe]);
      if (r.tfCpuBuiltinProbe) probe = `${r.tfCpuBuiltinProbe.V}:${r.tfCpuBuiltinProbe.seconds}`;
    } catch (err) {
      r = { V, results: [], skipped: { all: { name: 'all JS contenders', reason: describeError(err) } }, notes: [] };
    }
    if (torchVersion) {
      log(`train: V = ${V}, PyTorch`);
      try {
        const t = await runPython('train', { V, ...TRAIN, reps: REPS, targetMs: 100, indicesFile: indicesFile(V, TRAIN.B, 'uniform') });
        r.results.push(...t.results);
        r.torch = t.torch;
      } catch (err) {
        r.skipped.torch = { name: 'PyTorch', reason: describeError(err) };
      }
    }
    results.push(r);
  }
  json.train = { ...TRAIN, cells: results };
  const keys = [];
  const names = {};
  for (const r of results) for (const x of r.results) { if (!keys.includes(x.key)) keys.push(x.key); names[x.key] ??= x.name; }
  for (const r of results) for (const [k, { name }] of Object.entries(r.skipped ?? {})) if (!keys.includes(k) && k !== 'all') { keys.push(k); names[k] ??= name; }
  const fmtV = (V) => (V >= 1e6 ? `${V / 1e6}M` : `${V / 1e3}k`);
  print(`### Training step, B = ${TRAIN.B}, d = ${TRAIN.d}, SGD lr = ${TRAIN.lr} (forward + backward + step; median of ${REPS}): time per step (time vs ours)\n`);
  table(['contender', ...results.map((r) => `V = ${fmtV(r.V)}`)], keys.map((k) => [names[k], ...results.map((r) => {
    const x = r.results.find((y) => y.key === k);
    const ours = r.results.find((y) => y.key === 'ours')?.seconds;
    if (!x) return r.skipped?.[k] ? (r.skipped[k].estimate ? `skipped (≈ ${Math.round(r.skipped[k].estimate)} s)` : 'skipped') : '—';
    return k === 'ours' ? fmtTime(x.seconds) : `${fmtTime(x.seconds)} (${fmtRatio(x.seconds / ours)})`;
  })]));
  const notes = new Set();
  for (const r of results) {
    for (const n of r.notes ?? []) notes.add(n);
    for (const { name, reason, estimate } of Object.values(r.skipped ?? {})) if (!estimate) notes.add(`${name}, V = ${fmtV(r.V)}: ${reason}`);
  }
  if (!torchVersion) notes.add(`PyTorch skipped: ${PYTHON} cannot import torch`);
  else notes.add('PyTorch: out = emb(idx); out.backward(G); opt.step(); opt.zero_grad(set_to_none=True)');
  for (const n of notes) print(`- ${n}`);
  print();
}

async function memory(torchVersion) {
  const rows = [];
  const data = [];
  const js = ['ours', 'plainJs', 'tfjsWasm', 'tfjsCpu'];
  const args = ['--V', MEMORY.V, '--d', MEMORY.d, '--B', MEMORY.B, '--steps', MEMORY.steps];
  const runs = [...js.map((c) => [c, () => runNode('memory.mjs', ['--contender', c, ...args], { execArgv: ['--expose-gc'] })])];
  if (torchVersion) {
    const indicesFileM = indicesFile(MEMORY.V, MEMORY.B, 'uniform');
    for (const mode of ['sparse', 'dense']) {
      runs.push([`torch ${mode}`, () => runPython('memory', { mode, ...MEMORY, lr: TRAIN.lr, indicesFile: indicesFileM })]);
    }
  }
  for (const [key, go] of runs) {
    log(`memory: ${key}`);
    try {
      const r = await go();
      data.push(r);
      const wasm = r.wasmMemoryBytes != null
        ? `${fmtMB(r.wasmMemoryBytes)}${r.heapInUseBytes != null ? ` (malloc'd ${fmtMB(r.heapInUseBytes)})` : ''}`
        : '—';
      rows.push([r.name, fmtMB(r.baselineRss), fmtMB(r.peakRss), fmtMB(r.growth), `${r.growthVsTable.toFixed(2)}×`, wasm]);
    } catch (err) {
      rows.push([key, `failed: ${describeError(err)}`, '', '', '', '']);
    }
  }
  const tableMiB = (MEMORY.V * MEMORY.d * 4) / 2 ** 20;
  print(`### Memory: create a ${MEMORY.V.toLocaleString('en')} × ${MEMORY.d} table (${tableMiB.toFixed(0)} MiB) and train ${MEMORY.steps} steps, fresh process each\n`);
  table(['contender', 'baseline RSS', 'peak RSS', 'growth', 'growth / table bytes', 'wasm memory at the end'], rows);
  print('Baseline: RSS after loading the library (and its backend); peak: VmHWM. Tables made each its own way: ours `new Embedding`, plain JS a filled Float32Array, tfjs `tf.variable(tf.randomNormal(...))`, PyTorch `nn.Embedding`.');
  print();
  json.memory = data;
}

// ---------------------------------------------------------------------------------------------
const m = json.machine;
print(`## wasm-embedding benchmarks${QUICK ? ' (--quick)' : ''}\n`);
print(`${json.started.slice(0, 10)}, ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node} (V8 ${m.v8}); wasm-embedding at ${m.commit}.`);
print(`Peers: @tensorflow/tfjs-core, -backend-wasm, -backend-cpu ${pkgVersion('@tensorflow/tfjs-core')}, onnxruntime-web ${pkgVersion('onnxruntime-web')}.`);
const torchVersion = torchAvailable();
print(torchVersion ? `PyTorch ${torchVersion} (${PYTHON}), 1 thread.` : `PyTorch: skipped (${PYTHON} cannot import torch).`);
print();
json.torch = torchVersion;
buildBareWasm(log);

async function rotating() {
  const args = ['--reps', REPS, ...(QUICK ? ['--V', TRAIN_VS.join(','), '--dense', 'false'] : [])];
  log(`rotating-batch training: ${args.join(' ')}`);
  try {
    const r = await runNode('train-rotating.mjs', args, { timeoutMs: 60 * 60 * 1000 });
    print(r.markdown);
    json.rotating = r;
  } catch (err) {
    print(`Rotating-batch training failed: ${describeError(err)}\n`);
  }
}

// What a call through the bindings costs against the --baseline package, in one process,
// interleaved (bench/bindings.mjs), in BINDINGS_RUNS fresh processes: medians of their medians.
async function bindings() {
  if (!BASELINE) {
    print('### Bindings: skipped (pass --baseline <dist dir> of the plain-export package to compare)\n');
    return;
  }
  const runs = [];
  for (let r = 0; r < BINDINGS_RUNS; ++r) runs.push(await runNode('bindings.mjs', ['--baseline', BASELINE, '--reps', QUICK ? 7 : 15]));
  print(`### Bindings: time per call, ours (Embind) vs the baseline (plain exports), one process each, interleaved (median of ${BINDINGS_RUNS} processes' medians)\n`);
  table(['call', 'ours', 'baseline', 'ours / baseline'], runs[0].results.map((first, i) => {
    const ns = (who) => median(runs.map((run) => run.results[i].ns[who]));
    const ratio = median(runs.map((run) => run.results[i].ratio));
    return [first.label, `${ns('ours').toFixed(0)} ns`, `${ns('baseline').toFixed(0)} ns`, fmtRatio(ratio)];
  }));
  json.bindings = runs;
}
const BINDINGS_RUNS = 3;

const steps = { sizes, startup, bindings, forward, train, rotating, memory };
for (const [name, fn] of Object.entries(steps)) {
  if (!SECTIONS.has(name)) continue;
  const t0 = performance.now();
  await fn(torchVersion);
  log(`${name} took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
const total = (performance.now() - started) / 1000;
print(`Total benchmark time: ${(total / 60).toFixed(1)} min.`);
json.totalSeconds = total;
mkdirSync(RESULTS, { recursive: true });
writeFileSync(new URL('bench.json', RESULTS), JSON.stringify(json, null, 2));
writeFileSync(new URL('bench.md', RESULTS), `${out.join('\n')}\n`);
process.stderr.write(`\nwrote bench/results/bench.json and bench/results/bench.md\n`);

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(new URL(`${name}/package.json`, NODE_MODULES), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}
