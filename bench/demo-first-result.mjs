// Time to the demo page's first result: a fresh Chromium context opens #word=king from the
// demo server (scripts/serve.mjs, the data of scripts/demo-data.mjs) and the page records when
// the neighbours were on screen, in ms since navigation started. Median of `runs` loads.
//
//   flock /tmp/bench.lock node bench/demo-first-result.mjs [runs = 7]
import { chromium } from 'playwright-core';
import { demoData } from '../scripts/demo-data.mjs';
import { serve } from '../scripts/serve.mjs';

const RUNS = Number(process.argv[2] ?? 7);
const server = await serve({ port: 0, quiet: true, dataDir: await demoData({ quiet: true }) });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext(); // nothing cached from the run before
    const page = await context.newPage();
    await page.goto(`${server.url}#word=king`);
    await page.waitForSelector('body[data-first-result-ms]', { timeout: 60_000 });
    times.push(Number(await page.getAttribute('body', 'data-first-result-ms')));
    await context.close();
  }
  times.sort((a, b) => a - b);
  console.log(`first result for #word=king: median ${times[times.length >> 1]} ms (${times.join(', ')} ms over ${RUNS} loads)`);
} finally {
  await browser.close();
  await server.close();
}
