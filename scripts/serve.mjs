#!/usr/bin/env node
// A tiny, dependency-free, read-only static server for the demo page (with Range requests:
// remote tables read rows from it).
//
//   node scripts/serve.mjs            serves the repository root until killed, and the demo's
//                                     data (scripts/demo-data.mjs, cached outside git) at /data/
//   PORT=9000 node scripts/serve.mjs  starts at port 9000 (tries the next ones if taken)
//
// Importable too (the browser tests start it on an ephemeral port):
//   import { serve } from './scripts/serve.mjs';
//   const { url, close } = await serve({ port: 0, quiet: true });
//
// Pages are cross-origin isolated (COOP same-origin, COEP require-corp): SharedArrayBuffer is
// then available, which init({ threads }) needs. serve({ isolated: false }) leaves them out.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { open, stat, realpath } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoDataDir } from './demo-data.mjs';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

// Resolves a URL path to a file path inside root, or null if it would leave root.
async function resolveInside(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  // Hidden files and folders (.git, .env, ...) are never served.
  if (decoded.split(/[\\/]/).some((part) => part.startsWith('.') && part !== '.' && part !== '..')) return null;
  const candidate = resolve(join(root, decoded));
  if (candidate !== root && !candidate.startsWith(root + sep)) return null;
  return candidate;
}

async function handle(root, dataDir, isolated, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
  }
  const { pathname } = new URL(req.url, 'http://localhost');
  if (pathname === '/') return send(res, 302, 'Found: /web/\n', { Location: '/web/' });

  const [base, path] = pathname.startsWith('/data/') ? [dataDir, pathname.slice('/data'.length)] : [root, pathname];
  let file = await resolveInside(base, path);
  if (!file) return send(res, 403, 'Forbidden\n');
  let info;
  try {
    info = await stat(file);
    if (info.isDirectory()) {
      if (!pathname.endsWith('/')) {
        return send(res, 301, 'Moved\n', { Location: pathname + '/' });
      }
      file = join(file, 'index.html');
      info = await stat(file);
    }
    // Symlinks must not lead outside the root either.
    const real = await realpath(file);
    const realRoot = await realpath(base);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) return send(res, 403, 'Forbidden\n');
  } catch {
    return send(res, 404, 'Not Found\n');
  }
  if (!info.isFile()) return send(res, 404, 'Not Found\n');

  const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers = {
    'Content-Type': type,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Last-Modified': info.mtime.toUTCString(),
    ...(isolated && { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }),
  };
  // Range requests (remote tables read rows so): one range, or several as multipart/byteranges;
  // If-Range with another version gets the whole file.
  const ranges = req.headers.range && (!req.headers['if-range'] || req.headers['if-range'] === etag)
    ? parseRanges(req.headers.range, info.size) : null;
  if (ranges === 'unsatisfiable') return send(res, 416, 'Range Not Satisfiable\n', { 'Content-Range': `bytes */${info.size}` });
  if (ranges && ranges.length === 1) {
    const [start, end] = ranges[0];
    res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${info.size}`, 'Content-Length': end - start + 1 });
    if (req.method === 'HEAD') return res.end();
    return createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res);
  }
  if (ranges) {
    const boundary = `wasm-embedding-${Math.random().toString(16).slice(2)}`;
    const heads = ranges.map(([start, end]) => `\r\n--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${start}-${end}/${info.size}\r\n\r\n`);
    const tail = `\r\n--${boundary}--\r\n`;
    const length = heads.reduce((n, h, k) => n + Buffer.byteLength(h) + ranges[k][1] - ranges[k][0] + 1, Buffer.byteLength(tail));
    res.writeHead(206, { ...headers, 'Content-Type': `multipart/byteranges; boundary=${boundary}`, 'Content-Length': length });
    if (req.method === 'HEAD') return res.end();
    const handle = await open(file, 'r');
    try {
      for (let k = 0; k < ranges.length; ++k) {
        const [start, end] = ranges[k];
        const part = Buffer.alloc(end - start + 1);
        await handle.read(part, 0, part.length, start);
        res.write(heads[k]);
        res.write(part);
      }
    } finally {
      await handle.close();
    }
    return res.end(tail);
  }
  res.writeHead(200, { ...headers, 'Content-Length': info.size });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

const MAX_RANGES = 1000;

// The [start, end] (inclusive) ranges of a Range header, 'unsatisfiable', or null to ignore it
// (not bytes, malformed, or too many ranges: the whole file, as RFC 9110 allows).
export function parseRanges(header, size) {
  const m = /^bytes=(.+)$/.exec(header.trim());
  if (!m) return null;
  const specs = m[1].split(',');
  if (specs.length > MAX_RANGES) return null;
  const ranges = [];
  for (const spec of specs) {
    const r = /^\s*(\d*)-(\d*)\s*$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return null;
    let start;
    let end;
    if (r[1] === '') {
      start = Math.max(0, size - Number(r[2]));
      end = size - 1;
      if (Number(r[2]) === 0) continue;
    } else {
      start = Number(r[1]);
      end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
      if (r[2] !== '' && Number(r[2]) < start) return null;
    }
    if (start < size) ranges.push([start, end]);
  }
  return ranges.length ? ranges : 'unsatisfiable';
}

function listen(server, port) {
  return new Promise((resolvePromise, reject) => {
    const onError = (err) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolvePromise();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

/**
 * Starts the server. port 0 picks an ephemeral port; otherwise, if `port` is taken,
 * the next ports are tried (up to `attempts`). `dataDir` is the folder served at /data/ (the
 * demo's data by default). isolated: send the COOP/COEP headers. Resolves to { url, port, close }.
 */
export async function serve({ port = Number(process.env.PORT ?? 8080), quiet = false, root = ROOT, dataDir = demoDataDir(), attempts = 20, isolated = true } = {}) {
  const absRoot = resolve(root);
  const server = createServer((req, res) => {
    handle(absRoot, resolve(dataDir), isolated, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal Server Error\n');
      else res.destroy();
    });
  });
  let tried = port;
  for (let i = 0; ; i++) {
    try {
      await listen(server, tried);
      break;
    } catch (err) {
      if (err.code !== 'EADDRINUSE' || tried === 0 || i + 1 >= attempts) throw err;
      tried += 1;
    }
  }
  const actual = server.address().port;
  const url = `http://localhost:${actual}/web/`;
  if (!quiet) console.log(`wasm-embedding demo: ${url}`);
  const close = () =>
    new Promise((resolveClose) => {
      server.close(() => resolveClose());
      server.closeAllConnections?.();
    });
  return { url, port: actual, close };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  serve().catch((err) => {
    console.error(`wasm-embedding demo: cannot start the server: ${err.message}`);
    process.exit(1);
  });
}
