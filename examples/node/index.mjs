// Node, ES module. `node index.mjs --scalar` loads the scalar build.
import { init, Embedding } from 'wasm-embedding';

const { simd } = await init(process.argv.includes('--scalar') ? { simd: false } : {});
const emb = new Embedding(1000, 4, { paddingIdx: 0, seed: 42 });
const rows = Array.from(emb.forward([1, 2, 999, 0])); // 4 rows of 4 values
console.log(JSON.stringify({ simd, rows }));
emb.dispose();
