// Rows of remote tables kept across page loads (persist: true): blocks of 64 consecutive rows,
// each a small file (or IndexedDB record) of a 64-bit presence mask and the rows present, in
// a folder per URL and per version of the file; opening another version drops the old ones.
// The backends (persist-node.js: a directory; persist-browser.js: OPFS, else IndexedDB) only
// list, read, write and remove named byte strings.

const BLOCK_ROWS = 64;

/** A short stable hash of a string (cyrb53), as 14 hex digits: folder names. */
export function hashText(text) {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; ++i) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/** The folder names of a table: its URL's, and its version's (validators, size, layout). */
export function storeKeys({ url, version, info }) {
  const v = [version.etag, version.lastModified, version.size, info.dataBegin, info.rowBytes, info.rows, info.storage, info.dtype].join('|');
  return { urlKey: hashText(url), versionKey: hashText(v) };
}

/**
 * The store over a backend: { versions(): names, removeVersion(name), list(): block names,
 * read(name): Uint8Array | null, write(name, bytes), close() } for this URL's folder, whose
 * version folder is versionKey.
 */
export class RowStore {
  #backend;
  #rowBytes;
  #blocks; // block numbers that exist
  #writes = new Map(); // block -> the promise of its last write (writes to a block go in turn)

  constructor(backend, rowBytes, blocks) {
    this.#backend = backend;
    this.#rowBytes = rowBytes;
    this.#blocks = blocks;
  }

  static async open(backend, info) {
    const names = await backend.list();
    const blocks = new Set();
    for (const name of names) if (/^b\d+$/.test(name)) blocks.add(Number(name.slice(1)));
    return new RowStore(backend, info.rowBytes, blocks);
  }

  // { mask (BigInt), rows: Map row -> bytes } of a block's record.
  #decode(block, record) {
    const rows = new Map();
    if (!record || record.length < 8) return rows;
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const mask = view.getBigUint64(0, true);
    let at = 8;
    for (let k = 0; k < BLOCK_ROWS; ++k) {
      if (!((mask >> BigInt(k)) & 1n)) continue;
      if (at + this.#rowBytes > record.length) return new Map(); // a torn record: none of it
      rows.set(block * BLOCK_ROWS + k, record.slice(at, at + this.#rowBytes));
      at += this.#rowBytes;
    }
    return rows;
  }

  #encode(block, rows) {
    const record = new Uint8Array(8 + rows.size * this.#rowBytes);
    let mask = 0n;
    let at = 8;
    for (let k = 0; k < BLOCK_ROWS; ++k) {
      const bytes = rows.get(block * BLOCK_ROWS + k);
      if (!bytes) continue;
      mask |= 1n << BigInt(k);
      record.set(bytes, at);
      at += this.#rowBytes;
    }
    new DataView(record.buffer).setBigUint64(0, mask, true);
    return record;
  }

  /** The stored rows among `rows`: Map row -> bytes. */
  async get(rows) {
    const wanted = new Map();
    for (const row of rows) {
      const block = Math.floor(row / BLOCK_ROWS);
      if (this.#blocks.has(block)) (wanted.get(block) ?? wanted.set(block, []).get(block)).push(row);
    }
    const found = new Map();
    await Promise.all([...wanted].map(async ([block, list]) => {
      await this.#writes.get(block);
      const stored = this.#decode(block, await this.#backend.read(`b${block}`));
      for (const row of list) if (stored.has(row)) found.set(row, stored.get(row));
    }));
    return found;
  }

  /** Stores rows: [row, bytes] pairs. */
  async put(entries) {
    const byBlock = new Map();
    for (const [row, bytes] of entries) {
      const block = Math.floor(row / BLOCK_ROWS);
      (byBlock.get(block) ?? byBlock.set(block, new Map()).get(block)).set(row, bytes);
    }
    await Promise.all([...byBlock].map(([block, rows]) => {
      const write = (this.#writes.get(block) ?? Promise.resolve()).then(async () => {
        const stored = this.#blocks.has(block) ? this.#decode(block, await this.#backend.read(`b${block}`)) : new Map();
        for (const [row, bytes] of rows) stored.set(row, bytes);
        await this.#backend.write(`b${block}`, this.#encode(block, stored));
        this.#blocks.add(block);
      }).catch(() => {});
      this.#writes.set(block, write);
      return write;
    }));
  }

  async close() {
    await Promise.all(this.#writes.values());
    await this.#backend.close?.();
  }
}
