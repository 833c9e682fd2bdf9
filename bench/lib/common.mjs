// Shared by the benchmark children and the driver: data, timing, statistics, checks, results.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const RESULTS = new URL('../results/', import.meta.url);
export const BUILD = new URL('../results/build/', import.meta.url);
export const DATA = new URL('../results/data/', import.meta.url);
export const NODE_MODULES = new URL('../../node_modules/', import.meta.url);

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A seeded generator of uniform numbers in [0, 1) (xorshift32; the same sequence everywhere). */
export function rng(seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * B row indices in [0, V): 'uniform', or 'zipf' (P(row r) proportional to 1 / (r + 1), exponent 1.0,
 * so row 0 is the most frequent: a frequency-sorted vocabulary). Deterministic for (V, B, dist, seed).
 */
export function makeIndices(V, B, dist, seed = 7) {
  const random = rng(seed * 1000003 + B * 31 + (dist === 'zipf' ? 1 : 0));
  const out = new Int32Array(B);
  if (dist === 'uniform') {
    for (let i = 0; i < B; ++i) out[i] = Math.floor(random() * V);
  } else if (dist === 'zipf') {
    const cdf = new Float64Array(V);
    let sum = 0;
    for (let r = 0; r < V; ++r) cdf[r] = sum += 1 / (r + 1);
    for (let i = 0; i < B; ++i) {
      const u = random() * sum;
      let lo = 0, hi = V - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < u) lo = mid + 1; else hi = mid; }
      out[i] = lo;
    }
  } else {
    throw new Error(`unknown distribution ${dist}`);
  }
  return out;
}

/** A Float32Array of n values, uniform in [-1, 1), seeded. */
export function randomFloats(n, seed) {
  const random = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) out[i] = random() * 2 - 1;
  return out;
}

/**
 * Seconds per call of a synchronous fn: calls it until targetMs have passed (at least once) and
 * divides. The first call (compilation, allocation, memory growth) must already have happened.
 */
export function timeSync(fn, targetMs) {
  let calls = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed;
  do {
    for (let i = 0; i < batch; ++i) fn();
    calls += batch;
    elapsed = performance.now() - start;
    if (batch < 64) batch *= 2; // few clock reads for fast functions, no overshoot for slow ones
  } while (elapsed < targetMs);
  return elapsed / 1000 / calls;
}

/** As timeSync for a function returning a promise. */
export async function timeAsync(fn, targetMs) {
  let calls = 0;
  const start = performance.now();
  let elapsed;
  do {
    await fn();
    calls += 1;
    elapsed = performance.now() - start;
  } while (elapsed < targetMs);
  return elapsed / 1000 / calls;
}

/**
 * Runs the contenders interleaved: each repetition times every contender once, the order rotating
 * from one repetition to the next. A contender whose first (warm-up) call is slow gets fewer
 * repetitions: reps for a first call under 100 ms, 3 under 1 s, else 2 (1 over 5 s).
 * contenders: [{ name, run, async?, before? }] (set up and checked; before() runs untimed ahead
 * of each timing window). Returns name -> seconds[].
 */
export async function interleave(contenders, { reps, targetMs }) {
  const samples = new Map(contenders.map((c) => [c.name, []]));
  const wanted = new Map();
  for (const c of contenders) {
    c.before?.();
    const t0 = performance.now();
    if (c.async) await c.run(); else c.run();
    const first = (performance.now() - t0) / 1000;
    wanted.set(c.name, first < 0.1 ? reps : first < 1 ? Math.min(reps, 3) : first < 5 ? Math.min(reps, 2) : 1);
  }
  for (let r = 0; r < reps; ++r) {
    for (let k = 0; k < contenders.length; ++k) {
      const c = contenders[(k + r) % contenders.length];
      if (samples.get(c.name).length >= wanted.get(c.name)) continue;
      c.before?.();
      samples.get(c.name).push(c.async ? await timeAsync(c.run, targetMs) : timeSync(c.run, targetMs));
    }
  }
  return samples;
}

/** Throws unless got and want hold the same values (exactly, or within rtol). */
export function expectClose(what, got, want, rtol = 0) {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < want.length; ++i) {
    const tol = rtol * Math.max(1, Math.abs(want[i]));
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`${what}: [${i}] = ${got[i]}, expected ${want[i]}`);
  }
}

/** Checks that rows 0 and B-1 of a forward output are the table's rows indices[0], indices[B-1]. */
export function checkForward(name, out, table, indices, d) {
  const B = indices.length;
  if (!out || out.length !== B * d) throw new Error(`${name}: output length ${out?.length}, expected ${B * d}`);
  for (const i of [0, B - 1]) {
    expectClose(`${name}: output row ${i}`, out.subarray(i * d, i * d + d), table.subarray(indices[i] * d, indices[i] * d + d));
  }
}

/** VmRSS and VmHWM of this process in bytes (Linux), or maxRSS from resourceUsage. */
export function rss() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (k) => Number(status.match(new RegExp(`${k}:\\s+(\\d+) kB`))[1]) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    const peak = process.resourceUsage().maxRSS * 1024;
    return { rss: process.memoryUsage().rss, peak };
  }
}

/** Command-line options of a child: --name value pairs, all strings. */
export function childArgs(spec) {
  const options = Object.fromEntries(Object.keys(spec).map((k) => [k, { type: 'string', default: String(spec[k]) }]));
  const { values } = parseArgs({ options, strict: true });
  return values;
}

/** Hands a child's result to the driver (IPC), or prints it when run by hand. */
export function report(result) {
  if (process.send) process.send(result, () => process.exit(0));
  else console.log(JSON.stringify(result, null, 2));
}

/** An error as a short string. */
export const describeError = (err) => (err && err.message ? err.message.split('\n')[0] : String(err));
