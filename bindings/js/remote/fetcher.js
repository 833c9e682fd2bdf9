// Getting rows that are not cached: from the persistent store, else over HTTP. Rows wanted in
// the same tick are fetched together (coalesced across callers); a row already on its way is
// not asked for again; byte ranges of nearby rows are merged; several ranges go in one request
// where the server answers multipart/byteranges; at most MAX_IN_FLIGHT requests at a time.
import { MultipartRefused } from './requests.js';
import { checkRow } from './cache.js';

export const MAX_IN_FLIGHT = 16;
const MAX_RANGE_HEADER = 6000; // bytes of "Range: bytes=..."; nginx refuses a header line past 8 KB
const MULTIPART_GAP = 256; // about a part's own headers: merging a smaller gap costs fewer bytes
const SINGLE_GAP = 32 * 1024; // one range per request: merging saves a request

export class RowFetcher {
  #client;
  #info;
  #cache;
  #store;
  #stats;
  #mergeGap;
  #inFlight = new Map(); // row -> Promise<Uint8Array>
  #pending = new Map(); // row -> { resolve, reject }, waiting for the next flush
  #flushQueued = false;
  #running = 0;
  #queue = []; // requests waiting for a free slot
  #full = null; // the whole file, when the server sent it (allowFullDownload)

  constructor({ client, info, cache, store, stats, mergeGap, full }) {
    this.#client = client;
    this.#info = info;
    this.#cache = cache;
    this.#store = store;
    this.#stats = stats;
    this.#mergeGap = mergeGap;
    this.#full = full;
  }

  /** A promise per row (its bytes as in the file), all rows fetched together. */
  want(rows) {
    const promises = new Array(rows.length);
    for (let i = 0; i < rows.length; ++i) {
      const row = rows[i];
      let p = this.#inFlight.get(row);
      if (p === undefined) {
        p = new Promise((resolve, reject) => this.#pending.set(row, { resolve, reject }));
        p.catch(() => {}); // its callers see the rejection; nobody else has to
        this.#inFlight.set(row, p);
      }
      promises[i] = p;
    }
    if (this.#pending.size > 0 && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        this.#flush();
      });
    }
    return promises;
  }

  async #flush() {
    const batch = this.#pending;
    this.#pending = new Map();
    let rows = [...batch.keys()].sort((a, b) => a - b);
    if (this.#full) {
      for (const row of rows) this.#deliver(row, batch.get(row), this.#full.subarray(this.#at(row), this.#at(row) + this.#info.rowBytes));
      return;
    }
    if (this.#store) {
      let found = null;
      try {
        found = await this.#store.get(rows);
      } catch {
        found = null; // a broken store only costs requests
      }
      if (found && found.size > 0) {
        for (const [row, bytes] of found) {
          this.#stats.persistHits += 1;
          this.#deliver(row, batch.get(row), bytes, false);
        }
        rows = rows.filter((r) => !found.has(r));
      }
    }
    if (rows.length > 0) this.#request(rows, batch);
  }

  #at(row) { return this.#info.dataBegin + row * this.#info.rowBytes; }

  // Checks a row's bytes, caches them and hands them over; a row that cannot be one is an Error.
  #deliver(row, deferred, bytes, fresh = true) {
    this.#inFlight.delete(row);
    const why = checkRow(this.#info, bytes);
    if (why !== null) {
      const at = this.#at(row);
      deferred.reject(new Error(`wasm-embedding: ${this.#client.url}: row ${row} (bytes ${at}-${at + bytes.length - 1}) holds ${why}`));
      return;
    }
    if (fresh) this.#stats.rowsFetched += 1;
    this.#cache.begin(); // no lookup is being served: only this row is kept from eviction
    this.#cache.install(row, bytes);
    deferred.resolve(bytes);
  }

  // Plans the requests for sorted rows and sends them.
  #request(rows, batch) {
    const { rowBytes } = this.#info;
    const multipart = this.#client.multipart !== 'no';
    const gap = this.#mergeGap ?? (multipart ? MULTIPART_GAP : SINGLE_GAP);
    // Merged ranges [start, end) with the rows each holds.
    const ranges = [];
    for (const row of rows) {
      const start = this.#at(row);
      const last = ranges.at(-1);
      if (last && start - last.end <= gap) {
        last.end = start + rowBytes;
        last.rows.push(row);
      } else {
        ranges.push({ start, end: start + rowBytes, rows: [row] });
      }
    }
    // Requests: several ranges each (multipart) while the Range header stays short, else one.
    const requests = [];
    let current = [];
    let headerLength = 'bytes='.length;
    for (const r of ranges) {
      const piece = `${r.start}-${r.end - 1},`.length;
      if (current.length > 0 && (!multipart || headerLength + piece > MAX_RANGE_HEADER)) {
        requests.push(current);
        current = [];
        headerLength = 'bytes='.length;
      }
      current.push(r);
      headerLength += piece;
    }
    if (current.length > 0) requests.push(current);
    for (const group of requests) this.#schedule(() => this.#send(group, batch));
  }

  #schedule(task) {
    if (this.#running < MAX_IN_FLIGHT) {
      this.#running += 1;
      task().finally(() => {
        this.#running -= 1;
        const next = this.#queue.shift();
        if (next) this.#schedule(next);
      });
    } else {
      this.#queue.push(task);
    }
  }

  async #send(group, batch) {
    let result;
    try {
      result = await this.#client.get(group.map((r) => [r.start, r.end]));
    } catch (err) {
      if (err instanceof MultipartRefused) {
        // The server answers one range per request: ask again that way (a fresh plan).
        this.#client.multipart = 'no';
        const rows = group.flatMap((r) => r.rows);
        this.#request(rows, batch);
        return;
      }
      for (const r of group) for (const row of r.rows) {
        this.#inFlight.delete(row);
        batch.get(row).reject(err);
      }
      return;
    }
    const fresh = [];
    group.forEach((r, k) => {
      const bytes = result.ranges[k];
      for (const row of r.rows) {
        const off = this.#at(row) - r.start;
        const rowBytes = bytes.subarray(off, off + this.#info.rowBytes);
        this.#deliver(row, batch.get(row), rowBytes);
        fresh.push([row, rowBytes]);
      }
    });
    this.#store?.put(fresh).catch(() => {}); // persisting is best effort
  }

  /** Rejects every row waiting or on its way. */
  failAll(err) {
    for (const d of this.#pending.values()) d.reject(err);
    this.#pending.clear(); // requests queued or on their way fail by the aborted signal
  }
}

