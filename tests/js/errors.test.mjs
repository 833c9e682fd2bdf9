// Bad input gets a clear JS error (RangeError/TypeError naming the value and position) and
// changes nothing: the table, its gradient and the renormalisation are exactly as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, Embedding, SGD } from 'wasm-embedding';

await init();

// Everything a failed call could have changed.
function snapshot(emb) {
  return { weight: emb.weight, grad: emb.grad, dense: emb.denseGrad() };
}

// A trainable table with an accumulated gradient, so that "unchanged" means something.
function trainedTable(options = {}) {
  const emb = new Embedding(10, 3, { seed: 7, ...options });
  emb.backward([1, 2, 2], Float32Array.from({ length: 9 }, (_, i) => i + 1));
  return emb;
}

function assertRejected(emb, call, expected) {
  const before = snapshot(emb);
  assert.throws(call, expected);
  assert.deepEqual(snapshot(emb), before);
}

test('out-of-range indices: RangeError naming the value, its position and the range', () => {
  const emb = trainedTable();
  const cases = [
    [[0, 1, 10], /^index 10 at position 2 is out of range \(valid indices: \[0, 9\]\)$/],
    [[-1, 1], /^index -1 at position 0 /],
    [[[0, 1], [2, 12]], /^index 12 at position \[1\]\[1\] \(flat 3\) /],
    [new Int32Array([3, 4, 2 ** 31 - 1]), /^index 2147483647 at position 2 /],
    [new Int32Array([-5]), /^index -5 at position 0 /],
    [new Uint32Array([1, 2 ** 32 - 1]), /^index 4294967295 at position 1 /],
    [new Uint32Array([2 ** 31]), /^index 2147483648 at position 0 /],
    [new BigInt64Array([1n, 10n]), /^index 10 at position 1 /],
    [new BigInt64Array([2n ** 40n]), /^index 1099511627776 at position 0 /],
    [[2 ** 32 + 1], /^index 4294967297 at position 0 /], // would wrap to 1 as an int32
  ];
  for (const [indices, message] of cases) {
    assertRejected(emb, () => emb.forward(indices), { name: 'RangeError', message });
    assertRejected(emb, () => emb.backward(indices, new Float32Array(indices.length * 3)), { name: 'RangeError', message });
  }
  assertRejected(emb, () => emb.lookup(10), { name: 'RangeError', message: /index 10 at position 0/ });
  const empty = new Embedding(0, 3);
  assert.throws(() => empty.forward([0]), { name: 'RangeError', message: /valid indices: none/ });
  assert.deepEqual(empty.forward([]), new Float32Array(0));
  empty.dispose();
  emb.dispose();
});

test('an out-of-range index after valid ones renormalises nothing', () => {
  const emb = Embedding.fromPretrained([[3, 4], [6, 8]], { maxNorm: 1, freeze: false });
  assertRejected(emb, () => emb.forward([0, 1, 2]), { name: 'RangeError' });
  assertRejected(emb, () => emb.forward(new Int32Array([0, 1, -1])), { name: 'RangeError' });
  assert.deepEqual(emb.weight, new Float32Array([3, 4, 6, 8]));
  emb.dispose();
});

test('non-integer, NaN and non-number indices, and wrong index containers: TypeError', () => {
  const emb = trainedTable();
  const cases = [
    [[1, 2.5], /^index 2\.5 at position 1 is not an integer$/],
    [[NaN], /^index NaN at position 0 is not an integer$/],
    [[Infinity], /^index Infinity at position 0/],
    [[1, '2'], /^index "2" at position 1 is not an integer$/],
    [[null], /^index null at position 0/],
    [[1, [2, undefined]], /^index undefined at position \[1\]\[1\] \(flat 2\)/],
    [[1n], /^index 1n at position 0/],
    [new Float32Array([1, 2]), /Int32Array, a Uint32Array or a BigInt64Array, got a Float32Array$/],
    [new Float64Array([1]), /got a Float64Array$/],
    [new Int16Array([1]), /got a Int16Array$/],
    ['1,2', /got "1,2"$/],
    [3, /got 3$/],
    [undefined, /got undefined$/],
    [{ length: 1, 0: 1 }, /got a Object$/],
  ];
  for (const [indices, message] of cases) {
    assertRejected(emb, () => emb.forward(indices), { name: 'TypeError', message });
  }
  assertRejected(emb, () => emb.lookup(1.5), { name: 'TypeError', message: /index 1\.5 is not an integer/ });
  assertRejected(emb, () => emb.lookup('1'), { name: 'TypeError' });
  emb.dispose();
});

test('forward(out): out must be a Float32Array of exactly the output length', () => {
  const emb = trainedTable();
  for (const out of [new Float32Array(5), new Float32Array(7), new Float64Array(6), [0, 0, 0, 0, 0, 0], null]) {
    assertRejected(emb, () => emb.forward([1, 2], out), { name: 'TypeError', message: /out must be a Float32Array of length 6/ });
  }
  emb.dispose();
});

test('backward: gradOutput of the wrong length or type is a TypeError, and nothing accumulates', () => {
  const emb = trainedTable();
  const cases = [
    [new Float32Array(5), /gradOutput must have 6 values, got 5/],
    [new Float32Array(7), /gradOutput must have 6 values, got 7/],
    [[1, 2, 3], /gradOutput must have 6 values, got 3/],
    [new Int32Array(6), /gradOutput must be a Float32Array or an array of numbers, got a Int32Array/],
    ['abcdef', /gradOutput must be a Float32Array/],
    [undefined, /gradOutput must be a Float32Array/],
    [[1, 2, 3, 4, 5, '6'], /gradOutput value "6" at position 5 is not a number/],
  ];
  for (const [gradOutput, message] of cases) {
    assertRejected(emb, () => emb.backward([1, 2], gradOutput), { name: 'TypeError', message });
  }
  emb.dispose();
});

test('backward on a frozen table throws Error and leaves the gradient alone', () => {
  const emb = trainedTable();
  emb.requiresGrad = false;
  assertRejected(emb, () => emb.backward([1], [1, 1, 1]), { name: 'Error', message: /frozen \(requiresGrad is false\)/ });
  assert.throws(() => { emb.requiresGrad = 'yes'; }, { name: 'TypeError' });
  emb.dispose();
});

test('bad sizes and options in the constructor', () => {
  const range = [[-1, 3], [3, -1], [2.5, 3], [3, 1.5], [NaN, 3], [Infinity, 3], ['10', 3], [undefined, 3], [2 ** 31, 1]];
  for (const [rows, dim] of range) {
    assert.throws(() => new Embedding(rows, dim), { name: 'RangeError', message: /(numEmbeddings|embeddingDim) must be an integer in \[0, 2147483647\], got/ });
  }
  const bad = [
    [{ paddingIdx: 10 }, 'RangeError', /paddingIdx must be null or an integer in \[-10, 9\], got 10/],
    [{ paddingIdx: -11 }, 'RangeError', /got -11/],
    [{ paddingIdx: 1.5 }, 'RangeError', /got 1\.5/],
    [{ maxNorm: -1 }, 'RangeError', /maxNorm must be null or a finite number >= 0, got -1/],
    [{ maxNorm: NaN }, 'RangeError', /maxNorm/],
    [{ normType: -2 }, 'RangeError', /normType must be a number >= 0/],
    [{ normType: NaN }, 'RangeError', /normType/],
    [{ scaleGradByFreq: 1 }, 'TypeError', /scaleGradByFreq must be a boolean, got 1/],
    [{ seed: -1 }, 'RangeError', /seed must be a non-negative safe integer, got -1/],
    [{ seed: 0.5 }, 'RangeError', /seed/],
    [{ padding_idx: 0 }, 'TypeError', /unknown option 'padding_idx'/],
    [null, 'TypeError', /Embedding options must be an object, got null/],
  ];
  for (const [options, name, message] of bad) {
    assert.throws(() => new Embedding(10, 4, options), { name, message });
  }
  const huge = () => new Embedding(2 ** 31 - 1, 2 ** 31 - 1);
  assert.throws(huge, { name: 'RangeError', message: /out of memory/ });
});

test('fromPretrained rejects malformed weights', () => {
  const cases = [
    [new Float32Array(6), {}, 'RangeError', /embeddingDim must be an integer/],
    [new Float32Array(7), { embeddingDim: 2 }, 'TypeError', /7 values, not a multiple of embeddingDim 2/],
    [[[1, 2], [3]], {}, 'TypeError', /weights row 1 has 1 values, expected 2/],
    [[[1, 2], [3, 'x']], {}, 'TypeError', /weights\[1\]\[1\] is "x", not a number/],
    [[[1, 2]], { embeddingDim: 3 }, 'TypeError', /does not match/],
    [[], {}, 'TypeError', /non-empty array of rows/],
    [[1, 2, 3], {}, 'TypeError', /non-empty array of rows/],
    [new Float64Array(4), { embeddingDim: 2 }, 'TypeError', /got a Float64Array/],
    [[[1]], { freeze: 'no' }, 'TypeError', /freeze must be a boolean/],
    [[[1]], { seed: 1 }, 'TypeError', /unknown option 'seed'/],
  ];
  for (const [weights, options, name, message] of cases) {
    assert.throws(() => Embedding.fromPretrained(weights, options), { name, message });
  }
});

test('setWeight rejects the wrong type or size and keeps the table', () => {
  const emb = trainedTable();
  assertRejected(emb, () => emb.setWeight(new Float32Array(29)), { name: 'TypeError', message: /expects 30 values \(10 x 3\), got 29/ });
  assertRejected(emb, () => emb.setWeight(Array(30).fill(0)), { name: 'TypeError', message: /expects a Float32Array, got an array/ });
  emb.dispose();
});

test('SGD rejects bad parameters and options', () => {
  const emb = trainedTable();
  const cases = [
    [[emb], undefined, 'TypeError', /SGD options must be an object/],
    [[emb], {}, 'TypeError', /lr is required/],
    [[emb], { lr: -0.1 }, 'RangeError', /lr must be a finite number >= 0, got -0\.1/],
    [[emb], { lr: NaN }, 'RangeError', /lr must be/],
    [[emb], { lr: 0.1, momentum: -1 }, 'RangeError', /momentum/],
    [[emb], { lr: 0.1, weightDecay: -1 }, 'RangeError', /weightDecay/],
    [[emb], { lr: 0.1, nesterov: true }, 'RangeError', /nesterov momentum requires a momentum > 0 and zero dampening/],
    [[emb], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, 'RangeError', /nesterov/],
    [[emb], { lr: 0.1, Momentum: 0.9 }, 'TypeError', /unknown option 'Momentum'/],
    [[], { lr: 0.1 }, 'TypeError', /non-empty array of Embedding/],
    [emb, { lr: 0.1 }, 'TypeError', /non-empty array of Embedding or EmbeddingBag, got a Embedding/],
    [[emb, {}], { lr: 0.1 }, 'TypeError', /params\[1\] is a Object, not an Embedding/],
    [[emb, emb], { lr: 0.1 }, 'TypeError', /params\[1\] appears more than once/],
  ];
  for (const [params, options, name, message] of cases) {
    assert.throws(() => new SGD(params, options), { name, message });
  }
  const opt = new SGD([emb], { lr: 0.1 });
  assert.throws(() => { opt.lr = -1; }, { name: 'RangeError' });
  assert.equal(opt.lr, 0.1);
  opt.dispose();
  emb.dispose();
});
