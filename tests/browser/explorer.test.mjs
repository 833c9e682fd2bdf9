// The demo page's word explorer in headless Chromium, over the GloVe table that
// scripts/demo-data.mjs prepares: search, suggestions, links, analogies, the map, and files
// dropped or picked by the visitor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dropFile, hasChromium, openPage, PHONE, screenshot, SKIP, start, TINY, tinyGlove } from './browser.mjs';

const GLOVE = '/data/glove.6B.100d.safetensors';

let env;
before(async () => {
  if (hasChromium) env = await start();
});
after(async () => env?.close());

// Opens the page at `suffix` and waits for its first result.
async function openExplorer(suffix, viewport) {
  const opened = await openPage(env, suffix, viewport);
  await opened.page.waitForSelector('#results[data-state="shown"]', { timeout: 60_000 });
  return opened;
}

const shownResults = (page) => page.$$eval('#results .neighbour', (links) => links.map((a) => ({ word: a.dataset.word, score: Number(a.dataset.score) })));

// The same query, asked of the library directly in the page (the file fetched again, a table of its own).
function library(page, query) {
  return page.evaluate(async ({ url, query: q }) => {
    const lib = await import('wasm-embedding');
    await lib.init();
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const words = lib.loadSafetensors(bytes).metadata.vocab.split('\n');
    const table = lib.Embedding.fromSafetensors(bytes, 'weight');
    try {
      const row = (w) => words.indexOf(w);
      const { indices, scores } = q.length === 1 ? table.nearest(row(q[0]), 10) : table.analogy(...q.map(row), 10);
      return Array.from(indices, (i, n) => ({ word: words[i], score: scores[n] }));
    } finally {
      table.dispose();
    }
  }, { url: GLOVE, query });
}

// The map: the words it labels and how many distinct positions its points take.
const map = (page) => page.evaluate(() => ({
  words: [...document.querySelectorAll('#map .point')].map((p) => p.dataset.word),
  positions: new Set([...document.querySelectorAll('#map circle')].map((c) => `${c.getAttribute('cx')},${c.getAttribute('cy')}`)).size,
  arrows: document.querySelectorAll('#map .offset').length,
}));

test('explorer: #word=king shows the library\'s nearest neighbours and their map; suggestions, Enter and clicks navigate', { timeout: 120_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const opened = await openExplorer('#word=king');
  const { page, problems, close } = opened;
  try {
    t.diagnostic(`first result for #word=king ${await page.getAttribute('body', 'data-first-result-ms')} ms after navigation started`);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'word', 'the search box has focus on load');
    assert.equal(await page.inputValue('#word'), 'king');
    const shown = await shownResults(page);
    assert.deepEqual(shown, await library(page, ['king']), 'the page shows what emb.nearest returns');
    assert.match(await page.textContent('#results-note'), /10 nearest of 341,479 by cosine similarity, in [\d.]+ (µs|ms|s)/);

    const drawn = await map(page);
    assert.deepEqual(drawn.words, ['king', ...shown.map((n) => n.word)], 'the map labels the query and its neighbours');
    assert.ok(drawn.positions >= 8, `the projection spreads the points (${drawn.positions} distinct positions)`);
    await screenshot(page, 'explorer-word', '#explore');

    // Suggestions: typed prefix, arrow down, Enter.
    await page.fill('#word', '');
    await page.type('#word', 'quee');
    await page.waitForSelector('#suggestions:not([hidden])');
    const suggestions = await page.$$eval('#suggestions li', (lis) => lis.map((li) => li.dataset.word));
    assert.ok(suggestions.length > 1 && suggestions.every((w) => w.startsWith('quee')), `suggestions: ${suggestions}`);
    assert.equal(suggestions[0], 'queen', 'the most frequent word first');
    await screenshot(page, 'explorer-suggestions', '#explore');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getAttribute('#word', 'aria-activedescendant'), 'suggestion-1');
    await page.keyboard.press('Enter');
    await page.waitForFunction((w) => location.hash === `#word=${w}`, suggestions[1]);
    await page.waitForFunction((w) => document.querySelector('#results').dataset.view === `#word=${w}`, suggestions[1]);

    // Enter on a typed word; a click on a neighbour.
    await page.fill('#word', 'Paris'); // as a phone capitalises it: the vocabulary's "paris"
    await page.press('#word', 'Enter');
    await page.waitForFunction(() => document.querySelector('#results').dataset.view === '#word=paris');
    const second = (await shownResults(page))[1].word;
    await page.click(`#results .neighbour[data-word="${second}"]`);
    await page.waitForFunction((w) => document.querySelector('#results').dataset.view === `#word=${encodeURIComponent(w)}`, second);
    assert.equal(await page.inputValue('#word'), second);

    // A word that is not there.
    await page.fill('#word', 'qqxqqz');
    await page.press('#word', 'Enter');
    await page.waitForSelector('#results[data-state="not-found"]', { state: 'attached' });
    assert.match(await page.textContent('#results-note'), /“qqxqqz” is not among the 341,479 words/);
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await close();
  }
});

test('explorer: an analogy link restores its view: man : king :: woman : queen', { timeout: 120_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const opened = await openExplorer('#analogy=man:king:woman');
  const { page, problems, close } = opened;
  try {
    assert.equal(await page.getAttribute('#results', 'data-view'), '#analogy=man:king:woman');
    const inputs = await Promise.all(['a', 'b', 'c'].map((k) => page.inputValue(`#analogy-${k}`)));
    assert.deepEqual(inputs, ['man', 'king', 'woman']);
    const shown = await shownResults(page);
    assert.equal(shown[0].word, 'queen');
    assert.deepEqual(shown, await library(page, ['man', 'king', 'woman']), 'the page shows what emb.analogy returns');
    const drawn = await map(page);
    assert.deepEqual(drawn.words.slice(0, 4), ['man', 'king', 'woman', 'queen']);
    assert.equal(drawn.arrows, 2, 'a → b and c → the answer');
    await screenshot(page, 'explorer-analogy', '#explore');

    // The form makes a link of its own.
    await page.fill('#analogy-a', 'france');
    await page.fill('#analogy-b', 'paris');
    await page.fill('#analogy-c', 'italy');
    await page.click('#analogy-form button');
    await page.waitForFunction(() => document.querySelector('#results').dataset.view === '#analogy=france:paris:italy');
    assert.equal(await page.evaluate(() => location.hash), '#analogy=france:paris:italy');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await close();
  }
});

test('explorer: the scalar build (?simd=0) shows the same neighbours', { timeout: 120_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const lists = [];
  for (const suffix of ['#word=jazz', '?simd=0#word=jazz']) {
    const opened = await openExplorer(suffix);
    try {
      assert.equal(await opened.page.getAttribute('#simd', 'data-simd'), String(!suffix.includes('simd=0')));
      lists.push(await shownResults(opened.page));
      assert.deepEqual(opened.problems, []);
    } finally {
      await opened.close();
    }
  }
  assert.deepEqual(lists[1], lists[0]);
});

// A small GloVe file (TINY) whose neighbours are known: cosines computed here in float64.
function tinyNearest(word) {
  const cos = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0) / Math.hypot(...a) / Math.hypot(...b);
  return Object.keys(TINY).filter((w) => w !== word).sort((p, q) => cos(TINY[word], TINY[q]) - cos(TINY[word], TINY[p]));
}

test('explorer: a dropped GloVe file switches the explorer; a malformed one shows the library\'s error and the page still searches', { timeout: 120_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const opened = await openExplorer('#word=king');
  const { page, problems, close } = opened;
  try {
    await dropFile(page, 'tiny-glove.txt', tinyGlove());
    await page.waitForSelector('#explore[data-vectors="file"]');
    assert.match(await page.textContent('#vectors-info'), /^tiny-glove\.txt · 6 words × 4/);
    await page.waitForFunction(() => document.querySelector('#results').dataset.view === '#word=cat', null, { timeout: 10_000 });
    assert.deepEqual((await shownResults(page)).map((n) => n.word), tinyNearest('cat'), 'king is not in the file: its first word is shown');
    await page.fill('#word', 'truck');
    await page.press('#word', 'Enter');
    await page.waitForFunction(() => document.querySelector('#results').dataset.view === '#word=truck');
    assert.deepEqual((await shownResults(page)).map((n) => n.word), tinyNearest('truck'));
    await screenshot(page, 'explorer-file', '#explore');
    await page.click('#back-to-glove');
    await page.waitForSelector('#explore[data-vectors="glove"]');

    // A short row, through the file picker: the library's message, the GloVe vectors kept.
    const broken = 'cat 1 0 0 0\ndog 0 1 0\n';
    await page.setInputFiles('#file', { name: 'broken.txt', mimeType: 'text/plain', buffer: Buffer.from(broken) });
    await page.waitForSelector('#file-error:not([hidden])');
    const message = await page.textContent('#file-error');
    const expected = await page.evaluate(async (body) => {
      const lib = await import('wasm-embedding');
      try {
        await lib.loadWordVectors(new File([body], 'broken.txt'));
        return 'loaded';
      } catch (err) {
        return `${err.name}: ${err.message}`;
      }
    }, broken);
    assert.equal(message, `broken.txt: ${expected}`, 'the library\'s own message');
    assert.match(expected, /line 2/, 'it names the line');
    assert.equal(await page.getAttribute('#explore', 'data-vectors'), 'glove');
    await screenshot(page, 'explorer-error', '#explore');
    await page.fill('#word', 'music');
    await page.press('#word', 'Enter');
    await page.waitForFunction(() => document.querySelector('#results').dataset.view === '#word=music');
    assert.equal((await shownResults(page)).length, 10, 'the page still searches');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await close();
  }
});

test('explorer: phone viewport (390 px) has no horizontal scroll', { timeout: 120_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const opened = await openExplorer('#analogy=man:king:woman', PHONE);
  const { page, problems, close } = opened;
  try {
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), PHONE.width);
    await screenshot(page, 'phone-explorer', '#explore');
    await screenshot(page, 'phone');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await close();
  }
});
