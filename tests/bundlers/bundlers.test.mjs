// Each example of examples/, copied out of the repository with the `npm pack` tarball installed,
// built by its own `npm run build` with the pinned tools of tests/bundlers/package.json, served
// on loopback and loaded in Debian's Chromium (playwright-core): the page must run init() in both
// builds and show the rows Node computes (the Vite and webpack builds also with init({ threads: 2 }),
// the results of 1 thread). Also Node (import, require) and TypeScript (tsc
// --strict under three moduleResolution settings). Prints the case table (tool, version, bundle
// size, time to init()) and writes it to build/bundlers.md.
// Run: node --test tests/bundlers/   (after `npm run build`, which makes dist/)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { serve } from '../../scripts/serve.mjs';
import { SKIP, hasChromium, launchChromium } from '../browser/browser.mjs';
import { ROOT, TOOLS, copyApp, createWorkspace, installTools, outputSize, pool, run, startDevServer, toolVersions } from './apps.mjs';


// Browser cases. tool: the package whose pinned version builds it; site: the folder served
// (index.html at its root); out: the bundler's output, measured; dev: served by `npm run dev`;
// threads: the same build is also opened with ?threads=2 (init({ threads: 2 })).
const CASES = [
  { name: 'Vite build', example: 'vite', tool: 'vite', site: 'dist', out: 'dist', threads: true },
  { name: 'Vite dev server', example: 'vite', tool: 'vite', dev: true },
  { name: 'webpack 5, production', example: 'webpack', tool: 'webpack', site: '.', out: 'dist', threads: true },
  { name: 'Rollup 4 + node-resolve + import-meta-assets', example: 'rollup', tool: 'rollup', site: '.', out: 'dist' },
  { name: 'esbuild --bundle --format=esm + copy the .wasm', example: 'esbuild', tool: 'esbuild', site: '.', out: 'dist' },
  { name: 'Parcel 2', example: 'parcel', tool: 'parcel', site: 'dist', out: 'dist' },
  { name: 'module Web Worker, Vite build', example: 'worker', tool: 'vite', site: 'dist', out: 'dist' },
  { name: 'module Web Worker, Vite dev server', example: 'worker', tool: 'vite', dev: true },
  { name: 'module Web Worker, webpack 5', example: 'webpack-worker', tool: 'webpack', site: '.', out: 'dist' },
  { name: 'no bundler: dist/index.js from a CDN', example: 'no-bundler', site: '.' },
];
const BUILT = [...new Set(CASES.filter((c) => c.out).map((c) => c.example))];
const EXAMPLES = [...new Set(CASES.map((c) => c.example)), 'node', 'typescript'];
const CDN = 'https://cdn.jsdelivr.net/npm/wasm-embedding@';
const TSC = [
  { label: 'TypeScript 7', bin: join(TOOLS, 'node_modules/typescript/bin/tsc') },
  { label: 'TypeScript 5.9', bin: join(ROOT, 'node_modules/typescript/bin/tsc') },
];
const RESOLUTIONS = [['bundler', 'esnext'], ['node16', 'node16'], ['nodenext', 'nodenext']];
const tscOut = (label, resolution) => `out-${label.replace(/\W/g, '')}-${resolution}`;

let workspace;
const apps = new Map(); // example -> its folder in the workspace
const jobs = new Map(); // each build and type-check -> its outcome ({ status, value | reason })
let expected; // the rows Node computes: the browser cases must show exactly these
let browser;
const table = []; // one row per case, for the closing table

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist/index.js')), 'dist/index.js is missing: run `npm run build` first');
  await installTools();
  workspace = await createWorkspace();
  for (const example of EXAMPLES) apps.set(example, await copyApp(workspace, example));
  // Expected rows from Node first, then every build and type-check, as many at once as there are cores.
  expected = JSON.parse((await run(process.execPath, ['index.mjs'], { cwd: apps.get('node') })).stdout).rows;
  const todo = [
    ...BUILT.map((example) => [example, () => run('npm', ['run', 'build'], { cwd: apps.get(example) })]),
    ...TSC.flatMap(({ label, bin }) => RESOLUTIONS.map(([resolution, module]) => [`${label} ${resolution}`, () => run(process.execPath,
      [bin, '-p', '.', '--moduleResolution', resolution, '--module', module, '--outDir', tscOut(label, resolution)], { cwd: apps.get('typescript') })])),
  ];
  const outcomes = await pool(todo.map(([, job]) => job), availableParallelism());
  todo.forEach(([name], i) => jobs.set(name, outcomes[i]));
  if (hasChromium) {
    browser = await launchChromium();
  }
}, { timeout: 600_000 });

after(async () => {
  await browser?.close();
  if (workspace) rmSync(workspace.dir, { recursive: true, force: true });
  if (table.length === 0) return;
  const ms = (x) => (x === undefined ? '–' : `${x.toFixed(0)} ms`);
  const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
  const lines = [
    '| case | tool | pass | app JS (gzip -9) | build | init() SIMD / scalar | page start → rows, SIMD |',
    '|---|---|---|---:|---:|---:|---:|',
    ...table.map((r) => `| ${r.name} | ${r.tool} | ${r.pass ? 'yes' : 'no'} | ${r.size ? `${kb(r.size.js)} (${kb(r.size.jsGzip)})` : '–'} | ` +
      `${r.buildSeconds ? `${r.buildSeconds.toFixed(1)} s` : '–'} | ${ms(r.simd?.initMs)} / ${ms(r.scalar?.initMs)} | ${ms(r.simd?.readyMs)} |`),
  ];
  console.log(`\n${lines.join('\n')}\n`);
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  writeFileSync(join(ROOT, 'build/bundlers.md'), `${lines.join('\n')}\n`);
});

test('every example declares the tool versions this layer pins, and wasm-embedding by name', () => {
  const pinned = toolVersions();
  for (const example of EXAMPLES.filter((e) => e !== 'no-bundler')) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'examples', example, 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies['wasm-embedding'], `^${workspace.version}`, `${example}: depends on wasm-embedding ^${workspace.version}`);
    for (const [name, range] of Object.entries(pkg.devDependencies ?? {})) {
      assert.equal(range, `^${pinned[name]}`, `${example}: ${name} ${range}, but this layer tests ${pinned[name]}`);
    }
  }
  const page = readFileSync(join(ROOT, 'examples/no-bundler/index.html'), 'utf8');
  assert.ok(page.includes(`${CDN}${workspace.version}/dist/index.js`), 'examples/no-bundler imports this version from the CDN');
});

test('Node: ESM import and CommonJS require(), both builds', async () => {
  const app = apps.get('node');
  const outputs = [];
  for (const file of ['index.mjs', 'index.cjs']) {
    for (const args of [[], ['--scalar']]) {
      const { stdout, stderr } = await run(process.execPath, [file, ...args], { cwd: app });
      assert.equal(stderr, '', `${file} ${args}: no warnings`);
      outputs.push([`${file} ${args}`, JSON.parse(stdout)]);
    }
  }
  for (const [label, { simd, rows }] of outputs) {
    assert.equal(simd, !label.includes('--scalar'), `${label}: the build asked for`);
    assert.deepEqual(rows, expected, `${label}: the rows of index.mjs`);
  }
  assert.equal(expected.length, 16);
  assert.ok(expected.slice(12).every((v) => v === 0), 'the padding row is zeros');
  assert.ok(expected.slice(0, 12).every((v) => Number.isFinite(v) && v !== 0), 'rows 1, 2, 999: drawn values');
  // Where require() cannot load ES modules, the package says what to do.
  const err = await run(process.execPath, ['--no-experimental-require-module', 'index.cjs'], { cwd: app }).catch((e) => e);
  assert.equal(err.code, 1);
  assert.match(err.stderr, /wasm-embedding is an ES module, and require\(\) cannot load ES modules in this Node .*await import\('wasm-embedding'\)/);
});

/** What a build or type-check run in before() gave; fails the test with its output if it failed. */
function outcome(name) {
  const { status, value, reason } = jobs.get(name);
  if (status === 'rejected') assert.fail(reason.message);
  return value;
}

for (const { label } of TSC) {
  test(`${label}: tsc --strict with moduleResolution bundler, node16 and nodenext; the output runs`, async () => {
    for (const [resolution] of RESOLUTIONS) {
      outcome(`${label} ${resolution}`);
      const { stdout } = await run(process.execPath, [join(tscOut(label, resolution), 'main.js')], { cwd: apps.get('typescript') });
      assert.deepEqual(JSON.parse(stdout), { simd: true, rows: expected }, `${resolution}: the compiled app's rows`);
    }
  });
}

// Opens the app's page, waits for its result, and records what went wrong on the way.
async function openPage(url, { route } = {}) {
  const page = await browser.newPage();
  const problems = [];
  const requests = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico')) problems.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('request', (req) => requests.push(req.url()));
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  // Counts streaming compiles on the page itself (a worker has its own WebAssembly).
  await page.addInitScript(() => {
    const streaming = WebAssembly.compileStreaming;
    globalThis.streamedWasm = 0;
    WebAssembly.compileStreaming = function counted(...args) {
      globalThis.streamedWasm += 1;
      return streaming.apply(this, args);
    };
  });
  if (route) await page.route(route.url, route.handler);
  await page.goto(url);
  await page.waitForSelector('#out[data-result], #out[data-error]', { timeout: 30_000 });
  const result = await page.$eval('#out', (out) => ({ ...out.dataset }));
  const streamed = await page.evaluate(() => globalThis.streamedWasm);
  await page.close();
  return { result, streamed, problems, requests };
}

// Serves the CDN's part of the package from the unpacked tarball, as jsDelivr does (CORS, MIME).
const cdnRoute = (wasmAnswer) => ({ url: `${CDN}**`, handler: (route) => {
  const path = new URL(route.request().url()).pathname.replace(/^\/npm\/wasm-embedding@[^/]+\//, '');
  const file = join(workspace.packageDir, path);
  const headers = { 'Access-Control-Allow-Origin': '*' };
  if (!existsSync(file)) return route.fulfill({ status: 404, headers, body: 'not found' });
  if (extname(file) === '.wasm') {
    const answer = wasmAnswer(file);
    return route.fulfill({ status: 200, headers: { ...headers, ...answer.headers }, body: answer.body });
  }
  return route.fulfill({ status: 200, headers: { ...headers, 'Content-Type': 'text/javascript' }, body: readFileSync(file) });
} });
const SPA_PAGE = '<!doctype html><html><body>App</body></html>'; // what a single-page app's server answers for any path
const wasmAs = (type) => (file) => ({ headers: { 'Content-Type': type }, body: readFileSync(file) });

// The app's server: its dev server, or scripts/serve.mjs (cross-origin isolated) on its site.
const startServer = (c, app) => (c.dev ? startDevServer(app, ['--host', '127.0.0.1', '--port', '0'])
  : serve({ port: 0, quiet: true, root: join(app, c.site) }).then((s) => ({ url: `http://127.0.0.1:${s.port}`, close: s.close })));

for (const c of CASES) {
  test(`${c.name}: init() in both builds in Chromium, the rows Node computes`, { timeout: 180_000 }, async (t) => {
    if (!hasChromium) return t.skip(SKIP);
    const row = { name: c.name, tool: c.tool ? `${c.tool} ${toolVersions()[c.tool]}` : 'none', pass: false };
    table.push(row);
    const app = apps.get(c.example);
    if (c.out) Object.assign(row, { buildSeconds: outcome(c.example).seconds, size: outputSize(join(app, c.out)) });
    if (c.example === 'no-bundler') row.size = outputSize(join(workspace.packageDir, 'dist'), ['index.js']);
    const server = await startServer(c, app);
    try {
      for (const simd of [true, false]) {
        const { result, streamed, problems, requests } = await openPage(`${server.url}/index.html${simd ? '' : '?simd=0'}`,
          { route: c.example === 'no-bundler' ? cdnRoute(wasmAs('application/wasm')) : undefined });
        assert.equal(result.error, undefined, `the page shows an error (${simd ? 'SIMD' : 'scalar'})`);
        const shown = JSON.parse(result.result);
        assert.equal(shown.simd, simd, 'the build asked for');
        assert.deepEqual(shown.rows, expected, `the rows Node computes (${simd ? 'SIMD' : 'scalar'})`);
        assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
        if (!c.dev) assert.deepEqual(requests.filter((u) => u.includes('/node_modules/')), [], 'everything comes from the bundle, not node_modules');
        if (!c.example.includes('worker')) assert.equal(streamed, 1, 'compiled while streaming (the server sends application/wasm)');
        row[simd ? 'simd' : 'scalar'] = { initMs: shown.initMs, readyMs: shown.readyMs };
      }
      row.pass = true;
    } finally {
      await server.close();
    }
  });
}

// The threads build from the app the case above built: the bundler must emit threads.js as a
// chunk, embedding-threads.wasm and threads-worker.js, and the helper must start. The page's big
// lookup (512K values) is split across the 2 threads; its sum must equal 1 thread's.
for (const c of CASES.filter((x) => x.threads)) {
  test(`${c.name}: init({ threads: 2 }) on a cross-origin isolated page, the results of 1 thread`, { timeout: 120_000 }, async (t) => {
    if (!hasChromium) return t.skip(SKIP);
    outcome(c.example);
    const server = await startServer(c, apps.get(c.example));
    try {
      const shown = {};
      for (const threads of [2, 1]) {
        const { result, problems, requests } = await openPage(`${server.url}/index.html?threads=${threads}`);
        assert.equal(result.error, undefined, `the page shows an error (${threads} threads)`);
        shown[threads] = JSON.parse(result.result);
        assert.equal(shown[threads].threads, threads, 'the threads asked for, without a fallback');
        assert.deepEqual(problems, [], `no console errors, page errors or failed requests (${threads} threads)`);
        assert.deepEqual(requests.filter((u) => u.includes('/node_modules/')), [], 'everything comes from the bundle, not node_modules');
      }
      assert.deepEqual(shown[2].rows, expected, 'the rows Node computes');
      assert.equal(shown[2].sum, shown[1].sum, 'the sum of the big lookup on 2 threads equals 1 thread\'s');
    } finally {
      await server.close();
    }
  });
}

// The no-bundler page on loopback, its CDN's .wasm answered by wasmAnswer.
async function openCdnPage(wasmAnswer) {
  const server = await serve({ port: 0, quiet: true, root: apps.get('no-bundler') });
  try {
    return await openPage(`http://127.0.0.1:${server.port}/index.html`, { route: cdnRoute(wasmAnswer) });
  } finally {
    await server.close();
  }
}

test('no bundler: a server that sends the .wasm as application/octet-stream still works (bytes, not streaming)', { timeout: 60_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const { result, streamed, problems } = await openCdnPage(wasmAs('application/octet-stream'));
  assert.deepEqual(JSON.parse(result.result).rows, expected);
  assert.equal(streamed, 0);
  assert.deepEqual(problems, []);
});

test('no bundler: an HTML page where the .wasm should be gives a message that says so', { timeout: 60_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const { result } = await openCdnPage(() => ({ headers: { 'Content-Type': 'text/html' }, body: SPA_PAGE }));
  assert.match(result.error, /^Error: wasm-embedding: https:\/\/cdn\.jsdelivr\.net\/npm\/wasm-embedding@[^ ]+\/dist\/embedding\.wasm is not a WebAssembly module \(it starts with "<!doctype html><"\).*Serve the \.wasm files next to the module.*init\(\{ wasm \}\)/);
});

// A page whose Content-Security-Policy allows no 'unsafe-eval' (only 'wasm-unsafe-eval', the
// CDN and the page's own inline script, by its hash): the package must build no code from
// strings (no new Function, no eval). Chromium refuses them with an EvalError and a console error.
test('no bundler: a strict Content-Security-Policy (script-src without \'unsafe-eval\'): init() in both builds', { timeout: 60_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const page = readFileSync(join(apps.get('no-bundler'), 'index.html'), 'utf8');
  const inline = /<script type="module">([\s\S]*?)<\/script>/.exec(page)[1];
  const csp = `script-src 'self' 'wasm-unsafe-eval' https://cdn.jsdelivr.net 'sha256-${createHash('sha256').update(inline).digest('base64')}'`;
  const cdn = cdnRoute(wasmAs('application/wasm'));
  const site = { url: '**/*', handler: (route) => (route.request().url().startsWith(CDN) ? cdn.handler(route)
    : route.fulfill({ status: 200, headers: { 'Content-Type': 'text/html', 'Content-Security-Policy': csp }, body: page })) };
  for (const simd of [true, false]) {
    const { result, problems } = await openPage(`http://csp.test/index.html${simd ? '' : '?simd=0'}`, { route: site });
    assert.equal(result.error, undefined, `the page shows an error (${simd ? 'SIMD' : 'scalar'})`);
    assert.equal(JSON.parse(result.result).simd, simd, 'the build asked for');
    assert.deepEqual(JSON.parse(result.result).rows, expected, `the rows Node computes (${simd ? 'SIMD' : 'scalar'})`);
    assert.deepEqual(problems, [], 'no console errors (a CSP violation logs one), page errors or failed requests');
  }
});

// Vite before 8 serves a pre-bundled copy of the package from node_modules/.vite/deps/ and
// answers the .wasm URL next to it with the app's index.html. Played here by a route, as Vite 7's
// dev server answers (tried by hand with Vite 7.3.8): the message must give the one-line fix.
test('Vite before 8, dev server: the message says to exclude the package from pre-bundling', { timeout: 60_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const page = readFileSync(join(ROOT, 'examples/no-bundler/index.html'), 'utf8')
    .replace(/https:\/\/cdn\.jsdelivr\.net\/npm\/wasm-embedding@[^/]+\/dist\/index\.js/, '/node_modules/.vite/deps/wasm-embedding.js?v=0a1b2c3d');
  const vite = { url: 'http://vite.test/**', handler: (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname === '/node_modules/.vite/deps/wasm-embedding.js') {
      return route.fulfill({ status: 200, headers: { 'Content-Type': 'text/javascript' }, body: readFileSync(join(workspace.packageDir, 'dist/index.js')) });
    }
    return route.fulfill({ status: 200, headers: { 'Content-Type': 'text/html' }, body: pathname === '/index.html' ? page : SPA_PAGE });
  } };
  const { result } = await openPage('http://vite.test/index.html', { route: vite });
  assert.match(result.error, /^Error: wasm-embedding: http:\/\/vite\.test\/node_modules\/\.vite\/deps\/embedding\.wasm is not a WebAssembly module .*add optimizeDeps: \{ exclude: \['wasm-embedding'\] \} to the Vite config$/);
});
