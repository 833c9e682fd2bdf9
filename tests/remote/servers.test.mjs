// Remote tables against real servers (nginx, Caddy) and the repository's own static server:
// every storage bit for bit as the whole table in memory, bags, the header in one or two
// requests, merged and multipart requests, one version, persist, bad indices.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { init, Embedding, EmbeddingBag } from '../../dist/node.js';
import { CADDY, NGINX, random, startCaddy, startNginx } from './servers.mjs';
import { assertSameBits, makeFiles } from './tables.mjs';

await init();
const ROWS = 3000;
const DIM = 23; // odd: int4 rows end in half a byte
const files = makeFiles(ROWS, DIM);
const dir = mkdtempSync(join(tmpdir(), 'wasm-embedding-remote-'));
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
const STORAGES = { 'f32.safetensors': 'float32', 'f16.safetensors': 'float32', 'bf16.safetensors': 'float32', 'int8.safetensors': 'int8', 'int4.safetensors': 'int4', 'float16.safetensors': 'float16' };

const servers = [
  ['nginx', NGINX, startNginx],
  ['caddy', CADDY, startCaddy],
  ['serve.mjs', true, async (root) => {
    const { serve } = await import('../../scripts/serve.mjs');
    const s = await serve({ port: 0, quiet: true, dataDir: root, isolated: false });
    return { url: `http://127.0.0.1:${s.port}/data/`, close: s.close };
  }],
];

after(() => rmSync(dir, { recursive: true, force: true }));

for (const [label, available, start] of servers) {
  describe(label, { skip: available ? false : `${label} is not installed (scripts/bootstrap.sh installs it)` }, () => {
    let server;
    before(async () => { server = await start(dir); });
    after(async () => { await server?.close(); });

    for (const [file, storage] of Object.entries(STORAGES)) {
      test(`${file}: random lookups and bags are bit for bit the whole table's`, async () => {
        const local = Embedding.fromSafetensors(files[file]);
        const remote = await Embedding.open(server.url + file, { cacheBytes: 200 * 4 * DIM });
        assert.equal(remote.storage, storage);
        assert.equal(remote.numEmbeddings, ROWS);
        assert.equal(remote.embeddingDim, DIM);
        assert.equal(remote.stats.requests, 1, 'the header in one request');
        const rand = random(file.length);
        for (let k = 0; k < 40; ++k) {
          const n = 1 + Math.floor(rand() * (k % 5 === 0 ? 400 : 30)); // some lookups need more rows than the cache holds
          const idx = Int32Array.from({ length: n }, () => Math.floor(rand() * ROWS));
          assertSameBits(await remote.forward(idx), local.forward(idx), `${file} lookup ${k}`);
        }
        for (const mode of ['sum', 'mean', 'max']) {
          const bagLocal = EmbeddingBag.fromSafetensors(files[file], 'weight', { mode, paddingIdx: 5 });
          const bag = await EmbeddingBag.open(server.url + file, { mode, paddingIdx: 5, cacheBytes: 400 * 4 * DIM });
          for (let k = 0; k < 10; ++k) {
            const n = 1 + Math.floor(rand() * 150);
            const idx = Array.from({ length: n }, () => (rand() < 0.1 ? 5 : Math.floor(rand() * ROWS)));
            const offsets = [0, ...Array.from({ length: 6 }, () => Math.floor(rand() * n)).sort((a, b) => a - b)];
            const weights = mode === 'sum' ? Float32Array.from(idx, () => rand() * 2 - 1) : undefined;
            assertSameBits(await bag.forward(idx, offsets, weights), bagLocal.forward(idx, offsets, weights), `${file} ${mode} bags ${k}`);
          }
          bag.dispose();
          bagLocal.dispose();
          // Bags in pieces when a call needs more rows than the cache holds; one bag past it is a RangeError.
          const small = await EmbeddingBag.open(server.url + file, { mode, cacheBytes: 40 * 4 * DIM });
          const smallLocal = EmbeddingBag.fromSafetensors(files[file], 'weight', { mode });
          const idx = Array.from({ length: 300 }, () => Math.floor(rand() * ROWS));
          const offsets = Array.from({ length: 30 }, (_, b) => b * 10);
          assertSameBits(await small.forward(idx, offsets), smallLocal.forward(idx, offsets), `${file} ${mode} bags in pieces`);
          await assert.rejects(small.forward(idx, [0]), /more distinct rows than the cache/);
          small.dispose();
          smallLocal.dispose();
        }
        const progress = [];
        const whole = await remote.load({ onProgress: (loaded, total) => progress.push([loaded, total]) });
        assertSameBits(whole.weight, local.weight, `${file} load()`);
        assert.ok(progress.length > 0 && progress.every(([a, t], k) => a <= t && (k === 0 || a >= progress[k - 1][0])), 'onProgress rises');
        assert.equal(progress.at(-1)[0], progress.at(-1)[1], 'onProgress ends at the total');
        whole.dispose();
        remote.dispose();
        local.dispose();
      });
    }

    test('bags: 2-D indices, includeLastOffset, load() as an EmbeddingBag', async () => {
      const file = 'int4.safetensors';
      const rand = random(77);
      const local = EmbeddingBag.fromSafetensors(files[file], 'weight', { mode: 'mean', includeLastOffset: true });
      const remote = await EmbeddingBag.open(server.url + file, { mode: 'mean', includeLastOffset: true });
      assert.equal(remote.mode, 'mean');
      assert.equal(remote.includeLastOffset, true);
      const idx = Array.from({ length: 40 }, () => Math.floor(rand() * ROWS));
      assertSameBits(await remote.forward(idx, [0, 7, 7, 40]), local.forward(idx, [0, 7, 7, 40]), 'includeLastOffset');
      const twoD = [idx.slice(0, 5), idx.slice(5, 10), idx.slice(10, 15)];
      assertSameBits(await remote.forward(twoD), local.forward(twoD), '2-D bags');
      await assert.rejects(remote.forward(idx, [0, 7]), /with includeLastOffset, the last offset must equal the number of indices \(40\), got 7/);
      const whole = await remote.load();
      assert.ok(whole instanceof EmbeddingBag);
      assert.equal(whole.mode, 'mean');
      assertSameBits(whole.forward(idx, [0, 40]), local.forward(idx, [0, 40]), 'load() as a bag');
      whole.dispose();
      remote.dispose();
      local.dispose();
    });

    test('few requests: 200 random rows in one request (multipart), a cached row asked again costs none', async () => {
      const remote = await Embedding.open(server.url + 'int8.safetensors');
      const rand = random(3);
      const idx = Array.from({ length: 200 }, () => Math.floor(rand() * ROWS));
      await remote.forward(idx);
      assert.equal(remote.stats.requests, 2, `header + one multipart request, got ${remote.stats.requests}`);
      await remote.forward(idx.slice(0, 50));
      assert.equal(remote.stats.requests, 2);
      assert.ok(remote.stats.cacheHits >= 50);
      // Concurrent callers asking for the same rows share one request.
      const more = Array.from({ length: 20 }, () => Math.floor(rand() * ROWS));
      await Promise.all([remote.forward(more), remote.forward(more), remote.forward(more.slice(3))]);
      assert.equal(remote.stats.requests, 3);
      remote.dispose();
    });

    test('a header longer than the first request takes a second; a tensor by name', async () => {
      const local = Embedding.fromSafetensors(files['long-header.safetensors'], 'emb');
      const remote = await Embedding.open(server.url + 'long-header.safetensors', { name: 'emb' });
      assert.equal(remote.stats.requests, 2);
      assert.equal(remote.storage, 'int8');
      const idx = [0, 1, ROWS - 1, 77];
      assertSameBits(await remote.forward(idx), local.forward(idx), 'long header');
      await assert.rejects(Embedding.open(server.url + 'long-header.safetensors', { name: 'nope' }), /no tensor named "nope".*"aaa", "emb"/);
      remote.dispose();
    });

    test('bad indices are rejected as Embedding.forward rejects them, before any request', async () => {
      const local = Embedding.fromSafetensors(files['int8.safetensors']);
      const remote = await Embedding.open(server.url + 'int8.safetensors');
      const before = remote.stats.requests;
      for (const bad of [[0, ROWS], [-1], [1.5], 'x', new Int32Array([3, ROWS + 2]), [[1, 2], [3, ROWS]]]) {
        let expected;
        try { local.forward(bad); } catch (err) { expected = err; }
        await assert.rejects(remote.forward(bad), (err) => err.constructor === expected.constructor && err.message === expected.message);
      }
      assert.equal(remote.stats.requests, before);
      remote.dispose();
      local.dispose();
    });
  });
}

describe('one version and persist (nginx)', { skip: NGINX ? false : 'nginx is not installed' }, () => {
  let server;
  let root;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'wasm-embedding-remote-v-'));
    writeFileSync(join(root, 't.safetensors'), files['int8.safetensors']);
    server = await startNginx(root);
  });
  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a file replaced after its header was read: lookups reject saying it changed, never rows of two versions', async () => {
    writeFileSync(join(root, 'c.safetensors'), files['int8.safetensors']);
    const remote = await Embedding.open(server.url + 'c.safetensors');
    const local = Embedding.fromSafetensors(files['int8.safetensors']);
    assertSameBits(await remote.forward([1, 2, 3]), local.forward([1, 2, 3]), 'before');
    await new Promise((r) => setTimeout(r, 1100)); // a new Last-Modified second, so a new ETag
    writeFileSync(join(root, 'c.safetensors'), files['float16.safetensors']);
    await assert.rejects(remote.forward([10, 11]), /changed since its header was read/);
    await assert.rejects(remote.forward([1]), /changed/);
    remote.dispose();
    local.dispose();
  });

  test('persist: rows fetched once come from the directory after a reopen; a new version drops them', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'wasm-embedding-persist-'));
    try {
      const local = Embedding.fromSafetensors(files['int8.safetensors']);
      const idx = [5, 900, 901, 2999, 42];
      const first = await Embedding.open(server.url + 't.safetensors', { persist: cache });
      assertSameBits(await first.forward(idx), local.forward(idx), 'first');
      first.dispose();
      await new Promise((r) => setTimeout(r, 100)); // writes settle
      const second = await Embedding.open(server.url + 't.safetensors', { persist: cache });
      assertSameBits(await second.forward(idx), local.forward(idx), 'second');
      assert.equal(second.stats.requests, 1, 'only the header');
      assert.equal(second.stats.persistHits, 5);
      second.dispose();
      const [urlDir] = readdirSync(cache);
      const versions = readdirSync(join(cache, urlDir));
      assert.equal(versions.length, 1);
      await new Promise((r) => setTimeout(r, 1100));
      writeFileSync(join(root, 't.safetensors'), files['int8.safetensors']); // same bytes, new version
      const third = await Embedding.open(server.url + 't.safetensors', { persist: cache });
      const after = readdirSync(join(cache, urlDir));
      assert.equal(after.length, 1);
      assert.notEqual(after[0], versions[0], 'the old version is gone');
      assertSameBits(await third.forward(idx), local.forward(idx), 'third');
      assert.equal(third.stats.persistHits, 0);
      third.dispose();
      local.dispose();
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
