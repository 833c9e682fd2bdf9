// Checkpoints: a training state to bytes and back, exactly. The container is safetensors: each
// table's weights under PyTorch's name (`<table>.weight`, F32 [rows, dim]), each optimizer's
// state per parameter under `<optimizer>.state.<i>.<field>` with torch.optim's field names
// where it has them (momentum_buffer, sum, exp_avg, exp_avg_sq, step), and what rebuilds the
// objects (classes, options, which tables each optimizer steps) as JSON in the metadata, with a
// CRC-32 of all of it. Tables are saved as stored: rows that still owe a lazy optimizer its
// updates keep owing them (row_step says how many), so training resumes with the same bits.
// examples/pytorch/load_checkpoint.py loads a checkpoint into torch modules and optimizers.
import { checkOptions, describe } from './check.js';
import { Table, kCore, kRawWeights, kStepped } from './table.js';
import { Embedding } from './embedding.js';
import { EmbeddingBag } from './bag.js';
import { Optimizer, SGD, Adagrad, SparseAdam, RowwiseAdagrad, RESTORE, kOwner, kParams, kOptions } from './optim.js';
import { loadSafetensors, saveSafetensors } from './io/safetensors.js';

const DESCRIPTION = 'wasm-embedding.checkpoint'; // metadata keys
const CHECKSUM = 'wasm-embedding.checksum';
const FORMAT = 1;
const TABLES = { Embedding, EmbeddingBag };
const OPTIMIZERS = { SGD, Adagrad, SparseAdam, RowwiseAdagrad };
// StateField::Type (src/embedding/optimizer_state.h) -> safetensors dtype, typed array.
const FIELD_TYPES = [['F32', Float32Array], ['F64', Float64Array], ['I64', BigInt64Array], ['BOOL', Uint8Array]];

const classOf = (obj, classes) => Object.keys(classes).find((name) => obj instanceof classes[name]);
const utf8 = new TextEncoder();
const quote = JSON.stringify;

/**
 * The training state of some tables and the optimizers that step them, as a safetensors file.
 * Every table an optimizer steps must be among `tables`. Gradients are not saved (as in torch's
 * state_dict).
 * @param {{ tables: Record<string, Table>, optimizers?: Record<string, Optimizer> }} state
 * @param {Record<string, string>} [metadata] more __metadata__ entries
 * @returns {Uint8Array}
 */
export function saveCheckpoint(state, metadata = {}) {
  if (state === null || typeof state !== 'object') throw new TypeError(`saveCheckpoint expects { tables, optimizers }, got ${describe(state)}`);
  checkOptions(state, ['tables', 'optimizers'], 'saveCheckpoint');
  const { tables = {}, optimizers = {} } = state;
  const tensors = {};
  const add = (name, tensor) => {
    if (Object.hasOwn(tensors, name)) throw new TypeError(`saveCheckpoint: two entries would both be saved as tensor ${quote(name)}; rename one`);
    tensors[name] = tensor;
  };
  const description = { format: FORMAT, tables: {}, optimizers: {} };
  const nameOf = new Map();
  const savedOwners = new Set(Object.values(optimizers).map((opt) => opt instanceof Optimizer && opt[kOwner]));
  for (const [name, table] of Object.entries(tables)) {
    const cls = classOf(table, TABLES);
    if (!cls) throw new TypeError(`saveCheckpoint: tables.${name} is ${describe(table)}, not an Embedding or EmbeddingBag`);
    if (nameOf.has(table)) throw new TypeError(`saveCheckpoint: tables.${name} is the same table as tables.${nameOf.get(table)}`);
    nameOf.set(table, name);
    const { handle } = table[kCore]; // throws once disposed
    if (table.storage !== 'float32') {
      throw new TypeError(`saveCheckpoint: tables.${name} is stored as ${table.storage}; compressed tables are frozen and hold no training state (save them with saveSafetensors)`);
    }
    description.tables[name] = {
      class: cls, numEmbeddings: table.numEmbeddings, embeddingDim: table.embeddingDim, requiresGrad: table.requiresGrad,
      options: {
        paddingIdx: table.paddingIdx, maxNorm: table.maxNorm, normType: String(table.normType), scaleGradByFreq: table.scaleGradByFreq,
        ...(cls === 'EmbeddingBag' && { mode: table.mode, includeLastOffset: table.includeLastOffset }),
      },
    };
    // Rows owe a lazy optimizer's updates only to a state that is saved too: else they settle.
    const owner = handle.optimizerOwner();
    const weights = owner === 0 || savedOwners.has(owner) ? table[kRawWeights]() : table.weight;
    add(`${name}.weight`, { dtype: 'F32', shape: [table.numEmbeddings, table.embeddingDim], data: weights });
  }
  for (const [name, opt] of Object.entries(optimizers)) {
    const cls = classOf(opt, OPTIMIZERS);
    if (!cls) throw new TypeError(`saveCheckpoint: optimizers.${name} is ${describe(opt)}, not an SGD, Adagrad, SparseAdam or RowwiseAdagrad`);
    const params = opt[kParams].map((table, i) => {
      if (!nameOf.has(table)) throw new TypeError(`saveCheckpoint: optimizers.${name} steps a table (its params[${i}]) that is not among the tables`);
      return nameOf.get(table);
    });
    const withState = [];
    params.forEach((tableName, i) => {
      const fields = stateFields(tables[tableName], opt[kOwner]);
      if (!fields) return;
      withState.push(i);
      for (const f of fields) {
        add(`${name}.state.${i}.${f.name}`, { dtype: FIELD_TYPES[f.type][0], shape: f.dims(tables[tableName]), data: f.view().slice() });
      }
    });
    description.optimizers[name] = { class: cls, options: opt[kOptions], params, state: withState };
  }
  const json = JSON.stringify(description);
  return saveSafetensors(tensors, { ...metadata, [DESCRIPTION]: json, [CHECKSUM]: checksum(json, tensors) });
}

/**
 * New tables and optimizers holding a checkpoint's training state: training them on gives the
 * same bits as the saved objects would have. Throws an Error for a file that is not a
 * checkpoint, is truncated or corrupted (its checksum), creating nothing.
 * @param {Uint8Array | ArrayBuffer} bytes
 * @returns {{ tables: Record<string, Embedding | EmbeddingBag>, optimizers: Record<string, Optimizer>, metadata: Record<string, string> }}
 */
export function loadCheckpoint(bytes) {
  const { tensors, metadata } = loadSafetensors(bytes);
  const json = metadata?.[DESCRIPTION];
  if (typeof json !== 'string') throw new Error(`loadCheckpoint: not a wasm-embedding checkpoint (no ${quote(DESCRIPTION)} in the metadata)`);
  const stored = metadata[CHECKSUM];
  const computed = checksum(json, tensors);
  if (stored !== computed) throw new Error(`loadCheckpoint: the file is corrupted: its checksum is ${quote(stored)}, its contents give ${quote(computed)}`);
  const description = parseDescription(json, tensors);
  const created = [];
  try {
    const tables = {};
    for (const [name, t] of Object.entries(description.tables)) {
      const { normType, ...options } = t.options;
      tables[name] = TABLES[t.class].fromPretrained(tensors[`${name}.weight`].data, {
        ...options, normType: Number(normType), embeddingDim: t.embeddingDim, freeze: !t.requiresGrad,
      });
      created.push(tables[name]);
    }
    const optimizers = {};
    for (const [name, o] of Object.entries(description.optimizers)) {
      const opt = new OPTIMIZERS[o.class](o.params.map((t) => tables[t]), o.options);
      optimizers[name] = opt;
      created.push(opt);
      for (const i of o.state) restoreState(opt, tables[o.params[i]], (field) => tensors[`${name}.state.${i}.${field}`], `${name}.state.${i}`);
    }
    const rest = { ...metadata };
    delete rest[DESCRIPTION];
    delete rest[CHECKSUM];
    return { tables, optimizers, metadata: rest };
  } catch (err) {
    for (const obj of created.reverse()) obj.dispose();
    throw err;
  }
}

// The fields of the state optimizer `owner` keeps in a table (null when none): name, type, the
// tensor shape for a table, and a view of the data in wasm memory (made afresh on each call).
function stateFields(table, owner) {
  const { rt, handle } = table[kCore];
  const m = rt.m;
  const at = m.optimStateFields(handle, owner) >>> 2;
  if (at === 0) return null;
  const count = m.HEAPU32[at];
  return Array.from({ length: count }, (_, i) => {
    const [nameAt, type, shape, data, length] = m.HEAPU32.slice(at + 1 + 5 * i, at + 6 + 5 * i);
    let name = '';
    for (let c = nameAt; m.HEAPU8[c] !== 0; ++c) name += String.fromCharCode(m.HEAPU8[c]); // ASCII field names
    return {
      index: i, name, type, shape, length,
      view: () => new FIELD_TYPES[type][1](m.HEAPU8.buffer, data, length),
      // [] for a number; [rows] per row; [rows, dim] per row element (0 rows for an unused array).
      dims: (t) => (shape === 0 ? [] : shape === 1 ? [length] : [length / (t.embeddingDim || 1), t.embeddingDim]),
    };
  });
}

// Creates optimizer opt's state in table and fills every field from tensorOf(field name).
function restoreState(opt, table, tensorOf, prefix) {
  const { rt, handle } = table[kCore];
  if (!opt.stepTable(rt.m, handle, opt[kOwner], RESTORE)) {
    throw new RangeError(`loadCheckpoint: out of memory for the optimizer state of a ${table.numEmbeddings} x ${table.embeddingDim} table`);
  }
  for (const f of stateFields(table, opt[kOwner])) {
    const t = tensorOf(f.name);
    const [dtype] = FIELD_TYPES[f.type];
    const rows = t?.shape[0];
    const fits = t && t.dtype === dtype && (f.shape === 0 ? t.shape.length === 0
      : (rows === 0 || rows === table.numEmbeddings) && (f.shape === 1 ? t.shape.length === 1 : t.shape.length === 2 && t.shape[1] === table.embeddingDim));
    if (!fits) {
      throw new Error(`loadCheckpoint: tensor ${quote(`${prefix}.${f.name}`)} is ${t ? `${t.dtype} [${t.shape}]` : 'missing'}; expected ${dtype} ${f.shape === 0 ? '[]' : f.shape === 1 ? `[${table.numEmbeddings}] or [0]` : `[${table.numEmbeddings}, ${table.embeddingDim}] or [0, ${table.embeddingDim}]`}`);
    }
    if (t.data.length !== f.length && !rt.m.optimResizeStateField(handle, opt[kOwner], f.index, t.data.length)) {
      throw new RangeError(`loadCheckpoint: out of memory for ${quote(`${prefix}.${f.name}`)}`);
    }
  }
  // Resizing moved the arrays: their addresses are read again.
  for (const f of stateFields(table, opt[kOwner])) f.view().set(tensorOf(f.name).data);
  table[kStepped]();
}

// The description, checked against the tensors: every tensor accounted for, every name known.
function parseDescription(json, tensors) {
  let d;
  try {
    d = JSON.parse(json);
  } catch (err) {
    throw new Error(`loadCheckpoint: the ${quote(DESCRIPTION)} metadata is not JSON: ${err.message}`);
  }
  const bad = (what) => new Error(`loadCheckpoint: the checkpoint's description ${what}`);
  if (d?.format !== FORMAT) throw bad(`has format ${quote(d?.format)}; this version reads format ${FORMAT}`);
  const used = new Set();
  for (const [name, t] of Object.entries(d.tables ?? {})) {
    if (!Object.hasOwn(TABLES, t?.class)) throw bad(`gives table ${quote(name)} the class ${quote(t?.class)}`);
    const w = tensors[`${name}.weight`];
    if (!w || w.dtype !== 'F32' || w.shape.length !== 2 || w.shape[0] !== t.numEmbeddings || w.shape[1] !== t.embeddingDim) {
      throw bad(`expects tensor ${quote(`${name}.weight`)} as F32 [${t.numEmbeddings}, ${t.embeddingDim}]; the file has ${w ? `${w.dtype} [${w.shape}]` : 'none'}`);
    }
    used.add(`${name}.weight`);
  }
  for (const [name, o] of Object.entries(d.optimizers ?? {})) {
    if (!Object.hasOwn(OPTIMIZERS, o?.class)) throw bad(`gives optimizer ${quote(name)} the class ${quote(o?.class)}`);
    if (!Array.isArray(o.params) || !o.params.every((t) => Object.hasOwn(d.tables, t))) throw bad(`gives optimizer ${quote(name)} parameters that are not its tables`);
    if (!Array.isArray(o.state) || !o.state.every((i) => Number.isInteger(i) && i >= 0 && i < o.params.length)) throw bad(`gives optimizer ${quote(name)} a bad list of states`);
    for (const i of o.state) for (const key of Object.keys(tensors)) if (key.startsWith(`${name}.state.${i}.`)) used.add(key);
  }
  const stray = Object.keys(tensors).find((key) => !used.has(key));
  if (stray !== undefined) throw bad(`does not account for tensor ${quote(stray)}`);
  return { tables: d.tables ?? {}, optimizers: d.optimizers ?? {} };
}

// CRC-32 (IEEE 802.3) of the description and every tensor's bytes in name order, as 8 hex digits.
function checksum(json, tensors) {
  let crc = crc32(utf8.encode(json), 0);
  for (const name of Object.keys(tensors).sort()) {
    const data = tensors[name].data;
    crc = crc32(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), crc);
  }
  return `crc32:${crc.toString(16).padStart(8, '0')}`;
}

let crcTables = null; // slicing by 4: 4 x 256 entries, made on first use
function crc32(bytes, previous) {
  if (!crcTables) {
    crcTables = new Uint32Array(4 * 256);
    for (let n = 0; n < 256; ++n) {
      let c = n;
      for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTables[n] = c;
    }
    for (let n = 0; n < 256; ++n) {
      for (let k = 1; k < 4; ++k) crcTables[256 * k + n] = (crcTables[256 * (k - 1) + n] >>> 8) ^ crcTables[crcTables[256 * (k - 1) + n] & 255];
    }
  }
  const t = crcTables;
  let crc = ~previous;
  let i = 0;
  const head = Math.min(bytes.length, (4 - (bytes.byteOffset % 4)) % 4);
  for (; i < head; ++i) crc = t[(crc ^ bytes[i]) & 255] ^ (crc >>> 8);
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (bytes.length - i) >>> 2); // little-endian: the bytes in order
  for (let w = 0; w < words.length; ++w) {
    const x = crc ^ words[w];
    crc = t[768 + (x & 255)] ^ t[512 + ((x >>> 8) & 255)] ^ t[256 + ((x >>> 16) & 255)] ^ t[x >>> 24];
  }
  for (i += 4 * words.length; i < bytes.length; ++i) crc = t[(crc ^ bytes[i]) & 255] ^ (crc >>> 8);
  return ~crc >>> 0;
}
