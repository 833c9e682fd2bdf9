// init({ threads }) in headless Chromium (Playwright): on a cross-origin isolated page the
// threads build runs on 2 threads (module workers over shared memory) and gives the same bits
// as 1 thread (tables, gradients, bags, a safetensors round trip, nearest); without isolation
// it falls back to 1 thread and says why.
// Run: node --test tests/browser/   (after `npm run build`, which makes dist/)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '../../scripts/serve.mjs';
import { hasChromium, SKIP, openPage, start } from './browser.mjs';

const PAGE = '../tests/browser/threads.html'; // relative to the demo's URL, /web/
let env; // the isolated server (as the demo is served) and the browser
let plain; // the same files served without COOP/COEP

before(async () => {
  if (!hasChromium) return;
  env = await start();
  plain = await serve({ port: 0, quiet: true, isolated: false });
});

after(async () => {
  await env?.close();
  await plain?.close();
});

async function threadsPage(url) {
  const { page, problems, close } = await openPage({ ...env, url }, PAGE);
  const result = await page.evaluate(() => window.result);
  await close();
  return { result, problems };
}

test('threads in Chromium: 2 threads on a cross-origin isolated page, the same bits as 1', { skip: !hasChromium && SKIP }, async () => {
  const { result, problems } = await threadsPage(env.url);
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.crossOriginIsolated, true);
  assert.equal(result.info.threads, 2);
  assert.equal(result.info.threadsFallback, undefined);
  assert.equal(result.same, true, 'every result of the 2-thread run equals the 1-thread run bit for bit');
  assert.equal(result.arrays, 7);
  assert.deepEqual(problems, []);
});

test('threads in Chromium: without isolation init() falls back to 1 thread and says why', { skip: !hasChromium && SKIP }, async () => {
  const { result, problems } = await threadsPage(plain.url);
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.crossOriginIsolated, false);
  assert.equal(result.info.threads, 1);
  assert.match(result.info.threadsFallback, /not cross-origin isolated .*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
  assert.equal(result.same, true);
  assert.deepEqual(problems, []);
});
