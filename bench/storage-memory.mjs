// Peak memory while streaming GloVe 6B 100-d (scripts/glove-data.mjs) into a table of one
// storage, alone in this fresh process: RSS after init (the baseline), then loadWordVectors from
// a file stream; reports the peak RSS (VmHWM) growth over the baseline against the table's bytes
// plus the vocabulary's (the Vocab's typed arrays: words as UTF-8, their starts, a hash table).
//   node bench/storage-memory.mjs --storage int8      (bench/storage.mjs runs it)
import { createReadStream } from 'node:fs';
import { init, loadWordVectors } from 'wasm-embedding';
import { gloveText } from '../scripts/glove-data.mjs';
import { childArgs, report, rss } from './lib/common.mjs';

const { storage } = childArgs({ storage: 'int8' });
const path = await gloveText({ quiet: true });
await init({ simd: true });
globalThis.gc();
const base = rss();
const baseArrayBuffers = process.memoryUsage().arrayBuffers;
const t0 = performance.now();
const { vocab, embedding } = await loadWordVectors(createReadStream(path), { format: 'glove', storage });
const seconds = (performance.now() - t0) / 1000;
const end = rss();
// The Vocab's bytes: its typed arrays (the words' UTF-8 text, a start a word, the hash table),
// what is left in JS ArrayBuffers once the garbage of the load is collected.
await new Promise((resolve) => setTimeout(resolve, 100)); // the file stream lets go of its buffers
globalThis.gc();
const vocabBytes = process.memoryUsage().arrayBuffers - baseArrayBuffers;
report({
  kind: 'storage-memory', storage, rows: vocab.size, table: embedding.storage, seconds, tableBytes: embedding.byteLength, vocabBytes,
  growth: end.peak - base.rss, ratio: (end.peak - base.rss) / (embedding.byteLength + vocabBytes),
});
