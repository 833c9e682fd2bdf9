// What the browser tests share: Debian's Chromium driven by playwright-core, the demo server
// (scripts/serve.mjs, with the data of scripts/demo-data.mjs at /data/), pages that record
// everything that goes wrong in them, and screenshots under tests/browser/screenshots/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demoData } from '../../scripts/demo-data.mjs';
import { serve } from '../../scripts/serve.mjs';

const CHROMIUM = '/usr/bin/chromium'; // Playwright cannot download browsers here
export const hasChromium = existsSync(CHROMIUM);
export const SKIP = `${CHROMIUM} not found (apt-get install -y chromium)`;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

/** Debian's Chromium, headless, as every layer that drives a page launches it. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync'],
  });
}

/** Drops a file named `name` holding `body` on the page, as a user dragging it in would. */
export function dropFile(page, name, body) {
  return page.evaluate(([fileName, text]) => {
    const data = new DataTransfer();
    data.items.add(new File([text], fileName, { type: 'text/plain' }));
    dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, [name, body]);
}

/** Starts the server and the browser; `close()` stops both. */
export async function start() {
  assert.ok(existsSync(`${ROOT}dist/index.js`), 'dist/index.js is missing: run `npm run build` first');
  const dataDir = await demoData({ quiet: true }); // made by `npm test` before the layers run
  const server = await serve({ port: 0, quiet: true, dataDir });
  const browser = await launchChromium();
  return {
    url: server.url,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Opens the page (with `suffix`, e.g. '?simd=0' or '#word=king') and records console errors,
 * page errors, failed requests and HTTP errors in `problems`, from the page and its workers,
 * and the workers it starts in `workers`.
 */
export async function openPage(env, suffix = '', viewport = DESKTOP) {
  const context = await env.browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  const workers = []; // { url, closed: Promise } of every worker the page starts
  page.on('worker', (worker) => {
    workers.push({ url: worker.url(), closed: new Promise((resolve) => worker.once('close', resolve)) });
    worker.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`worker console.error: ${msg.text()}`);
    });
  });
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.goto(env.url + suffix);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { page, problems, workers, close: () => context.close() };
}

/** Saves a screenshot of the page (or of one element) as tests/browser/screenshots/<name>.png. */
export async function screenshot(page, name, selector) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
}

/** A tiny table of six words (4 values each), for the tests that bring their own vectors. */
export const TINY = {
  cat: [1, 0.1, 0, 0],
  kitten: [0.9, 0.2, 0.1, 0],
  dog: [0.6, 0.7, 0, 0.1],
  puppy: [0.5, 0.8, 0.1, 0.1],
  car: [0, 0.1, 1, 0.2],
  truck: [0.1, 0, 0.9, 0.4],
};

/** TINY as a GloVe text file (no header). */
export const tinyGlove = () => Object.entries(TINY).map(([w, v]) => `${w} ${v.join(' ')}\n`).join('');
