// The approximate index on real vectors: GloVe 6B 100-d as the demo ships it (an int8 table,
// 341,479 x 100; scripts/demo-data.mjs prepares it once, outside git). Built with the defaults
// (cosine), the index must find recall@10 >= 0.95 of the int8 table's own exact top 10
// (emb.nearest) over 300 words drawn with a fixed seed, and return their exact scores. On
// this machine: about 10 s to build, a few seconds for the exact answers (docs/approximate-search.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, Embedding } from 'wasm-embedding';
import { demoData } from '../../scripts/demo-data.mjs';
import { WORDS } from '../../scripts/glove-data.mjs';

const QUERIES = 300;
const K = 10;

test('GloVe int8 table: the default index finds recall@10 >= 0.95 of emb.nearest\'s top 10, with its exact scores', async () => {
  await init();
  const dir = await demoData({ quiet: true });
  const table = Embedding.fromSafetensors(readFileSync(join(dir, 'glove.6B.100d.safetensors')), 'weight');
  assert.equal(table.storage, 'int8');
  assert.equal(table.numEmbeddings, WORDS);
  const index = await table.buildIndex();
  assert.ok(table.byteLength + index.byteLength < 137e6, `table + index: ${table.byteLength + index.byteLength} bytes`);
  let seed = 17;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const queries = Int32Array.from({ length: QUERIES }, () => Math.floor(random() * WORDS));
  const truth = table.nearest(queries, K);
  const found = index.nearest(queries, K);
  let hits = 0;
  for (let q = 0; q < QUERIES; ++q) {
    const want = new Map();
    for (let s = 0; s < K; ++s) want.set(truth.indices[q * K + s], truth.scores[q * K + s]);
    for (let s = 0; s < K; ++s) {
      const row = found.indices[q * K + s];
      if (!want.has(row)) continue;
      ++hits;
      assert.ok(Object.is(found.scores[q * K + s], want.get(row)), `query ${queries[q]}: row ${row} scored ${found.scores[q * K + s]}, emb.nearest ${want.get(row)}`);
    }
  }
  const recall = hits / (QUERIES * K);
  console.log(`GloVe int8, default index (${index.lists} lists, nprobe ${index.nprobe}): recall@${K} ${recall} over ${QUERIES} words`);
  assert.ok(recall >= 0.95, `recall@${K} ${recall} < 0.95`);
  index.dispose();
  table.dispose();
});
