// The apps the bundlers layer builds. Each example of examples/ is copied out of the repository
// into a temporary folder and gets the package's `npm pack` tarball installed, as a user's copy
// would; the folder above the apps links node_modules/ to the pinned tools of
// tests/bundlers/package.json, so `npm run build` in an app finds vite, webpack, ... there.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TOOLS = fileURLToPath(new URL('./', import.meta.url));
export const EXAMPLES = join(ROOT, 'examples');

/** Runs a command; resolves with its output and time, rejects (with the output) when it fails. */
export function run(cmd, args, { cwd, env } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
      if (code === 0) resolve(result);
      else reject(Object.assign(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${code}:\n${stdout}${stderr}`), result));
    });
  });
}

/** Installs the pinned tools (npm ci) unless node_modules is newer than their lock file. */
export async function installTools() {
  const installed = join(TOOLS, 'node_modules/.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(join(TOOLS, 'package-lock.json')).mtimeMs) return;
  await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: TOOLS });
}

/** The tools' pinned versions, from tests/bundlers/package.json. */
export const toolVersions = () => JSON.parse(readFileSync(join(TOOLS, 'package.json'), 'utf8')).devDependencies;

/**
 * A fresh workspace: the tarball packed from the repository (dist/ must be built), unpacked in
 * package/ (what a CDN would serve), and node_modules/ linking to the tools.
 */
export async function createWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-embedding-bundlers-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
  const [packed] = JSON.parse(stdout);
  const tarball = join(dir, packed.filename);
  await unpack(tarball, join(dir, 'package'));
  symlinkSync(join(TOOLS, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, tarball, version: packed.version, packageDir: join(dir, 'package') };
}

function unpack(tarball, into) {
  mkdirSync(into, { recursive: true });
  return run('tar', ['-xzf', tarball, '-C', into, '--strip-components=1']);
}

/** Copies examples/<example> into the workspace and installs the tarball in it (it has no dependencies). */
export async function copyApp(workspace, example) {
  const app = join(workspace.dir, example);
  cpSync(join(EXAMPLES, example), app, { recursive: true });
  await unpack(workspace.tarball, join(app, 'node_modules/wasm-embedding'));
  return app;
}

/** Runs the jobs (functions returning promises), `concurrency` at a time; settles like Promise.allSettled. */
export async function pool(jobs, concurrency) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]().then((value) => ({ status: 'fulfilled', value }), (reason) => ({ status: 'rejected', reason }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return results;
}

/**
 * `npm run dev` in the app with extra arguments, in its own process group; resolves once the
 * server prints its local URL. close() ends the group (npm, the shell and the server).
 */
export function startDevServer(app, args) {
  const child = spawn('npm', ['run', 'dev', '--', ...args], { cwd: app, detached: true, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const close = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    process.kill(-child.pid, 'SIGTERM');
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail('no URL printed within 60 s'), 60_000);
    const fail = (why) => {
      clearTimeout(timer);
      close().then(() => reject(new Error(`dev server in ${app}: ${why}:\n${output}`)));
    };
    const onData = (chunk) => {
      output += chunk;
      const url = output.match(/Local:\s+(http:\/\/\S+?)\/?\s/)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, close });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => fail(`exited with ${code}`));
  });
}

/** Bytes of the JavaScript (raw and gzip -9) in an app's output, or in the named files of a folder. */
export function outputSize(dir, only) {
  const size = { js: 0, jsGzip: 0 };
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || (only && !only.includes(entry.name))) continue;
    if (extname(entry.name) !== '.js') continue;
    const bytes = readFileSync(join(entry.parentPath ?? entry.path, entry.name));
    size.js += bytes.length;
    size.jsGzip += gzipSync(bytes, { level: 9 }).length;
  }
  return size;
}
