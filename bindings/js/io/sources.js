// What loadWordVectors and parseWordVectors read from, each as one shape: a source of byte
// chunks with next() -> { done, value } (a promise for the streamed ones) and cancel(), and
// totalBytes (exact, for progress; undefined when unknown) and sizeBound (an upper bound of the
// file's size, which lets the parser size the table up front; undefined when unknown). Each
// chunk is parsed before the next is asked for, so its buffer can then take the one after it.
import { describe } from '../check.js';
import { fileSource } from '../runtime.js';

const STRING_PIECE = 1 << 20; // UTF-16 code units encoded at a time
const READ_BYTES = 1 << 20; // the two buffers a byte stream or a file is read into, in turn

function bytesOf(source) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  return null;
}

function* stringChunks(text) {
  const encoder = new TextEncoder();
  for (let at = 0; at < text.length;) {
    let end = Math.min(text.length, at + STRING_PIECE);
    if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) --end; // keep surrogate pairs whole
    yield encoder.encode(text.slice(at, end));
    at = end;
  }
}

function fromIterator(iterator, totalBytes, sizeBound, cancel = () => {}) {
  return { totalBytes, sizeBound, next: () => iterator.next(), cancel };
}

/** A string (the file's text) or its bytes, read synchronously. */
export function syncSource(source, fn) {
  if (typeof source === 'string') return fromIterator(stringChunks(source), undefined, 3 * source.length); // UTF-8 takes <= 3 bytes a unit
  const bytes = bytesOf(source);
  if (bytes === null) throw new TypeError(`${fn} expects the file as a string, a Uint8Array or an ArrayBuffer, got ${describe(source)}`);
  return fromIterator([bytes][Symbol.iterator](), bytes.length, bytes.length);
}

// A byte stream (a Blob's, a fetch body) reads into two buffers in turn, the next chunk coming
// in while the last is parsed: no new buffer a chunk, garbage until the next collection (tens
// of MB while a large file streams in). Other streams hand out their own chunks.
function fromStream(stream, totalBytes, sizeBound) {
  let reader;
  try {
    reader = stream.getReader({ mode: 'byob' });
  } catch {
    reader = stream.getReader();
    return { totalBytes, sizeBound, next: () => reader.read(), cancel: (reason) => reader.cancel(reason).catch(() => {}) };
  }
  let pending = reader.read(new Uint8Array(READ_BYTES));
  let handed = null; // the buffer of the chunk handed out last: free once the next is asked for
  const next = async () => {
    const result = await pending;
    const free = handed;
    handed = result.value?.buffer ?? null; // a read hands back the buffer it was given (transferred)
    if (!result.done) pending = reader.read(new Uint8Array(free ?? new ArrayBuffer(READ_BYTES)));
    return result;
  };
  return { totalBytes, sizeBound, next, cancel: (reason) => reader.cancel(reason).catch(() => {}) };
}

/** Any source loadWordVectors takes (see syncSource, and index.d.ts WordVectorSource). */
export async function asyncSource(source, fn) {
  if (typeof source === 'string' || bytesOf(source) !== null) return syncSource(source, fn);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return fromStream(source.stream(), source.size, source.size);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`${fn}: the response is HTTP ${source.status} ${source.statusText} (${source.url || 'no URL'})`);
    if (source.bodyUsed) throw new TypeError(`${fn}: the response's body has already been read`);
    const length = Number(source.headers.get('Content-Length') ?? NaN);
    const encoding = source.headers.get('Content-Encoding') ?? 'identity';
    const totalBytes = Number.isSafeInteger(length) && encoding === 'identity' ? length : undefined;
    // A cross-origin response hides its Content-Encoding: its length may be the compressed one.
    const sizeBound = source.type === 'cors' ? undefined : totalBytes;
    return source.body === null ? syncSource(new Uint8Array(0), fn) : fromStream(source.body, totalBytes, sizeBound);
  }
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) return fromStream(source, undefined, undefined);
  if (source !== null && typeof source?.[Symbol.asyncIterator] === 'function') {
    const file = await fileSource(source, READ_BYTES); // a Node fs.ReadStream, read as its file
    if (file !== undefined) return file;
    const iterator = source[Symbol.asyncIterator]();
    return fromIterator(iterator, undefined, undefined, () => iterator.return?.());
  }
  throw new TypeError(
    `${fn} expects a string, a Uint8Array, an ArrayBuffer, a Blob, a Response, a ReadableStream or an async iterable of Uint8Array, got ${describe(source)}`,
  );
}

/** A chunk from a stream as bytes; a TypeError for anything else. */
export function chunkBytes(value, fn) {
  const bytes = bytesOf(value);
  if (bytes !== null) return bytes;
  const hint = typeof value === 'string' ? ' (open the stream without an encoding)' : '';
  throw new TypeError(`${fn}: the stream gave ${describe(value)}, not a Uint8Array${hint}`);
}
