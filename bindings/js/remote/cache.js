// The in-memory row cache of a remote table: a wasm table of `capacity` slots in the file's
// storage (float32 for F32/F16/BF16; the compressed storage's packed rows otherwise), so
// lookups run the in-memory kernels on slot indices and give the same bits; a least recently
// used list of slots (typed arrays: touching a row costs a few writes); row -> slot.
import { requireRuntime } from '../runtime.js';
import { decode, dtypeNamed } from '../io/dtypes.js';
import { kCore } from '../table.js';

const DENSE_LIMIT = 1 << 24; // tables up to this many rows map row -> slot with an Int32Array

export class RowCache {
  #rt;
  #info;
  #prev;
  #next;
  #head = -1; // most recently used
  #tail = -1; // least recently used
  #used = 0; // slots handed out so far
  #dense; // Int32Array row -> slot + 1 (0: not cached), or null (then #map)
  #map;
  #padSlot = -1;

  /**
   * cls: Embedding or EmbeddingBag; info: format.js's tensor description; capacity: slots;
   * options: the slot table's (a bag's mode and includeLastOffset); paddingIdx: the file's
   * padding row (normalised), kept in slot 0, which is the slot table's paddingIdx.
   */
  constructor(cls, info, capacity, options, paddingIdx) {
    this.#rt = requireRuntime();
    this.#info = info;
    this.capacity = capacity;
    this.paddingIdx = paddingIdx;
    const { dim, storage } = info;
    const slotOptions = { ...options, ...(paddingIdx !== null && { paddingIdx: 0 }) };
    this.table = storage === 'float32'
      ? cls.fromPretrained(new Float32Array(capacity * dim), { ...slotOptions, embeddingDim: dim })
      : cls.fromQuantized(new Uint8Array(capacity * info.rowBytes), { ...slotOptions, storage, numEmbeddings: capacity, embeddingDim: dim });
    this.#prev = new Int32Array(capacity);
    this.#next = new Int32Array(capacity);
    this.rowOf = new Int32Array(capacity).fill(-1);
    this.#dense = info.rows <= DENSE_LIMIT ? new Int32Array(info.rows) : null;
    this.#map = this.#dense ? null : new Map();
    if (paddingIdx !== null) {
      this.#padSlot = 0;
      this.#used = 1; // slot 0 is the padding row's, never in the list, never evicted
    }
    this.#decoder = info.storage === 'float32' && info.dtype !== 'F32' ? dtypeNamed.get(info.dtype) : null;
  }

  #decoder;

  /** Rows cached. */
  get size() { return this.#used - (this.#padSlot === 0 && this.rowOf[0] === -1 ? 1 : 0); }
  get cachedBytes() { return this.size * this.#info.rowBytes; }

  /** The slot holding `row`, or -1. */
  slotOf(row) {
    if (this.#dense) return this.#dense[row] - 1;
    return this.#map.get(row) ?? -1;
  }

  /** Marks a cached slot as just used. */
  touch(slot) {
    if (slot === this.#padSlot || slot === this.#head) return;
    this.#unlink(slot);
    this.#pushFront(slot);
  }

  #unlink(slot) {
    const p = this.#prev[slot];
    const n = this.#next[slot];
    if (p >= 0) this.#next[p] = n; else this.#head = n;
    if (n >= 0) this.#prev[n] = p; else this.#tail = p;
  }

  #pushFront(slot) {
    this.#prev[slot] = -1;
    this.#next[slot] = this.#head;
    if (this.#head >= 0) this.#prev[this.#head] = slot;
    this.#head = slot;
    if (this.#tail < 0) this.#tail = slot;
  }

  #setSlot(row, slot) {
    if (this.#dense) this.#dense[row] = slot + 1;
    else this.#map.set(row, slot);
  }

  #deleteRow(row) {
    if (this.#dense) this.#dense[row] = 0;
    else this.#map.delete(row);
  }

  /**
   * Writes row `row`'s bytes (as in the file) into a slot (a free one, else the least recently
   * used row's) and returns it. The caller has checked the bytes (checkRow).
   */
  install(row, bytes) {
    let slot = this.slotOf(row);
    if (slot < 0) {
      if (row === this.paddingIdx) slot = this.#padSlot;
      else if (this.#used < this.capacity) slot = this.#used++;
      else {
        slot = this.#tail;
        this.#unlink(slot);
        this.#deleteRow(this.rowOf[slot]);
      }
      this.rowOf[slot] = row;
      this.#setSlot(row, slot);
      if (slot !== this.#padSlot) this.#pushFront(slot);
    } else {
      this.touch(slot);
    }
    this.#write(slot, bytes);
    return slot;
  }

  #write(slot, bytes) {
    const { m } = this.#rt;
    const { handle } = this.table[kCore];
    const { dim, storage, rowBytes } = this.#info;
    if (storage !== 'float32') m.HEAPU8.set(bytes, handle.dataPtr() + slot * rowBytes);
    else if (this.#decoder) m.HEAPF32.set(decode(this.#decoder, bytes, dim), (handle.weightPtr() >>> 2) + slot * dim);
    else m.HEAPU8.set(bytes, handle.weightPtr() + slot * dim * 4);
  }

  /** Drops every row. */
  clear() {
    for (let s = 0; s < this.#used; ++s) if (this.rowOf[s] >= 0) this.#deleteRow(this.rowOf[s]);
    this.rowOf.fill(-1);
    this.#head = this.#tail = -1;
    this.#used = this.#padSlot === 0 ? 1 : 0;
  }

  dispose() {
    this.table.dispose();
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f16Finite = (bits) => (bits & 0x7c00) !== 0x7c00;

/**
 * Why a compressed row's bytes cannot be a row of `storage` (the check fromQuantized makes:
 * PackedTable::first_invalid_row), or null when they can.
 */
export function checkRow(info, bytes) {
  const { storage, dim } = info;
  if (storage === 'float32') return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (storage === 'int8') {
    u32[0] = view.getUint32(dim, true);
    const scale = f32[0];
    u32[0] = view.getUint32(dim + 4, true);
    return Number.isFinite(scale) && Number.isFinite(f32[0]) ? null : 'a scale or bias that is not a finite number';
  }
  if (storage === 'int4') {
    const at = (dim + 1) >> 1;
    return f16Finite(view.getUint16(at, true)) && f16Finite(view.getUint16(at + 2, true)) ? null : 'a scale or bias that is not a finite number';
  }
  for (let j = 0; j < dim; ++j) if (!f16Finite(view.getUint16(2 * j, true))) return 'an infinity or a NaN';
  return null;
}
