// Argument checking and error messages, shared by every public class. Everything is checked
// before anything is written, so a throw leaves the tables as they were.

/** A short description of a value for messages: `a Float32Array`, `"text"`, `12n`, `null`. */
export function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/** Throws a TypeError unless options is a plain object whose keys are all in `allowed`. */
export function checkOptions(options, allowed, what) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${what} must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${what}: unknown option '${key}' (allowed: ${allowed.join(', ')})`);
  }
}

export function checkSize(value, name) {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new RangeError(`${name} must be an integer in [0, 2147483647], got ${describe(value)}`);
  }
}

export function checkBoolean(value, name) {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
}

export function checkNonNegative(value, name) {
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${describe(value)}`);
  }
}

// Position i of a (possibly nested) array of indices, written as [a][b] for nested input.
function positionOf(indices, i) {
  if (!Array.isArray(indices) || !indices.some(Array.isArray)) return `position ${i}`;
  const path = [];
  let remaining = i;
  const walk = (a) => {
    for (let k = 0; k < a.length; ++k) {
      if (Array.isArray(a[k])) {
        path.push(k);
        if (walk(a[k])) return true;
        path.pop();
      } else if (remaining-- === 0) {
        path.push(k);
        return true;
      }
    }
    return false;
  };
  walk(indices);
  return `position [${path.join('][')}] (flat ${i})`;
}

/** The RangeError for index `value` at flat position i of the user's `indices`. */
export function outOfRange(indices, value, i, rows) {
  const valid = rows > 0 ? `[0, ${rows - 1}]` : 'none: the table has no rows';
  return new RangeError(`index ${value} at ${positionOf(indices, i)} is out of range (valid indices: ${valid})`);
}

/**
 * Converts user indices into { n, int32 (to write to wasm memory), values (the user's values,
 * flattened, for messages) }. Plain numbers are range-checked here (an int32 write would wrap
 * them); typed arrays are range-checked by the core, which reports the first bad position.
 */
export function readIndices(indices, rows, original = indices) {
  if (indices instanceof Int32Array) return { n: indices.length, int32: indices, values: indices };
  if (indices instanceof Uint32Array) {
    const view = new Int32Array(indices.buffer, indices.byteOffset, indices.length); // >= 2^31 turn negative: out of range
    return { n: indices.length, int32: view, values: indices };
  }
  if (typeof BigInt64Array !== 'undefined' && indices instanceof BigInt64Array) {
    const int32 = new Int32Array(indices.length);
    const limit = BigInt(rows);
    for (let i = 0; i < indices.length; ++i) {
      const v = indices[i];
      if (v < 0n || v >= limit) throw outOfRange(indices, v, i, rows);
      int32[i] = Number(v);
    }
    return { n: int32.length, int32, values: indices };
  }
  if (Array.isArray(indices)) {
    // Flat arrays are the common case: flatten only once a nested array shows up.
    const int32 = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; ++i) {
      const v = indices[i];
      if (Array.isArray(v)) return readIndices(indices.flat(Infinity), rows, original);
      if (!Number.isInteger(v)) {
        throw new TypeError(`index ${describe(v)} at ${positionOf(original, i)} is not an integer`);
      }
      if (v < 0 || v >= rows) throw outOfRange(original, v, i, rows);
      int32[i] = v;
    }
    return { n: int32.length, int32, values: indices };
  }
  throw new TypeError(
    `indices must be an array of integers (nested arrays allowed), an Int32Array, a Uint32Array or a BigInt64Array, got ${describe(indices)}`,
  );
}

/** Float values of a given length: a Float32Array, a Float64Array or (nested) numbers. */
export function readFloats(values, expected, name) {
  let data = values;
  if (Array.isArray(values)) data = values.some(Array.isArray) ? values.flat(Infinity) : values;
  else if (!(values instanceof Float32Array || values instanceof Float64Array)) {
    throw new TypeError(`${name} must be a Float32Array or an array of numbers, got ${describe(values)}`);
  }
  if (data.length !== expected) throw new TypeError(`${name} must have ${expected} values, got ${data.length}`);
  if (Array.isArray(data)) {
    const i = data.findIndex((v) => typeof v !== 'number');
    if (i >= 0) throw new TypeError(`${name} value ${describe(data[i])} at position ${i} is not a number`);
  }
  return data;
}
