// Remote tables in Chromium (Playwright, Debian's /usr/bin/chromium): the page on one origin
// (scripts/serve.mjs), the table on another (nginx, with the CORS headers of
// docs/remote-tables.md): lookups bit for bit as the whole table in memory, in the page and in
// a module worker; rows kept in OPFS across a reload (and in IndexedDB where OPFS is missing);
// a server without CORS headers is an Error.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { init, Embedding, EmbeddingBag } from '../../dist/node.js';
import { serve } from '../../scripts/serve.mjs';
import { NGINX, random, startNginx } from './servers.mjs';
import { makeFiles } from './tables.mjs';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) ? `${CHROMIUM} not found` : !NGINX ? 'nginx is not installed' : false;

await init();
const ROWS = 5000;
const DIM = 32;
const files = makeFiles(ROWS, DIM, 3);
const bits = (a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('Chromium', { skip, timeout: 60_000 }, () => {
  let dir;
  let nginx;
  let pages;
  let other;
  let browser;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wasm-embedding-remote-browser-'));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    nginx = await startNginx(dir);
    pages = await serve({ port: 0, quiet: true });
    other = await serve({ port: 0, quiet: true, dataDir: dir }); // no CORS headers
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  });
  after(async () => {
    await browser?.close();
    await pages?.close();
    await other?.close();
    await nginx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(context) {
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`http://127.0.0.1:${pages.port}/tests/remote/pages/remote.html`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 20_000 });
    return { page, problems };
  }

  const tableUrl = (name) => `${nginx.url}${name}`; // 127.0.0.1:<nginx port>: another origin than the page's

  test('cross-origin lookups and bags, in the page and in a module worker, bit for bit', async () => {
    const context = await browser.newContext();
    const { page, problems } = await open(context);
    const rand = random(8);
    for (const name of ['int8.safetensors', 'f16.safetensors', 'int4.safetensors']) {
      const local = Embedding.fromSafetensors(files[name]);
      const idx = Array.from({ length: 300 }, () => Math.floor(rand() * ROWS));
      for (const worker of [false, true]) {
        const got = await page.evaluate(([u, i, w]) => window.lookup(u, i, {}, { worker: w }), [tableUrl(name), idx, worker]);
        assert.equal(got.error, undefined, `${name}${worker ? ' (worker)' : ''}: ${got.error}`);
        assert.deepEqual(got.bits, bits(local.forward(idx)), `${name}${worker ? ' in a worker' : ''}`);
        assert.equal(got.stats.requests, 2, 'header + one multipart request');
      }
      // persist in a module worker (OPFS there too).
      const persisted = await page.evaluate(([u, i]) => window.lookup(u, i, { persist: true }, { worker: true }), [tableUrl(name), idx.slice(0, 5)]);
      assert.equal(persisted.error, undefined, persisted.error);
      assert.deepEqual(persisted.bits, bits(local.forward(idx.slice(0, 5))), `${name} persist in a worker`);
      const bagLocal = EmbeddingBag.fromSafetensors(files[name], 'weight', { mode: 'max' });
      const offsets = [0, 10, 100, 250];
      const got = await page.evaluate(([u, i, o]) => window.lookup(u, i, { bag: 'max', offsets: o }), [tableUrl(name), idx, offsets]);
      assert.deepEqual(got.bits, bits(bagLocal.forward(idx, offsets)), `${name} bags`);
      local.dispose();
      bagLocal.dispose();
    }
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('persist: rows kept in OPFS are used after a reload (no row requests); IndexedDB where OPFS is missing', async () => {
    const context = await browser.newContext();
    const local = Embedding.fromSafetensors(files['int8.safetensors']);
    const idx = [1, 2, 3, 700, 701, 4999, 2500];
    for (const noOpfs of [false, true]) {
      const { page } = await open(context);
      const first = await page.evaluate(([u, i, n]) => window.lookup(u, i, { persist: true }, { noOpfs: n }), [tableUrl('int8.safetensors'), idx, noOpfs]);
      assert.equal(first.error, undefined, first.error);
      assert.deepEqual(first.bits, bits(local.forward(idx)));
      assert.equal(first.stats.persistHits, 0);
      if (!noOpfs) await page.waitForFunction(() => window.storedBlocks().then((n) => n >= 4), null, { timeout: 10_000 });
      else await page.waitForTimeout(300); // IndexedDB writes are one transaction each
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
      const second = await page.evaluate(([u, i, n]) => window.lookup(u, i, { persist: true }, { noOpfs: n }), [tableUrl('int8.safetensors'), idx, noOpfs]);
      assert.equal(second.error, undefined, second.error);
      assert.deepEqual(second.bits, bits(local.forward(idx)));
      assert.equal(second.stats.persistHits, idx.length, `${noOpfs ? 'IndexedDB' : 'OPFS'}: every row from the store`);
      assert.equal(second.stats.requests, 1, 'only the header');
      await page.close();
    }
    local.dispose();
    await context.close();
  });

  test('the demo page looks a word up remotely (web/remote.js) while its table downloads: the row of the whole file', async () => {
    const { demoData } = await import('../../scripts/demo-data.mjs');
    const { readFileSync } = await import('node:fs');
    const data = await demoData({ quiet: true });
    const demo = await serve({ port: 0, quiet: true, dataDir: data });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (err) => problems.push(err.message));
      await page.goto(`${demo.url}#word=queen`);
      await page.waitForSelector('#remote-result[data-ready="true"]', { timeout: 30_000 });
      const row = Number(await page.getAttribute('#remote-result', 'data-row'));
      const values = (await page.getAttribute('#remote-result', 'data-values')).split(',').map(Number);
      const glove = Embedding.fromSafetensors(readFileSync(join(data, 'glove.6B.100d.safetensors')));
      assert.deepEqual(values, bits(glove.forward([row])));
      assert.match(await page.textContent('#remote-result'), /"queen" \(row \d+\).*1 request/);
      glove.dispose();
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await demo.close();
    }
  });

  test('a table server without CORS headers is an Error naming the URL', async () => {
    const context = await browser.newContext();
    const { page } = await open(context);
    const url = `http://127.0.0.1:${other.port}/data/int8.safetensors`;
    const got = await page.evaluate((u) => window.lookup(u, [1], { retries: 0 }), url);
    assert.ok(got.isError, `expected an Error, got ${JSON.stringify(got)}`);
    assert.match(got.error, new RegExp(url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await context.close();
  });
});
