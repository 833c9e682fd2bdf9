// The multipart/byteranges parser, fuzzed: seeded random bodies as servers write them (any
// boundary, quoted or not, preambles, extra headers, LF or CRLF header lines, bytes that look
// like the boundary inside parts) parse to exactly their parts; every mutation of one (cut,
// a byte changed, inserted or dropped) parses to parts whose lengths match their ranges, or is
// an Error. Bounded: a fixed number of cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byterangesBoundary, parseByteranges, parseContentRange } from '../../bindings/js/remote/multipart.js';
import { random } from './servers.mjs';

const enc = new TextEncoder();
const concat = (chunks) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
};

function makeCase(rand) {
  const chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";
  const boundary = Array.from({ length: 1 + Math.floor(rand() * 70) }, () => chars[Math.floor(rand() * chars.length)]).join('');
  const quoted = rand() < 0.3 || /[^0-9A-Za-z'+_\-.]/.test(boundary);
  const contentType = `multipart/byteranges; boundary=${quoted ? `"${boundary}"` : boundary}`;
  const total = 1 + Math.floor(rand() * 100000);
  const parts = [];
  const chunks = [];
  if (rand() < 0.2) chunks.push(enc.encode('a preamble\r\n'));
  const count = 1 + Math.floor(rand() * 8);
  for (let k = 0; k < count; ++k) {
    const start = Math.floor(rand() * total);
    const end = Math.min(total - 1, start + Math.floor(rand() * 300));
    const bytes = Uint8Array.from({ length: end - start + 1 }, () => Math.floor(rand() * 256));
    // Sometimes the part's bytes hold the delimiter itself.
    if (rand() < 0.2 && bytes.length > boundary.length + 4) bytes.set(enc.encode(`\r\n--${boundary}`).subarray(0, bytes.length - 1), 0);
    const eol = rand() < 0.15 ? '\n' : '\r\n';
    const extra = rand() < 0.3 ? `X-Extra: ${Math.floor(rand() * 1e6)}${eol}` : '';
    const name = rand() < 0.5 ? 'Content-Range' : 'content-range';
    chunks.push(enc.encode(`${k === 0 && chunks.length === 0 && rand() < 0.5 ? '' : '\r\n'}--${boundary}${eol}Content-Type: application/octet-stream${eol}${extra}${name}: bytes ${start}-${end}/${total}${eol}${eol}`));
    chunks.push(bytes);
    parts.push({ start, end, total, bytes });
  }
  chunks.push(enc.encode(`\r\n--${boundary}--\r\n`));
  if (rand() < 0.2) chunks.push(enc.encode('an epilogue'));
  return { contentType, body: concat(chunks), parts };
}

test('well-formed bodies parse to exactly their parts (3000 seeded cases)', () => {
  const rand = random(2024);
  for (let c = 0; c < 3000; ++c) {
    const { contentType, body, parts } = makeCase(rand);
    const got = parseByteranges(body, byterangesBoundary(contentType));
    assert.equal(got.length, parts.length, `case ${c}`);
    got.forEach((p, k) => {
      assert.equal(p.start, parts[k].start, `case ${c} part ${k}`);
      assert.equal(p.end, parts[k].end, `case ${c} part ${k}`);
      assert.deepEqual(p.bytes, parts[k].bytes, `case ${c} part ${k}`);
    });
  }
});

test('mutated bodies parse to consistent parts or throw an Error (6000 seeded cases)', () => {
  const rand = random(99);
  let errors = 0;
  for (let c = 0; c < 6000; ++c) {
    const { contentType, body } = makeCase(rand);
    let mutated;
    const at = Math.floor(rand() * body.length);
    const kind = c % 4;
    if (kind === 0) mutated = body.subarray(0, at);
    else if (kind === 1) { mutated = body.slice(); mutated[at] ^= 1 + Math.floor(rand() * 255); }
    else if (kind === 2) mutated = concat([body.subarray(0, at), Uint8Array.of(Math.floor(rand() * 256)), body.subarray(at)]);
    else mutated = concat([body.subarray(0, at), body.subarray(at + 1)]);
    try {
      for (const p of parseByteranges(mutated, byterangesBoundary(contentType))) {
        assert.equal(p.bytes.length, p.end - p.start + 1, `case ${c}`);
        assert.ok(p.end < p.total || p.total === null, `case ${c}`);
      }
    } catch (err) {
      if (err?.code === 'ERR_ASSERTION') throw err;
      assert.ok(err instanceof Error, `case ${c}: threw ${err}`);
      ++errors;
    }
  }
  assert.ok(errors > 1000, `only ${errors} mutations were rejected`);
});

test('Content-Type and Content-Range values', () => {
  assert.equal(byterangesBoundary('multipart/byteranges; boundary=abc'), 'abc');
  assert.equal(byterangesBoundary('Multipart/ByteRanges;boundary="a b;c"'), 'a b;c');
  assert.equal(byterangesBoundary('application/octet-stream'), null);
  assert.throws(() => byterangesBoundary('multipart/byteranges'), /without a boundary/);
  assert.deepEqual(parseContentRange('bytes 0-9/100'), { start: 0, end: 9, total: 100 });
  assert.deepEqual(parseContentRange('bytes 5-9/*'), { start: 5, end: 9, total: null });
  for (const bad of ['bytes 9-5/100', 'bytes 0-100/100', 'bytes=0-9/100', 'bytes 0-9', '', null, 'bytes -1-9/100']) assert.equal(parseContentRange(bad), null, String(bad));
});
