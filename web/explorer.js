// The word explorer: search with autocomplete, nearest neighbours with cosine bars, analogies,
// a 2-D map, shareable links (#word=king, #analogy=man:king:woman), and vectors the visitor
// brings (drag and drop or pick a file).
import { $, bytes, count, el, errorText, ms } from './dom.js';
import { drawMap, pca2 } from './projection.js';
import { GLOVE, loadFile, loadGlove } from './vectors.js';

const K = 10; // neighbours shown
const ANALOGY_ON_MAP = 4; // best answers drawn with a, b, c
const SUGGESTIONS = 8;
const DEFAULT_VIEW = { kind: 'word', word: 'king' };

let glove = null; // the GloVe vectors, kept for the training section even while a file is explored
let current = null; // the vectors being explored
let view = null; // what is shown: { kind: 'word', word } | { kind: 'analogy', a, b, c }
let firstResult = true;
let initialised = null; // the package's init(), as setupExplorer got it (the worker uses the same build)
const LIB = import.meta.resolve('wasm-embedding'); // workers cannot see the import map
const indexes = new WeakMap(); // vectors -> their approximate index, once built and loaded
const files = new WeakMap(); // vectors the visitor brought -> their File (the index worker reads it too)
let build = null; // the index build under way, for the current vectors: { vectors, worker, started, retired }

// ---------------------------------------------------------------- approximate search

// The index to search through: the current vectors' once it is in and the switch is on; null
// means exact search.
function searchIndex() {
  return $('approximate').checked ? indexes.get(current) ?? null : null;
}

function indexStatus(state, text) {
  const status = $('index-status');
  status.dataset.state = state;
  status.textContent = text;
}

// Builds the current vectors' index in a Web Worker (index-worker.js) that opens the same
// table, so the page stays responsive; its progress is shown beside the switch, and once its
// bytes are loaded here approximate search is on.
function buildIndex(vectors) {
  const b = build = { vectors, worker: null, started: false, retired: false };
  indexStatus('building', 'building the index in a worker…');
  initialised.then(({ simd }) => {
    if (b.retired) return;
    const source = vectors === glove ? { url: GLOVE.url } : { file: files.get(vectors), tensor: vectors.tensor };
    b.worker = new Worker(new URL('./index-worker.js', import.meta.url), { type: 'module' });
    b.worker.onmessage = ({ data }) => indexMessage(b, data);
    b.worker.onerror = (e) => indexMessage(b, { type: 'error', message: e.message || 'the index worker failed to start' });
    b.worker.postMessage({ lib: LIB, simd, source });
  });
}

// Abandons a build (other vectors are explored now). Its worker is terminated once its table
// is in: then none of its requests is cut off (the page would count them as failed).
function abandon(b) {
  b.retired = true;
  if (b.started) b.worker.terminate();
  if (build === b) build = null;
}

function indexMessage(b, message) {
  if (b.retired) return b.worker.terminate();
  if (message.type === 'progress') {
    b.started = true;
    indexStatus('building', `building the index in a worker: ${Math.round(100 * message.fraction)}%`);
    return;
  }
  b.worker.terminate();
  build = null;
  if (message.type === 'error') return indexStatus('failed', `the index could not be built: ${message.message}`);
  let index;
  try {
    index = b.vectors.table.loadIndex(message.bytes); // checks it is this table's
  } catch (err) {
    return indexStatus('failed', `the index could not be loaded: ${errorText(err)}`);
  }
  indexes.set(b.vectors, index);
  indexStatus('ready', `index: ${count(index.lists)} lists, ${bytes(index.byteLength)}, built in a worker in ${ms(message.ms)}`);
  $('approximate').disabled = false;
  $('approximate').checked = true;
  show(view, { refresh: true });
}

// ---------------------------------------------------------------- links

function parseHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  if (params.has('word')) return { kind: 'word', word: params.get('word').trim() };
  const parts = params.get('analogy')?.split(':');
  if (parts?.length === 3) return { kind: 'analogy', a: parts[0].trim(), b: parts[1].trim(), c: parts[2].trim() };
  return null;
}

const hashOf = (v) => (v.kind === 'word' ? `#word=${encodeURIComponent(v.word)}` : `#analogy=${[v.a, v.b, v.c].map(encodeURIComponent).join(':')}`);
const wordLink = (word) => hashOf({ kind: 'word', word });

function go(next) {
  if (location.hash === hashOf(next)) show(next); // no hashchange for the same link
  else location.hash = hashOf(next);
}

// ---------------------------------------------------------------- views

// Shows a view and puts its words in the boxes; refresh: only its results again (the search
// changed), leaving the boxes to what the visitor may be typing.
function show(next, { refresh = false } = {}) {
  view = next;
  if (!current) return; // shown once the vectors are in
  const { vocab } = current;
  if (view.kind === 'word') {
    if (!refresh) $('word').value = view.word;
    const row = vocab.indexOf(view.word);
    if (row < 0) return notFound([view.word]);
    const index = searchIndex();
    const t0 = performance.now();
    const { indices, scores } = (index ?? current.table).nearest(row, K);
    const took = performance.now() - t0;
    renderResults({
      title: [el('span', { className: 'muted' }, 'Nearest to '), el('strong', {}, view.word)],
      note: `${found(indices)} nearest of ${count(vocab.size)} by cosine similarity, in ${ms(took)}${index ? ` (approximate: an index scanning ${index.nprobe} of its ${count(index.lists)} lists)` : ''}`,
      indices,
      scores,
    });
    renderMap([row, ...indices.filter((i) => i >= 0)], ['query']);
  } else {
    const { a, b, c } = view;
    if (!refresh) for (const [name, value] of Object.entries({ a, b, c })) $(`analogy-${name}`).value = value;
    const missing = [a, b, c].filter((w) => vocab.indexOf(w) < 0);
    if (missing.length) return notFound(missing);
    const rows = [a, b, c].map((w) => vocab.indexOf(w));
    const index = searchIndex();
    const t0 = performance.now();
    const { indices, scores } = (index ?? current.table).analogy(...rows, K);
    const took = performance.now() - t0;
    renderResults({
      title: [el('strong', {}, a), ' is to ', el('strong', {}, b), ' as ', el('strong', {}, c), ' is to …'],
      note: `b − a + c, nearest by cosine (as gensim's most_similar), in ${ms(took)}${index ? ' (approximate: through the index)' : ''}`,
      indices,
      scores,
    });
    const shown = indices.subarray(0, ANALOGY_ON_MAP).filter((i) => i >= 0);
    renderMap([...rows, ...shown], ['input', 'input', 'input', 'answer'], shown.length ? [[0, 1], [2, 3]] : [[0, 1]]);
  }
  document.title = `${view.kind === 'word' ? view.word : `${view.a} : ${view.b} :: ${view.c} : ?`} — wasm-embedding`;
  if (firstResult) {
    firstResult = false;
    document.body.dataset.firstResultMs = performance.now().toFixed(0); // since navigation started
  }
}

// How many results a query gave (a small table has fewer than K; the rest are -1).
const found = (indices) => indices.filter((i) => i >= 0).length;

function notFound(words) {
  const list = words.map((w) => `“${w}”`).join(', ');
  renderResults({ title: ['Not found'], note: `${list} ${words.length === 1 ? 'is' : 'are'} not among the ${count(current.vocab.size)} words of ${current.name}.`, indices: [], scores: [] });
  $('map').replaceChildren();
  $('results').dataset.state = 'not-found';
}

function renderResults({ title, note, indices, scores }) {
  $('results-title').replaceChildren(...title);
  $('results-note').textContent = note;
  const items = [];
  indices.forEach((row, i) => {
    if (row < 0) return;
    const word = current.vocab.wordAt(row);
    const score = scores[i];
    items.push(el('li', {},
      el('a', { href: wordLink(word), className: 'neighbour', dataset: { word, row: String(row), score: String(score) } },
        el('span', { className: 'word' }, word),
        el('span', { className: 'bar', style: `--score: ${Math.max(0, score)}` }),
        el('span', { className: 'score' }, score.toFixed(3)))));
  });
  const list = $('results');
  list.replaceChildren(...items);
  list.dataset.state = 'shown';
  list.dataset.view = hashOf(view);
}

// Draws the given rows' PCA; `roles` and `arrows` mark the query or the analogy's terms.
function renderMap(rows, roles, arrows = []) {
  const dim = current.table.embeddingDim;
  const data = current.table.forward(Int32Array.from(rows));
  drawMap($('map'), {
    words: rows.map((r) => current.vocab.wordAt(r)),
    points: pca2(data, rows.length, dim),
    roles,
    arrows,
    href: wordLink,
  });
}

// ---------------------------------------------------------------- search box with suggestions

function setupSearch() {
  const input = $('word');
  const list = $('suggestions');
  let active = -1;

  const options = () => [...list.children];
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const highlight = (i) => {
    const all = options();
    active = (i + all.length) % all.length;
    all.forEach((o, k) => o.setAttribute('aria-selected', String(k === active)));
    input.setAttribute('aria-activedescendant', all[active].id);
  };

  input.addEventListener('input', () => {
    const prefix = input.value.trim().toLowerCase();
    if (!prefix || !current) return close();
    // The vocabulary is in frequency order (GloVe's), so the first matches are the common words.
    const matches = [];
    for (const word of current.words) {
      if (word.startsWith(prefix)) matches.push(word);
      if (matches.length === SUGGESTIONS) break;
    }
    if (matches.length === 0) return close();
    list.replaceChildren(...matches.map((word, i) => el('li', { id: `suggestion-${i}`, role: 'option', 'aria-selected': 'false', dataset: { word } }, word)));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    active = -1;
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      highlight(active + (e.key === 'ArrowDown' ? 1 : -1));
    } else if (e.key === 'Enter' && active >= 0) {
      input.value = options()[active].dataset.word;
    } else if (e.key === 'Escape') {
      close();
    }
  });
  list.addEventListener('mousedown', (e) => { // before the input loses focus
    const word = e.target.closest('[data-word]')?.dataset.word;
    if (!word) return;
    e.preventDefault();
    input.value = word;
    close();
    go({ kind: 'word', word });
  });
  input.addEventListener('blur', close);
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    close();
    const word = typed(input.value);
    if (word) go({ kind: 'word', word });
  });
  $('analogy-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const [a, b, c] = ['a', 'b', 'c'].map((k) => typed($(`analogy-${k}`).value));
    if (a && b && c) go({ kind: 'analogy', a, b, c });
  });
}

// A typed word as the vocabulary has it: "Paris" (a phone's capital) becomes "paris" when
// only that is there.
function typed(text) {
  const word = text.trim();
  const lower = word.toLowerCase();
  return current && current.vocab.indexOf(word) < 0 && current.vocab.indexOf(lower) >= 0 ? lower : word;
}

// ---------------------------------------------------------------- loading and switching vectors

function progress({ bytesRead, totalBytes, rows }, what) {
  const bar = $('load-progress');
  $('load').hidden = false;
  if (totalBytes) bar.value = bytesRead / totalBytes;
  else bar.removeAttribute('value');
  const size = totalBytes ? `${bytes(bytesRead)} of ${bytes(totalBytes)}` : bytes(bytesRead);
  $('load-text').textContent = `Loading ${what}: ${size}${rows === undefined ? '' : ` · ${count(rows)} rows`}`;
}

function describe(vectors) {
  const { table, vocab, name } = vectors;
  const { storage } = table;
  return `${name} · ${count(vocab.size)} ${vectors.named ? 'words' : 'rows (no words in the file: search by row number)'} × ${table.embeddingDim} · ${storage}, ${bytes(vectors.bytes)}`;
}

function use(vectors, { keepView = false } = {}) {
  if (current && current !== glove && current !== vectors) {
    indexes.get(current)?.dispose();
    current.table.dispose();
  }
  current = vectors;
  if (build && build.vectors !== vectors) abandon(build);
  const index = indexes.get(vectors);
  $('approximate').disabled = !index; // on by default once the index is in
  $('approximate').checked = Boolean(index);
  if (index) indexStatus('ready', `index: ${count(index.lists)} lists, ${bytes(index.byteLength)}`);
  $('vectors-info').textContent = describe(vectors);
  $('back-to-glove').hidden = vectors === glove || glove === null;
  $('explore').dataset.vectors = vectors === glove ? 'glove' : 'file';
  // Keep the view when the new vectors know its words; else look at their first word.
  const words = view.kind === 'word' ? [view.word] : [view.a, view.b, view.c];
  if (keepView || words.every((w) => vectors.vocab.indexOf(w) >= 0)) show(view);
  else go({ kind: 'word', word: vectors.vocab.wordAt(0) });
  if (!index && !build) buildIndex(vectors); // after the first result: the worker takes a core
}

async function openFile(file) {
  const errorBox = $('file-error');
  errorBox.hidden = true;
  try {
    const vectors = await loadFile(file, (p) => progress(p, file.name));
    files.set(vectors, file);
    use(vectors);
  } catch (err) {
    errorBox.textContent = `${file.name}: ${errorText(err)}`;
    errorBox.hidden = false;
  } finally {
    $('load').hidden = true;
  }
}

function setupFiles() {
  const picker = $('file');
  picker.addEventListener('change', () => {
    if (picker.files[0]) openFile(picker.files[0]);
    picker.value = '';
  });
  // The whole page takes a dropped file; the drop zone lights up while one is dragged over.
  let depth = 0;
  const zone = $('drop-zone');
  addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    depth++;
    zone.classList.add('dragging');
  });
  addEventListener('dragleave', () => {
    if (--depth <= 0) zone.classList.remove('dragging');
  });
  addEventListener('dragover', (e) => e.preventDefault());
  addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    const file = e.dataTransfer?.files[0];
    if (file) openFile(file);
  });
  $('back-to-glove').addEventListener('click', () => glove && use(glove));
  $('approximate').addEventListener('change', () => view && show(view, { refresh: true }));
}

/**
 * Wires the explorer and starts loading GloVe (at once: `ready`, the package's init(), is
 * awaited only to make the table). Resolves to the GloVe vectors once loaded (the training
 * section initialises its second run from them).
 * @returns {Promise<import('./vectors.js').Vectors>}
 */
export async function setupExplorer(ready) {
  initialised = ready;
  setupSearch();
  setupFiles();
  addEventListener('hashchange', () => {
    const next = parseHash(location.hash);
    if (next) show(next);
  });
  view = parseHash(location.hash) ?? DEFAULT_VIEW;
  $('word').value = view.kind === 'word' ? view.word : '';
  $('word').focus();
  try {
    glove = await loadGlove(ready, (p) => progress(p, GLOVE.name));
  } catch (err) {
    $('vectors-info').textContent = `${GLOVE.name} could not be loaded.`;
    const box = $('file-error');
    box.textContent = errorText(err);
    box.hidden = false;
    throw err;
  } finally {
    $('load').hidden = true;
  }
  if (!current) use(glove, { keepView: true }); // unless the visitor dropped a file meanwhile
  return glove;
}
