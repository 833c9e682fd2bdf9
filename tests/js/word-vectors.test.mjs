// Word-vector files against gensim 4.2 (tests/fixtures/word_vectors, made by
// generate_word_vectors.py): gensim's files read bit for bit, ours byte-identical to gensim's
// text and read back by gensim bit for bit; values correctly rounded (an exact BigInt oracle);
// every malformed-input rule with the heap left flat; saveWordVectors' checks. Both builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, Embedding, EmbeddingBag, SGD, Vocab, loadWordVectors, parseWordVectors, saveWordVectors, memoryUsage,
} from 'wasm-embedding';
import { BUILDS } from './helpers.mjs';

const fixture = (name) => readFileSync(new URL(`../fixtures/word_vectors/${name}`, import.meta.url));
const expected = JSON.parse(fixture('expected.json'));
const bitsOf = (table) => Array.from(new Uint32Array(table.buffer, table.byteOffset, table.length));
const utf8 = (text) => new TextEncoder().encode(text);
const FILES = [['gensim.w2v.txt', 'word2vec'], ['gensim.w2v.bin', 'word2vec-binary'], ['gensim.glove.txt', 'glove']];

function assertTable({ vocab, embedding }, words, bits, label) {
  assert.deepEqual(vocab.words, words, `${label}: words`);
  assert.equal(embedding.embeddingDim, expected.dim, `${label}: dim`);
  assert.deepEqual(bitsOf(embedding.weight), bits, `${label}: values, bit for bit`);
}

for (const build of BUILDS) {
  test(`${build.label}: gensim's files read bit for bit, told the format or sniffing it`, async () => {
    await init({ simd: build.simd });
    for (const [file, format] of FILES) {
      for (const options of [{ format }, {}]) {
        const loaded = parseWordVectors(fixture(file), options);
        assertTable(loaded, expected.words, expected.bits, `${file} ${JSON.stringify(options)}`);
        assert.equal(loaded.duplicates, 0);
        assert.equal(loaded.embedding.requiresGrad, false, 'frozen by default');
        loaded.embedding.dispose();
      }
    }
  });

  test(`${build.label}: ours are gensim's text byte for byte, and gensim reads all three bit for bit`, async () => {
    await init({ simd: build.simd });
    const { vocab, embedding } = parseWordVectors(fixture('gensim.w2v.bin'));
    const ours = {
      'ours.w2v.txt': saveWordVectors(vocab, embedding),
      'ours.w2v.bin': saveWordVectors(vocab, embedding, { format: 'word2vec-binary' }),
      'ours.glove.txt': saveWordVectors(vocab, embedding, { format: 'glove' }),
    };
    assert.deepEqual(ours['ours.w2v.txt'], new Uint8Array(fixture('gensim.w2v.txt')), 'word2vec text as gensim writes it');
    assert.deepEqual(ours['ours.glove.txt'], new Uint8Array(fixture('gensim.glove.txt')), 'GloVe text as gensim writes it');
    for (const [file, bytes] of Object.entries(ours)) {
      assert.deepEqual(bytes, new Uint8Array(fixture(file)), `${file}: the file gensim read when the fixtures were made`);
      const read = expected.gensimReads[file];
      assert.deepEqual(read.words, expected.words, `gensim read ${file}: words`);
      assert.deepEqual(read.bits, expected.bits, `gensim read ${file}: values, bit for bit`);
      const back = parseWordVectors(bytes);
      assertTable(back, expected.words, expected.bits, `${file} read back by us`);
      back.embedding.dispose();
    }
    embedding.dispose();
  });

  test(`${build.label}: a repeated word keeps its first row, as gensim does, and is counted`, async () => {
    await init({ simd: build.simd });
    const loaded = parseWordVectors(fixture('duplicates.txt'));
    assert.deepEqual(loaded.vocab.words, expected.duplicates.words);
    assert.deepEqual(bitsOf(loaded.embedding.weight), expected.duplicates.bits);
    assert.equal(loaded.duplicates, 2);
    loaded.embedding.dispose();
  });
}

// The float32 nearest a decimal string, ties to even, by exact rational arithmetic (BigInt): an
// oracle independent of both strtof and the parser.
function exactFloat32(text) {
  const [, sign, whole, fraction = '', exponent = '0'] = /^([-+]?)(\d*)\.?(\d*)(?:e([-+]?\d+))?$/i.exec(text);
  const digits = BigInt(whole + fraction || '0');
  const e10 = Number(exponent) - fraction.length;
  // x = num / den exactly.
  const num = e10 >= 0 ? digits * 10n ** BigInt(e10) : digits;
  const den = e10 >= 0 ? 1n : 10n ** BigInt(-e10);
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  f[0] = Math.abs(Number(`${whole || 0}.${fraction}e${exponent}`)); // within an ulp or so
  // m * 2^b of the float with these bits, as a rational.
  const rational = (b) => {
    const biased = b >>> 23;
    const m = BigInt(biased ? (b & 0x7fffff) | 0x800000 : b & 0x7fffff);
    const e = biased ? biased - 150 : -149;
    return e >= 0 ? [m * 2n ** BigInt(e), 1n] : [m, 2n ** BigInt(-e)];
  };
  // Compares x with the midpoint of bits b and b + 1: sign of 2x - (v(b) + v(b + 1)).
  const versusMidpoint = (b) => {
    const [n1, d1] = rational(b);
    const [n2, d2] = rational(b + 1);
    const lhs = 2n * num * d1 * d2;
    const rhs = (n1 * d2 + n2 * d1) * den;
    return lhs > rhs ? 1 : lhs < rhs ? -1 : 0;
  };
  let b = Math.min(bits[0], 0x7f7fffff);
  for (let c; b < 0x7f800000 && ((c = versusMidpoint(b)) > 0 || (c === 0 && b & 1)); ++b);
  for (let c; b > 0 && ((c = versusMidpoint(b - 1)) < 0 || (c === 0 && b & 1)); --b);
  bits[0] = b | (sign === '-' ? 0x80000000 : 0);
  return bits[0];
}

test('values are the nearest float32, ties to even (an exact oracle), in both builds', async () => {
  // Random decimals of every length and exponent, and midpoints between neighbouring floats
  // written exactly, then nudged by one unit in their last of 40 digits.
  let seed = 12345;
  const random = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const texts = [];
  for (let i = 0; i < 1500; ++i) {
    const digits = Array.from({ length: 1 + random(24) }, () => random(10)).join('');
    const point = random(digits.length + 1);
    texts.push(`${random(2) ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}e${random(90) - 45}`);
  }
  for (let i = 0; i < 500; ++i) {
    const bits = new Uint32Array([random(0x7f000000)]);
    const lo = new Float32Array(bits.buffer)[0];
    bits[0] += 1;
    const hi = new Float32Array(bits.buffer)[0];
    // The exact midpoint of two floats has at most 113 digits; toFixed/BigInt give them exactly.
    const exact = (x) => {
      const [m, e] = [x * 2 ** 149, -149]; // x = m * 2^e with m an integer (floats are multiples of 2^-149)
      return [BigInt(m), e];
    };
    const [m1] = exact(lo);
    const [m2] = exact(hi);
    const mid = m1 + m2; // midpoint = (m1 + m2) / 2^150 = (m1 + m2) * 5^150 / 10^150
    const scaled = (mid * 5n ** 150n).toString();
    texts.push(`${scaled}e-150`, `${scaled.slice(0, 40)}e${scaled.length - 40 - 150}`);
    const last = BigInt(scaled.slice(0, 40));
    texts.push(`${last + 1n}e${scaled.length - 40 - 150}`, `${last - 1n}e${scaled.length - 40 - 150}`);
  }
  const file = texts.map((t, i) => `w${i} ${t}\n`).join('');
  const want = texts.map(exactFloat32);
  for (const build of BUILDS) {
    await init({ simd: build.simd });
    const { embedding } = parseWordVectors(file, { format: 'glove' });
    const got = bitsOf(embedding.weight);
    embedding.dispose();
    for (let i = 0; i < texts.length; ++i) {
      if (got[i] !== want[i]) assert.fail(`${build.label}: ${texts[i]} read as 0x${got[i].toString(16)}, nearest float32 0x${want[i].toString(16)}`);
    }
  }
});

test('inf, nan and their signs; binary NaN payloads and -0 bit for bit', async () => {
  await init();
  const { embedding } = parseWordVectors('w inf -inf Infinity nan -nan NaN 1e39 1e-50\n');
  assert.deepEqual(bitsOf(embedding.weight), [0x7f800000, 0xff800000, 0x7f800000, 0x7fc00000, 0xffc00000, 0x7fc00000, 0x7f800000, 0]);
  const values = new Uint32Array([0x7fa00001, 0x80000000, 1]);
  const binary = new Uint8Array([...utf8('1 3\nw '), ...new Uint8Array(values.buffer)]);
  const back = parseWordVectors(binary);
  assert.deepEqual(bitsOf(back.embedding.weight), Array.from(values));
  assert.deepEqual(saveWordVectors(back.vocab, back.embedding, { format: 'word2vec-binary' }), new Uint8Array([...binary, 10]));
  embedding.dispose();
  back.embedding.dispose();
});

// [what, file, format, message]: each rule, and where it is reported.
const bin = (header, ...rows) => new Uint8Array([...utf8(header), ...rows.flatMap((r) => [...(typeof r === 'string' ? utf8(r) : r)])]);
const floats = (...v) => new Uint8Array(new Float32Array(v).buffer);
const MALFORMED = [
  ['empty file', '', 'auto', /the file is empty/],
  ['blank lines only', '\n\n', 'glove', /the file is empty/],
  ['header not two numbers', '2 x\na 1\n', 'word2vec', /line 1: the header "2 x" is not "<count> <dim>"/],
  ['header without rows', '2 3', 'word2vec-binary', /line 1: the header's 2 rows x 3 values do not fit in the file/],
  ['missing binary rows', bin('2 1\na ', floats(1), '\n\n\n\n\n\n'), 'word2vec-binary', /byte 16 \(row 1\): the file ends after 1 row; its header says 2/],
  ['zero width', '2 0\n', 'word2vec', /line 1: the header's 2 rows x 0 values have no width/],
  ['absurd count', '3000000000 100\n', 'word2vec', /line 1: the header's 3000000000 rows x 100 values do not fit in 4 GiB/],
  ['more rows in the header than the file can hold', '1000 3\na 1 2 3\n', 'word2vec', /line 1: the header's 1000 rows x 3 values do not fit in the file/],
  ['no values', 'cat\ndog 1\n', 'glove', /line 1: the first row "cat" has no values/],
  ['blank line between rows', 'a 1 2\n\n \nb 3 4\n', 'glove', /line 2: a blank line between rows/],
  ['short row', 'a 1 2 3\nb 4 5\n', 'glove', /line 2: 2 values, expected 3/],
  ['row of one value', 'a 1 2\nb 4\n', 'glove', /line 2: 1 value, expected 2/],
  ['long row', '2 2\na 1 2\nb 3 4 5\n', 'word2vec', /line 3: 3 values, more than 2/],
  ['too wide', '2 100000000\n', 'word2vec', /line 1: the header's 2 rows x 100000000 values are too wide \(2\^26 values at most\)/],
  ['not a number', 'a 1 2 3\nb 4 x 6\n', 'glove', /line 2: "x" is not a number \(value 2 of 3\)/],
  ['two spaces', '2 2\na 1  2\n', 'word2vec', /line 2: an empty value \(two spaces in a row\) \(value 2 of 2\)/],
  ['hexadecimal', 'a 0x10\n', 'glove', /line 1: "0x10" is not a number/],
  ['bad UTF-8', bin('a 1\nb', [0xc3, 0x28], ' 2\n'), 'glove', /line 2: the word is not valid UTF-8 \(byte 0xc3 at byte 5\)/],
  ['bad UTF-8 in binary', bin('1 1\n', [0xff], ' ', floats(1)), 'word2vec-binary', /byte 4 \(row 0\): the word is not valid UTF-8 \(byte 0xff at byte 4\)/],
  ['newline in a binary word', bin('1 1\nca\nt ', floats(1)), 'word2vec-binary', /byte 6 \(row 0\): a newline inside a word/],
  ['truncated binary row', bin('1 3\ncat ', floats(1, 2, 3).subarray(0, 9)), 'word2vec-binary', /byte 4 \(row 0\): the file ends inside a row \(9 of its 12 bytes of values\)/],
  ['missing text rows', '3 2\na 1 2\nb 3 4\n', 'word2vec', /line 3: the file ends after 2 rows; its header says 3/],
  ['extra text row', '1 2\na 1 2\nb 3 4\n', 'auto', /line 3: more rows than the header's 1/],
  ['extra binary row', bin('1 1\na ', floats(1), '\nb ', floats(2)), 'auto', /byte 11 \(row 1\): more rows than the header's 1/],
];

test('every malformed file is an Error naming where, and leaves the heap as it was', async () => {
  for (const build of BUILDS) {
    await init({ simd: build.simd });
    parseWordVectors('warm 1\n').embedding.dispose(); // the allocator's first growth, once
    const before = memoryUsage().heapInUseBytes;
    for (const [what, file, format, message] of MALFORMED) {
      assert.throws(() => parseWordVectors(file, { format }), (err) => {
        assert.equal(err.constructor, Error, what);
        assert.match(err.message, /^parseWordVectors: /, what);
        assert.match(err.message, message, what);
        return true;
      }, what);
      await assert.rejects(loadWordVectors(new Blob([file]), { format }), message, `${what} (loadWordVectors)`);
      assert.equal(memoryUsage().heapInUseBytes, before, `${build.label}: heap after ${what}`);
    }
  }
});

test('bad arguments are TypeErrors and RangeErrors that say what was wrong', async () => {
  await init();
  assert.throws(() => parseWordVectors(42), { name: 'TypeError', message: /parseWordVectors expects the file as a string, a Uint8Array or an ArrayBuffer, got 42/ });
  assert.throws(() => parseWordVectors(new Blob(['a 1'])), { name: 'TypeError', message: /got a Blob/ });
  assert.throws(() => parseWordVectors('a 1', { format: 'csv' }), { name: 'RangeError', message: /format must be one of 'auto', 'glove', 'word2vec', 'word2vec-binary', got "csv"/ });
  assert.throws(() => parseWordVectors('a 1', { format: 2 }), { name: 'TypeError', message: /format must be a string/ });
  assert.throws(() => parseWordVectors('a 1', { limit: 0 }), { name: 'RangeError', message: /limit must be a positive integer, got 0/ });
  assert.throws(() => parseWordVectors('a 1', { limit: 1.5 }), { name: 'RangeError', message: /limit must be a positive integer/ });
  assert.throws(() => parseWordVectors('a 1', { freeze: 'no' }), { name: 'TypeError', message: /freeze must be a boolean/ });
  assert.throws(() => parseWordVectors('a 1', { signal: null }), { name: 'TypeError', message: /unknown option 'signal'/ });
  await assert.rejects(loadWordVectors(42), { name: 'TypeError', message: /loadWordVectors expects a string, a Uint8Array, an ArrayBuffer, a Blob, a Response, a ReadableStream or an async iterable of Uint8Array, got 42/ });
  await assert.rejects(loadWordVectors('a 1', { onProgress: 1 }), { name: 'TypeError', message: /onProgress must be a function/ });
  await assert.rejects(loadWordVectors('a 1', { signal: {} }), { name: 'TypeError', message: /signal must be an AbortSignal/ });
  await assert.rejects(loadWordVectors(new Response('nope', { status: 404, statusText: 'Not Found' })), { name: 'Error', message: /the response is HTTP 404 Not Found/ });
  async function* strings() { yield 'a 1\n'; }
  await assert.rejects(loadWordVectors(strings()), { name: 'TypeError', message: /the stream gave "a 1\\n", not a Uint8Array \(open the stream without an encoding\)/ });
});

test('limit reads that many rows (duplicates included) and nothing after them; freeze', async () => {
  await init();
  const { vocab, embedding, duplicates } = parseWordVectors('a 1\nb 2\na 3\nc 4\nthis is not a row\n', { limit: 4, freeze: false });
  assert.deepEqual(vocab.words, ['a', 'b', 'c']);
  assert.deepEqual(Array.from(embedding.weight), [1, 2, 4]);
  assert.equal(duplicates, 1);
  assert.equal(embedding.requiresGrad, true);
  embedding.dispose();
  const binary = parseWordVectors(fixture('gensim.w2v.bin'), { limit: 3 });
  assert.deepEqual(binary.vocab.words, expected.words.slice(0, 3));
  assert.deepEqual(bitsOf(binary.embedding.weight), expected.bits.slice(0, 3 * expected.dim));
  binary.embedding.dispose();
});

test('GloVe words may hold spaces: the values are the last fields (glove.840B has such words)', async () => {
  await init();
  const { vocab, embedding } = parseWordVectors('the 1 2\n. . . 3 4\nat name@domain.com 5 6\n');
  assert.deepEqual(vocab.words, ['the', '. . .', 'at name@domain.com']);
  const glove = new TextDecoder().decode(saveWordVectors(vocab, embedding, { format: 'glove' }));
  assert.equal(glove, 'the 1.0 2.0\n. . . 3.0 4.0\nat name@domain.com 5.0 6.0\n');
  assert.throws(() => saveWordVectors(vocab, embedding), { name: 'TypeError', message: /word 1 ". . ." holds a space or a newline, which the format cannot/ });
  embedding.dispose();
});

test('saveWordVectors takes any table as it is now (optimizer updates caught up), and checks its arguments', async () => {
  await init();
  const vocab = new Vocab(['a', 'b', 'c']);
  const emb = Embedding.fromPretrained(new Float32Array([1, 2, 3, 4, 5, 6]), { embeddingDim: 2, freeze: false });
  const opt = new SGD([emb], { lr: 0.5, momentum: 0.9 });
  for (let i = 0; i < 3; ++i) {
    emb.backward([i % 3], [1, -1]);
    opt.step();
    opt.zeroGrad();
  }
  const file = saveWordVectors(vocab, emb, { format: 'word2vec-binary' });
  assert.deepEqual(bitsOf(parseWordVectors(file).embedding.weight), bitsOf(emb.weight));
  const bag = EmbeddingBag.fromPretrained(new Float32Array([0.5, 0.25]), { embeddingDim: 1 });
  assert.equal(new TextDecoder().decode(saveWordVectors(new Vocab(['x', 'y']), bag, { format: 'glove' })), 'x 0.5\ny 0.25\n');
  assert.throws(() => saveWordVectors(['a'], emb), { name: 'TypeError', message: /vocab must be a Vocab, got an array/ });
  assert.throws(() => saveWordVectors(vocab, new Float32Array(6)), { name: 'TypeError', message: /embedding must be an Embedding or an EmbeddingBag, got a Float32Array/ });
  assert.throws(() => saveWordVectors(new Vocab(['a']), emb), { name: 'TypeError', message: /the vocab has 1 word but the table 3 rows/ });
  assert.throws(() => saveWordVectors(vocab, emb, { format: 'auto' }), { name: 'RangeError', message: /format must be one of 'glove', 'word2vec', 'word2vec-binary', got "auto"/ });
  assert.throws(() => saveWordVectors(vocab, emb, { binary: true }), { name: 'TypeError', message: /unknown option 'binary'/ });
  assert.throws(() => saveWordVectors(new Vocab(['a', 'b\nc', 'd']), emb, { format: 'glove' }), { name: 'TypeError', message: /word 1 "b\\nc" holds a newline/ });
  assert.throws(() => saveWordVectors(new Vocab(['a', 'b', '\ud800']), emb), { name: 'TypeError', message: /word 2 "\\ud800" is not valid Unicode \(a lone surrogate\)/ });
  opt.dispose();
  emb.dispose();
  assert.throws(() => saveWordVectors(vocab, emb), { name: 'Error', message: /Embedding has been disposed/ });
});

test('an empty vocabulary writes a header only, and reads back as an empty table', async () => {
  await init();
  const empty = Embedding.fromPretrained(new Float32Array(0), { embeddingDim: 4 });
  const file = saveWordVectors(new Vocab([]), empty);
  assert.equal(new TextDecoder().decode(file), '0 4\n');
  const back = parseWordVectors(file);
  assert.equal(back.vocab.size, 0);
  assert.equal(back.embedding.numEmbeddings, 0);
  assert.equal(back.embedding.embeddingDim, 4);
  back.embedding.dispose();
  empty.dispose();
});
