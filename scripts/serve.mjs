#!/usr/bin/env node
// A tiny, dependency-free, read-only static server for the demo page.
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
import { stat, realpath } from 'node:fs/promises';
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

  res.writeHead(200, {
    'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    ...(isolated && { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }),
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
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
