// The static site as a host would serve it: scripts/site.mjs builds site/, nginx (our own
// configuration in a temporary folder, on a free loopback port, never the system service)
// serves it under /wasm-embedding/, as a project page is served, without cross-origin isolation
// headers; Chromium loads every page of it. No console error, failed request or HTTP error on
// any page; the demo answers #word=king; every href and src (and the demo's import map)
// resolves to a file of the site, and every #fragment to an id of its page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSite } from '../../scripts/site.mjs';
import { freePort, waitForPort } from '../remote/servers.mjs'; // the remote layer's server helpers
import { SKIP as CHROMIUM_SKIP, hasChromium, launchChromium } from '../browser/browser.mjs';

const NGINX = '/usr/sbin/nginx';
const PREFIX = '/wasm-embedding/';
const root = fileURLToPath(new URL('../..', import.meta.url));
const SKIP = !existsSync(NGINX) ? `${NGINX} not found (apt-get install -y nginx-light; scripts/bootstrap.sh does)`
  : !hasChromium ? CHROMIUM_SKIP : false;
let site;
let work;
let nginx;
let base;
let browser;

function nginxConfig(port) {
  const temp = (name) => `${name}_temp_path ${join(work, name)};`;
  return `daemon off;
worker_processes 1;
pid ${join(work, 'nginx.pid')};
error_log ${join(work, 'error.log')} warn;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log ${join(work, 'access.log')};
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  server {
    listen 127.0.0.1:${port};
    location ${PREFIX} {
      alias ${site}/;
      index index.html;
    }
  }
}
`;
}

before(async () => {
  site = await buildSite({ quiet: true });
  if (SKIP) return;
  work = mkdtempSync(join(tmpdir(), 'wasm-embedding-site-'));
  const port = await freePort();
  writeFileSync(join(work, 'nginx.conf'), nginxConfig(port));
  nginx = spawn(NGINX, ['-p', work, '-e', join(work, 'error.log'), '-c', join(work, 'nginx.conf')], { stdio: 'ignore' });
  await waitForPort(port, nginx, 'nginx');
  base = `http://127.0.0.1:${port}${PREFIX}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx.once('exit', resolve));
    nginx.kill('SIGTERM');
    await exited;
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

function htmlFiles(dir = site) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? htmlFiles(path) : e.name.endsWith('.html') ? [relative(site, path).split('\\').join('/')] : [];
  });
}

/** Opens a page and records what goes wrong in it (and its workers). */
async function open(context, url) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console.error: ${msg.text()} (${msg.location().url})`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('worker', (worker) => worker.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`worker console.error: ${msg.text()}`);
  }));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`); });
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems };
}

test('every page of the site loads from nginx under a sub-path with no console error and no failed request', { timeout: 120_000, skip: SKIP }, async () => {
  const pages = htmlFiles();
  assert.ok(pages.includes('index.html') && pages.includes('docs/index.html') && pages.includes('api/index.html') && pages.includes('web/index.html'),
    `the site has its home, guides, API reference and demo (${pages.length} pages)`);
  const context = await browser.newContext();
  const failures = [];
  try {
    const queue = pages.filter((p) => p !== 'web/index.html'); // the demo: its own test
    const worker = async () => {
      for (let path; (path = queue.shift()) !== undefined;) {
        const { page, problems } = await open(context, base + path);
        await page.close();
        if (problems.length) failures.push(`${path}:\n  ${problems.join('\n  ')}`);
      }
    };
    await Promise.all([worker(), worker(), worker()]); // three tabs at a time
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
});

test('the demo answers #word=king from the site and its training runs load the corpus, the data fetched relative to the page', { timeout: 120_000, skip: SKIP }, async () => {
  const context = await browser.newContext();
  try {
    const { page, problems } = await open(context, `${base}web/#word=king`);
    await page.waitForSelector('#results[data-state="shown"]', { timeout: 60_000 });
    const words = await page.$$eval('#results .neighbour', (links) => links.map((a) => a.dataset.word));
    assert.equal(words.length, 10);
    assert.ok(words.includes('queen') && words.includes('prince'), `king's neighbours: ${words.join(', ')}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    // The training workers fetched the SpamAssassin corpus (../data/spam.json) and are ready.
    await page.waitForFunction(() => ['random', 'glove'].every((k) => document.querySelector(`.run[data-run="${k}"]`)?.dataset.epochs === '0'),
      null, { timeout: 60_000 });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/** Every href and src of a page, and the targets of an import map. */
function references(html) {
  const refs = [...html.matchAll(/\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)].map((m) => m[1] ?? m[2]);
  for (const [, json] of html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)) refs.push(...Object.values(JSON.parse(json).imports ?? {}));
  return refs.map((r) => r.replace(/&amp;/g, '&'));
}

test('no broken links: every href and src in the site resolves to a file of the site (and #fragments to ids)', () => {
  const broken = [];
  const ids = new Map();
  const idsOf = (path) => {
    if (!ids.has(path)) ids.set(path, new Set([...readFileSync(join(site, path), 'utf8').matchAll(/\s(?:id|name)="([^"]*)"/g)].map((m) => m[1])));
    return ids.get(path);
  };
  let checked = 0;
  for (const path of htmlFiles()) {
    for (const ref of references(readFileSync(join(site, path), 'utf8'))) {
      if (/^(https?:|mailto:|data:|javascript:|blob:)/i.test(ref)) continue;
      assert.ok(!ref.startsWith('/'), `${path}: ${ref} is an absolute path, which breaks under a sub-path`);
      const [file, fragment] = ref.split('#');
      const target = file === '' ? path : posix.normalize(posix.join(posix.dirname(path), decodeURIComponent(file.split('?')[0])));
      const resolved = target.endsWith('/') || existsSync(join(site, target)) && !target.includes('.') ? posix.join(target, 'index.html') : target;
      ++checked;
      if (target.startsWith('..') || !existsSync(join(site, resolved))) broken.push(`${path}: ${ref}`);
      else if (fragment && resolved.endsWith('.html') && !idsOf(resolved).has(decodeURIComponent(fragment))) broken.push(`${path}: ${ref} (no such id)`);
    }
  }
  assert.ok(checked > 100, `${checked} links checked`);
  assert.deepEqual(broken, []);
});
