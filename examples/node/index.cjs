// Node, CommonJS: require() loads the ES module on Node >= 20.19 and >= 22.12 (require(esm)).
// `node index.cjs --scalar` loads the scalar build.
const { init, Embedding } = require('wasm-embedding');

init(process.argv.includes('--scalar') ? { simd: false } : {}).then(({ simd }) => {
  const emb = new Embedding(1000, 4, { paddingIdx: 0, seed: 42 });
  const rows = Array.from(emb.forward([1, 2, 999, 0]));
  console.log(JSON.stringify({ simd, rows }));
  emb.dispose();
});
