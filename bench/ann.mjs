// Approximate nearest neighbours on GloVe 6B 100-d (cosine, 1 thread): this package's index
// (float32 and int8 tables) against hnswlib-node (native hnswlib), usearch (native) and
// hnswlib-wasm (hnswlib compiled with Emscripten), in one process, interleaved:
//   build time, bytes, save/load, recall@10 against exact search vs µs per query over a sweep
//   of each library's search option (ours: nprobe; hnswlib, usearch: ef), medians of --repeats.
// Writes bench/results/ann.md (the table) and bench/results/ann.svg (recall vs µs per query).
//
//   node bench/ann.mjs [--rows N] [--queries 1000] [--repeats 3] [--peers hnswlib-node,usearch,hnswlib-wasm]
//
// Peers (bench/ann/package.json) are installed here on first use, never package dependencies.
// hnswlib builds of the whole set take minutes (M = 16, efConstruction = 200): hnswlib-node's
// and usearch's are cached in ~/.cache/wasm-embedding/ann-bench/ (keyed by rows), so reruns
// only search. hnswlib-wasm cannot write its index to disk from Node (no FS export), so it is
// built every run: by default it joins only runs of --rows 60000 or fewer.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, Embedding } from '../dist/node.js';
import { loadGlove } from './lib/glove.mjs';
import { renderSvg } from './lib/ann-plot.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a, i, all) => (a.startsWith('--') ? [a.slice(2), all[i + 1]] : null)).filter(Boolean));
const K = 10;
const QUERIES = Number(args.queries ?? 1000);
const REPEATS = Number(args.repeats ?? 3);
const M = 16;
const EF_CONSTRUCTION = 200;
const EFS = [10, 20, 40, 80, 120, 160, 240, 320, 480, 640];
const root = fileURLToPath(new URL('..', import.meta.url));
const peersDir = join(root, 'bench/ann');
const cache = join(homedir(), '.cache/wasm-embedding/ann-bench');
const results = join(root, 'bench/results');

const log = (text) => process.stderr.write(`${text}\n`);
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- data
await init();
const glove = await loadGlove();
const totalRows = glove.vectors.length / glove.dim;
const rows = Math.min(totalRows, Number(args.rows ?? totalRows));
const dim = glove.dim;
const vectors = glove.vectors.subarray(0, rows * dim);
const defaultPeers = rows <= 60000 ? 'hnswlib-node,usearch,hnswlib-wasm' : 'hnswlib-node,usearch';
const peers = (args.peers ?? defaultPeers).split(',').filter(Boolean);
if (peers.length > 0 && !existsSync(join(peersDir, 'node_modules'))) {
  log('ann: installing the peers (bench/ann/package.json)');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', peersDir], { stdio: 'inherit' });
}
const requirePeer = createRequire(join(peersDir, 'package.json'));
mkdirSync(cache, { recursive: true });
mkdirSync(results, { recursive: true });

let seed = 2026;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const queries = Int32Array.from({ length: QUERIES }, () => Math.floor(random() * rows));
const f32 = Embedding.fromPretrained(vectors, { embeddingDim: dim });
const int8 = f32.quantize('int8');
let t0 = now();
const truth = f32.nearest(queries, K).indices;
const exactBatchUs = ((now() - t0) / QUERIES) * 1000;
t0 = now();
for (let q = 0; q < Math.min(100, QUERIES); ++q) f32.nearest(queries[q], K);
const exactSingleUs = ((now() - t0) / Math.min(100, QUERIES)) * 1000;
log(`ann: GloVe ${rows} x ${dim}, ${QUERIES} queries; exact: ${exactSingleUs.toFixed(0)} µs single, ${exactBatchUs.toFixed(0)} µs batched`);

// Recall against the exact search of the same table (an int8 table's own neighbours).
const recallOf = (found, selfDropped, exact = truth) => {
  let hits = 0;
  for (let q = 0; q < QUERIES; ++q) {
    const want = new Set(exact.subarray(q * K, (q + 1) * K));
    for (const r of selfDropped(found, q)) hits += want.has(r);
  }
  return hits / (QUERIES * K);
};
const vector = (r) => vectors.subarray(r * dim, (r + 1) * dim);
// The query vectors as arrays of their own (a view into the 137 MB set slows usearch's binding down 10x).
const queryVectors = Array.from(queries, (r) => vectors.slice(r * dim, (r + 1) * dim));
// A peer's k + 1 results for row q's vector without the row itself.
const dropSelf = (neighbors, q) => neighbors.filter((r) => r !== queries[q]).slice(0, K);

// ---- contenders: { name, build: { seconds, bytes, cached }, params, run(param) -> found per query }
const contenders = [];

async function ours(name, table) {
  t0 = now();
  const index = await table.buildIndex({ metric: 'cosine' });
  const seconds = (now() - t0) / 1000;
  const saved = index.save();
  t0 = now();
  const loaded = table.loadIndex(saved);
  const loadSeconds = (now() - t0) / 1000;
  const a = index.nearest(queries.subarray(0, 50), K);
  const b = loaded.nearest(queries.subarray(0, 50), K);
  const same = a.indices.every((v, i) => v === b.indices[i]) && a.scores.every((v, i) => Object.is(v, b.scores[i]));
  loaded.dispose();
  const lists = index.lists;
  const scaled = [8, 16, 24, 32, 48, 80, 96, 128, 192, 256].map((p) => Math.max(1, Math.min(lists, Math.round((p * lists) / 1169))));
  const params = [...new Set([...scaled, index.nprobe])].sort((a, b) => a - b);
  log(`ann: ${name}: build ${seconds.toFixed(1)} s, index ${(index.byteLength / 1e6).toFixed(1)} MB + table ${(table.byteLength / 1e6).toFixed(1)} MB, load ${(loadSeconds * 1000).toFixed(0)} ms, save/load identical: ${same}, default nprobe ${index.nprobe}`);
  contenders.push({
    name, param: 'nprobe', truth: table === f32 ? truth : table.nearest(queries, K).indices, defaultParam: index.nprobe, params,
    build: { seconds, bytes: index.byteLength + table.byteLength, indexBytes: index.byteLength, loadSeconds, same, batchTimes: [] },
    // All the queries in one call, defaults: µs a query.
    batch() {
      const t = now();
      index.nearest(queries, K);
      return ((now() - t) / QUERIES) * 1000;
    },
    run(nprobe) {
      const found = [];
      for (let q = 0; q < QUERIES; ++q) found.push(Array.from(index.nearest(queries[q], K, { nprobe }).indices));
      return found;
    },
  });
}

function cachedBuild(file, build, load) {
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) {
    const info = JSON.parse(readFileSync(meta, 'utf8'));
    return { ...info, cached: true, handle: load(file) };
  }
  t0 = now();
  const handle = build();
  const seconds = (now() - t0) / 1000;
  handle.save(file);
  const info = { seconds, bytes: readFileSync(file).length };
  writeFileSync(meta, JSON.stringify(info));
  return { ...info, cached: false, handle: handle.index };
}

function hnswlibNode() {
  const { HierarchicalNSW } = requirePeer('hnswlib-node');
  const file = join(cache, `hnswlib-node-${rows}-M${M}-efc${EF_CONSTRUCTION}.bin`);
  const built = cachedBuild(file, () => {
    log(`ann: building hnswlib-node over ${rows} rows (minutes; cached afterwards)`);
    const index = new HierarchicalNSW('cosine', dim);
    index.initIndex(rows, M, EF_CONSTRUCTION, 100);
    for (let r = 0; r < rows; ++r) index.addPoint(Array.from(vector(r)), r);
    return { index, save: (f) => index.writeIndexSync(f) };
  }, (f) => {
    const index = new HierarchicalNSW('cosine', dim);
    index.readIndexSync(f);
    return index;
  });
  const index = built.handle;
  const arrays = Array.from(queries, (r) => Array.from(vector(r)));
  contenders.push({
    name: 'hnswlib-node', param: 'ef', params: EFS, build: built,
    run(ef) {
      index.setEf(ef);
      const found = [];
      for (let q = 0; q < QUERIES; ++q) found.push(dropSelf(index.searchKnn(arrays[q], K + 1).neighbors, q));
      return found;
    },
  });
}

function usearch() {
  const { Index } = requirePeer('usearch');
  const file = join(cache, `usearch-${rows}-M${M}-efc${EF_CONSTRUCTION}.usearch`);
  const config = (ef) => ({ dimensions: dim, metric: 'cos', connectivity: M, expansion_add: EF_CONSTRUCTION, expansion_search: ef });
  const built = cachedBuild(file, () => {
    log(`ann: building usearch over ${rows} rows, 1 thread (minutes; cached afterwards)`);
    const index = new Index(config(64));
    for (let r = 0; r < rows; ++r) index.add(BigInt(r), vector(r), 1);
    return { index, save: (f) => index.save(f) };
  }, () => null);
  const byEf = new Map();
  contenders.push({
    name: 'usearch', param: 'ef', params: EFS, build: built,
    run(ef) {
      if (!byEf.has(ef)) {
        const index = new Index(config(ef));
        index.view(file); // memory-mapped: the copies for each ef share the file's pages
        byEf.set(ef, index);
      }
      const index = byEf.get(ef);
      const found = [];
      for (let q = 0; q < QUERIES; ++q) found.push(dropSelf(Array.from(index.search(queryVectors[q], K + 1, 1).keys, Number), q));
      return found;
    },
  });
}

async function hnswlibWasm() {
  globalThis.window = globalThis; // hnswlib-wasm looks for a browser
  await import(requirePeer.resolve('fake-indexeddb/auto'));
  const { loadHnswlib } = await import(join(peersDir, 'node_modules/hnswlib-wasm/dist/hnswlib.js'));
  const lib = await loadHnswlib();
  log(`ann: building hnswlib-wasm over ${rows} rows (not cacheable from Node)`);
  t0 = now();
  const index = new lib.HierarchicalNSW('cosine', dim, '');
  index.initIndex(rows, M, EF_CONSTRUCTION, 100);
  for (let r = 0; r < rows; ++r) index.addPoint(vector(r), r, false);
  const seconds = (now() - t0) / 1000;
  contenders.push({
    name: 'hnswlib-wasm', param: 'ef', params: EFS, build: { seconds, bytes: NaN, cached: false },
    run(ef) {
      index.setEfSearch(ef);
      const found = [];
      for (let q = 0; q < QUERIES; ++q) found.push(dropSelf(index.searchKnn(queryVectors[q], K + 1, undefined).neighbors, q));
      return found;
    },
  });
}

await ours('ours (float32 table)', f32);
await ours('ours (int8 table)', int8);
if (peers.includes('hnswlib-node')) hnswlibNode();
if (peers.includes('usearch')) usearch();
if (peers.includes('hnswlib-wasm')) await hnswlibWasm();

// ---- sweeps, interleaved: every contender's every point once per repeat
const points = new Map(); // `${name}:${param}` -> { recall, times: [] }
for (let rep = 0; rep < REPEATS; ++rep) {
  for (const c of contenders) {
    for (const p of c.params) {
      const key = `${c.name}:${p}`;
      t0 = now();
      const found = c.run(p);
      const us = ((now() - t0) / QUERIES) * 1000;
      if (!points.has(key)) points.set(key, { recall: recallOf(found, (f, q) => f[q], c.truth), times: [] });
      points.get(key).times.push(us);
    }
    if (c.batch) c.build.batchTimes.push(c.batch());
  }
  log(`ann: repeat ${rep + 1}/${REPEATS} done`);
}

// ---- report
const series = contenders.map((c) => ({
  name: c.name,
  points: c.params.map((p) => ({ param: p, recall: points.get(`${c.name}:${p}`).recall, us: median(points.get(`${c.name}:${p}`).times) })),
}));
const fastestAt = (s, floor) => s.points.filter((p) => p.recall >= floor).sort((a, b) => a.us - b.us)[0];
const fmtUs = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`);
const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(0)} MB` : 'n/a');
const lines = [];
lines.push(`GloVe 6B 100-d, ${rows.toLocaleString('en')} × ${dim}, cosine, ${QUERIES} random rows as queries (each left out of its own results), k = ${K}, 1 thread, medians of ${REPEATS} interleaved runs; exact search: ${fmtUs(exactSingleUs)} a query, ${fmtUs(exactBatchUs)} batched. \`node bench/ann.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\`, ${new Date().toISOString().slice(0, 16)}Z.`);
lines.push('');
lines.push('| library | build | bytes (table + index) | recall@10 ≥ 0.95: fastest | recall@10 ≥ 0.99: fastest |');
lines.push('|---|---:|---:|---|---|');
for (const c of contenders) {
  const s = series.find((x) => x.name === c.name);
  const at95 = fastestAt(s, 0.95);
  const at99 = fastestAt(s, 0.99);
  const cell = (p) => (p ? `${fmtUs(p.us)} (${c.param} ${p.param}, ${p.recall.toFixed(3)})` : 'not reached');
  const build = `${c.build.seconds.toFixed(1)} s${c.build.cached ? ' (cached)' : ''}`;
  lines.push(`| ${c.name} | ${build} | ${mb(c.build.bytes)} | ${cell(at95)} | ${cell(at99)} |`);
}
lines.push('');
for (const c of contenders.filter((x) => x.defaultParam !== undefined)) {
  const p = series.find((x) => x.name === c.name).points.find((x) => x.param === c.defaultParam)
    ?? (() => { const found = c.run(c.defaultParam); return { recall: recallOf(found, (f, q) => f[q], c.truth), us: NaN }; })();
  lines.push(`- ${c.name}, defaults (nprobe ${c.defaultParam}): recall@10 ${p.recall.toFixed(3)}, ${Number.isFinite(p.us) ? fmtUs(p.us) : '—'} a query, ${fmtUs(median(c.build.batchTimes))} a query in one batch of ${QUERIES}; index ${mb(c.build.indexBytes)}; load ${(c.build.loadSeconds * 1000).toFixed(0)} ms (${(c.build.loadSeconds / c.build.seconds).toFixed(3)} of the build); save → load answers identical: ${c.build.same}.`);
}
lines.push('');
lines.push(`| library | ${series[0] ? 'param' : ''} | recall@10 | µs / query |`);
lines.push('|---|---:|---:|---:|');
for (const s of series) for (const p of s.points) lines.push(`| ${s.name} | ${contenders.find((c) => c.name === s.name).param} ${p.param} | ${p.recall.toFixed(4)} | ${p.us.toFixed(0)} |`);
const markdown = lines.join('\n');
writeFileSync(join(results, 'ann.md'), `${markdown}\n`);
writeFileSync(join(results, 'ann.json'), JSON.stringify({ rows, dim, queries: QUERIES, series, builds: contenders.map((c) => ({ name: c.name, ...c.build })) }, null, 1));
writeFileSync(join(results, 'ann.svg'), renderSvg(series, `recall@10 vs time per query — GloVe ${rows.toLocaleString('en')} × ${dim}, cosine, 1 thread`));
console.log(markdown);
log(`ann: wrote bench/results/ann.md, ann.svg, ann.json`);
