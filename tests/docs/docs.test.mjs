// Every code block of README.md and docs/*.md runs here, as a reader would run it.
//
// Conventions (also in docs/README.md):
// - A ```js block is one test: it is written to build/docs-blocks/ (inside the repository, so
//   `import ... from 'wasm-embedding'` resolves by name to the built dist/, as for npm users) and
//   run with `node` in a fresh temporary folder holding copies of tests/docs/fixtures/ (a small
//   `glove.6B.100d.txt`, ...). It passes when it exits 0 within 20 s. That folder is also served
//   on loopback (tests/docs/fixture-server.mjs: GET, HEAD, byte ranges), and fetch() resolves a
//   relative URL against it (tests/docs/relative-fetch.mjs, preloaded), as in a page:
//   `await fetch('emb.safetensors')` works.
// - `<!-- not-run: why -->` on the line before a block skips it; the reason is required
//   (a block that needs a browser, a network, a file the reader has).
// - `<!-- continue -->` before a ```js block runs it after the previous ```js block of the same
//   file (for a guide that builds on its last example); the two run as one program.
// - `<!-- output -->` before a ```text block: that text is what the previous ```js block prints
//   (stdout, trailing spaces and the last newline ignored).
// - Other languages (sh, python, ts, text) are not run, unless `<!-- run -->` precedes a sh/bash
//   block: it then runs with bash in the fixture folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { serveFolder } from './fixture-server.mjs';

const root = new URL('../..', import.meta.url).pathname;
const blocksDir = join(root, 'build/docs-blocks');
const fixtures = join(root, 'tests/docs/fixtures');
const RUNNABLE = new Set(['js', 'javascript', 'mjs']);
const SHELL = new Set(['sh', 'bash', 'shell']);

/** The markdown files whose blocks are checked. */
export function docFiles() {
  const docs = existsSync(join(root, 'docs'))
    ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => join('docs', f))
    : [];
  return ['README.md', ...docs];
}

/** Fenced blocks of a markdown file with the marker on the line before each. */
export function extractBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^(\s*)(`{3,}|~{3,})\s*([\w-]*)/);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !(lines[i].trim().startsWith(fence) && /^[`~]+$/.test(lines[i].trim())); i++) {
      body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i]);
    }
    const prev = start > 0 ? lines[start - 1].trim() : '';
    const marker = prev.match(/^<!--\s*([\w-]+)\s*(?::\s*(.*?))?\s*-->$/);
    blocks.push({ line: start + 1, lang: lang.toLowerCase(), code: body.join('\n'), marker: marker?.[1] ?? null, reason: marker?.[2] ?? '' });
  }
  return blocks;
}

let work;
let server;
const preload = join(root, 'tests/docs/relative-fetch.mjs');
before(async () => {
  rmSync(blocksDir, { recursive: true, force: true });
  mkdirSync(blocksDir, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'wasm-embedding-docs-'));
  server = await serveFolder(work);
});
after(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

function freshFolder(name) {
  const dir = join(work, name);
  cpSync(fixtures, dir, { recursive: true, filter: (src) => !src.endsWith('.py') });
  return dir;
}

// Runs a block's program (asynchronously: the fixture server answers meanwhile).
function spawnAsync(cmd, args, options) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout);
    child.on('error', (error) => { clearTimeout(timer); resolvePromise({ error, stdout, stderr }); });
    child.on('close', (status, signal) => { clearTimeout(timer); resolvePromise({ status, signal, stdout, stderr }); });
  });
}

async function runBlock(cmd, args, cwd) {
  const env = { ...process.env, NODE_NO_WARNINGS: '1', DOCS_BASE_URL: `${server.url}${relative(work, cwd)}/` };
  const r = await spawnAsync(cmd, args, { cwd, env, timeout: 20_000 });
  const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal}: killed after 20 s?)` : ''}`;
  const tail = (s) => s.split('\n').slice(-30).map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l)).join('\n');
  assert.ok(r.status === 0, `${why}\n--- stderr ---\n${tail(r.stderr)}\n--- stdout ---\n${tail(r.stdout)}`);
  return r.stdout;
}

const normalise = (s) => s.split('\n').map((l) => l.trimEnd()).join('\n').replace(/\n+$/, '');

for (const file of docFiles()) {
  const blocks = extractBlocks(readFileSync(join(root, file), 'utf8'));
  const slug = file.replace(/[^\w]+/g, '-');
  let previousJs = null;
  let lastRun = null; // { block, stdout } of the previous ```js block, for <!-- output -->
  for (const block of blocks) {
    const name = `${file}:${block.line} (${block.lang || 'no language'})`;
    if (block.marker === 'not-run') {
      test(`${name}: not run (${block.reason || 'no reason given'})`, () => {
        assert.ok(block.reason.length > 0, `${name}: <!-- not-run: ... --> needs a reason`);
      });
      if (RUNNABLE.has(block.lang)) previousJs = { ...block, skipped: true };
      continue;
    }
    if (block.marker === 'output') {
      const expected = lastRun;
      test(`${name}: the output of the block before`, () => {
        assert.ok(expected, `${name}: <!-- output --> follows no runnable js block`);
        assert.ok(expected.stdout !== undefined, `${name}: the block before did not run`);
        assert.equal(normalise(expected.stdout), normalise(block.code));
      });
      continue;
    }
    if (RUNNABLE.has(block.lang)) {
      let code = block.code;
      if (block.marker === 'continue') {
        assert.ok(previousJs && !previousJs.skipped, `${name}: <!-- continue --> needs a runnable js block before it`);
        code = `${previousJs.code}\n${code}`;
      }
      const current = { ...block, code };
      const run = { stdout: undefined };
      test(name, async () => {
        const path = join(blocksDir, `${slug}-L${block.line}.mjs`);
        writeFileSync(path, `// ${file}, line ${block.line}\n${code}\n`);
        run.stdout = await runBlock(process.execPath, ['--import', preload, path], freshFolder(`${slug}-L${block.line}`));
      });
      previousJs = current;
      lastRun = run;
      continue;
    }
    if (block.marker === 'run' && SHELL.has(block.lang)) {
      test(name, async () => {
        const path = join(blocksDir, `${slug}-L${block.line}.sh`);
        writeFileSync(path, `set -euo pipefail\n${block.code}\n`);
        await runBlock('bash', [path], freshFolder(`${slug}-L${block.line}`));
      });
      continue;
    }
    if (block.marker === 'run') {
      test(`${name}: <!-- run --> on a block that cannot run`, () => assert.fail(`${name}: only js and sh blocks run`));
    }
  }
}

test('every markdown file checked exists and holds no marker without a block after it', () => {
  for (const file of docFiles()) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^<!--\s*(not-run|continue|output|run)\b/.test(line.trim())) {
        assert.match(lines[i + 1] ?? '', /^\s*(`{3,}|~{3,})/, `${file}:${i + 1}: a marker must sit on the line right before a code block`);
      }
    });
  }
});

test('every guide in docs/ is listed in the docs index (docs/README.md) and the README', () => {
  const index = readFileSync(join(root, 'docs/README.md'), 'utf8');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const unlisted = [];
  for (const file of docFiles().filter((f) => f.startsWith('docs/') && f !== 'docs/README.md')) {
    const name = file.slice('docs/'.length);
    if (!index.includes(`](${name})`)) unlisted.push(`${file}: add a row to the table of docs/README.md`);
    if (!readme.includes(`](${file})`)) unlisted.push(`${file}: add it to the README's list of guides`);
  }
  assert.deepEqual(unlisted, []);
});
