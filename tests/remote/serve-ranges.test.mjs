// scripts/serve.mjs answers Range requests (remote tables read the demo's table from it): one
// range, several as multipart/byteranges, suffixes, If-Range, 416 past the end.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseRanges, serve } from '../../scripts/serve.mjs';
import { byterangesBoundary, parseByteranges } from '../../bindings/js/remote/multipart.js';

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);
let dir;
let server;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-embedding-serve-'));
  writeFileSync(join(dir, 'f.bin'), bytes);
  server = await serve({ port: 0, quiet: true, dataDir: dir });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
const url = () => `http://127.0.0.1:${server.port}/data/f.bin`;

test('parseRanges', () => {
  assert.deepEqual(parseRanges('bytes=0-9', 100), [[0, 9]]);
  assert.deepEqual(parseRanges('bytes=90-', 100), [[90, 99]]);
  assert.deepEqual(parseRanges('bytes=-10', 100), [[90, 99]]);
  assert.deepEqual(parseRanges('bytes=95-200', 100), [[95, 99]]);
  assert.deepEqual(parseRanges('bytes=0-1, 5-6', 100), [[0, 1], [5, 6]]);
  assert.equal(parseRanges('bytes=100-200', 100), 'unsatisfiable');
  assert.equal(parseRanges('bytes=9-5', 100), null);
  assert.equal(parseRanges('items=0-5', 100), null);
  assert.equal(parseRanges('bytes=x', 100), null);
});

test('one range: 206 with Content-Range, ETag and Last-Modified', async () => {
  const res = await fetch(url(), { headers: { Range: 'bytes=10-19' } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('Content-Range'), 'bytes 10-19/1000');
  assert.ok(res.headers.get('ETag'));
  assert.ok(res.headers.get('Last-Modified'));
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes.subarray(10, 20));
});

test('several ranges: multipart/byteranges', async () => {
  const res = await fetch(url(), { headers: { Range: 'bytes=0-2,500-509,-3' } });
  assert.equal(res.status, 206);
  const parts = parseByteranges(new Uint8Array(await res.arrayBuffer()), byterangesBoundary(res.headers.get('Content-Type')));
  assert.deepEqual(parts.map((p) => [p.start, p.end, p.total]), [[0, 2, 1000], [500, 509, 1000], [997, 999, 1000]]);
  for (const p of parts) assert.deepEqual(p.bytes, bytes.subarray(p.start, p.end + 1));
});

test('If-Range with another version gets the whole file; past the end is 416', async () => {
  const res = await fetch(url(), { headers: { Range: 'bytes=0-9', 'If-Range': '"other"' } });
  assert.equal(res.status, 200);
  assert.equal((await res.arrayBuffer()).byteLength, 1000);
  const etag = (await fetch(url(), { method: 'HEAD' })).headers.get('ETag');
  assert.equal((await fetch(url(), { headers: { Range: 'bytes=0-9', 'If-Range': etag } })).status, 206);
  const past = await fetch(url(), { headers: { Range: 'bytes=2000-3000' } });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get('Content-Range'), 'bytes */1000');
});
