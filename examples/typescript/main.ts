// Type-checks against the package's types; runs in Node or, bundled, in a browser.
import { init, Embedding, type InitInfo } from 'wasm-embedding';

const info: InitInfo = await init();
const emb = new Embedding(1000, 4, { paddingIdx: 0, seed: 42 });
const rows: Float32Array = emb.forward([1, 2, 999, 0]);
console.log(JSON.stringify({ simd: info.simd, rows: Array.from(rows) }));
emb.dispose();
