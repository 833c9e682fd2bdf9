import { init, Embedding } from 'wasm-embedding';
import { loadGlove } from './lib/glove.mjs';
const { words, vectors, dim } = await loadGlove();
const simd = process.argv[2] !== 'scalar';
await init({ simd });
const emb = Embedding.fromPretrained(vectors, { embeddingDim: dim });
const king = words.indexOf('king');
let t = performance.now();
console.log(emb.nearest(king, 10).indices.map ? [...emb.nearest(king, 10).indices].map((i) => words[i]) : 0);
console.log('first (cache fill)', performance.now() - t);
for (const metric of ['cosine', 'dot', 'l2']) {
  const times = [];
  for (let r = 0; r < 15; ++r) { t = performance.now(); emb.nearest(king + r, 10, { metric }); times.push(performance.now() - t); }
  times.sort((a, b) => a - b); console.log(metric, times[7].toFixed(2), 'ms');
}
const rows = Int32Array.from({ length: 64 }, (_, i) => 1000 + i * 7);
const bt = [];
for (let r = 0; r < 5; ++r) { t = performance.now(); emb.nearest(rows, 10); bt.push(performance.now() - t); }
bt.sort((a,b)=>a-b); console.log('batch64', bt[2].toFixed(1), 'ms');
console.log([...emb.analogy(words.indexOf('man'), words.indexOf('king'), words.indexOf('woman'), 5).indices].map(i=>words[i]));
