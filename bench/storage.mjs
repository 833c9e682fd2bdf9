// Compressed tables (`npm run bench:storage`): each storage against float32 in the same run,
// interleaved, medians; ratios are time / time of float32 (below 1: faster).
//   nearest   nearest(row, 10) by cosine over GloVe 6B 100-d (341,479 rows; scripts/glove-data.mjs)
//   forward   gather d = 64, B = 4096, V = 100k (uniform indices): emb.forward(Int32Array, out)
//   bags      EmbeddingBag sum, 4096 bags x 20, V = 100k, d = 64, against onnxruntime-web's
//             GatherBlockQuantized and Gather + DequantizeLinear (int8, one scale a row) + ReduceSum
//   memory    peak RSS growth streaming GloVe into each storage (bench/storage-memory.mjs, one
//             fresh process each), against the table's bytes plus the vocabulary's
//
//   flock /tmp/bench.lock node bench/storage.mjs [--only nearest,forward,bags,memory] [--reps 7]
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { init, Embedding, EmbeddingBag } from 'wasm-embedding';
import { interleave, median, makeIndices, expectClose, rng } from './lib/common.mjs';
import { loadGlove } from './lib/glove.mjs';
import { loadOrt } from './lib/peers.mjs';
import { quantizedBagModels } from './lib/onnx.mjs';

const { values: opts } = parseArgs({
  options: { only: { type: 'string', default: 'nearest,forward,bags,memory' }, reps: { type: 'string', default: '7' } },
});
const SECTIONS = new Set(opts.only.split(','));
const REPS = Number(opts.reps);
const TARGET_MS = 60;
const STORAGES = ['float16', 'int8', 'int4'];
const V = 100000;
const d = 64;

const fmt = (s) => (s < 1e-3 ? `${(s * 1e6).toFixed(0)} µs` : `${(s * 1e3).toFixed(2)} ms`);
function table(title, header, rows) {
  console.log(`\n${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

/** Times the contenders interleaved; prints each median and its ratio to the first. */
async function compare(title, contenders) {
  const samples = await interleave(contenders, { reps: REPS, targetMs: TARGET_MS });
  const base = median(samples.get(contenders[0].name));
  table(title, ['', 'median', 'vs float32'], contenders.map((c) => {
    const t = median(samples.get(c.name));
    return [c.name, fmt(t), `${(t / base).toFixed(2)}×`];
  }));
}

await init({ simd: true });

if (SECTIONS.has('nearest')) {
  const { words, vectors, dim } = await loadGlove();
  const glove = Embedding.fromPretrained(vectors, { embeddingDim: dim });
  const queries = ['king', 'paris', 'computer', 'water', 'music', 'good', 'dog', 'science'].map((w) => words.indexOf(w));
  const tables = [['float32', glove], ...STORAGES.map((s) => [s, glove.quantize(s)])];
  const contenders = tables.map(([name, t]) => {
    let next = 0;
    return { name, run: () => t.nearest(queries[next++ % queries.length], 10) };
  });
  await compare(`nearest(row, 10), cosine, GloVe ${vectors.length / dim} x ${dim} (one query a call, 8 words in turn)`, contenders);
  for (const [, t] of tables) t.dispose();
}

const emb = new Embedding(V, d, { seed: 1 });
const weight = emb.weight;

if (SECTIONS.has('forward')) {
  const B = 4096;
  const indices = makeIndices(V, B, 'uniform');
  const contenders = [['float32', emb], ...STORAGES.map((s) => [s, emb.quantize(s)])].map(([name, t]) => {
    const out = new Float32Array(B * d);
    return { name, run: () => t.forward(indices, out) };
  });
  await compare(`forward: d = ${d}, B = ${B}, V = ${V}, uniform indices (emb.forward(Int32Array, out))`, contenders);
}

if (SECTIONS.has('bags')) {
  const bags = 4096;
  const L = 20;
  const random = rng(11);
  const indices = Int32Array.from({ length: bags * L }, () => Math.floor(random() * V));
  const offsets = Int32Array.from({ length: bags }, (_, b) => b * L);
  const bag = EmbeddingBag.fromPretrained(weight, { embeddingDim: d, mode: 'sum' });
  const contenders = [['float32', bag], ...STORAGES.map((s) => [s, bag.quantize(s)])].map(([name, t]) => ({
    name, run: () => t.forward(indices, offsets),
  }));
  contenders.push(...await ortBags(indices, bags, L));
  await compare(`EmbeddingBag sum: ${bags} bags x ${L}, V = ${V}, d = ${d} (forward(indices, offsets); onnxruntime-web: indices [${bags}, ${L}])`, contenders);
}

// onnxruntime-web on the same bags, int8 rows (q - zero) * scale with one scale and zero point
// a row (its closest layout to FBGEMM's). Each is checked against that formula on two bags.
async function ortBags(indices, bags, L) {
  const ort = await loadOrt();
  const q = new Uint8Array(V * d);
  const scales = new Float32Array(V);
  const zeros = new Uint8Array(V);
  for (let r = 0; r < V; ++r) {
    const row = weight.subarray(r * d, (r + 1) * d);
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of row) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
    scales[r] = (hi - lo) / 255 || 1;
    zeros[r] = Math.min(255, Math.max(0, Math.round(-lo / scales[r])));
    for (let j = 0; j < d; ++j) q[r * d + j] = Math.min(255, Math.max(0, Math.round(row[j] / scales[r]) + zeros[r]));
  }
  const expected = (b) => {
    const out = new Float64Array(d);
    for (let k = 0; k < L; ++k) {
      const r = indices[b * L + k];
      for (let j = 0; j < d; ++j) out[j] += (q[r * d + j] - zeros[r]) * scales[r];
    }
    return out;
  };
  const models = quantizedBagModels(q, scales, zeros, V, d, L);
  const contenders = [];
  for (const [name, bytes] of [['onnxruntime-web GatherBlockQuantized + ReduceSum', models.blockQuantized],
    ['onnxruntime-web Gather + DequantizeLinear + ReduceSum', models.dequantizeLinear]]) {
    try {
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      const input = { indices: new ort.Tensor('int32', indices, [bags, L]) };
      const run = async () => {
        const result = await session.run(input);
        const out = result.out.data;
        result.out.dispose();
        return out;
      };
      const out = await run();
      for (const b of [0, bags - 1]) expectClose(`${name}, bag ${b}`, out.subarray(b * d, (b + 1) * d), expected(b), 1e-4);
      contenders.push({ name, async: true, run });
    } catch (err) {
      console.log(`(${name}: ${err.message.split('\n')[0]})`);
    }
  }
  return contenders;
}

if (SECTIONS.has('memory')) {
  const child = (storage) => new Promise((resolve, reject) => {
    const p = fork(new URL('storage-memory.mjs', import.meta.url), ['--storage', storage], { execArgv: ['--expose-gc'] });
    let result = null;
    p.on('message', (m) => { result = m; });
    p.on('exit', (code) => (result ? resolve(result) : reject(new Error(`storage-memory.mjs --storage ${storage} exited with ${code}`))));
  });
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  const rows = [];
  for (const storage of ['float32', ...STORAGES]) {
    const r = await child(storage);
    rows.push([storage, mb(r.tableBytes), mb(r.vocabBytes), mb(r.growth), `${r.ratio.toFixed(2)}×`, `${r.seconds.toFixed(1)} s`]);
  }
  table('loadWordVectors(GloVe file stream, { storage }): peak RSS growth over the process after init (one fresh process each)',
    ['storage', 'table', 'vocabulary', 'peak growth', 'growth / (table + vocabulary)', 'load time'], rows);
}
