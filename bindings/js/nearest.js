// Nearest neighbours and analogies (shared/API.md "Nearest neighbours"): exact search over
// every row, scored and selected in wasm (src/embedding/nearest.h). Arguments are checked here,
// before anything runs.
import { checkOptions, describe } from './check.js';
import { scratch } from './runtime.js';
import { kCore } from './table.js'; // a cycle, used only at call time

const METRICS = { cosine: 0, dot: 1, l2: 2 };

/** Throws unless value is a row of the table; `what` names it in the message. */
export function checkRow(value, rows, what) {
  if (!Number.isInteger(value)) throw new TypeError(`${what} must be an integer row index, got ${describe(value)}`);
  if (value < 0 || value >= rows) {
    throw new RangeError(`${what} ${value} is out of range (valid rows: ${rows > 0 ? `[0, ${rows - 1}]` : 'none: the table has no rows'})`);
  }
}

export function checkK(k) {
  if (!(Number.isInteger(k) && k >= 0 && k <= 0x7fffffff)) throw new RangeError(`k must be an integer in [0, 2147483647], got ${describe(k)}`);
}

// The query in one of its three forms: { m, vectors } (Float32Array, m x dim) or { m, self }
// (Int32Array of rows, each the query and left out of its own results).
export function readQuery(query, rows, dim) {
  if (typeof query === 'number') {
    checkRow(query, rows, 'query row');
    return { m: 1, self: Int32Array.of(query) };
  }
  if (query instanceof Float32Array) {
    const m = dim === 0 ? 1 : query.length / dim;
    if (dim === 0 ? query.length !== 0 : !(Number.isInteger(m) && m > 0)) {
      throw new TypeError(`query must hold one or more vectors of embeddingDim ${dim} values, got a Float32Array of length ${query.length}`);
    }
    return { m, vectors: query };
  }
  if (query instanceof Int32Array) {
    query.forEach((row, i) => checkRow(row, rows, `query row at position ${i},`));
    return { m: query.length, self: query };
  }
  throw new TypeError(`query must be a row index, a Float32Array of vectors or an Int32Array of row indices, got ${describe(query)}`);
}

export function readExclude(exclude, rows) {
  if (!(Array.isArray(exclude) || exclude instanceof Int32Array)) {
    throw new TypeError(`exclude must be an array or an Int32Array of row indices, got ${describe(exclude)}`);
  }
  exclude.forEach((row, i) => checkRow(row, rows, `exclude[${i}] =`));
  return Int32Array.from(exclude).sort();
}

// The core's search over this table: the float32 one's, or the compressed one's.
const forStorage = (table, float32, packed) => (table.storage === 'float32' ? float32 : packed);

// Runs a search whose inputs are laid out by `write` in a scratch region ahead of the m x k
// results; `search(index, score)` calls the core and returns false when memory runs out.
function collect(table, m, k, inputBytes, write, search) {
  const { rt } = table[kCore];
  const slots = m * k;
  const at = scratch(rt, inputBytes + 8 * slots);
  write(at);
  const index = at + inputBytes;
  const score = index + 4 * slots;
  if (!search(index, score)) throw new RangeError(`wasm-embedding: out of memory searching a ${table.numEmbeddings} x ${table.embeddingDim} table`);
  return {
    indices: rt.m.HEAP32.slice(index >>> 2, (index >>> 2) + slots),
    scores: rt.m.HEAPF32.slice(score >>> 2, (score >>> 2) + slots),
  };
}

/**
 * The k rows nearest to each query, best first (shared/API.md). See Table.nearest.
 * @returns {{ indices: Int32Array, scores: Float32Array }} m * k entries
 */
export function nearest(table, query, k, options = {}) {
  const { rt, handle } = table[kCore];
  checkOptions(options, ['metric', 'exclude'], 'nearest options');
  const { metric = 'cosine', exclude = [] } = options;
  if (!Object.hasOwn(METRICS, metric)) throw new RangeError(`metric must be 'cosine', 'dot' or 'l2', got ${describe(metric)}`);
  checkK(k);
  const rows = table.numEmbeddings;
  const { m, vectors, self } = readQuery(query, rows, table.embeddingDim);
  const excluded = readExclude(exclude, rows);
  const queryBytes = vectors ? 4 * vectors.length : 4 * m;
  let queriesAt = 0;
  let selfAt = 0;
  let excludeAt = 0;
  return collect(table, m, k, queryBytes + 4 * excluded.length, (at) => {
    if (vectors) rt.m.HEAPF32.set(vectors, (queriesAt = at) >>> 2);
    else rt.m.HEAP32.set(self, (selfAt = at) >>> 2);
    rt.m.HEAP32.set(excluded, (excludeAt = at + queryBytes) >>> 2);
  }, (index, score) => forStorage(table, rt.m.nearestTable, rt.m.nearestPacked)(handle, METRICS[metric], queriesAt, m, selfAt, k, excludeAt, excluded.length, index, score));
}

/**
 * "a is to b as c is to ?": gensim's most_similar(positive=[b, c], negative=[a]). See Table.analogy.
 * @returns {{ indices: Int32Array, scores: Float32Array }} k entries
 */
export function analogy(table, a, b, c, k = 10) {
  const { rt, handle } = table[kCore];
  const rows = table.numEmbeddings;
  checkRow(a, rows, 'a');
  checkRow(b, rows, 'b');
  checkRow(c, rows, 'c');
  checkK(k);
  return collect(table, 1, k, 0, () => {}, (index, score) => forStorage(table, rt.m.analogyTable, rt.m.analogyPacked)(handle, a, b, c, k, index, score));
}
