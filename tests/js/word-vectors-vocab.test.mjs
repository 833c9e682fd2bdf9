// Vocab: a string -> row map with indexOf, wordAt, words, size and encode (with unk), and its
// errors; the Vocab loadWordVectors returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, Vocab, parseWordVectors } from 'wasm-embedding';

test('words map to their rows and back', () => {
  const words = ['the', 'king', 'queen', '', 'naïve', '日本', '😀', '__proto__', 'constructor'];
  const vocab = new Vocab(words);
  assert.equal(vocab.size, words.length);
  words.forEach((word, i) => {
    assert.equal(vocab.indexOf(word), i, word);
    assert.equal(vocab.wordAt(i), word);
  });
  assert.equal(vocab.indexOf('absent'), -1);
  assert.equal(vocab.indexOf(3), -1);
  assert.equal(vocab.indexOf('toString'), -1, 'no inherited names');
  assert.deepEqual(vocab.words, words);
  vocab.words.push('changed');
  words.push('changed too');
  assert.equal(vocab.size, 9, 'the vocab keeps its own copy');
  assert.equal(new Vocab([]).size, 0);
});

test('encode: rows of words, unknown words a RangeError naming them unless unk stands in', () => {
  const vocab = new Vocab(['<unk>', 'a', 'b']);
  assert.deepEqual(vocab.encode(['b', 'a', 'b']), new Int32Array([2, 1, 2]));
  assert.deepEqual(vocab.encode([]), new Int32Array(0));
  assert.deepEqual(vocab.encode(['a', 'zzz', 'b', 'yyy'], { unk: 0 }), new Int32Array([1, 0, 2, 0]));
  assert.throws(() => vocab.encode(['a', 'zzz']), { name: 'RangeError', message: 'encode: unknown word "zzz" at position 1' });
  assert.throws(() => vocab.encode(['a', 7]), { name: 'TypeError', message: 'encode: word 1 is 7, not a string' });
  assert.throws(() => vocab.encode(['a', 7], { unk: 0 }), { name: 'TypeError', message: /word 1 is 7, not a string/ });
  assert.throws(() => vocab.encode('a b'), { name: 'TypeError', message: 'encode expects an array of strings, got "a b"' });
  assert.throws(() => vocab.encode(['a'], { unk: 3 }), { name: 'RangeError', message: 'encode: unk must be a row in [0, 2], got 3' });
  assert.throws(() => vocab.encode(['a'], { unk: '<unk>' }), { name: 'RangeError', message: /unk must be a row in \[0, 2\], got "<unk>"/ });
  assert.throws(() => vocab.encode(['a'], { unknown: 0 }), { name: 'TypeError', message: /unknown option 'unknown' \(allowed: unk\)/ });
});

test('any string is a word: newlines, U+FFFD, long ones; lone surrogates are not', () => {
  const long = 'x'.repeat(1000);
  const vocab = new Vocab(['a\nb', '\ufffd', long, '', 'a']);
  assert.deepEqual(vocab.words, ['a\nb', '\ufffd', long, '', 'a']);
  assert.equal(vocab.indexOf('a\nb'), 0);
  assert.equal(vocab.indexOf('\ufffd'), 1);
  assert.equal(vocab.indexOf('\ud800'), -1, 'a lone surrogate is not U+FFFD');
  assert.equal(vocab.indexOf(long), 2);
  assert.equal(vocab.indexOf('a\n'), -1);
  assert.throws(() => new Vocab(['ok', 'x\udc00']), { name: 'TypeError', message: 'Vocab: word 1 "x\\udc00" is not valid Unicode (a lone surrogate)' });
});

test('a large vocabulary: every word found at its row', () => {
  const words = Array.from({ length: 50000 }, (_, i) => `w${i.toString(36)}${i % 7 ? '' : 'é'}`);
  const vocab = new Vocab(words);
  for (let i = 0; i < words.length; i += 7) assert.equal(vocab.indexOf(words[i]), i);
  assert.equal(vocab.indexOf('w'), -1);
  assert.deepEqual(vocab.encode(words.slice(100, 110)), Int32Array.from({ length: 10 }, (_, k) => 100 + k));
});

test('bad words and rows say what is wrong', () => {
  assert.throws(() => new Vocab(['a', 'b', 'a']), { name: 'TypeError', message: 'Vocab: the word "a" appears twice (at 0 and 2)' });
  assert.throws(() => new Vocab(['a', null]), { name: 'TypeError', message: 'Vocab: word 1 is null, not a string' });
  assert.throws(() => new Vocab('abc'), { name: 'TypeError', message: 'Vocab expects an array of strings, got "abc"' });
  assert.throws(() => new Vocab(), { name: 'TypeError', message: 'Vocab expects an array of strings, got undefined' });
  const vocab = new Vocab(['a', 'b']);
  for (const i of [-1, 2, 1.5, '0', NaN]) {
    assert.throws(() => vocab.wordAt(i), { name: 'RangeError', message: /wordAt: row .* is out of range \(valid rows: \[0, 1\]\)/ }, String(i));
  }
  assert.throws(() => new Vocab([]).wordAt(0), { name: 'RangeError', message: /valid rows: none/ });
});

test('loadWordVectors gives a Vocab of the file\'s words, in row order', async () => {
  await init();
  const { vocab, embedding } = parseWordVectors('king 1 0\nqueen 0.9 0.1\nman 0.5 -0.5\n');
  assert.ok(vocab instanceof Vocab);
  assert.deepEqual(vocab.encode(['man', 'king', 'queen']), new Int32Array([2, 0, 1]));
  assert.deepEqual(embedding.forward(vocab.encode(['queen'])), new Float32Array([0.9, 0.1]));
  embedding.dispose();
});
