// The floors: bench/bare.c as a bare wasm module (no bindings, no checks; data in its memory)
// and bench/bare_native.c as a native child process served like PyTorch's worker, each built
// into bench/results/build/ when missing or stale.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BUILD } from './common.mjs';

const stale = (out, src) => !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;

/** Builds bench/bare.c into bench/results/build/bare.wasm when missing or stale. */
export function buildBareWasm(log = () => {}) {
  const src = fileURLToPath(new URL('../bare.c', import.meta.url));
  const wasm = fileURLToPath(new URL('bare.wasm', BUILD));
  if (!stale(wasm, src)) return wasm;
  mkdirSync(BUILD, { recursive: true });
  log('building bench/bare.c with emcc');
  execFileSync('emcc', ['-O3', '-msimd128', '-mbulk-memory', '--no-entry', '-sSTANDALONE_WASM',
    '-sTOTAL_STACK=65536', '-sINITIAL_MEMORY=1MB', '-sALLOW_MEMORY_GROWTH=1', '-sMAXIMUM_MEMORY=4GB',
    '-sERROR_ON_UNDEFINED_SYMBOLS=1', src, '-o', wasm],
  { stdio: 'inherit', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } });
  return wasm;
}

/** Builds bench/bare_native.c (cc -O3 -march=native); null when no C compiler works. */
export function buildBareNative(log = () => {}) {
  const src = fileURLToPath(new URL('../bare_native.c', import.meta.url));
  const exe = fileURLToPath(new URL('bare-native', BUILD));
  if (!stale(exe, src)) return exe;
  mkdirSync(BUILD, { recursive: true });
  log('building bench/bare_native.c with cc');
  try {
    execFileSync('cc', ['-O3', '-march=native', '-std=c11', src, '-o', exe], { stdio: 'inherit' });
  } catch {
    return null;
  }
  return exe;
}

/** A line-protocol child: request(line) resolves to its JSON answer (throws on { error }). */
export function startLineWorker(command, args = []) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let queue = Promise.resolve();
  const request = (line) => {
    const answer = queue.then(async () => {
      child.stdin.write(`${line}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error(`${command} ended: ${stderr.trim().split('\n').pop() ?? ''}`);
      const res = JSON.parse(value);
      if (res.error) throw new Error(res.error);
      return res;
    });
    queue = answer.catch(() => {});
    return answer;
  };
  return { request, close: () => child.stdin.end() };
}
