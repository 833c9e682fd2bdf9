// The servers remote tables are tested (and benchmarked) against, each started on a free
// loopback port with its own config in a temporary folder, never a system service:
//   nginx   (apt nginx-light)  nginx -p <tmp> -c <tmp>/nginx.conf, daemon off
//   caddy   (apt caddy)        caddy run --config <tmp>/Caddyfile
//   faults  a Node server that answers Range (single and multipart) and, as told, fails
// All send the CORS headers docs/remote-tables.md lists. close() stops each.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find(existsSync) ?? null;
export const CADDY = ['/usr/bin/caddy'].find(existsSync) ?? null;

export const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range, If-Range, If-Match',
  'Access-Control-Expose-Headers': 'Content-Range, ETag, Last-Modified, Accept-Ranges, Content-Length',
  'Access-Control-Max-Age': '86400',
};

/** A free loopback TCP port (released for the caller to take). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once `child` (a server just spawned) accepts connections on `port`. */
export function waitForPort(port, child, what, ms = 10_000) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    let exited = false;
    child.once('exit', (code) => { exited = true; reject(new Error(`${what} exited (code ${code}) before listening`)); });
    const attempt = () => {
      if (exited) return;
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(); });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > until) reject(new Error(`${what} did not listen on ${port} within ${ms} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function stopper(child, dir) {
  return () => new Promise((resolve) => {
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/** nginx serving `root` (files at /<name>). Resolves to { url, close, log() }. */
export async function startNginx(root) {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-embedding-nginx-'));
  chmodSync(dir, 0o755);
  chmodSync(root, 0o755); // workers may run as nobody
  const port = await freePort();
  const cors = Object.entries(CORS).map(([k, v]) => `      add_header ${k} "${v}" always;`).join('\n');
  // As root, workers would run as nobody, who cannot read files under /root (the bench's cache).
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  writeFileSync(join(dir, 'nginx.conf'), `${user}
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types { application/octet-stream safetensors; }
  default_type application/octet-stream;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / {
      if ($request_method = OPTIONS) {
${cors.replaceAll('      add_header', '        add_header')}
        return 204;
      }
${cors}
    }
  }
}
`);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  try {
    await waitForPort(port, child, 'nginx');
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err.message}: ${stderr}`);
  }
  return { url: `http://127.0.0.1:${port}/`, port, close: stopper(child, dir) };
}

/** Caddy serving `root`. Resolves to { url, close }. */
export async function startCaddy(root) {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-embedding-caddy-'));
  const port = await freePort();
  const headers = Object.entries(CORS).map(([k, v]) => `    ${k} "${v}"`).join('\n');
  writeFileSync(join(dir, 'Caddyfile'), `{
  admin off
  auto_https off
  storage file_system ${dir}/data
}
http://127.0.0.1:${port} {
  root * ${root}
  header {
${headers}
  }
  @preflight method OPTIONS
  respond @preflight 204
  file_server
}
`);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const child = spawn(CADDY, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  try {
    await waitForPort(port, child, 'caddy');
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err.message}: ${stderr}`);
  }
  return { url: `http://127.0.0.1:${port}/`, port, close: stopper(child, dir) };
}

/** A seeded PRNG (mulberry32): numbers in [0, 1). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAULTS = ['500', '503', '429', 'reset', 'short', 'wrongRange', 'longer', 'ignoreRange', 'badMultipart'];

/**
 * A Node server for files: { name: Uint8Array }, answering Range (one range or
 * multipart/byteranges) with ETags and If-Range / If-Match. faults: { rate, kinds, seed,
 * latencyMs } picks a fault for a share of the requests; replace(name, bytes) swaps a file
 * for a new version (a new ETag). Counts requests and faults in `counts`.
 */
export async function startFaultServer(files, { rate = 0, kinds = FAULTS, seed = 1, latencyMs = 0, multipart = true } = {}) {
  const rand = random(seed);
  const state = new Map(Object.entries(files).map(([k, v]) => [k, { bytes: v, etag: `"${k}-1"`, version: 1 }]));
  const counts = { requests: 0, faults: Object.fromEntries(FAULTS.map((k) => [k, 0])) };
  const server = createServer(async (req, res) => {
    counts.requests += 1;
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1));
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS);
      return res.end();
    }
    const file = state.get(name);
    if (!file) {
      res.writeHead(404, CORS);
      return res.end();
    }
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, rand() * latencyMs));
    const fault = rand() < rate ? kinds[Math.floor(rand() * kinds.length)] : null;
    if (fault) counts.faults[fault] += 1;
    const { bytes, etag } = file;
    const base = { ...CORS, ETag: etag, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (fault === '500' || fault === '503' || fault === '429') {
      res.writeHead(Number(fault), { ...base, ...(fault !== '500' && { 'Retry-After': '0' }) });
      return res.end('fault');
    }
    const ifMatch = req.headers['if-match'];
    if (ifMatch && ifMatch !== etag) {
      res.writeHead(412, base);
      return res.end();
    }
    const ifRange = req.headers['if-range'];
    const rangeText = /^bytes=(.+)$/.exec(req.headers.range ?? '')?.[1];
    const full = () => {
      res.writeHead(200, { ...base, 'Content-Length': bytes.length });
      res.end(bytes);
    };
    if (!rangeText || (ifRange && ifRange !== etag) || fault === 'ignoreRange') return full();
    const ranges = rangeText.split(',').map((r) => {
      const [a, b] = r.trim().split('-');
      const start = a === '' ? bytes.length - Number(b) : Number(a);
      const end = a === '' || b === '' ? bytes.length - 1 : Math.min(Number(b), bytes.length - 1);
      return [start, end];
    });
    if (ranges.some(([s, e]) => !(s <= e && s < bytes.length))) {
      res.writeHead(416, { ...base, 'Content-Range': `bytes */${bytes.length}` });
      return res.end();
    }
    if (ranges.length === 1 || !multipart) {
      const [s, e] = ranges[0];
      let body = bytes.subarray(s, e + 1);
      let cr = `bytes ${s}-${e}/${bytes.length}`;
      const headers = { ...base, 'Content-Range': cr, 'Content-Length': body.length };
      if (fault === 'wrongRange') {
        const shift = 1 + Math.floor(rand() * 8);
        // The size stays right (a wrong size would read as another version of the file).
        if (e + shift < bytes.length && (s < shift || rand() < 0.5)) headers['Content-Range'] = `bytes ${s + shift}-${e + shift}/${bytes.length}`;
        else if (s >= shift) headers['Content-Range'] = `bytes ${s - shift}-${e - shift}/${bytes.length}`;
        else headers['Content-Range'] = `bytes ${s}-${e + 1}/${bytes.length}`;
      }
      if (fault === 'short') {
        body = body.subarray(0, Math.floor(body.length * rand()));
        headers['Content-Length'] = body.length;
      }
      if (fault === 'longer') {
        delete headers['Content-Length'];
        body = Buffer.concat([body, Buffer.from('extra bytes')]);
      }
      res.writeHead(206, headers);
      if (fault === 'reset') {
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        setTimeout(() => res.destroy(), 1);
        return;
      }
      return res.end(body);
    }
    const boundary = `b${Math.floor(rand() * 1e9)}`;
    const parts = [];
    ranges.forEach(([s, e], k) => {
      let cr = `bytes ${s}-${e}/${bytes.length}`;
      if (fault === 'wrongRange' && k === ranges.length - 1) cr = `bytes ${s + 1}-${e + 1}/${bytes.length}`;
      parts.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: ${cr}\r\n\r\n`));
      let data = bytes.subarray(s, e + 1);
      if (fault === 'badMultipart' && k === 0) data = data.subarray(0, data.length - 1);
      parts.push(data);
    });
    parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
    let body = Buffer.concat(parts);
    if (fault === 'short') body = body.subarray(0, Math.floor(body.length * rand()));
    if (fault === 'longer') body = Buffer.concat([body, Buffer.from('\r\n--x\r\n')]);
    res.writeHead(206, { ...base, 'Content-Type': `multipart/byteranges; boundary=${boundary}`, 'Content-Length': body.length });
    if (fault === 'reset') {
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => res.destroy(), 1);
      return;
    }
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    counts,
    setRate(r) { rate = r; },
    replace(name, bytes) {
      const f = state.get(name);
      f.version += 1;
      f.bytes = bytes;
      f.etag = `"${name}-${f.version}"`;
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * A TCP proxy on loopback that delays every chunk by delayMs each way (a round trip of
 * 2 * delayMs), for the benchmark. Resolves to { port, close }.
 */
export async function startDelayProxy(targetPort, delayMs) {
  const sockets = new Set();
  const server = createTcpServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    client.setNoDelay(true); // no Nagle: a chunk goes when its delay is up
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    const pipe = (from, to) => {
      from.on('data', (chunk) => setTimeout(() => to.write(chunk), delayMs));
      from.on('end', () => setTimeout(() => to.end(), delayMs));
      from.on('error', () => to.destroy());
      from.on('close', () => sockets.delete(from));
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
