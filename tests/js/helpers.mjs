// Shared by the conformance tests: the two builds, and float32 comparisons that name the
// first mismatch.
import assert from 'node:assert/strict';

export const BUILDS = [{ label: 'simd', simd: true }, { label: 'scalar', simd: false }];

// Fixture floats are float32 values (or their shortest decimals): Float32Array gives the exact bits.
export const f32 = (a) => Float32Array.from(a.flat(Infinity));

/** A fixture case's options for fromPretrained, with JSON's "Infinity" string mapped back. */
export function pretrainedOptions(c) {
  const o = { embeddingDim: c.embeddingDim, freeze: false };
  for (const [k, v] of Object.entries(c.options)) {
    o[k] = k === 'normType' && v === 'Infinity' ? Infinity : v;
  }
  return o;
}

export function hex(x) {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return '0x' + u.toString(16).padStart(8, '0');
}

export function where(i, dim) {
  return dim ? `index ${i} (row ${Math.floor(i / dim)}, col ${i % dim})` : `index ${i}`;
}

export function checkShape(actual, expected, label) {
  assert.ok(actual instanceof Float32Array,
    `${label}: expected a Float32Array, got ${Object.prototype.toString.call(actual)}`);
  assert.equal(actual.length, expected.length,
    `${label}: length ${actual.length}, expected ${expected.length}`);
}

/** Bit-for-bit equality of two Float32Arrays; reports the first mismatch. */
export function assertBitEqual(actual, expected, label, dim) {
  checkShape(actual, expected, label);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      assert.fail(`${label}: first bit mismatch at ${where(i, dim)}: actual ${actual[i]} ` +
        `(${hex(actual[i])}), expected ${expected[i]} (${hex(expected[i])})`);
    }
  }
}

/** |actual - expected| <= abs + rel * |expected| elementwise (NaN never passes). */
export function assertClose(actual, expected, { abs, rel }, label, dim) {
  checkShape(actual, expected, label);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (first >= 0) {
    const a = actual[first];
    const e = expected[first];
    assert.fail(`${label}: ${bad} of ${actual.length} values outside abs ${abs} + rel ${rel}; ` +
      `first at ${where(first, dim)}: actual ${a}, expected ${e}, diff ${a - e}`);
  }
}

export function assertRowsExactlyZero(grad, rows, dim, label) {
  for (const r of rows) {
    for (let j = 0; j < dim; j++) {
      const v = grad[r * dim + j];
      if (v !== 0) assert.fail(`${label}: row ${r} col ${j} is ${v}, expected exactly 0`);
    }
  }
}

/** A seeded generator of numbers in [0, 1) (xorshift32): the same seed, the same sequence. */
export function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}
