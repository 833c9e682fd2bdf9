// Looks rows of a seeded table up and shows them. ?simd=0 loads the scalar build; ?threads=2 the
// threads build (on a cross-origin isolated page, else init() falls back to 1 thread and says why).
import { init, Embedding } from 'wasm-embedding';

const out = document.querySelector('#out');
try {
  const params = new URLSearchParams(location.search);
  const started = performance.now();
  const { simd, threads, threadsFallback } = await init({
    ...(params.get('simd') === '0' && { simd: false }),
    ...(params.has('threads') && { threads: Number(params.get('threads')) }),
  });
  const initMs = performance.now() - started;
  const emb = new Embedding(1000, 4, { paddingIdx: 0, seed: 42 });
  const rows = Array.from(emb.forward([1, 2, 999, 0])); // 4 rows of 4 values
  // A lookup big enough (512K values) to be split across 2 threads; its sum, to compare.
  const sum = emb.forward(Int32Array.from({ length: 1 << 17 }, (_, i) => (i * 7) % 1000)).reduce((a, b) => a + b, 0);
  out.textContent = `SIMD build: ${simd}, threads: ${threads}${threadsFallback ? ` (${threadsFallback})` : ''}, ` +
    `init() took ${initMs.toFixed(1)} ms\nrows 1, 2, 999, 0: ${rows.join(' ')}\nsum of 131072 rows: ${sum}`;
  out.dataset.result = JSON.stringify({ simd, threads, initMs, readyMs: performance.now(), rows, sum });
} catch (err) {
  out.textContent = `${err.name}: ${err.message}`;
  out.dataset.error = out.textContent;
}
