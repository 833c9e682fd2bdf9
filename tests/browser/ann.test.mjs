// The demo's explorer with approximate search: ticking the switch builds an index in the page
// (in steps, its progress shown), then searches go through it, the note says so and the time
// per query is shown; unticking goes back to exact search. GloVe as scripts/demo-data.mjs
// prepares it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hasChromium, openPage, screenshot, SKIP, start } from './browser.mjs';

let env;
before(async () => {
  if (hasChromium) env = await start();
});
after(async () => env?.close());

const shown = (page) => page.$$eval('#results .neighbour', (links) => links.map((a) => ({ word: a.dataset.word, score: Number(a.dataset.score) })));

test('the explorer\'s approximate switch: an index built in the page, then its answers with their exact scores', { skip: !hasChromium && SKIP, timeout: 180_000 }, async () => {
  const { page, problems, close } = await openPage(env, '#word=king');
  await page.waitForSelector('#results[data-state="shown"]', { timeout: 60_000 });
  const exact = await shown(page);
  assert.doesNotMatch(await page.textContent('#results-note'), /approximate/);
  await page.check('#approximate');
  await page.waitForFunction(() => /^index: 1,169 lists/.test(document.querySelector('#index-status').textContent), null, { timeout: 120_000 });
  await page.waitForFunction(() => /approximate: an index scanning 65 of its 1,169 lists/.test(document.querySelector('#results-note').textContent));
  assert.match(await page.textContent('#results-note'), /10 nearest of 341,479 by cosine similarity, in [\d.]+ (µs|ms|s) \(approximate/);
  const approximate = await shown(page);
  const exactScore = new Map(exact.map((r) => [r.word, r.score]));
  const common = approximate.filter((r) => exactScore.has(r.word));
  assert.ok(common.length >= 8, `${common.length} of the exact top 10 found`);
  for (const r of common) assert.equal(r.score, exactScore.get(r.word), r.word);
  await page.fill('#word', 'paris');
  await page.press('#word', 'Enter');
  await page.waitForFunction(() => document.querySelector('#results').dataset.view === '#word=paris');
  assert.match(await page.textContent('#results-note'), /approximate/);
  await screenshot(page, 'explorer-approximate');
  await page.uncheck('#approximate');
  await page.waitForFunction(() => !/approximate/.test(document.querySelector('#results-note').textContent));
  assert.deepEqual(problems, []);
  await close();
});
