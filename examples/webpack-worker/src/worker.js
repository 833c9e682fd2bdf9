// The table lives in the worker: init() there, then answer lookups.
import { init, Embedding } from 'wasm-embedding';

let emb;
self.onmessage = async ({ data }) => {
  try {
    const started = performance.now();
    const { simd } = await init(data.simd ? {} : { simd: false });
    const initMs = performance.now() - started;
    emb ??= new Embedding(1000, 4, { paddingIdx: 0, seed: 42 });
    self.postMessage({ simd, initMs, rows: Array.from(emb.forward(data.indices)) });
  } catch (err) {
    self.postMessage({ error: `${err.name}: ${err.message}` });
  }
};
