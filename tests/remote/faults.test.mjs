// Remote tables under faults: a server that fails a share of requests (500, 503, 429, resets
// mid-body, short bodies, wrong Content-Range, longer bodies, Range ignored, broken multipart),
// with latency, and a file replaced under a new ETag. Thousands of seeded random lookups: each
// one resolves bit for bit as the whole table in memory, or rejects with an Error naming the
// URL; none hangs (the test's timeout bounds it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { init, Embedding, EmbeddingBag } from '../../dist/node.js';
import { random, startFaultServer } from './servers.mjs';
import { assertSameBits, makeFiles } from './tables.mjs';

await init();
const ROWS = 2000;
const DIM = 16;
const files = makeFiles(ROWS, DIM, 11);
const FAST = { retries: 3, retryDelay: 1, timeout: 2000 };

async function openRetrying(cls, url, options) {
  for (let attempt = 0; ; ++attempt) {
    try {
      return await cls.open(url, options);
    } catch (err) {
      if (attempt >= 20) throw err;
    }
  }
}

describe('faults', { timeout: 60_000 }, () => {
  let server;
  before(async () => { server = await startFaultServer(files, { seed: 42, latencyMs: 4 }); });
  after(async () => { await server?.close(); });

  for (const file of ['f32.safetensors', 'int8.safetensors', 'int4.safetensors', 'bf16.safetensors']) {
    test(`${file}: 800 random lookups and 200 bags under a 15% fault rate`, { timeout: 30_000 }, async () => {
      server.setRate(Number(process.env.RATE ?? 0.15));
      const url = server.url + file;
      const local = Embedding.fromSafetensors(files[file]);
      const localBag = EmbeddingBag.fromSafetensors(files[file], 'weight', { mode: 'sum' });
      const remote = await openRetrying(Embedding, url, { ...FAST, cacheBytes: 40 * 4 * DIM });
      const bag = await openRetrying(EmbeddingBag, url, { ...FAST, mode: 'sum', cacheBytes: 60 * 4 * DIM });
      const rand = random(file.length * 31);
      let resolved = 0;
      let rejected = 0;
      const check = async (p, expected, what) => {
        try {
          assertSameBits(await p, expected, what);
          ++resolved;
        } catch (err) {
          if (err?.code === 'ERR_ASSERTION') throw err;
          assert.ok(err instanceof Error, `${what}: rejected with ${err}, not an Error`);
          assert.ok(err.message.includes(url), `${what}: the message does not name the URL: ${err.message}`);
          assert.doesNotMatch(err.message, /changed since/, `${what}: a fault read as a new version`);
          ++rejected;
        }
      };
      for (let wave = 0; wave < 50; ++wave) {
        const calls = [];
        for (let k = 0; k < 16; ++k) {
          const idx = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => Math.floor(rand() * ROWS));
          calls.push(check(remote.forward(idx), local.forward(idx), `${file} wave ${wave} call ${k}`));
        }
        for (let k = 0; k < 4; ++k) {
          const idx = Array.from({ length: 1 + Math.floor(rand() * 30) }, () => Math.floor(rand() * ROWS));
          const offsets = [0, Math.floor(idx.length / 2)];
          const w = Float32Array.from(idx, () => rand());
          calls.push(check(bag.forward(idx, offsets, w), localBag.forward(idx, offsets, w), `${file} bags wave ${wave} call ${k}`));
        }
        await Promise.all(calls);
      }
      assert.ok(resolved > 300, `only ${resolved} of 1000 lookups resolved`);
      assert.ok(rejected > 0, 'no lookup failed: the faults did not reach the client');
      // Nothing from a bad response was cached: with the faults off, every row is right.
      server.setRate(0);
      const all = Int32Array.from({ length: ROWS }, (_, i) => i);
      assertSameBits(await remote.forward(all), local.forward(all), `${file} every row after the faults`);
      remote.dispose();
      bag.dispose();
      local.dispose();
      localBag.dispose();
    });
  }

  test('a server that answers only the first of several ranges: one range per request from then on', async () => {
    const single = await startFaultServer(files, { multipart: false });
    try {
      const local = Embedding.fromSafetensors(files['int8.safetensors']);
      const remote = await Embedding.open(single.url + 'int8.safetensors', { mergeGap: 0 });
      const idx = [3, 900, 1800, 77, 1999];
      assertSameBits(await remote.forward(idx), local.forward(idx), 'single ranges');
      assertSameBits(await remote.forward([1000, 5, 1500]), local.forward([1000, 5, 1500]), 'then one range a request');
      assert.equal(remote.stats.requests, 1 + 1 + 5 + 3);
      remote.dispose();
      local.dispose();
    } finally {
      await single.close();
    }
  });

  test('a file replaced under a new ETag while lookups run: rows of one version, then Errors saying it changed', async () => {
    server.setRate(0.1);
    const url = server.url + 'int8.safetensors';
    const v1 = Embedding.fromSafetensors(files['int8.safetensors']);
    const remote = await openRetrying(Embedding, url, { ...FAST, cacheBytes: 30 * 24 });
    const rand = random(5);
    let changed = 0;
    for (let wave = 0; wave < 20; ++wave) {
      if (wave === 8) server.replace('int8.safetensors', makeFiles(ROWS, DIM, 99)['int8.safetensors']);
      await Promise.all(Array.from({ length: 16 }, async () => {
        const idx = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * ROWS));
        try {
          assertSameBits(await remote.forward(idx), v1.forward(idx), `wave ${wave}`);
        } catch (err) {
          if (err?.code === 'ERR_ASSERTION') throw err;
          assert.ok(err instanceof Error);
          if (/changed since its header was read/.test(err.message)) ++changed;
        }
      }));
    }
    assert.ok(changed > 0, 'the change was never reported');
    await assert.rejects(remote.forward([0, 1, 2, 3, 4, 5, 6, 7]), /changed since its header was read/);
    remote.dispose();
    v1.dispose();
    server.setRate(0);
  });
});

// A fetch that answers from a script: each call gets the next response (or hangs, or throws).
function scriptedFetch(bytes, script) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push(init);
    const step = script(calls.length - 1, init);
    if (step === 'hang') {
      return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason ?? new Error('aborted'))));
    }
    if (step === 'throw') throw new TypeError('fetch failed');
    if (step instanceof Response) return step;
    const [, a, b] = /bytes=(\d+)-(\d+)/.exec(init.headers.get('Range'));
    const start = Number(a);
    const end = Math.min(Number(b), bytes.length - 1);
    return new Response(bytes.slice(start, end + 1), { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, ETag: '"1"' } });
  };
  return { fetch, calls };
}

describe('retries, timeouts, aborting, servers that ignore Range', () => {
  const bytes = files['int8.safetensors'];
  const local = Embedding.fromSafetensors(bytes);

  test('5xx: at most retries + 1 attempts, then an Error naming the URL and the bytes', async () => {
    const { fetch, calls } = scriptedFetch(bytes, (i) => (i === 0 ? null : new Response('no', { status: 503 })));
    const remote = await Embedding.open('http://example.test/t', { fetch, retries: 2, retryDelay: 1 });
    await assert.rejects(remote.forward([7]), /http:\/\/example\.test\/t bytes \d+-\d+: HTTP 503.*after 3 attempts/);
    assert.equal(calls.length, 4);
    assert.equal(remote.stats.requests, 4);
    remote.dispose();
  });

  test('429 with Retry-After is retried after what the server asks (not the backoff)', async () => {
    const { fetch } = scriptedFetch(bytes, (i) => (i === 1 ? new Response('', { status: 429, headers: { 'Retry-After': '0' } }) : null));
    // A backoff of 10 minutes would outlast the test: only Retry-After lets it pass.
    const remote = await Embedding.open('http://example.test/t', { fetch, retryDelay: 600_000 });
    assertSameBits(await remote.forward([7, 8]), local.forward([7, 8]), 'after 429');
    remote.dispose();
  });

  test('network errors are retried; a timeout is an Error after every attempt timed out', async () => {
    const flaky = scriptedFetch(bytes, (i) => (i === 1 || i === 2 ? 'throw' : null));
    const remote = await Embedding.open('http://example.test/t', { fetch: flaky.fetch, retryDelay: 1 });
    assertSameBits(await remote.forward([9]), local.forward([9]), 'after network errors');
    remote.dispose();
    const slow = scriptedFetch(bytes, (i) => (i === 0 ? null : 'hang'));
    const stuck = await Embedding.open('http://example.test/t', { fetch: slow.fetch, retries: 1, retryDelay: 1, timeout: 50 });
    await assert.rejects(stuck.forward([9]), /timed out after 50 ms \(after 2 attempts\)/);
    stuck.dispose();
  });

  test('aborting rejects with signal.reason, in flight and after', async () => {
    const slow = scriptedFetch(bytes, (i) => (i === 0 ? null : 'hang'));
    const controller = new AbortController();
    const remote = await Embedding.open('http://example.test/t', { fetch: slow.fetch, signal: controller.signal });
    const pending = remote.forward([1, 2]);
    const reason = new Error('user went away');
    setTimeout(() => controller.abort(reason), 5);
    await assert.rejects(pending, (err) => err === reason);
    await assert.rejects(remote.forward([1]), (err) => err === reason);
    const aborted = AbortSignal.abort(reason);
    await assert.rejects(Embedding.open('http://example.test/t', { fetch: slow.fetch, signal: aborted }), (err) => err === reason);
  });

  test('a server that ignores Range: an Error, unless allowFullDownload (then no more requests)', async () => {
    const whole = () => scriptedFetch(bytes, () => new Response(bytes, { status: 200, headers: { 'Content-Length': String(bytes.length) } }));
    await assert.rejects(Embedding.open('http://example.test/t', { fetch: whole().fetch }), /ignores Range requests.*allowFullDownload/);
    const { fetch, calls } = whole();
    const remote = await Embedding.open('http://example.test/t', { fetch, allowFullDownload: true });
    assertSameBits(await remote.forward([0, 5, ROWS - 1]), local.forward([0, 5, ROWS - 1]), 'full download');
    assert.equal(calls.length, 1);
    remote.dispose();
  });

  test('a server that answers several ranges with the whole file (as S3 does): one range per request from then on', async () => {
    const { fetch, calls } = scriptedFetch(bytes, (i, init) => (init.headers.get('Range').includes(',')
      ? new Response(bytes, { status: 200, headers: { 'Content-Length': String(bytes.length), ETag: '"1"' } }) : null));
    const remote = await Embedding.open('http://example.test/t', { fetch, mergeGap: 100 });
    const idx = [5, 1500, 300, 1999, 6];
    assertSameBits(await remote.forward(idx), local.forward(idx), 'single ranges');
    const ranges = calls.slice(1).map((c) => c.headers.get('Range'));
    assert.equal(ranges.filter((r) => r.includes(',')).length, 1, `one multi-range attempt, then single ranges: ${ranges}`);
    assert.equal(ranges.length, 5, `1 refused + 4 merged ranges (rows 5 and 6 together): ${ranges}`);
    remote.dispose();
  });

  test('prefetch fills the cache; lookup is forward of one row', async () => {
    const { fetch, calls } = scriptedFetch(bytes, () => null);
    const remote = await Embedding.open('http://example.test/t', { fetch });
    await remote.prefetch([10, 20, 30]);
    const requests = calls.length;
    assert.equal(remote.stats.cachedRows, 3);
    assertSameBits(await remote.forward([30, 10, 20]), local.forward([30, 10, 20]), 'prefetched');
    assert.equal(calls.length, requests, 'no request for prefetched rows');
    assertSameBits(await remote.lookup(20), local.forward([20]), 'lookup');
    await assert.rejects(remote.prefetch([ROWS]), /index 2000 at position 0 is out of range/);
    remote.dispose();
    await assert.rejects(remote.forward([1]), /disposed/);
  });

  test('a table of 20 M rows (row -> slot in a Map past 2^24 rows), served from a file that exists only as a function', async () => {
    const ROWS_BIG = 20_000_000;
    const rowBytes = 1 + 8; // int8, dim 1: the value, then float32 scale and bias
    const json = new TextEncoder().encode(JSON.stringify({
      __metadata__: { 'weight.storage': 'int8', 'weight.embedding_dim': '1' },
      weight: { dtype: 'U8', shape: [ROWS_BIG, rowBytes], data_offsets: [0, ROWS_BIG * rowBytes] },
    }).padEnd(256, ' '));
    const dataStart = 8 + json.length;
    const size = dataStart + ROWS_BIG * rowBytes;
    const rowOf = (r) => {
      const b = new Uint8Array(rowBytes);
      b[0] = (r * 31) & 255;
      new DataView(b.buffer).setFloat32(1, 1 / (1 + (r % 97)), true);
      new DataView(b.buffer).setFloat32(5, (r % 13) - 6, true);
      return b;
    };
    const byteAt = (i) => {
      if (i < 8) return i === 0 ? json.length & 255 : i === 1 ? json.length >> 8 : 0;
      if (i < dataStart) return json[i - 8];
      const r = Math.floor((i - dataStart) / rowBytes);
      return rowOf(r)[(i - dataStart) % rowBytes];
    };
    const fetch = async (url, init) => {
      const [, a, b] = /bytes=(\d+)-(\d+)/.exec(init.headers.get('Range'));
      const ranges = init.headers.get('Range').slice(6).split(',').map((x) => x.split('-').map(Number));
      if (ranges.length > 1) return new Response(null, { status: 200, headers: { ETag: '"big"' } }); // one range a request
      const start = Number(a);
      const end = Math.min(Number(b), size - 1);
      const body = Uint8Array.from({ length: end - start + 1 }, (_, k) => byteAt(start + k));
      return new Response(body, { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${size}`, ETag: '"big"' } });
    };
    const remote = await Embedding.open('http://example.test/big', { fetch, cacheBytes: 64 * 4 });
    assert.equal(remote.numEmbeddings, ROWS_BIG);
    const idx = [0, 19_999_999, 16_777_216, 16_777_215, 12_345_678, 0, 19_999_999];
    const rows = [...new Set(idx)];
    const small = Embedding.fromQuantized(new Uint8Array(rows.flatMap((r) => Array.from(rowOf(r)))), { storage: 'int8', numEmbeddings: rows.length, embeddingDim: 1 });
    assertSameBits(await remote.forward(idx), small.forward(idx.map((r) => rows.indexOf(r))), 'rows past 2^24');
    await assert.rejects(remote.forward([ROWS_BIG]), /index 20000000 at position 0 is out of range \(valid indices: \[0, 19999999\]\)/);
    remote.dispose();
    small.dispose();
  });

  test('malformed responses: wrong Content-Range, short and long bodies are Errors naming the URL and range; nothing cached', async () => {
    const cases = [
      [(s, e, n) => new Response(bytes.slice(s, e + 1), { status: 206, headers: { 'Content-Range': `bytes ${s + 1}-${e + 1}/${n}` } }), /Content-Range|does not hold/],
      [(s, e, n) => new Response(bytes.slice(s, e), { status: 206, headers: { 'Content-Range': `bytes ${s}-${e}/${n}` } }), /the body is \d+ bytes/],
      [(s, e, n) => new Response(bytes.slice(s, e + 5), { status: 206, headers: { 'Content-Range': `bytes ${s}-${e}/${n}` } }), /longer than/],
      [() => new Response('x', { status: 404 }), /unexpected HTTP 404/],
      [(s, e, n) => new Response(bytes.slice(s, e + 1), { status: 206, headers: { 'Content-Range': `bytes ${s}-${e}/${n + 8}` } }), /changed/],
    ];
    for (const [respond, message] of cases) {
      let broken = true;
      const { fetch } = scriptedFetch(bytes, (i, init) => {
        if (i === 0 || !broken) return null;
        const [, a, b] = /bytes=(\d+)-(\d+)/.exec(init.headers.get('Range'));
        return respond(Number(a), Number(b), bytes.length);
      });
      const remote = await Embedding.open('http://example.test/t', { fetch, retryDelay: 1 });
      await assert.rejects(remote.forward([3]), (err) => err instanceof Error && message.test(err.message) && /http:\/\/example\.test\/t/.test(err.message) && (/changed/.test(err.message) || /bytes \d+/.test(err.message)));
      broken = false;
      if (!/changed/.test(String(message))) assertSameBits(await remote.forward([3]), local.forward([3]), 'after a bad response');
      remote.dispose();
    }
  });
});
