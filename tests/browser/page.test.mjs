// The demo page (web/) in headless Chromium, driven by playwright-core.
// Run: node --test tests/browser/   (after `npm run build`, which makes dist/)
//
// Uses Debian's chromium at /usr/bin/chromium (Playwright cannot download browsers here);
// the tests are skipped when it is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '../../scripts/serve.mjs';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SKIP = `${CHROMIUM} not found (apt-get install -y chromium)`;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

// The page's defaults (web/index.html): the table the default lookup uses.
const DEFAULTS = { numEmbeddings: 10, embeddingDim: 8, seed: 42, paddingIdx: 0, indices: [1, 2, 3, 0] };
const TOL = 0.5e-4 + 1e-6; // values are shown with 4 decimals

let server;
let browser;

before(async () => {
  if (!hasChromium) return;
  assert.ok(existsSync(`${ROOT}dist/index.js`), 'dist/index.js is missing: run `npm run build` first');
  const { chromium } = await import('playwright-core');
  server = await serve({ port: 0, quiet: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// Opens the page and records everything that went wrong in it.
async function openPage(query = '') {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.goto(server.url + query);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { page, problems };
}

// What the page shows in #lookup-output: per row, the index, the norm and the shown values.
function readLookup(page) {
  return page.$$eval('#lookup-output tbody tr', (rows) => rows.map((tr) => ({
    index: Number(tr.dataset.index),
    norm: tr.querySelector('.norm').textContent,
    values: [...tr.querySelectorAll('.v')].map((v) => v.textContent),
  })));
}

// What the library computes for the same table, in the same page, through the same import map.
function libraryRows(page, { numEmbeddings, embeddingDim, seed, paddingIdx, indices }) {
  return page.evaluate(async ({ numEmbeddings, embeddingDim, seed, paddingIdx, indices }) => {
    const { init, Embedding } = await import('wasm-embedding');
    await init();
    const emb = new Embedding(numEmbeddings, embeddingDim, { seed, paddingIdx });
    try {
      const out = emb.forward(indices);
      return indices.map((_, i) => Array.from(out.subarray(i * embeddingDim, (i + 1) * embeddingDim)));
    } finally {
      emb.dispose();
    }
  }, { numEmbeddings, embeddingDim, seed, paddingIdx, indices });
}

function assertShownMatches(shown, expected, indices) {
  assert.equal(shown.length, indices.length, 'one displayed row per looked-up index');
  shown.forEach((row, i) => {
    assert.equal(row.index, indices[i], `row ${i} index`);
    const exp = expected[i];
    assert.ok(row.values.length >= 1 && row.values.length <= exp.length, `row ${i}: some values shown`);
    row.values.forEach((text, j) => {
      const v = Number(text);
      assert.ok(Number.isFinite(v), `row ${i} value ${j}: "${text}" is a number`);
      assert.ok(Math.abs(v - exp[j]) <= TOL, `row ${i} value ${j}: page shows ${text}, library gives ${exp[j]}`);
    });
    const norm = Math.hypot(...exp);
    assert.ok(Math.abs(Number(row.norm) - norm) <= TOL, `row ${i} norm: page shows ${row.norm}, expected ${norm}`);
  });
}

let simdShown = null; // the SIMD page's displayed lookup, for the scalar test

test('demo page: SIMD build, lookup, training, errors', { timeout: 90_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const { page, problems } = await openPage();
  try {
    // Status: Chromium supports wasm SIMD, so the SIMD build must be the one running.
    assert.match(await page.textContent('#simd'), /\bon\b/i);
    assert.equal(await page.getAttribute('#simd', 'data-simd'), 'true');
    assert.equal((await page.textContent('#version')).trim(), '0.1.0');
    assert.match(await page.textContent('#init-time'), /\d+(\.\d+)? ms/);
    assert.equal(await page.isHidden('#error'), true, 'no error after load');

    // The default lookup ran on load and shows the library's values.
    const shown = await readLookup(page);
    const expected = await libraryRows(page, DEFAULTS);
    assertShownMatches(shown, expected, DEFAULTS.indices);
    // Index 0 is the padding row: torch initialises it to zeros.
    assert.ok(expected[3].every((v) => v === 0), 'padding row is zero');
    assert.ok(expected[0].some((v) => v !== 0), 'a normal row is not zero');
    simdShown = shown;

    // A lookup with other settings, through the form.
    await page.fill('#num-embeddings', '50');
    await page.fill('#embedding-dim', '5');
    await page.fill('#seed', '7');
    await page.fill('#padding-idx', '');
    await page.fill('#indices', '49, 0, 7, 7');
    await page.click('#lookup-btn');
    await page.waitForFunction(() => document.querySelector('#lookup-output')?.dataset.dim === '5');
    const custom = { numEmbeddings: 50, embeddingDim: 5, seed: 7, paddingIdx: null, indices: [49, 0, 7, 7] };
    assertShownMatches(await readLookup(page), await libraryRows(page, custom), custom.indices);

    // Back to the defaults for the training demo.
    await page.fill('#num-embeddings', String(DEFAULTS.numEmbeddings));
    await page.fill('#embedding-dim', String(DEFAULTS.embeddingDim));
    await page.fill('#seed', String(DEFAULTS.seed));
    await page.fill('#padding-idx', String(DEFAULTS.paddingIdx));
    await page.fill('#indices', DEFAULTS.indices.join(', '));
    await page.click('#lookup-btn');
    await page.waitForFunction(() => document.querySelector('#lookup-output')?.dataset.dim === '8');

    // Training: the loss falls.
    await page.fill('#steps', '15');
    await page.click('#train-btn');
    await page.waitForSelector('#train-loss[data-runs="1"]');
    const losses = await page.$$eval('#train-loss li', (items) => items.map((li) => Number(li.dataset.loss)));
    assert.equal(losses.length, 16, 'start + one loss per step');
    assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
    assert.ok(losses[0] > 0, 'the pairs start apart');
    for (let i = 1; i < losses.length; i++) {
      assert.ok(losses[i] < losses[i - 1], `loss falls at step ${i}: ${losses[i - 1]} -> ${losses[i]}`);
    }
    assert.ok(losses.at(-1) < losses[0] * 0.01, `loss falls a lot: ${losses[0]} -> ${losses.at(-1)}`);
    assert.match(await page.textContent('#train-summary'), /→/);
    assert.equal(await page.isHidden('#error'), true, 'no error after training');
    // Training works on a copy: the lookup table is unchanged.
    assertShownMatches(await readLookup(page), expected, DEFAULTS.indices);

    // An out-of-range index: the library's RangeError, shown in the page.
    await page.fill('#indices', '1, 2, 12');
    await page.click('#lookup-btn');
    await page.waitForSelector('#error:not([hidden])');
    const message = await page.textContent('#error');
    assert.match(message, /^RangeError: /);
    assert.match(message, /\b12\b/, `the message names the index: ${message}`);
    // It is the library's message, word for word.
    const libraryMessage = await page.evaluate(async () => {
      const { Embedding } = await import('wasm-embedding');
      const emb = new Embedding(10, 8, { seed: 42, paddingIdx: 0 });
      try {
        emb.forward([1, 2, 12]);
        return null;
      } catch (err) {
        return `${err.name}: ${err.message}`;
      } finally {
        emb.dispose();
      }
    });
    assert.equal(message, libraryMessage);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}demo.png`, fullPage: true });

    // A good lookup clears the error.
    await page.fill('#indices', '1, 2, 3, 0');
    await page.click('#lookup-btn');
    await page.waitForSelector('#error[hidden]', { state: 'attached' });

    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await page.close();
  }
});

test('demo page: scalar build forced with ?simd=0 shows the same values', { timeout: 60_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const { page, problems } = await openPage('?simd=0');
  try {
    assert.match(await page.textContent('#simd'), /\boff\b/i);
    assert.equal(await page.getAttribute('#simd', 'data-simd'), 'false');
    assert.equal((await page.textContent('#version')).trim(), '0.1.0');
    assert.equal(await page.isHidden('#error'), true, 'no error after load');

    const shown = await readLookup(page);
    assertShownMatches(shown, await libraryRows(page, DEFAULTS), DEFAULTS.indices);
    if (!simdShown) { // the first test did not get that far: read the SIMD page now
      const simd = await openPage();
      simdShown = await readLookup(simd.page);
      await simd.page.close();
    }
    assert.deepEqual(shown, simdShown, 'the scalar build shows what the SIMD build shows');

    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await page.close();
  }
});
