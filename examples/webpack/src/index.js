// Looks rows of a seeded table up and shows them. ?simd=0 loads the scalar build.
import { init, Embedding } from 'wasm-embedding';

const out = document.querySelector('#out');
try {
  const started = performance.now();
  const { simd } = await init(location.search.includes('simd=0') ? { simd: false } : {});
  const initMs = performance.now() - started;
  const emb = new Embedding(1000, 4, { paddingIdx: 0, seed: 42 });
  const rows = Array.from(emb.forward([1, 2, 999, 0])); // 4 rows of 4 values
  out.textContent = `SIMD build: ${simd}, init() took ${initMs.toFixed(1)} ms\nrows 1, 2, 999, 0: ${rows.join(' ')}`;
  out.dataset.result = JSON.stringify({ simd, initMs, readyMs: performance.now(), rows });
} catch (err) {
  out.textContent = `${err.name}: ${err.message}`;
  out.dataset.error = out.textContent;
}
