// init({ threads }) in headless Chromium (Playwright): on a cross-origin isolated page the
// threads build runs on 2 threads (module workers over shared memory) and gives the same bits
// as 1 thread (tables, gradients, bags, a safetensors round trip, nearest); without isolation
// it falls back to 1 thread and says why.
// Run: node --test tests/browser/   (after `npm run build`, which makes dist/)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { serve } from '../../scripts/serve.mjs';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SKIP = `${CHROMIUM} not found (apt-get install -y chromium)`;

let browser;
const servers = {};

before(async () => {
  if (!hasChromium) return;
  const { chromium } = await import('playwright-core');
  servers.isolated = await serve({ port: 0, quiet: true });
  servers.plain = await serve({ port: 0, quiet: true, isolated: false });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  for (const s of Object.values(servers)) await s.close();
});

async function openThreadsPage(server) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`); });
  await page.goto(new URL('/tests/browser/threads.html', server.url).href);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
  const result = await page.evaluate(() => window.result);
  await page.close();
  return { result, problems };
}

test('threads in Chromium: 2 threads on a cross-origin isolated page, the same bits as 1', { skip: !hasChromium && SKIP }, async () => {
  const { result, problems } = await openThreadsPage(servers.isolated);
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.crossOriginIsolated, true);
  assert.equal(result.info.threads, 2);
  assert.equal(result.info.threadsFallback, undefined);
  assert.equal(result.same, true, 'every result of the 2-thread run equals the 1-thread run bit for bit');
  assert.equal(result.arrays, 7);
  assert.deepEqual(problems, []);
});

test('threads in Chromium: without isolation init() falls back to 1 thread and says why', { skip: !hasChromium && SKIP }, async () => {
  const { result, problems } = await openThreadsPage(servers.plain);
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.crossOriginIsolated, false);
  assert.equal(result.info.threads, 1);
  assert.match(result.info.threadsFallback, /not cross-origin isolated .*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
  assert.equal(result.same, true);
  assert.deepEqual(problems, []);
});
