// Remote tables (`npm run bench:remote`): Embedding.open over nginx on the loopback, through a
// proxy that delays every chunk 10 ms each way (a 20 ms round trip, RTT below).
//   cold    a fresh open: the header and the first row; then lookups of 1, 16, 256 and 4096
//           distinct random rows (each on a fresh open, the header not counted; medians of 5
//           fresh opens, other rows each time): requests,
//           bytes on the wire (counted by the proxy: headers and multipart framing included)
//           against the rows' own bytes, time in round trips; the whole file downloaded
//   warm    the same lookups once their rows are cached, against Embedding.forward of the same
//           rows on the whole table in memory, interleaved, medians
// Tables: 2 M x 64 int8 (144 MB) and float32 (512 MB), generated once into the cache folder
// (scripts/glove-data.mjs cacheDir(), outside git).
//   flock /tmp/bench.lock node bench/remote.mjs [--rows 2000000] [--reps 5]
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { init, Embedding } from 'wasm-embedding';
import { cacheDir } from '../scripts/glove-data.mjs';
import { interleave, median } from './lib/common.mjs';
import { random, startNginx } from '../tests/remote/servers.mjs';
import { createServer as createTcpServer, connect } from 'node:net';

const { values: opts } = parseArgs({ options: { rows: { type: 'string', default: '2000000' }, reps: { type: 'string', default: '5' } } });
const ROWS = Number(opts.rows);
const DIM = 64;
const DELAY = 10;
const RTT = 2 * DELAY;
const SIZES = [1, 16, 256, 4096];
const COLD_REPS = 5;
const medianRun = (runs) => [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];

await init({ simd: true });

// The tables, made once: a float32 table from N(0, 1) (seeded) and its int8 quantization.
const dir = join(cacheDir(), `bench-remote-${ROWS}x${DIM}`);
mkdirSync(dir, { recursive: true });
const FILES = { int8: join(dir, 'int8.safetensors'), float32: join(dir, 'float32.safetensors') };
if (!existsSync(FILES.int8) || !existsSync(FILES.float32)) {
  console.error(`bench/remote: generating ${ROWS} x ${DIM} tables into ${dir} (once)`);
  const { saveSafetensors } = await import('wasm-embedding');
  const t = new Embedding(ROWS, DIM, { seed: 1 });
  for (const [storage, table] of [['float32', t], ['int8', t.quantize('int8')]]) {
    writeFileSync(`${FILES[storage]}.part`, saveSafetensors({ weight: table }));
    renameSync(`${FILES[storage]}.part`, FILES[storage]);
    if (table !== t) table.dispose();
  }
  t.dispose();
}

// A TCP proxy adding DELAY ms each way, counting the bytes it carries to the client.
const wire = { down: 0, up: 0 };
async function delayProxy(port) {
  const sockets = new Set();
  const server = createTcpServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.setNoDelay(true); // no Nagle: a chunk goes when its delay is up
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    const pipe = (from, to, count) => {
      from.on('data', (chunk) => setTimeout(() => { wire[count] += chunk.length; to.write(chunk); }, DELAY));
      from.on('end', () => setTimeout(() => to.end(), DELAY));
      from.on('error', () => to.destroy());
      from.on('close', () => sockets.delete(from));
    };
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  server.keepAliveTimeout = 0;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

const nginx = await startNginx(dir);
const proxy = await delayProxy(Number(new URL(nginx.url).port));
const fmtMs = (ms) => `${ms.toFixed(1)} ms`;
const fmtBytes = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} KB` : `${b} B`);
const rows = [];
const warmRows = [];
const checks = [];

try {
  // Node loads its fetch (undici) on first use, tens of ms: not a round trip, so before timing.
  await (await fetch(`${proxy.url}int8.safetensors`, { method: 'HEAD' })).arrayBuffer();
  for (const storage of ['int8', 'float32']) {
    const url = `${proxy.url}${storage}.safetensors`;
    const rowBytes = storage === 'int8' ? DIM + 8 : 4 * DIM;
    const local = Embedding.fromSafetensors(readFileSync(FILES[storage]));
    // The reference: one plain fetch of one row's byte range (what a round trip costs here).
    {
      const runs = [];
      for (let r = 0; r < COLD_REPS; ++r) {
        const at = 1000 + (7919 * r % 1000) * rowBytes;
        const w0 = { ...wire };
        const t0 = performance.now();
        await (await fetch(url, { headers: { Range: `bytes=${at}-${at + rowBytes - 1}` } })).arrayBuffer();
        runs.push({ ms: performance.now() - t0, requests: 1, down: wire.down - w0.down });
      }
      const { ms, down } = medianRun(runs);
      rows.push([storage, 'plain fetch of 1 range', 1, fmtBytes(down), fmtBytes(rowBytes), '—', fmtMs(ms), (ms / RTT).toFixed(2)]);
    }
    // The header and the first row, from a fresh open (median of COLD_REPS opens, other rows each time).
    {
      const runs = [];
      for (let r = 0; r < COLD_REPS; ++r) {
        const w0 = { ...wire };
        const t0 = performance.now();
        const remote = await Embedding.open(url);
        await remote.forward([(Math.floor(ROWS / 2) + 7919 * r) % ROWS]);
        runs.push({ ms: performance.now() - t0, requests: remote.stats.requests, down: wire.down - w0.down });
        remote.dispose();
      }
      const { ms, requests, down } = medianRun(runs);
      rows.push([storage, 'open + 1st row', requests, fmtBytes(down), fmtBytes(rowBytes), '—', fmtMs(ms), (ms / RTT).toFixed(2)]);
      checks.push([`${storage}: header + first row ≤ 2 round trips`, ms / RTT <= 2, `${(ms / RTT).toFixed(2)} RTT`]);
    }
    for (const n of SIZES) {
      // Cold: COLD_REPS fresh opens, each looking up n other distinct random rows; the median.
      const runs = [];
      let remote;
      let idx;
      for (let r = 0; r < COLD_REPS; ++r) {
        const rand = random(1000 * n + 7 * r + storage.length);
        const set = new Set();
        while (set.size < n) set.add(Math.floor(rand() * ROWS));
        idx = Int32Array.from(set);
        remote?.dispose();
        remote = await Embedding.open(url, { cacheBytes: 256 * 2 ** 20 });
        const before = remote.stats.requests;
        const w0 = { ...wire };
        const t0 = performance.now();
        const got = await remote.forward(idx);
        runs.push({ ms: performance.now() - t0, requests: remote.stats.requests - before, down: wire.down - w0.down });
        const want = local.forward(idx);
        if (!new Uint32Array(got.buffer).every((v, i) => v === new Uint32Array(want.buffer)[i])) throw new Error(`${storage} ${n} rows: not bit for bit the in-memory table's`);
      }
      const { ms, requests, down } = medianRun(runs);
      rows.push([storage, `${n} cold rows`, requests, fmtBytes(down), fmtBytes(n * rowBytes), `${(down / (n * rowBytes)).toFixed(2)}×`, fmtMs(ms), (ms / RTT).toFixed(2)]);
      if (n === 256) {
        checks.push([`${storage}: 256 cold rows ≤ 3 round trips`, ms / RTT <= 3, `${(ms / RTT).toFixed(2)} RTT`]);
        checks.push([`${storage}: 256 cold rows ≤ 4× their bytes on the wire`, down <= 4 * n * rowBytes, `${(down / (n * rowBytes)).toFixed(2)}×`]);
      }
      // Warm: the same rows, now cached, against the whole table in memory.
      const out = new Float32Array(n * DIM);
      const samples = await interleave([
        { name: 'memory', run: () => local.forward(idx, out) },
        { name: 'remote', async: true, run: () => remote.forward(idx, out) },
      ], { reps: Number(opts.reps), targetMs: 60 });
      const mem = median(samples.get('memory'));
      const rem = median(samples.get('remote'));
      warmRows.push([storage, n, `${(mem * 1e6).toFixed(1)} µs`, `${(rem * 1e6).toFixed(1)} µs`, `${(rem / mem).toFixed(2)}×`]);
      if (n >= 256) checks.push([`${storage}: warm ${n} rows ≤ 1.5× in-memory forward`, rem / mem <= 1.5, `${(rem / mem).toFixed(2)}×`]);
      remote.dispose();
    }
    // The whole file, for comparison.
    {
      const w0 = { ...wire };
      const t0 = performance.now();
      const res = await fetch(url);
      const size = (await res.arrayBuffer()).byteLength;
      const ms = performance.now() - t0;
      rows.push([storage, 'whole file', 1, fmtBytes(wire.down - w0.down), fmtBytes(size), '—', fmtMs(ms), (ms / RTT).toFixed(1)]);
    }
    local.dispose();
  }
} finally {
  proxy.close();
  await nginx.close();
}

console.log(`\nRemote tables: ${ROWS.toLocaleString('en')} x ${DIM}, nginx on loopback behind a proxy adding ${RTT} ms of round trip (RTT)\n`);
console.log('| table | lookup | requests | bytes on the wire | rows\' bytes | wire / rows | time | RTTs |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log('\nWarm (rows cached): remote.forward against Embedding.forward on the whole table in memory, medians\n');
console.log('| table | rows | in memory | remote, warm | ratio |');
console.log('|---|---:|---:|---:|---:|');
for (const r of warmRows) console.log(`| ${r.join(' | ')} |`);
console.log('\nTargets\n');
for (const [what, ok, value] of checks) console.log(`- ${ok ? 'met' : 'MISSED'}: ${what} (${value})`);
