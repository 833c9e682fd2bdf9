// Nearest neighbours over GloVe 6B 100-d (341,479 x 100, scripts/glove-data.mjs): nearest(row, 10)
// by cosine against a plain-JS brute force and gensim 4.2's most_similar (numpy, 1 thread, in a
// child process: bench/gensim_nearest.py), all in one run, interleaved, medians; then a batch of
// 64 queries against 64 single ones. Each contender's top 10 is checked against ours first.
//
//   npm run bench:nearest        (= node bench/nearest.mjs; run it under flock /tmp/bench.lock)
//   node bench/nearest.mjs --reps 7 --target 400
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { init, Embedding } from 'wasm-embedding';
import { gloveVectorsPath, loadGlove } from './lib/glove.mjs';
import { RESULTS, median, timeSync } from './lib/common.mjs';

const { values: opts } = parseArgs({ options: { reps: { type: 'string', default: '7' }, target: { type: 'string', default: '400' } } });
const REPS = Number(opts.reps);
const TARGET_MS = Number(opts.target);
const K = 10;
const WORDS = ['king', 'paris', 'computer', 'water', 'music', 'france', 'good', 'quick', 'dog', 'science', 'river', 'war', 'money', 'love', 'car', 'city'];

const { words, vectors, dim } = await loadGlove();
const rows = vectors.length / dim;
const queries = WORDS.map((w) => words.indexOf(w));
const batchRows = Int32Array.from({ length: 64 }, (_, i) => 100 + 3 * i); // 64 frequent words
const show = (indices) => [...indices].map((i) => words[i]).join(' ');

// gensim, in its own process, numpy's BLAS on one thread.
const threads = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
const python = spawn('/usr/bin/python3', [fileURLToPath(new URL('gensim_nearest.py', import.meta.url)), gloveVectorsPath, String(dim)],
  { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...threads } });
const replies = createInterface({ input: python.stdout })[Symbol.asyncIterator]();
const ask = async (line) => {
  if (line) python.stdin.write(`${line}\n`);
  const { value, done } = await replies.next();
  if (done) throw new Error('gensim_nearest.py exited');
  return JSON.parse(value);
};
const versions = await ask(null);

// Ours, both builds.
await init({ simd: true });
const ours = Embedding.fromPretrained(vectors, { embeddingDim: dim });
let start = performance.now();
ours.nearest(queries[0], K);
const firstMs = performance.now() - start; // fills the row-norm cache
start = performance.now();
ours.nearest(queries[1], K);
const secondMs = performance.now() - start;
await init({ simd: false });
const scalar = Embedding.fromPretrained(vectors, { embeddingDim: dim });
scalar.nearest(queries[0], K);

// Plain JS, as a user would write it: inverse norms computed once, then a dot product per row
// and a sorted top-k array.
const inverse = new Float32Array(rows);
for (let r = 0; r < rows; ++r) {
  let s = 0;
  for (let j = 0; j < dim; ++j) s += vectors[r * dim + j] ** 2;
  inverse[r] = s > 0 ? 1 / Math.sqrt(s) : 0;
}
function plainNearest(row, k) {
  const q = vectors.subarray(row * dim, row * dim + dim);
  const bestRow = new Int32Array(k).fill(-1);
  const bestScore = new Float64Array(k).fill(-Infinity);
  for (let r = 0; r < rows; ++r) {
    if (r === row) continue;
    let dot = 0;
    for (let j = 0, at = r * dim; j < dim; ++j) dot += q[j] * vectors[at + j];
    const score = dot * inverse[r];
    if (score <= bestScore[k - 1]) continue;
    let s = k - 1;
    for (; s > 0 && bestScore[s - 1] < score; --s) { bestScore[s] = bestScore[s - 1]; bestRow[s] = bestRow[s - 1]; }
    bestScore[s] = score;
    bestRow[s] = r;
  }
  return bestRow;
}

// Checks: every contender's top 10 for each query word.
const gensimTop = await ask(`check ${queries.join(' ')}`);
const agree = { scalar: 0, plain: 0, gensim: 0 };
queries.forEach((row, q) => {
  const mine = ours.nearest(row, K);
  const same = (other) => other.length === K && [...mine.indices].every((v, i) => v === other[i]);
  const theirs = scalar.nearest(row, K);
  if (!same(theirs.indices) || !theirs.scores.every((s, i) => Object.is(s, mine.scores[i]))) throw new Error(`the scalar build differs for "${WORDS[q]}"`);
  agree.scalar += 1;
  agree.plain += same(plainNearest(row, K));
  agree.gensim += same(gensimTop[q]);
});
const [man, king, woman] = ['man', 'king', 'woman'].map((w) => words.indexOf(w));
const analogy = { ours: show(ours.analogy(man, king, woman, K).indices), gensim: show(await ask(`analogy ${man} ${king} ${woman}`)) };
if (agree.gensim < WORDS.length - 1 || agree.plain < WORDS.length - 1) throw new Error(`top-10 disagreement: ${JSON.stringify(agree)}`);

// Timing: contenders interleaved, the order rotating; medians of REPS windows of TARGET_MS.
let next = 0;
const cycle = () => queries[next++ % queries.length];
const contenders = [
  { key: 'ours', name: 'ours, `emb.nearest(row, 10)` (SIMD)', run: () => ours.nearest(cycle(), K) },
  { key: 'scalar', name: 'ours, scalar build', run: () => scalar.nearest(cycle(), K) },
  { key: 'plain', name: 'plain JS brute force (norms precomputed)', run: () => plainNearest(cycle(), K) },
  { key: 'gensim', name: `gensim ${versions.gensim} \`most_similar\`, numpy ${versions.numpy}, 1 thread`, python: true },
  { key: 'dot', name: "ours, metric 'dot'", run: () => ours.nearest(cycle(), K, { metric: 'dot' }) },
  { key: 'l2', name: "ours, metric 'l2'", run: () => ours.nearest(cycle(), K, { metric: 'l2' }) },
  { key: 'batch', name: 'ours, a batch of 64 rows in one call', run: () => ours.nearest(batchRows, K), per: 64 },
  { key: 'singles', name: 'ours, the same 64 rows one call each', run: () => batchRows.forEach((r) => ours.nearest(r, K)), per: 64 },
];
const samples = Object.fromEntries(contenders.map((c) => [c.key, []]));
for (let rep = 0; rep < REPS; ++rep) {
  for (let i = 0; i < contenders.length; ++i) {
    const c = contenders[(i + rep) % contenders.length];
    const seconds = c.python ? await ask(`time ${TARGET_MS} ${queries.join(' ')}`) : timeSync(c.run, TARGET_MS);
    samples[c.key].push(seconds / (c.per ?? 1));
  }
  process.stderr.write(`  … repetition ${rep + 1} of ${REPS}\n`);
}
python.stdin.end();
const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
const ms = (s) => `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
const ratio = (r) => `${r.toFixed(r < 10 ? 2 : 1)}×`;

const out = [];
const print = (s = '') => { console.log(s); out.push(s); };
print(`nearest(row, 10), cosine, GloVe 6B 100-d (${rows} × ${dim}); medians of ${REPS}; "vs ours" = time / ours (SIMD)`);
print();
print('| contender | per query | vs ours |');
print('|---|---:|---:|');
for (const c of contenders) print(`| ${c.name} | ${ms(med[c.key])} | ${ratio(med[c.key] / med.ours)} |`);
print();
print(`- plain JS / ours: ${ratio(med.plain / med.ours)}; gensim / ours: ${ratio(med.gensim / med.ours)}`);
print(`- a batch of 64 queries: ${ms(med.batch * 64)}, against ${ms(med.singles * 64)} for 64 single calls (${ratio(med.singles / med.batch)} faster, ${ms(med.batch)} a query)`);
print(`- the first cosine search fills the row-norm cache: ${ms(firstMs / 1000)} (the second: ${ms(secondMs / 1000)})`);
print(`- top 10 equal to ours: scalar build ${agree.scalar}/${WORDS.length} (bit for bit), plain JS ${agree.plain}/${WORDS.length}, gensim ${agree.gensim}/${WORDS.length}`);
print(`- king: ${show(ours.nearest(king, K).indices)}`);
print(`- man : king :: woman : ? ours: ${analogy.ours}; gensim: ${analogy.gensim}`);
mkdirSync(RESULTS, { recursive: true });
writeFileSync(new URL('nearest.md', RESULTS), `${out.join('\n')}\n`);
writeFileSync(new URL('nearest.json', RESULTS), JSON.stringify({ versions, reps: REPS, targetMs: TARGET_MS, samples, firstMs, secondMs, agree, analogy }, null, 1));
