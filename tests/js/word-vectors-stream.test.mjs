// loadWordVectors streaming: every source kind, chunks of 1 byte, 7 bytes and 64 KB giving the
// same table, progress, limit stopping the stream, AbortSignal freeing everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, Embedding, Vocab, loadWordVectors, parseWordVectors, saveWordVectors, memoryUsage } from 'wasm-embedding';

await init();

// A file of 600 rows x 32 values in each format: multi-byte UTF-8 words (split across chunk
// boundaries), values of every length; the text ones are over 64 KB, the binary one too.
const ROWS = 600;
const DIM = 32;
const words = Array.from({ length: ROWS }, (_, i) => `${['naïve', '日本', 'w', '😀x'][i % 4]}${i}`);
const values = Float32Array.from({ length: ROWS * DIM }, (_, i) => Math.sin(i * 0.37) * 10 ** ((i % 9) - 4));
const table = Embedding.fromPretrained(values, { embeddingDim: DIM });
const FILES = Object.fromEntries(['glove', 'word2vec', 'word2vec-binary'].map((format) => [format, saveWordVectors(new Vocab(words), table, { format })]));
const bitsOf = (t) => Array.from(new Uint32Array(t.buffer, t.byteOffset, t.length));
const want = bitsOf(values);

// A ReadableStream handing out `bytes` `size` bytes at a time; counts its pulls.
function chunked(bytes, size, log = {}) {
  let at = 0;
  log.pulls = 0;
  return new ReadableStream({
    pull(controller) {
      log.pulls++;
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, (at += size)));
    },
    cancel(reason) {
      log.cancelled = reason ?? 'cancelled';
    },
  }, { highWaterMark: 0 });
}

async function assertLoads(source, format, label) {
  const { vocab, embedding, duplicates } = await loadWordVectors(source, { format });
  assert.deepEqual(vocab.words, words, `${label}: words`);
  assert.deepEqual(bitsOf(embedding.weight), want, `${label}: values`);
  assert.equal(duplicates, 0);
  embedding.dispose();
}

test('the same table from chunks of 1 byte, 7 bytes and 64 KB, in every format, told or sniffed', async () => {
  // 1-byte chunks cost a promise each: those go through the first 40 rows (multi-byte words
  // split everywhere), the larger ones through the whole file, over 64 KB.
  const SMALL = 40;
  const small = Embedding.fromPretrained(values.subarray(0, SMALL * DIM), { embeddingDim: DIM });
  for (const [format, bytes] of Object.entries(FILES)) {
    assert.ok(bytes.length > 65536, `${format}: ${bytes.length} bytes, over 64 KB`);
    const first = saveWordVectors(new Vocab(words.slice(0, SMALL)), small, { format });
    for (const [file, size, told] of [[first, 1, format], [first, 7, 'auto'], [bytes, 7, format], [bytes, 4093, 'auto'], [bytes, 65536, format], [bytes, 65536, 'auto']]) {
      const label = `${format} as ${told} in ${size}-byte chunks`;
      const rows = file === first ? SMALL : ROWS;
      const { vocab, embedding } = await loadWordVectors(chunked(file, size), { format: told });
      assert.deepEqual(vocab.words, words.slice(0, rows), `${label}: words`);
      assert.deepEqual(bitsOf(embedding.weight), want.slice(0, rows * DIM), `${label}: values`);
      embedding.dispose();
    }
  }
  small.dispose();
});

test('every kind of source gives the same table', async () => {
  const bytes = FILES.word2vec;
  const text = new TextDecoder().decode(bytes);
  const dir = mkdtempSync(join(tmpdir(), 'wasm-embedding-'));
  const path = join(dir, 'vectors.txt');
  writeFileSync(path, bytes);
  async function* pieces() {
    for (let at = 0; at < bytes.length; at += 1000) yield bytes.slice(at, at + 1000);
  }
  try {
    for (const [label, source] of [
      ['a string', text],
      ['a Uint8Array', bytes],
      ['an ArrayBuffer', bytes.slice().buffer],
      ['a Blob', new Blob([bytes])],
      ['a File', new File([bytes], 'vectors.txt')],
      ['a Response', new Response(bytes)],
      ['a ReadableStream', chunked(bytes, 4096)],
      ['an async generator', pieces()],
      ['a Node fs.ReadStream', createReadStream(path, { highWaterMark: 5000 })],
    ]) {
      await assertLoads(source, 'auto', label);
    }
    // Disposed here, not left to the FinalizationRegistry: a later test measures the heap, and a
    // collection freeing it mid-test would move the level.
    const { embedding } = parseWordVectors(text);
    assert.deepEqual(bitsOf(embedding.weight), want, 'parseWordVectors of the text');
    embedding.dispose();
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('onProgress: bytes read of the total as the file streams in, then the final row count', async () => {
  const bytes = FILES.glove;
  const dir = mkdtempSync(join(tmpdir(), 'wasm-embedding-'));
  const path = join(dir, 'vectors.txt');
  writeFileSync(path, bytes);
  try {
    for (const [label, source, totalBytes] of [
      ['Blob', new Blob([bytes]), bytes.length],
      ['fs.ReadStream', createReadStream(path, { highWaterMark: 4096 }), bytes.length],
      ['Response with Content-Length', new Response(chunked(bytes, 4096), { headers: { 'Content-Length': String(bytes.length) } }), bytes.length],
      ['compressed Response', new Response(chunked(bytes, 4096), { headers: { 'Content-Length': '100', 'Content-Encoding': 'gzip' } }), undefined],
      ['ReadableStream', chunked(bytes, 4096), undefined],
    ]) {
      const calls = [];
      const { embedding } = await loadWordVectors(source, { onProgress: (p) => calls.push(p) });
      // Every 1% of a known size, every MiB of an unknown one (more than this file), and at the
      // end. Node's Blob streams in one chunk; a file is read a MiB at a time (more than this one).
      assert.ok(calls.length >= (['Blob', 'fs.ReadStream'].includes(label) ? 2 : totalBytes ? 10 : 1), `${label}: called ${calls.length} times`);
      for (let i = 1; i < calls.length; ++i) {
        assert.ok(calls[i].bytesRead >= calls[i - 1].bytesRead && calls[i].rows >= calls[i - 1].rows, `${label}: progress only grows`);
      }
      assert.ok(calls.every((p) => p.totalBytes === totalBytes), `${label}: totalBytes ${totalBytes}`);
      assert.deepEqual(calls.at(-1), { bytesRead: bytes.length, totalBytes, rows: ROWS }, `${label}: the last call`);
      embedding.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('limit stops reading the stream and cancels it', async () => {
  const log = {};
  const { vocab, embedding } = await loadWordVectors(chunked(FILES['word2vec-binary'], 1024, log), { limit: 10 });
  assert.deepEqual(vocab.words, words.slice(0, 10));
  assert.deepEqual(bitsOf(embedding.weight), want.slice(0, 10 * DIM));
  assert.ok(log.pulls < 5, `read ${log.pulls} chunks of ${Math.ceil(FILES['word2vec-binary'].length / 1024)}`);
  assert.ok(log.cancelled, 'the stream was cancelled');
  embedding.dispose();
});

test('a truncated stream of unknown size is reported where it ends', async () => {
  const binary = FILES['word2vec-binary'];
  await assert.rejects(loadWordVectors(chunked(binary.subarray(0, binary.length - 5), 999)), /byte \d+ \(row 599\): the file ends inside a row \(124 of its 128 bytes of values\)/);
  const text = FILES.word2vec.subarray(0, FILES.word2vec.indexOf(10, 1000)); // whole lines, the last without its newline
  const lines = text.filter((b) => b === 10).length + 1;
  await assert.rejects(loadWordVectors(chunked(text, 999)), new RegExp(`line ${lines}: the file ends after ${lines - 1} rows; its header says 600`));
});

// A stream that hands out `bytes`, calls sent(), then waits forever; aborting must still end the load.
function stalling(bytes, log, sent) {
  log.pulls = 0;
  return new ReadableStream({
    pull(controller) {
      if (log.pulls++ > 0) return new Promise(() => {});
      controller.enqueue(bytes);
      sent();
    },
    cancel(reason) {
      log.cancelled = reason;
    },
  }, { highWaterMark: 0 });
}

test('an AbortSignal mid-file rejects with its reason, cancels the stream and frees all memory', async () => {
  const half = FILES.glove.subarray(0, FILES.glove.length / 2);
  let before;
  for (const reason of [undefined, undefined, new Error('the user closed the page')]) {
    const log = {};
    const controller = new AbortController();
    const load = loadWordVectors(stalling(half, log, () => setTimeout(() => controller.abort(reason), 10)), { signal: controller.signal });
    if (reason === undefined) await assert.rejects(load, (err) => err instanceof DOMException && err.name === 'AbortError');
    else await assert.rejects(load, reason);
    assert.equal(log.pulls, 2, 'half the file parsed, waiting for the rest');
    assert.equal(log.cancelled, controller.signal.reason, 'the stream was cancelled with the reason');
    before ??= memoryUsage().heapInUseBytes; // after a first round: the allocator's layout settles once
    assert.equal(memoryUsage().heapInUseBytes, before, 'heap back to its level');
  }
  // Aborted between chunks of an async iterable, from onProgress itself.
  const controller = new AbortController();
  async function* forever() {
    for (;;) yield FILES.glove.subarray(0, FILES.glove.indexOf(10) + 1);
  }
  await assert.rejects(loadWordVectors(forever(), { format: 'glove', onProgress: () => controller.abort(), signal: controller.signal }), { name: 'AbortError' });
  assert.equal(memoryUsage().heapInUseBytes, before, 'heap back to its level');
  // Already aborted: nothing is read.
  const log = {};
  await assert.rejects(loadWordVectors(chunked(FILES.glove, 100, log), { signal: AbortSignal.abort() }), { name: 'AbortError' });
  assert.equal(log.pulls, 0);
  assert.equal(memoryUsage().heapInUseBytes, before);
});

test('loads and disposes leave the heap and the memory flat', async () => {
  const load = async () => (await loadWordVectors(new Blob([FILES['word2vec-binary']]))).embedding.dispose();
  await load();
  const before = memoryUsage();
  for (let i = 0; i < 30; ++i) await load();
  assert.deepEqual(memoryUsage(), before);
});

test('an exception thrown by onProgress rejects the load and frees everything', async () => {
  const oops = new Error('progress bar gone');
  const load = () => loadWordVectors(chunked(FILES.glove, 5000), { onProgress: () => { throw oops; } });
  await assert.rejects(load(), oops);
  const before = memoryUsage().heapInUseBytes;
  await assert.rejects(load(), oops);
  assert.equal(memoryUsage().heapInUseBytes, before);
});
