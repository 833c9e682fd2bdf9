// The package as npm users get it: `npm pack`, install the tarball into an empty folder,
// import 'wasm-embedding' by name in Node, and type-check a TypeScript file against it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
let app;
let packed;

before(() => {
  app = mkdtempSync(join(tmpdir(), 'wasm-embedding-app-'));
  packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', app], root))[0];
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(app, packed.filename)], app);
});
after(() => rmSync(app, { recursive: true, force: true }));

test('the tarball holds the browser and Node modules, the three wasm builds, the types and nothing else', () => {
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(files, [
    'LICENSE', 'README.md', 'dist/embedding-scalar.wasm', 'dist/embedding-threads.wasm', 'dist/embedding.wasm',
    'dist/index.d.ts', 'dist/index.js', 'dist/node.js', 'dist/remote.js', 'dist/require.cjs', 'dist/threads-worker.js', 'dist/threads.js',
    'package.json',
  ]);
  assert.deepEqual(readdirSync(join(app, 'node_modules')).filter((d) => !d.startsWith('.')), ['wasm-embedding']);
});

test('every file package.json points at ships, and npm publish --dry-run warns of nothing but the login', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const targets = (value) => (typeof value === 'string' ? [value] : Object.values(value).flatMap(targets));
  const shipped = new Set(packed.files.map((f) => `./${f.path}`));
  for (const path of [pkg.main, pkg.module, pkg.types, ...targets(pkg.exports)]) {
    assert.ok(shipped.has(path), `${path} (in package.json) is in the tarball`);
  }
  const { stderr } = spawnSync('npm', ['publish', '--dry-run'], { cwd: root, encoding: 'utf8' });
  const warnings = stderr.split('\n').filter((line) => /^npm (warn|error)/i.test(line) && !/requires you to be logged in/.test(line));
  assert.deepEqual(warnings, []);
});

// Strict Content-Security-Policy pages (script-src without 'unsafe-eval') refuse code built from
// strings: no shipped file may build any (the Embind runtime, bindings/embind/runtime.js, makes
// its invokers as ordinary closures). Checked on the files as installed from the tarball.
test('no shipped file builds code from strings (new Function, Function(), eval())', () => {
  const pattern = /\bnew\s+Function\b|\bFunction\s*\(|\beval\s*\(/g;
  const texts = packed.files.map((f) => f.path).filter((path) => /\.(m?js|cjs|ts)$/.test(path));
  assert.ok(texts.includes('dist/index.js') && texts.includes('dist/node.js') && texts.includes('dist/threads.js'));
  for (const path of texts) {
    const text = readFileSync(join(app, 'node_modules', 'wasm-embedding', path), 'utf8');
    const found = [...text.matchAll(pattern)].map((m) => JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 40)));
    assert.deepEqual(found, [], `${path} builds code from strings`);
  }
});

test('an app imports the installed package by name and looks rows up, in both builds', () => {
  writeFileSync(join(app, 'main.js'), `
    import { init, Embedding, SGD } from 'wasm-embedding';
    const results = [];
    for (const simd of [true, false]) {
      const info = await init({ simd });
      const emb = new Embedding(10000, 64, { paddingIdx: 0, seed: 1 });
      const out = emb.forward([[1, 2], [3, 0]]);
      emb.backward([[1, 2], [3, 4]], new Float32Array(4 * 64).fill(1));
      const opt = new SGD([emb], { lr: 0.1 });
      opt.step(); opt.zeroGrad();
      results.push({ info, length: out.length, padding: Array.from(out.subarray(192)).every((v) => v === 0),
        first: out[0], moved: emb.lookup(1)[0] - out[0] });
      emb.dispose();
    }
    console.log(JSON.stringify(results));`);
  const [simd, scalar] = JSON.parse(run(process.execPath, ['main.js'], app));
  assert.deepEqual(simd.info, { simd: true, threads: 1, version: '0.1.0' });
  assert.deepEqual(scalar.info, { simd: false, threads: 1, version: '0.1.0' });
  for (const r of [simd, scalar]) {
    assert.equal(r.length, 4 * 64);
    assert.equal(r.padding, true);
    assert.ok(Math.abs(r.moved + 0.1) < 1e-6, `row 1 moved by -lr * 1, got ${r.moved}`);
  }
  assert.equal(simd.first, scalar.first);
});

test('TypeScript users get the types, and misuse fails to compile', () => {
  writeFileSync(join(app, 'main.ts'), `
    import { init, Embedding, EmbeddingBag, SGD, Adagrad, SparseAdam, RowwiseAdagrad, Table,
      saveSafetensors, loadSafetensors, saveNpy, loadNpy, Vocab, loadWordVectors, parseWordVectors, saveWordVectors,
      saveCheckpoint, loadCheckpoint, type Optimizer,
      type InitInfo, type SparseGradient, type NearestResult, type Tensor, type WordVectors, type TableStorage } from 'wasm-embedding';
    const info: InitInfo = await init({ simd: false });
    const emb = new Embedding(100, 8, { paddingIdx: -1, maxNorm: 1, seed: 3 });
    const out: Float32Array = emb.forward([[1, 2], [3, 4]]);
    emb.backward(new Int32Array([1, 2]), new Float32Array(16));
    const grad: SparseGradient | null = emb.grad;
    const opt = new SGD([emb], { lr: 0.1, momentum: 0.9 });
    opt.lr = 0.01;
    opt.step();
    const bag = new EmbeddingBag(100, 8, { mode: 'sum' });
    const pooled: Float32Array = bag.forward([1, 2, 3], [0, 2], [0.5, 1, 2]);
    const pswGrad: Float32Array | undefined = bag.backward([[1, 2], [3, 4]], null, new Float32Array(16));
    const tables: Table[] = [emb, bag];
    const bags = bag.batch(16, 4);
    bags.indices.set([1, 2, 3]);
    bags.offsets.set([0, 2]);
    const pooledZeroCopy: Float32Array = bags.forward(3, 2, { perSampleWeights: true });
    const weightsGrad: Float32Array | undefined = bags.backward(3, 2);
    bags.dispose();
    for (const Opt of [Adagrad, SparseAdam, RowwiseAdagrad]) new Opt([emb, bag], { lr: 0.1 }).step();
    const near: NearestResult = emb.nearest(1, 5, { metric: 'l2', exclude: [2] });
    const batch: Int32Array = emb.nearest(new Int32Array([1, 2]), 3).indices;
    const analogy: Float32Array = bag.analogy(1, 2, 3).scores;
    const file: Uint8Array = saveSafetensors({ w: emb, h: { dtype: 'F16', shape: [2], data: new Float32Array(2) } }, { a: 'b' });
    const loaded: Tensor | undefined = loadSafetensors(file).tensors.w;
    const back: EmbeddingBag = EmbeddingBag.fromSafetensors(file, 'w', { mode: 'sum', freeze: false });
    const npy: Tensor = loadNpy(saveNpy(new Float32Array(6), [2, 3]));
    const checkpoint: Uint8Array = saveCheckpoint({ tables: { emb, bag }, optimizers: { opt: new SGD([emb], { lr: 0.1 }) } }, { epoch: '1' });
    const resumed: Optimizer | undefined = loadCheckpoint(checkpoint).optimizers.opt;
    // @ts-expect-error: the metrics are cosine, dot, l2
    emb.nearest(1, 5, { metric: 'euclid' });
    const { vocab, embedding, duplicates }: WordVectors = parseWordVectors('a 1 2\\nb 3 4\\n', { format: 'glove' });
    const vectors: Promise<WordVectors> = loadWordVectors(new Uint8Array(0), { limit: 10, onProgress: (p) => p.bytesRead });
    const rows: Int32Array = vocab.encode(['a', 'zzz'], { unk: 0 });
    const saved: Uint8Array = saveWordVectors(new Vocab(['x']), embedding, { format: 'word2vec-binary' });
    const small: Embedding = new Embedding(10, 8).quantize('int8');
    const smallBag: EmbeddingBag = bag.quantize('int4');
    const storage: TableStorage = small.storage;
    const fromBytes = EmbeddingBag.fromQuantized(new Uint8Array(10 * 8), { storage: 'int4', numEmbeddings: 10, embeddingDim: 8, mode: 'max' });
    const sizes: number[] = [small.byteLength, smallBag.forward([1], [0]).length, fromBytes.byteLength];
    emb.dispose();
    // @ts-expect-error: 'auto' is for reading only
    saveWordVectors(vocab, embedding, { format: 'auto' });
    // @ts-expect-error: int2 is not a storage
    emb.quantize('int2');
    // @ts-expect-error: fromQuantized needs the storage and the sizes
    Embedding.fromQuantized(new Uint8Array(8), { embeddingDim: 2 });
    // @ts-expect-error: the mode is one of sum, mean, max
    new EmbeddingBag(10, 2, { mode: 'median' });
    // @ts-expect-error: indices are not strings
    emb.forward('1, 2');
    // @ts-expect-error: lr is required
    new SGD([emb], {});
    // @ts-expect-error: numEmbeddings is read-only
    emb.numEmbeddings = 3;
    export const summary = [info.simd, out.length, grad?.indices.length, pooled, pswGrad, tables, near, batch, analogy, loaded, back, npy, duplicates, vectors, rows, saved, pooledZeroCopy, weightsGrad, resumed, storage, sizes];`);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'esnext.disposable'], types: [] },
    files: ['main.ts'],
  }));
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  try {
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
  } catch (err) {
    assert.fail(`tsc failed:\n${err.stdout}${err.stderr}`);
  }
});
