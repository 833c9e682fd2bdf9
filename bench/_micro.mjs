import { init, Embedding, EmbeddingBag } from 'wasm-embedding';
import { makeIndices, rng } from './lib/common.mjs';
await init({ simd: true });
const V = 100000, d = Number(process.argv[2] ?? 64), B = 4096;
const emb = new Embedding(V, d, { seed: 1 });
const idx = makeIndices(V, B, 'uniform');
const tables = [['float32', emb], ...['float16', 'int8', 'int4'].map((s) => [s, emb.quantize(s)])];
const out = new Float32Array(B * d);
const random = rng(11);
const bagIdx = Int32Array.from({ length: 4096 * 20 }, () => Math.floor(random() * V));
const offsets = Int32Array.from({ length: 4096 }, (_, b) => b * 20);
const bag = EmbeddingBag.fromPretrained(emb.weight, { embeddingDim: d, mode: 'sum' });
const bags = [['float32', bag], ...['float16', 'int8', 'int4'].map((s) => [s, bag.quantize(s)])];
const best = new Map();
for (let rep = 0; rep < 15; ++rep) {
  for (const [name, t] of tables) {
    const t0 = performance.now();
    for (let k = 0; k < 20; ++k) t.forward(idx, out);
    best.set('gather ' + name, Math.min(best.get('gather ' + name) ?? Infinity, (performance.now() - t0) / 20));
  }
  for (const [name, t] of bags) {
    const t0 = performance.now();
    t.forward(bagIdx, offsets);
    best.set('bag ' + name, Math.min(best.get('bag ' + name) ?? Infinity, performance.now() - t0));
  }
}
for (const [n, t] of best) console.log(n.padEnd(16), t.toFixed(3), 'ms', (t / best.get(n.split(' ')[0] + ' float32')).toFixed(2));
