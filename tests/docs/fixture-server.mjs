// A loopback static server for the docs layer: each block's folder is served at
// <url><folder>/, so a block can fetch() its fixtures as a page fetches files next to it.
// GET and HEAD, one byte range a request (206 + Content-Range, 416 past the end), as static
// hosts answer them.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = { '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '.wasm': 'application/wasm', '.html': 'text/html; charset=utf-8' };

export function serveFolder(root) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const path = resolve(join(base, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    let size;
    try {
      if (!path.startsWith(base + sep)) throw new Error('outside');
      const info = statSync(path);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const headers = { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', 'Accept-Ranges': 'bytes' };
    const range = req.headers.range?.match(/^bytes=(\d*)-(\d*)$/);
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (range) {
      start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
      end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      if (start >= size || start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['Content-Length'] = String(size === 0 ? 0 : end - start + 1);
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || size === 0) return res.end();
    createReadStream(path, { start, end }).pipe(res);
  });
  return new Promise((resolvePromise) => {
    server.listen(0, '127.0.0.1', () => resolvePromise({
      url: `http://127.0.0.1:${server.address().port}/`,
      close: () => new Promise((done) => { server.close(done); server.closeAllConnections?.(); }),
    }));
  });
}
