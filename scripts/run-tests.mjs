// Runs every test layer, cheapest first, streams their output, then prints a count per layer
// and one closing line "N passed, M failed". Exits non-zero if anything failed.
//   native   ctest: GoogleTest, each SIMD kernel against its reference, the core, SGD
//   asan     the same suite under -fsanitize=address,undefined
//   fuzz     each libFuzzer target tests/fuzz/<name>_fuzz.cc (built as build/fuzz/<name>_fuzz)
//            for $FUZZ_SECONDS (default 20) seconds from its seed corpus tests/fuzz/corpus/<name>/, one per core at once;
//            a crash, leak or sanitizer report fails it (the input lands in build/fuzz/artifacts/)
//   js       node --test tests/js: API, PyTorch fixtures, bad input, memory, SIMD = scalar
//   package  node --test tests/package: npm pack, install into an empty folder, import by name
//   browser  node --test tests/browser: the demo page in headless Chromium (Playwright)
//   remote   node --test tests/remote: remote tables (Embedding.open) against nginx, Caddy, the
//            demo server and a fault-injecting server; the multipart parser fuzzed; Chromium
//   bundlers node --test tests/bundlers: examples/ built by Vite, webpack, Rollup, esbuild, Parcel
//            (and none: a CDN), loaded in Chromium; Node import/require; tsc
//   docs     node --test tests/docs: every code block of README.md and docs/*.md runs (or says why not)
//   site     node --test tests/site: npm run site's output served by nginx under a sub-path, every
//            page loaded in Chromium (no console errors, the demo answers, no broken links)
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';

const root = new URL('..', import.meta.url).pathname;

function run(cmd, args, cwd, { quiet = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        out += chunk;
        if (!quiet) (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
      });
    }
    child.on('error', (err) => resolve({ code: -1, out: `${out}${err.message}\n` })); // e.g. a binary that was not built
    child.on('close', (code) => resolve({ code, out }));
  });
}

const count = (out, re) => Number(out.match(re)?.[1] ?? 0);

async function ctest(dir) {
  const { code, out } = await run('ctest', ['--output-on-failure', '-j2'], join(root, dir));
  const total = count(out, /tests failed out of (\d+)/);
  const failed = count(out, /(\d+) tests failed out of/);
  return { passed: total - failed, failed: code !== 0 && failed === 0 ? 1 : failed };
}

async function nodeTest(dir) {
  const files = readdirSync(join(root, dir)).filter((f) => f.endsWith('.test.mjs')).map((f) => join(dir, f));
  const { code, out } = await run(process.execPath, ['--test', '--test-reporter=spec', ...files], root);
  const failed = count(out, /ℹ fail (\d+)/);
  return { passed: count(out, /ℹ pass (\d+)/), skipped: count(out, /ℹ skipped (\d+)/), failed: code !== 0 && failed === 0 ? 1 : failed };
}

async function fuzz() {
  const seconds = Number(process.env.FUZZ_SECONDS ?? 20);
  const targets = readdirSync(join(root, 'tests/fuzz')).filter((f) => f.endsWith('_fuzz.cc')).map((f) => f.slice(0, -'_fuzz.cc'.length));
  let passed = 0;
  let failed = 0;
  const fuzzOne = async (name) => {
    // New inputs go to build/fuzz/corpus/<name> (kept between runs); the committed seeds are only read.
    const corpus = join(root, 'build/fuzz/corpus', name);
    const artifacts = join(root, 'build/fuzz/artifacts');
    mkdirSync(corpus, { recursive: true });
    mkdirSync(artifacts, { recursive: true });
    const { code, out } = await run(join(root, 'build/fuzz', `${name}_fuzz`), [
      corpus, join(root, 'tests/fuzz/corpus', name), `-max_total_time=${seconds}`, `-artifact_prefix=${artifacts}/${name}-`, '-print_final_stats=1',
    ], root, { quiet: true });
    const runs = count(out, /stat::number_of_executed_units:\s*(\d+)/);
    if (code === 0) {
      console.log(`✔ ${name}: ${runs} executions in ${seconds} s, nothing found`);
      ++passed;
    } else {
      console.log(out.split('\n').filter((line) => !/^#\d+\s+(NEW|REDUCE|pulse)/.test(line)).slice(-60).join('\n'));
      console.log(`✖ ${name}: failed after ${runs} executions (exit ${code}); the input is in ${artifacts}`);
      ++failed;
    }
  };
  // Each target is one process on one core: as many at once as there are cores.
  const queue = [...targets];
  const worker = async () => { while (queue.length > 0) await fuzzOne(queue.shift()); };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(cpus().length, targets.length)) }, worker));
  return { passed, failed };
}

const layers = [
  ['native', () => ctest('build/native')],
  ['asan', () => ctest('build/asan')],
  ['fuzz', fuzz],
  ['js', () => nodeTest('tests/js')],
  ['package', () => nodeTest('tests/package')],
  ['browser', () => nodeTest('tests/browser')],
  ['remote', () => nodeTest('tests/remote')],
  ['bundlers', () => nodeTest('tests/bundlers')],
  ['docs', () => nodeTest('tests/docs')],
  ['site', () => nodeTest('tests/site')],
];
const results = [];
for (const [name, runLayer] of layers) {
  console.log(`\n=== ${name} ===`);
  const started = performance.now();
  const result = await runLayer();
  results.push([name, { ...result, seconds: (performance.now() - started) / 1000 }]);
}
console.log('\n=== summary ===');
let passed = 0;
let failed = 0;
for (const [name, r] of results) {
  console.log(`${name.padEnd(8)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''} (${r.seconds.toFixed(0)} s)`);
  passed += r.passed;
  failed += r.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
