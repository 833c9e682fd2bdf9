// The demo page's training section in headless Chromium: the spam classifier trained in Web
// Workers, as a visitor does it (Start, Pause, Continue, the message box, the download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hasChromium, openPage, PHONE, screenshot, SKIP, start } from './browser.mjs';

const EPOCHS = 3;
const ACCURACY_BAR = 0.9; // the model reaches ~97% after one epoch with the default optimizer (Adagrad)

let env;
before(async () => {
  if (hasChromium) env = await start();
});
after(async () => env?.close());

// The two runs, once both are ready to train.
async function liveRuns(page) {
  const runs = ['random', 'glove'];
  await page.waitForFunction((keys) => keys.every((k) => document.querySelector(`.run[data-run="${k}"]`).dataset.epochs === '0'),
    runs, { timeout: 60_000 });
  return runs;
}

const epochsDone = (page, runs, n) => page.waitForFunction(({ keys, n: want }) =>
  keys.every((k) => document.querySelector(`.run[data-run="${k}"]`).dataset.epochs === String(want)), { keys: runs, n }, { timeout: 120_000 });

// Per run: the points of the loss and accuracy charts, [epoch, value].
function charts(page) {
  return page.evaluate(() => {
    const read = (chart) => Object.fromEntries([...document.querySelectorAll(`#${chart} .series`)]
      .map((g) => [g.dataset.series, JSON.parse(g.dataset.points)]));
    return { loss: read('loss-chart'), accuracy: read('accuracy-chart') };
  });
}

async function probabilities(page, text) {
  await page.fill('#message', text);
  await page.waitForFunction(() => [...document.querySelectorAll('.verdict')].some((v) => v.dataset.probability !== undefined));
  await page.waitForTimeout(400); // the box scores after a short pause in typing
  return page.$$eval('.verdict', (vs) => Object.fromEntries(vs.filter((v) => v.dataset.probability !== undefined)
    .map((v) => [v.dataset.run, Number(v.dataset.probability)])));
}

test('training: the loss falls, the test accuracy passes the bar, pause and continue, the message box, a bad learning rate', { timeout: 240_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const { page, problems, close } = await openPage(env);
  try {
    const runs = await liveRuns(page);
    for (const key of runs) assert.equal(await page.getAttribute(`.run[data-run="${key}"]`, 'data-simd'), 'true', `${key}: the worker runs the SIMD build`);
    await page.fill('input[name=epochs]', String(EPOCHS));
    await page.dispatchEvent('input[name=epochs]', 'change');

    // Start, pause during the first epoch, continue.
    const started = Date.now();
    await page.click('#train-start');
    await page.waitForSelector('.run[data-run="random"] .last-step:not(:empty)');
    await page.click('#train-pause');
    await page.waitForFunction(() => document.querySelector('.run[data-run="random"] .run-status').textContent.startsWith('Paused'));
    const pausedAt = await page.textContent('.run[data-run="random"] .last-step');
    await page.waitForTimeout(500);
    assert.equal(await page.textContent('.run[data-run="random"] .last-step'), pausedAt, 'no step while paused');
    assert.match(await page.textContent('#train-start'), /Continue/);
    await page.click('#train-start');
    await epochsDone(page, runs, EPOCHS);
    t.diagnostic(`${EPOCHS} epochs, ${runs.length} runs side by side: ${((Date.now() - started) / 1000).toFixed(1)} s (with a pause)`);

    const { loss, accuracy } = await charts(page);
    for (const key of runs) {
      const losses = loss[key].map(([, v]) => v);
      assert.equal(losses.length, EPOCHS + 1, `${key}: a point per epoch and the start`);
      for (let e = 1; e <= EPOCHS; e++) assert.ok(losses[e] < losses[e - 1], `${key}: loss falls at epoch ${e}: ${losses}`);
      const final = accuracy[key].at(-1)[1];
      assert.ok(final >= ACCURACY_BAR, `${key}: test accuracy ${final} >= ${ACCURACY_BAR}`);
      t.diagnostic(`${key} init: test accuracy ${accuracy[key].map(([, a]) => (100 * a).toFixed(1)).join(' → ')} %`);
      // The shown figures are the charts' last points; a step moved a small part of the table.
      const card = `.run[data-run="${key}"]`;
      assert.equal(await page.textContent(`${card} [data-stat="accuracy"]`), `${(100 * final).toFixed(1)}%`);
      const [rows, of] = (await page.textContent(`${card} [data-stat="rows"]`)).split(' of ').map((s) => Number(s.replace(/,/g, '')));
      assert.ok(rows > 0 && rows < of / 4, `${key}: a step moves ${rows} of ${of} rows`);
      t.diagnostic(`${key} init: epoch ${await page.textContent(`${card} [data-stat="epoch-time"]`)}, median step ${await page.textContent(`${card} [data-stat="step-time"]`)}, ${rows} of ${of} rows a step`);
    }

    // The message box: both models call the examples what they are.
    const spam = await probabilities(page, await page.getAttribute('[data-example]:text("prize")', 'data-example'));
    const ham = await probabilities(page, await page.getAttribute('[data-example]:text("patch review")', 'data-example'));
    for (const key of runs) {
      assert.ok(spam[key] > 0.5, `${key}: the prize email is spam (${spam[key]})`);
      assert.ok(ham[key] < 0.5, `${key}: the patch review email is not (${ham[key]})`);
    }
    await screenshot(page, 'training', '#train');

    // A bad learning rate: the library's own error in each run, and the page recovers.
    await page.fill('input[name=lr]', '-1');
    await page.dispatchEvent('input[name=lr]', 'change');
    await page.waitForFunction((keys) => keys.every((k) => !document.querySelector(`.run[data-run="${k}"] .run-error`).hidden), runs);
    const expected = await page.evaluate(async () => {
      const lib = await import('wasm-embedding');
      const bag = new lib.EmbeddingBag(2, 2);
      try {
        new lib.Adagrad([bag], { lr: -1 });
        return 'accepted';
      } catch (err) {
        return `${err.name}: ${err.message}`;
      } finally {
        bag.dispose();
      }
    });
    for (const key of runs) assert.equal(await page.textContent(`.run[data-run="${key}"] .run-error`), expected);
    await page.fill('input[name=lr]', '0.1');
    await page.dispatchEvent('input[name=lr]', 'change');
    await page.waitForFunction((keys) => keys.every((k) => document.querySelector(`.run[data-run="${k}"] .run-error`).hidden
      && document.querySelector(`.run[data-run="${k}"] .run-status`).textContent.startsWith('Ready')), runs);
    assert.equal(await page.isDisabled('#train-start'), false, 'ready to train again');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await close();
  }
});

test('training: the scalar build (?simd=0) trains to the same losses as the SIMD build', { timeout: 120_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const losses = {};
  for (const suffix of ['', '?simd=0']) {
    const { page, problems, close } = await openPage(env, suffix);
    try {
      await page.waitForFunction(() => document.querySelector('.run[data-run="random"]').dataset.epochs === '0', null, { timeout: 60_000 });
      assert.equal(await page.getAttribute('.run[data-run="random"]', 'data-simd'), String(suffix === ''));
      await page.fill('input[name=epochs]', '1');
      await page.dispatchEvent('input[name=epochs]', 'change');
      await page.click('#train-start');
      await epochsDone(page, ['random'], 1);
      losses[suffix || 'simd'] = (await charts(page)).loss.random;
      assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    } finally {
      await close();
    }
  }
  assert.deepEqual(losses['?simd=0'], losses.simd, 'bit-identical training in both builds');
});

test('training: a word\'s neighbours move, and the trained model downloads as safetensors', { timeout: 180_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const { page, problems, close } = await openPage(env);
  try {
    const runs = await liveRuns(page);
    await page.fill('input[name=epochs]', '2');
    await page.dispatchEvent('input[name=epochs]', 'change');
    await page.click('#train-start');
    await epochsDone(page, runs, 2);

    await page.fill('#moved-word', 'free');
    await page.click('#moved-form button');
    await page.waitForFunction(() => document.querySelector('#moved-epochs').textContent === '2 epochs'
      && document.querySelectorAll('#moved-after li').length === 8);
    const words = (side) => page.$$eval(`#moved-${side} li`, (lis) => lis.map((li) => li.dataset.word));
    const [beforeWords, afterWords] = [await words('before'), await words('after')];
    assert.equal(beforeWords.length, 8);
    assert.notDeepEqual(afterWords, beforeWords, 'training moved "free"');
    t.diagnostic(`"free" before: ${beforeWords.join(', ')}; after 2 epochs: ${afterWords.join(', ')}`);

    const download = page.waitForEvent('download');
    await page.click('.run[data-run="glove"] .export');
    const file = await download;
    assert.match(file.suggestedFilename(), /^spam-filter-glove-init-2-epochs\.safetensors$/);
    const bytes = await (async () => {
      const chunks = [];
      for await (const chunk of await file.createReadStream()) chunks.push(chunk);
      return new Uint8Array(Buffer.concat(chunks));
    })();
    const { init, loadSafetensors } = await import('wasm-embedding');
    await init();
    const { tensors, metadata } = loadSafetensors(bytes);
    assert.deepEqual(tensors.weight.shape, [20000, 100]);
    assert.deepEqual(tensors['linear.weight'].shape, [1, 100]);
    assert.deepEqual(tensors['linear.bias'].shape, [1]);
    assert.equal(metadata.vocab.split('\n').length, 20000);
    assert.equal(metadata.epochs, '2');
    await screenshot(page, 'training-moved', '.after');

    // The file opens in the explorer, which then finds what the training section showed.
    await page.setInputFiles('#file', { name: file.suggestedFilename(), mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
    await page.waitForSelector('#explore[data-vectors="file"]');
    assert.match(await page.textContent('#vectors-info'), /^spam-filter-glove-init-2-epochs\.safetensors · 20,000 words × 100/);
    await page.fill('#word', 'free');
    await page.press('#word', 'Enter');
    await page.waitForFunction(() => document.querySelector('#results').dataset.view === '#word=free');
    const explored = await page.$$eval('#results .neighbour', (links) => links.map((a) => a.dataset.word));
    assert.deepEqual(explored.slice(0, 8), afterWords, 'the explorer finds the trained neighbours');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await close();
  }
});

test('training: phone viewport (390 px) has no horizontal scroll', { timeout: 60_000 }, async (t) => {
  if (!hasChromium) return t.skip(SKIP);
  const { page, problems, close } = await openPage(env, '', PHONE);
  try {
    await page.waitForFunction(() => document.querySelector('.run[data-run="random"]').dataset.epochs === '0', null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), PHONE.width);
    await screenshot(page, 'phone-training', '#train');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await close();
  }
});
