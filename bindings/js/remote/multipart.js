// multipart/byteranges bodies (RFC 9110 §14.6): the parts a server sends for a request with
// several ranges. Each part's length comes from its Content-Range, so a part whose bytes happen
// to contain the boundary is still read right; anything malformed is an Error.

/** The boundary of a multipart/byteranges Content-Type, or null when it is another type. */
export function byterangesBoundary(contentType) {
  if (!contentType || !/^\s*multipart\/byteranges\s*(;|$)/i.test(contentType)) return null;
  const m = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(contentType);
  if (!m) throw new Error(`multipart/byteranges without a boundary (Content-Type: ${contentType})`);
  const boundary = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
  if (boundary.length === 0 || boundary.length > 200) throw new Error(`multipart/byteranges with a bad boundary (Content-Type: ${contentType})`);
  return boundary;
}

/** { start, end (inclusive), total } of a Content-Range value "bytes a-b/total", or null. */
export function parseContentRange(value) {
  const m = /^\s*bytes\s+(\d{1,16})-(\d{1,16})\/(\d{1,16}|\*)\s*$/i.exec(value ?? '');
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === '*' ? null : Number(m[3]);
  if (end < start || (total !== null && end >= total)) return null;
  return { start, end, total };
}

const CR = 13;
const LF = 10;

function indexOf(body, needle, from) {
  const first = needle[0];
  const last = body.length - needle.length;
  for (let i = body.indexOf(first, from); i !== -1 && i <= last; i = body.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && body[i + k] === needle[k]) ++k;
    if (k === needle.length) return i;
  }
  return -1;
}

// bytes[from : to) as a string of their latin1 characters (header lines are short).
function latin1(bytes, from, to) {
  let text = '';
  for (let i = from; i < to; ++i) text += String.fromCharCode(bytes[i]);
  return text;
}

const CONTENT_RANGE = new TextEncoder().encode('content-range');

// Whether the header name in bytes[from : colon) is Content-Range (any case, spaces around).
function isContentRange(bytes, from, colon) {
  let a = from;
  let b = colon;
  while (a < b && (bytes[a] === 0x20 || bytes[a] === 0x09)) ++a;
  while (b > a && (bytes[b - 1] === 0x20 || bytes[b - 1] === 0x09)) --b;
  if (b - a !== CONTENT_RANGE.length) return false;
  for (let k = 0; k < CONTENT_RANGE.length; ++k) if ((bytes[a + k] | 0x20) !== CONTENT_RANGE[k]) return false;
  return true;
}

// The end of the line starting at `at` (the index of its LF), or -1.
function lineEnd(body, at) {
  return body.indexOf(LF, at);
}

/**
 * The parts of a multipart/byteranges body: [{ start, end, total, bytes }] in the order sent
 * (bytes: a view of body). Throws an Error saying what is wrong.
 */
export function parseByteranges(body, boundary) {
  const ascii = new TextEncoder().encode(`--${boundary}`);
  const parts = [];
  // The first delimiter: at the very start or after a line break (a preamble may come first).
  let at = 0;
  for (;;) {
    at = indexOf(body, ascii, at);
    if (at === -1) throw new Error('multipart/byteranges body without its first boundary');
    if (at === 0 || body[at - 1] === LF) break;
    at += 1;
  }
  for (;;) {
    at += ascii.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return finish(parts); // "--": the close delimiter
    // Transport padding, then the line break ending the delimiter line.
    while (body[at] === 0x20 || body[at] === 0x09) ++at;
    if (body[at] === CR) ++at;
    if (body[at] !== LF) throw new Error(`multipart/byteranges: no line break after the boundary (byte ${at})`);
    ++at;
    let range = null;
    for (let lines = 0; ; ++lines) {
      if (lines > 64) throw new Error('multipart/byteranges: a part with more than 64 header lines');
      const end = lineEnd(body, at);
      if (end === -1) throw new Error(`multipart/byteranges: a part's headers end early (byte ${at})`);
      const stop = end > at && body[end - 1] === CR ? end - 1 : end;
      const lineAt = at;
      at = end + 1;
      if (stop === lineAt) break;
      // Only Content-Range matters: other lines are checked for their colon, never decoded.
      const colon = body.indexOf(0x3a, lineAt);
      if (colon <= lineAt || colon >= stop) throw new Error(`multipart/byteranges: malformed part header ${JSON.stringify(latin1(body, lineAt, Math.min(stop, lineAt + 80)))}`);
      if (isContentRange(body, lineAt, colon)) {
        if (range !== null) throw new Error('multipart/byteranges: a part with two Content-Range headers');
        const value = latin1(body, colon + 1, stop);
        range = parseContentRange(value);
        if (range === null) throw new Error(`multipart/byteranges: bad part Content-Range ${JSON.stringify(value.trim().slice(0, 80))}`);
      }
    }
    if (range === null) throw new Error('multipart/byteranges: a part without Content-Range');
    const length = range.end - range.start + 1;
    if (at + length > body.length) throw new Error(`multipart/byteranges: the part for bytes ${range.start}-${range.end} is cut short`);
    parts.push({ ...range, bytes: body.subarray(at, at + length) });
    at += length;
    // CRLF, then the next delimiter: strictly, so a part a byte short or long is an Error.
    if (body[at] !== CR || body[at + 1] !== LF) throw new Error(`multipart/byteranges: the part for bytes ${range.start}-${range.end} does not end where its Content-Range says`);
    at += 2;
    for (let k = 0; k < ascii.length; ++k) {
      if (body[at + k] !== ascii[k]) throw new Error(`multipart/byteranges: no boundary after the part for bytes ${range.start}-${range.end}`);
    }
  }
}

function finish(parts) {
  if (parts.length === 0) throw new Error('multipart/byteranges body without parts');
  return parts;
}
