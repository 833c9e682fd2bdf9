// The demo's explorer with approximate search: once the vectors are in, a Web Worker
// (web/index-worker.js) opens the same table and builds its index, its progress shown beside
// the switch; the page loads the index's bytes and searches through it by default, the note
// says so and the time per query is shown; the switch goes back to exact search and returns.
// Another table abandons the build (its worker ends) and starts one of its own. GloVe as
// scripts/demo-data.mjs prepares it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dropFile, hasChromium, openPage, screenshot, SKIP, start, TINY, tinyGlove } from './browser.mjs';

let env;
before(async () => {
  if (hasChromium) env = await start();
});
after(async () => env?.close());

const shown = (page) => page.$$eval('#results .neighbour', (links) => links.map((a) => ({ word: a.dataset.word, score: Number(a.dataset.score) })));
const note = (page) => page.textContent('#results-note');
const indexWorkers = (workers) => workers.filter((w) => w.url.endsWith('/index-worker.js'));
const status = (page) => page.textContent('#index-status');

// Waits until the index status shows the build's progress (a percentage) or the end of it.
const building = (page) => page.waitForFunction(() => {
  const s = document.querySelector('#index-status');
  return /\d+%/.test(s.textContent) || s.dataset.state !== 'building';
}, null, { timeout: 60_000 });
const ready = (page) => page.waitForSelector('#index-status[data-state="ready"]', { state: 'attached', timeout: 120_000 });
const viewShown = (page, hash) => page.waitForFunction((h) => document.querySelector('#results').dataset.view === h, hash);

test('the explorer builds its index in a worker after load, then searches through it: the exact scores, the switch back and forth', { skip: !hasChromium && SKIP, timeout: 180_000 }, async () => {
  const { page, problems, workers, close } = await openPage(env, '#word=king');
  await page.waitForSelector('#results[data-state="shown"]', { timeout: 60_000 });
  // The first result is exact: the build starts after it.
  const exact = await shown(page);
  assert.doesNotMatch(await note(page), /approximate/);
  assert.equal(await page.isDisabled('#approximate'), true, 'no switch before there is an index');

  // While the worker builds, the page answers searches.
  await building(page);
  await page.fill('#word', 'queen');
  await page.press('#word', 'Enter');
  await viewShown(page, '#word=queen');
  await screenshot(page, 'explorer-index-building', '#explore');
  await page.fill('#word', 'princ'); // typing when the index comes in

  await ready(page);
  assert.match(await status(page), /^index: 1,169 lists, [\d.]+ MB, built in a worker in [\d.]+ (ms|s)$/);
  const started = indexWorkers(workers);
  assert.equal(started.length, 1, 'one index worker');
  await started[0].closed; // terminated once its bytes are in
  assert.equal(await page.isChecked('#approximate'), true, 'approximate search is on once the index is in');
  await viewShown(page, '#word=queen');
  await page.waitForFunction(() => /approximate: an index scanning 65 of its 1,169 lists/.test(document.querySelector('#results-note').textContent));
  assert.equal(await page.inputValue('#word'), 'princ', 'the results change, not what the visitor is typing');
  await page.press('#word', 'Escape'); // its suggestions would cover the switch

  await page.evaluate(() => { location.hash = '#word=king'; });
  await viewShown(page, '#word=king');
  assert.match(await note(page), /^10 nearest of 341,479 by cosine similarity, in [\d.]+ (µs|ms|s) \(approximate: an index scanning 65 of its 1,169 lists\)$/);
  const approximate = await shown(page);
  const exactScore = new Map(exact.map((r) => [r.word, r.score]));
  const common = approximate.filter((r) => exactScore.has(r.word));
  assert.ok(common.length >= 8, `${common.length} of the exact top 10 found`);
  for (const r of approximate) {
    if (exactScore.has(r.word)) assert.equal(r.score, exactScore.get(r.word), r.word);
    else assert.ok(r.score <= exact.at(-1).score, `${r.word} (${r.score}) is not above the exact 10th`);
  }
  await screenshot(page, 'explorer-approximate', '#explore');

  // The switch: exact search (the same list as before the index), then approximate again.
  await page.uncheck('#approximate');
  await page.waitForFunction(() => !/approximate/.test(document.querySelector('#results-note').textContent));
  assert.match(await note(page), /^10 nearest of 341,479 by cosine similarity, in [\d.]+ (µs|ms|s)$/);
  assert.deepEqual(await shown(page), exact);
  await page.check('#approximate');
  await page.waitForFunction(() => /approximate/.test(document.querySelector('#results-note').textContent));
  assert.deepEqual(await shown(page), approximate);
  assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  await close();
});

test('another table abandons the build under way (its worker ends) and gets an index of its own; back to GloVe builds GloVe\'s again', { skip: !hasChromium && SKIP, timeout: 180_000 }, async () => {
  const { page, problems, workers, close } = await openPage(env, '#word=king');
  await page.waitForSelector('#results[data-state="shown"]', { timeout: 60_000 });
  await building(page);
  assert.equal(await page.getAttribute('#index-status', 'data-state'), 'building', 'GloVe\'s build is under way');

  // A text file: the worker reads it with loadWordVectors, as the page did.
  await dropFile(page, 'tiny-glove.txt', tinyGlove());
  await page.waitForSelector('#explore[data-vectors="file"]');
  await indexWorkers(workers)[0].closed; // GloVe's build, abandoned
  await ready(page);
  assert.match(await status(page), /^index: \d+ lists, [\d.]+ (B|kB), built in a worker in [\d.]+ (µs|ms|s)$/);
  await page.waitForFunction(() => /approximate/.test(document.querySelector('#results-note').textContent));
  const approximate = await shown(page);
  await page.uncheck('#approximate');
  await page.waitForFunction(() => !/approximate/.test(document.querySelector('#results-note').textContent));
  assert.deepEqual(approximate, await shown(page), 'on 6 rows the index finds them all, with the exact scores');

  // A safetensors file whose table is the tensor 'vectors': the worker opens that tensor.
  await page.evaluate(async (tiny) => {
    const lib = await import('wasm-embedding');
    const words = Object.keys(tiny);
    const bytes = lib.saveSafetensors({ vectors: { dtype: 'F32', shape: [words.length, 4], data: Float32Array.from(Object.values(tiny).flat()) } }, { vocab: words.join('\n') });
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'tiny.safetensors'));
    dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, TINY);
  await page.waitForFunction(() => document.querySelector('#vectors-info').textContent.startsWith('tiny.safetensors'));
  await ready(page);
  await page.waitForFunction(() => /approximate/.test(document.querySelector('#results-note').textContent));
  assert.deepEqual(await shown(page), approximate, 'the same rows, the same answers');

  await page.click('#back-to-glove');
  await page.waitForSelector('#explore[data-vectors="glove"]');
  assert.equal(await page.isDisabled('#approximate'), true, 'GloVe\'s index was abandoned: built again');
  await ready(page);
  assert.match(await status(page), /^index: 1,169 lists/);
  assert.equal(indexWorkers(workers).length, 4, 'GloVe, the text file, the safetensors file, GloVe again');
  await Promise.all(indexWorkers(workers).map((w) => w.closed));
  assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  await close();
});
