// The in-memory row cache of a remote table: a wasm table of slots in the file's storage
// (float32 for F32/F16/BF16; the compressed storage's packed rows otherwise), so lookups run
// the in-memory kernels on slot indices and give the same bits. It grows by doubling up to
// `capacity` slots (cacheBytes), so opening costs nothing and memory follows use. Recency is a
// stamp a slot (one write a lookup); when full, about the least recently used sixteenth goes
// at once (one pass), never a row the lookup being served has touched.
import { decode, dtypeNamed } from '../io/dtypes.js';
import { host } from './host.js';
import { allocatePacked } from '../storage.js';

const DENSE_LIMIT = 1 << 24; // tables up to this many rows map row -> slot with an Int32Array
const FIRST_SLOTS = 1024;
const SAMPLES = 256;

export class RowCache {
  #rt;
  #info;
  #cls;
  #options;
  #allocated = 0; // slots in the current table
  #stamp = new Float64Array(0); // last use of each slot; 0: free
  #free = []; // free slots
  #tick = 1;
  #occupied = 0;
  #dense; // Int32Array row -> slot + 1 (0: not cached), or null (then #map)
  #map;
  #padSlot = -1;
  #decoder;

  /**
   * cls: Embedding or EmbeddingBag; info: format.js's tensor description; capacity: the most
   * slots; options: the slot table's (a bag's mode and includeLastOffset); paddingIdx: the
   * file's padding row (normalised) or null: kept in slot 0, the slot table's paddingIdx.
   */
  constructor(cls, info, capacity, options, paddingIdx) {
    this.#rt = host.requireRuntime();
    this.#info = info;
    this.#cls = cls;
    this.capacity = capacity;
    this.paddingIdx = paddingIdx;
    this.#options = { ...options, ...(paddingIdx !== null && { paddingIdx: 0 }) };
    this.#dense = info.rows <= DENSE_LIMIT ? new Int32Array(info.rows) : null;
    this.#map = this.#dense ? null : new Map();
    this.#decoder = info.storage === 'float32' && info.dtype !== 'F32' ? dtypeNamed.get(info.dtype) : null;
    this.rowOf = new Int32Array(0);
    this.table = null;
    if (paddingIdx !== null) this.#padSlot = 0;
    this.#grow(Math.min(capacity, FIRST_SLOTS));
  }

  get size() { return this.#occupied; }
  get cachedBytes() { return this.#occupied * this.#info.rowBytes; }

  // A table of `slots` slots, holding the current one's rows in the same slots.
  #grow(slots) {
    const { dim, storage } = this.#info;
    const old = this.table;
    const cls = this.#cls;
    const table = storage === 'float32'
      ? new cls(slots, dim, this.#options, { [host.kPretrained]: (handle) => handle.allocate(slots, dim) })
      : host.adoptPacked(cls, slots, dim, this.#options, allocatePacked(this.#rt, storage, slots, dim), storage);
    const perSlot = storage === 'float32' ? 4 * dim : this.#info.rowBytes;
    if (old) {
      const at = (t) => (storage === 'float32' ? t[host.kCore].handle.weightPtr() : t[host.kCore].handle.dataPtr());
      this.#rt.m.HEAPU8.copyWithin(at(table), at(old), at(old) + this.#allocated * perSlot);
      old.dispose();
    }
    this.table = table;
    const stamp = new Float64Array(slots);
    stamp.set(this.#stamp);
    const rowOf = new Int32Array(slots).fill(-1);
    rowOf.set(this.rowOf);
    for (let s = slots - 1; s >= this.#allocated; --s) if (s !== this.#padSlot) this.#free.push(s);
    this.#stamp = stamp;
    this.rowOf = rowOf;
    this.#allocated = slots;
  }

  /** The slot holding `row`, or -1. */
  slotOf(row) {
    if (this.#dense) return this.#dense[row] - 1;
    return this.#map.get(row) ?? -1;
  }

  /**
   * Starts a lookup (or a row's arrival): rows touched or installed from now on are not
   * evicted until the next begin().
   */
  begin() {
    this.#protect = ++this.#tick;
  }

  #protect = 0;

  /**
   * Slots of rows int32[from : to) into slots[0 : to - from), touching them; -1 where a row is
   * not cached. Returns how many were not, or -1 - i for the first i whose row is not in
   * [0, rows) (checking as it goes: the caller throws before anything else happens).
   */
  find(int32, from, to, slots) {
    const dense = this.#dense;
    const stamp = this.#stamp;
    const now = this.#tick;
    const rows = this.#info.rows;
    let misses = 0;
    for (let i = from; i < to; ++i) {
      const row = int32[i];
      if (!(row >= 0 && row < rows)) return -1 - i;
      const s = dense ? dense[row] - 1 : (this.#map.get(row) ?? -1);
      if (s >= 0) stamp[s] = now;
      else ++misses;
      slots[i - from] = s;
    }
    return misses;
  }

  /**
   * Writes row `row`'s bytes (as in the file, checked by checkRow) into a slot and returns it:
   * its own, a free one, a new one (growing), or one freed from the least recently used.
   */
  install(row, bytes) {
    let slot = this.slotOf(row);
    if (slot < 0) {
      if (row === this.paddingIdx) slot = this.#padSlot;
      else {
        if (this.#free.length === 0) {
          if (this.#allocated < this.capacity) this.#grow(Math.min(this.capacity, 2 * this.#allocated));
          else this.#reclaim();
        }
        slot = this.#free.pop();
      }
      this.rowOf[slot] = row;
      if (this.#dense) this.#dense[row] = slot + 1;
      else this.#map.set(row, slot);
      ++this.#occupied;
    }
    this.#stamp[slot] = this.#tick;
    this.#write(slot, bytes);
    return slot;
  }

  // Frees about the least recently used sixteenth of the slots (at least one), none touched
  // since begin(): the stamp below which a sample's sixteenth lies, then one pass.
  #reclaim() {
    const stamp = this.#stamp;
    const n = this.#allocated;
    const protect = this.#protect;
    const sample = [];
    const step = Math.max(1, Math.floor(n / SAMPLES));
    for (let s = 0; s < n; s += step) if (s !== this.#padSlot && stamp[s] < protect) sample.push(stamp[s]);
    sample.sort((a, b) => a - b);
    const threshold = sample[Math.floor(sample.length / 16)] ?? -1;
    const evict = (s) => {
      const row = this.rowOf[s];
      if (this.#dense) this.#dense[row] = 0;
      else this.#map.delete(row);
      this.rowOf[s] = -1;
      stamp[s] = 0;
      --this.#occupied;
      this.#free.push(s);
    };
    for (let s = 0; s < n; ++s) if (s !== this.#padSlot && this.rowOf[s] >= 0 && stamp[s] <= threshold && stamp[s] < protect) evict(s);
    if (this.#free.length > 0) return;
    let oldest = -1;
    for (let s = 0; s < n; ++s) {
      if (s !== this.#padSlot && this.rowOf[s] >= 0 && stamp[s] < protect && (oldest < 0 || stamp[s] < stamp[oldest])) oldest = s;
    }
    if (oldest < 0) throw new Error('wasm-embedding: remote table cache: every slot is in use by the lookup being served');
    evict(oldest);
  }

  #write(slot, bytes) {
    const { m } = this.#rt;
    const { handle } = this.table[host.kCore];
    const { dim, storage, rowBytes } = this.#info;
    if (storage !== 'float32') m.HEAPU8.set(bytes, handle.dataPtr() + slot * rowBytes);
    else if (this.#decoder) m.HEAPF32.set(decode(this.#decoder, bytes, dim), (handle.weightPtr() >>> 2) + slot * dim);
    else m.HEAPU8.set(bytes, handle.weightPtr() + slot * dim * 4);
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
