// HTTP range requests for remote tables: one version of the file (its ETag / Last-Modified,
// sent back with If-Range), retries with backoff, timeouts, aborting, and every response
// checked before any byte of it is used.
import { byterangesBoundary, parseByteranges, parseContentRange } from './multipart.js';

/** The Error for a file that changed since its header was read. */
export class FileChangedError extends Error {
  constructor(url, why) {
    super(`wasm-embedding: ${url} changed since its header was read (${why}); open it again to read the new version`);
    this.name = 'FileChangedError';
  }
}

/** A 200 to a request for several ranges: the server answers one range per request. */
export class MultipartRefused extends Error {}

const RETRY_STATUS = (status) => status >= 500 || status === 429;
const MAX_RETRY_AFTER_MS = 300_000;

// A failure worth another attempt (network, timeout, 5xx, 429), with the server's Retry-After.
class Transient extends Error {
  constructor(message, retryAfterMs = null, cause = undefined) {
    super(message, { cause });
    this.retryAfterMs = retryAfterMs;
  }
}

function retryAfter(value) {
  if (!value) return null;
  const seconds = Number(value);
  if (/^\s*\d+\s*$/.test(value)) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS);
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  if (signal?.aborted) return reject(signal.reason);
  const timer = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  const onAbort = () => {
    clearTimeout(timer);
    reject(signal.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
});

/** "bytes=a-b,c-d" for [start, end) ranges. */
export const rangeHeader = (ranges) => `bytes=${ranges.map(([s, e]) => `${s}-${e - 1}`).join(',')}`;
const rangesText = (ranges) => (ranges.length <= 4 ? ranges.map(([s, e]) => `${s}-${e - 1}`).join(', ')
  : `${ranges[0][0]}-${ranges[0][1] - 1}, ... (${ranges.length} ranges) ..., ${ranges.at(-1)[0]}-${ranges.at(-1)[1] - 1}`);

/**
 * Makes range requests to one URL. options: fetch, headers, retries, timeout, retryDelay,
 * signal, allowFullDownload; stats: an object whose requests and bytesFetched it counts.
 */
export class RangeClient {
  version = null; // { etag, lastModified, size }: the file as its header was read
  multipart = 'unknown'; // 'yes' once a server answered multipart/byteranges, 'no' once it did not
  #o;
  #stats;
  #changed = null;

  #active = new Set(); // the AbortControllers of requests on their way

  constructor(url, options, stats) {
    this.url = url;
    this.#o = options;
    this.#stats = stats;
    // One listener for all requests (a listener each would pass Node's warning threshold of 10).
    options.signal?.addEventListener('abort', () => {
      for (const c of this.#active) c.abort(options.signal.reason);
    }, { once: true });
  }

  /** The FileChangedError once a change was seen (every later request fails with it). */
  get changed() { return this.#changed; }

  #headers(ranges) {
    const h = new Headers(this.#o.headers ?? {});
    h.set('Range', rangeHeader(ranges));
    // Ranges of the bytes as stored, not of a compressed body (browsers send this for ranges
    // themselves and ignore it here; Node's fetch would ask for gzip).
    if (!h.has('Accept-Encoding')) h.set('Accept-Encoding', 'identity');
    if (this.version) {
      // A strong ETag is the validator If-Range needs; else the date.
      const { etag, lastModified } = this.version;
      if (etag && !etag.startsWith('W/')) h.set('If-Range', etag);
      else if (lastModified) h.set('If-Range', lastModified);
    }
    return h;
  }

  #fail(err) {
    if (err instanceof FileChangedError && this.#changed === null) this.#changed = err;
    throw err;
  }

  // Throws a FileChangedError when a response's validators or size say it is another version.
  #checkVersion(res, total) {
    const v = this.version;
    if (!v) return;
    const etag = res.headers.get('ETag');
    const lastModified = res.headers.get('Last-Modified');
    if (v.etag && etag && etag !== v.etag) this.#fail(new FileChangedError(this.url, `ETag ${v.etag} is now ${etag}`));
    if (v.lastModified && lastModified && lastModified !== v.lastModified && !(v.etag && etag)) {
      this.#fail(new FileChangedError(this.url, `Last-Modified ${v.lastModified} is now ${lastModified}`));
    }
    if (total !== null && total !== undefined && total !== v.size) this.#fail(new FileChangedError(this.url, `its size ${v.size} is now ${total}`));
  }

  /**
   * One request for `ranges` ([start, end) pairs, sorted, disjoint), retried as the options
   * say. Resolves to a Uint8Array per range. mode 'header': one range whose end may be past
   * the file (the response says the size), and a 200 is the whole file.
   */
  async get(ranges, { onProgress, header = false } = {}) {
    if (this.#changed) throw this.#changed;
    const { retries, retryDelay, signal } = this.#o;
    for (let attempt = 0; ; ++attempt) {
      if (signal?.aborted) throw signal.reason;
      try {
        return await this.#attempt(ranges, header, onProgress);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (!(err instanceof Transient)) throw err;
        if (attempt >= retries) {
          throw new Error(`wasm-embedding: ${this.url} bytes ${rangesText(ranges)}: ${err.message} (after ${attempt + 1} attempt${attempt ? 's' : ''})`, { cause: err.cause });
        }
        // Exponential backoff with full jitter, or the server's Retry-After.
        const delay = err.retryAfterMs ?? Math.random() * retryDelay * 2 ** attempt;
        await sleep(delay, signal);
      }
    }
  }

  async #attempt(ranges, header, onProgress) {
    const { fetch: fetchFn, timeout, signal } = this.#o;
    if (signal?.aborted) throw signal.reason;
    const controller = new AbortController();
    let timedOut = false;
    let timer = null;
    // An idle timeout: until the response starts, then between pieces of its body.
    const arm = () => {
      if (!(timeout > 0 && Number.isFinite(timeout))) return;
      clearTimeout(timer);
      timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeout);
    };
    arm();
    this.#active.add(controller);
    const where = `${this.url} bytes ${rangesText(ranges)}`;
    let res = null;
    try {
      this.#stats.requests += 1;
      try {
        res = await fetchFn(this.url, { headers: this.#headers(ranges), signal: controller.signal, cache: 'no-store' });
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        throw new Transient(timedOut ? `timed out after ${timeout} ms` : `network error: ${err.message}${err.cause?.code ? ` (${err.cause.code})` : ''}`, null, err);
      }
      const status = res.status;
      if (RETRY_STATUS(status)) {
        await res.body?.cancel().catch(() => {});
        throw new Transient(`HTTP ${status} ${res.statusText}`.trim(), status === 429 || status === 503 ? retryAfter(res.headers.get('Retry-After')) : null);
      }
      if (status === 412) {
        await res.body?.cancel().catch(() => {});
        this.#fail(new FileChangedError(this.url, 'the server answered 412 Precondition Failed'));
      }
      if (status === 200) {
        if (this.version) {
          this.#checkVersion(res, null);
          // Same validators, whole body: the If-Range failed (a weak or a missing validator) or
          // the server ignores Range.
          const full = Number(res.headers.get('Content-Length'));
          if (Number.isFinite(full) && full > 0 && full !== this.version.size) {
            await res.body?.cancel().catch(() => {});
            this.#fail(new FileChangedError(this.url, `its size ${this.version.size} is now ${full}`));
          }
        }
        if (ranges.length > 1) {
          await res.body?.cancel().catch(() => {});
          throw new MultipartRefused();
        }
        if (!header || !this.#o.allowFullDownload) {
          await res.body?.cancel().catch(() => {});
          throw new Error(`wasm-embedding: ${where}: the server answered 200 with the whole file instead of the range (it ignores Range requests); pass allowFullDownload: true to download the whole file instead`);
        }
        const body = await this.#read(res, () => timedOut, arm, onProgress, null, where);
        return { full: true, body, res };
      }
      if (status !== 206) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`wasm-embedding: ${where}: unexpected HTTP ${status} ${res.statusText}`.trim());
      }
      const contentType = res.headers.get('Content-Type');
      let boundary;
      try {
        boundary = byterangesBoundary(contentType);
      } catch (err) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`wasm-embedding: ${where}: ${err.message}`);
      }
      let single = null;
      if (boundary === null) {
        single = parseContentRange(res.headers.get('Content-Range'));
        if (single === null || single.total === null) {
          await res.body?.cancel().catch(() => {});
          throw new Error(`wasm-embedding: ${where}: a 206 response with a missing or malformed Content-Range (${JSON.stringify(res.headers.get('Content-Range'))})`);
        }
        this.#checkVersion(res, single.total);
      } else {
        this.#checkVersion(res, null);
      }
      const expected = single ? single.end - single.start + 1 : null;
      const declared = res.headers.get('Content-Length');
      if (single && declared !== null && Number(declared) !== expected) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`wasm-embedding: ${where}: Content-Length ${declared} does not match Content-Range ${res.headers.get('Content-Range')}`);
      }
      const body = await this.#read(res, () => timedOut, arm, onProgress, expected, where);
      if (single) {
        if (body.length !== expected) throw new Error(`wasm-embedding: ${where}: the body is ${body.length} bytes, but Content-Range ${res.headers.get('Content-Range')} says ${expected}`);
        if (header) {
          if (single.start !== 0 || single.end !== Math.min(ranges[0][1], single.total) - 1) {
            throw new Error(`wasm-embedding: ${where}: the response's Content-Range ${res.headers.get('Content-Range')} is not the range asked for`);
          }
          return { full: false, body, total: single.total, res };
        }
        // One part for several ranges that it does not cover: the server answers the first
        // range only (some do); the table then asks one range per request.
        if (ranges.length > 1 && !(single.start <= ranges[0][0] && single.end >= ranges.at(-1)[1] - 1)) throw new MultipartRefused();
        return this.#split(ranges, [{ ...single, bytes: body }], where);
      }
      let parts;
      try {
        parts = parseByteranges(body, boundary);
      } catch (err) {
        throw new Error(`wasm-embedding: ${where}: ${err.message}`);
      }
      for (const p of parts) {
        if (p.total !== null) this.#checkVersion(res, p.total);
      }
      this.multipart = 'yes';
      return this.#split(ranges, parts, where);
    } finally {
      clearTimeout(timer);
      this.#active.delete(controller);
    }
  }

  // Reads a body whole, counting its bytes; a body that breaks off is Transient (a network
  // error: another attempt may get it all); one longer than `expected` is an Error.
  async #read(res, timedOut, arm, onProgress, expected, where) {
    const chunks = [];
    let length = 0;
    try {
      if (!res.body) return new Uint8Array(0);
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        chunks.push(value);
        length += value.length;
        this.#stats.bytesFetched += value.length;
        if (expected !== null && length > expected) {
          await reader.cancel().catch(() => {});
          throw new Error(`wasm-embedding: ${where}: the body is longer than the ${expected} bytes asked for`);
        }
        onProgress?.(length);
      }
    } catch (err) {
      if (this.#o.signal?.aborted) throw this.#o.signal.reason;
      if (err instanceof Error && err.message.startsWith('wasm-embedding:')) throw err;
      throw new Transient(timedOut() ? `timed out after ${this.#o.timeout} ms` : `the connection broke after ${length} bytes of the body: ${err.message}`);
    }
    if (chunks.length === 1) return chunks[0];
    const body = new Uint8Array(length);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.length;
    }
    return body;
  }

  // The bytes of each range asked for, cut from the parts the server sent; an Error when a
  // part is outside what was asked or a range is not covered.
  #split(ranges, parts, where) {
    parts.sort((a, b) => a.start - b.start);
    const out = [];
    let p = 0;
    for (const [start, end] of ranges) {
      while (p < parts.length && parts[p].end < start) ++p;
      const part = parts[p];
      if (!part || part.start > start || part.end < end - 1) {
        throw new Error(`wasm-embedding: ${where}: the response does not hold bytes ${start}-${end - 1} (its parts: ${parts.map((x) => `${x.start}-${x.end}`).slice(0, 8).join(', ')})`);
      }
      out.push(part.bytes.subarray(start - part.start, end - part.start));
    }
    // Every part overlaps a range asked for (both lists sorted: one pass).
    let r = 0;
    for (const part of parts) {
      while (r < ranges.length && ranges[r][1] <= part.start) ++r;
      if (!(r < ranges.length && ranges[r][0] <= part.end)) {
        throw new Error(`wasm-embedding: ${where}: the response holds bytes ${part.start}-${part.end}, which were not asked for`);
      }
    }
    return { full: false, ranges: out };
  }
}
