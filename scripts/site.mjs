#!/usr/bin/env node
// Builds site/ (git-ignored): a static site that works from any host and any sub-path, because
// every URL in it is relative.
//
//   index.html            README.md, rendered
//   docs/*.html           docs/*.md (docs/README.md -> docs/index.html)
//   bench/index.html      bench/README.md;  CHANGELOG.html: CHANGELOG.md
//   api/                  the API reference: TypeDoc over bindings/js/index.d.ts (typedoc.json)
//   web/, dist/, data/    the demo page, the package's files and the demo's data (int8 GloVe,
//                         SpamAssassin; scripts/demo-data.mjs), side by side as npm start serves them
//
//   node scripts/site.mjs            (npm run site builds and fetches the data first)
//
// Markdown links to other markdown files become links to their pages; links to repository
// files the site does not hold (examples/, src/, ...) become plain text naming the path; a link to
// nothing at all is kept as it is, for the site layer's link check to report.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';
import { demoData } from './demo-data.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SITE = join(ROOT, 'site');

/** Markdown file (repository path) -> page (site path). */
function pages() {
  const map = new Map([['README.md', 'index.html'], ['bench/README.md', 'bench/index.html']]);
  if (existsSync(join(ROOT, 'CHANGELOG.md'))) map.set('CHANGELOG.md', 'CHANGELOG.html');
  for (const f of readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort()) {
    map.set(`docs/${f}`, f === 'README.md' ? 'docs/index.html' : `docs/${f.replace(/\.md$/, '.html')}`);
  }
  return map;
}

const NAV = [['index.html', 'Home'], ['docs/index.html', 'Guides'], ['api/index.html', 'API'], ['web/index.html', 'Demo'],
  ['bench/index.html', 'Benchmarks'], ['CHANGELOG.html', 'Changes']];

const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function slugger() {
  const seen = new Map();
  return (text) => {
    const base = text.toLowerCase().trim().replace(/<[^>]*>/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  };
}

// Repository files the site shows in another form.
const ALIASES = new Map([['bindings/js/index.d.ts', 'api/index.html']]);

/** Where a markdown link points in the site, relative to the page; null: not in the site. */
function rewriteHref(href, mdPath, page, pageOf, siteHas) {
  if (/^([a-z][a-z0-9+.-]*:|#|\/\/)/i.test(href)) return href; // absolute URLs and in-page anchors
  const [path, hash = ''] = href.split(/(?=#)/);
  const target = posix.normalize(posix.join(posix.dirname(mdPath), decodeURIComponent(path)));
  const from = posix.dirname(page);
  let sitePath = pageOf.get(target) ?? pageOf.get(posix.join(target, 'README.md')) ?? ALIASES.get(target);
  if (!sitePath && siteHas(target)) sitePath = target.endsWith('/') || !posix.extname(target) ? posix.join(target, 'index.html') : target;
  if (!sitePath) return existsSync(join(ROOT, target)) ? null : href; // a typo stays a link: the site layer reports it
  return (posix.relative(from, sitePath) || posix.basename(sitePath)) + hash;
}

function render(mdPath, page, pageOf, siteHas) {
  const slug = slugger();
  const marked = new Marked({ gfm: true });
  marked.use({
    renderer: {
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        return `<h${depth} id="${slug(inner)}">${inner}</h${depth}>\n`;
      },
      code({ text, lang }) {
        if (lang !== 'output') return false; // marked's own rendering
        return `<figure class="output"><figcaption>Output (checked by the tests)</figcaption><pre><code>${escapeHtml(text)}</code></pre></figure>\n`;
      },
      link({ href, title, tokens }) {
        const inner = this.parser.parseInline(tokens);
        const to = rewriteHref(href, mdPath, page, pageOf, siteHas);
        if (to === null) return `<span class="repo-path" title="${escapeHtml(`in the repository: ${href}`)}">${inner}</span>`;
        return `<a href="${escapeHtml(to)}"${title ? ` title="${escapeHtml(title)}"` : ''}>${inner}</a>`;
      },
    },
  });
  // A block the docs layer checks as a js block's output (<!-- output --> + ```text) is labelled so.
  const text = readFileSync(join(ROOT, mdPath), 'utf8').replace(/^<!-- output -->\n```text$/gm, '```output');
  const body = marked.parse(text);
  const title = text.match(/^#\s+(.+)$/m)?.[1].replace(/`/g, '') ?? mdPath;
  const up = posix.relative(posix.dirname(page), '.') || '.';
  const link = (to) => posix.join(up, to);
  const nav = NAV.filter(([to]) => to !== 'CHANGELOG.html' || pageOf.has('CHANGELOG.md'))
    .map(([to, label]) => `<a href="${link(to)}"${to === page ? ' aria-current="page"' : ''}>${label}</a>`).join('\n      ');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · wasm-embedding</title>
  <link rel="icon" href="${link('favicon.svg')}">
  <link rel="stylesheet" href="${link('site.css')}">
</head>
<body>
  <header class="site-nav">
    <nav aria-label="Site">
      ${nav}
    </nav>
  </header>
  <main class="doc">
${body}
  </main>
  <footer class="site-foot">Rendered from <code>${escapeHtml(mdPath)}</code>. Its code blocks run in <code>npm test</code>.</footer>
</body>
</html>
`;
}

const CSS = `:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #59636e; --line: #d1d9e0; --code: #f6f8fa; --link: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --code: #151b23; --link: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
.site-nav { border-bottom: 1px solid var(--line); padding: 0.6rem 1rem; position: sticky; top: 0; background: var(--bg); }
.site-nav nav { max-width: 60rem; margin: 0 auto; display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; }
.site-nav a { text-decoration: none; font-weight: 600; }
.site-nav a[aria-current] { color: var(--fg); }
.doc { max-width: 60rem; margin: 0 auto; padding: 1rem; overflow-wrap: break-word; }
.doc h1, .doc h2 { border-bottom: 1px solid var(--line); padding-bottom: 0.3rem; }
code, pre { font: 0.88em/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code); border-radius: 4px; }
code { padding: 0.1em 0.3em; }
pre { padding: 0.8rem 1rem; overflow-x: auto; }
pre code { padding: 0; background: none; }
table { border-collapse: collapse; display: block; overflow-x: auto; margin: 1rem 0; }
th, td { border: 1px solid var(--line); padding: 0.3rem 0.6rem; vertical-align: top; }
.output { margin: -0.6rem 0 1rem; }
.output figcaption { color: var(--muted); font-size: 0.8em; }
.output pre { margin: 0.2rem 0 0; border-left: 3px solid var(--link); }
.repo-path { border-bottom: 1px dotted var(--muted); }
.site-foot { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: var(--muted); font-size: 0.85em; }
`;

/** TypeDoc's toolbar gets the site's links, relative to each page (its navigationLinks are not). */
function linkApiToSite() {
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  for (const file of walk(join(SITE, 'api')).filter((f) => f.endsWith('.html'))) {
    const up = posix.relative(posix.dirname(relative(SITE, file).split('\\').join('/')), '.');
    const links = NAV.filter(([to]) => !to.startsWith('api/') && to !== 'CHANGELOG.html')
      .map(([to, label]) => `<a href="${posix.join(up, to)}">${label}</a>`).join('');
    const html = readFileSync(file, 'utf8');
    writeFileSync(file, html.replace('<div id="tsd-toolbar-links"></div>', `<div id="tsd-toolbar-links">${links}</div>`));
  }
}

/** The package's files, as package.json's `files` ships them. */
function packageFiles() {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).files.filter((f) => f.startsWith('dist/'));
}

export async function buildSite({ quiet = false } = {}) {
  const log = quiet ? () => {} : (msg) => console.log(`site: ${msg}`);
  const files = packageFiles();
  const missing = files.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length) throw new Error(`site: ${missing.join(', ')} missing: run npm run build first`);
  rmSync(SITE, { recursive: true, force: true });
  mkdirSync(SITE, { recursive: true });

  // The demo, the package beside it and its data, laid out as npm start serves them.
  cpSync(join(ROOT, 'web'), join(SITE, 'web'), { recursive: true });
  for (const f of files) cpSync(join(ROOT, f), join(SITE, f));
  const data = await demoData({ quiet: true });
  mkdirSync(join(SITE, 'data'));
  for (const f of ['glove.6B.100d.safetensors', 'spam.json']) cpSync(join(data, f), join(SITE, 'data', f));
  log('demo, dist/ and data/ copied');

  // The API reference (typedoc.json: out site/api, every export documented or it fails).
  try {
    execFileSync(join(ROOT, 'node_modules/.bin/typedoc'), ['--logLevel', 'Warn'], { cwd: ROOT, stdio: 'inherit' });
  } catch {
    throw new Error('site: TypeDoc failed (above): every export of bindings/js/index.d.ts, and every member, needs a doc comment');
  }
  linkApiToSite();
  log('API reference in site/api/');

  // The guides.
  writeFileSync(join(SITE, 'site.css'), CSS);
  cpSync(join(ROOT, 'docs/assets/favicon.svg'), join(SITE, 'favicon.svg'));
  const pageOf = pages();
  const siteHas = (path) => existsSync(join(SITE, path));
  for (const [md, page] of pageOf) {
    mkdirSync(dirname(join(SITE, page)), { recursive: true });
    writeFileSync(join(SITE, page), render(md, page, pageOf, siteHas));
  }
  // Pictures the guides show (docs/*.svg, *.png), next to their pages.
  for (const f of readdirSync(join(ROOT, 'docs'))) {
    if (/\.(svg|png|jpe?g)$/.test(f)) cpSync(join(ROOT, 'docs', f), join(SITE, 'docs', f));
  }
  log(`${pageOf.size} pages rendered`);
  const size = (dir) => readdirSync(dir, { withFileTypes: true })
    .reduce((sum, e) => sum + (e.isDirectory() ? size(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
  log(`${relative(process.cwd(), SITE) || '.'}/ holds ${(size(SITE) / 1e6).toFixed(1)} MB`);
  return SITE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildSite().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
