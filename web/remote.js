// The remote-table panel: a word's vector looked up with Embedding.open from the same
// safetensors file the explorer is still downloading, by HTTP range requests (the header with
// the vocabulary, then the word's row), with the requests and bytes that took.
import { init, Embedding } from 'wasm-embedding';
import { GLOVE } from './vectors.js';

const panel = document.getElementById('remote');
function make(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const kb = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} KB`);

async function setup() {
  const head = make('div', undefined, 'card-head');
  head.append(make('h2', 'A row from the server, before the table arrives'));
  const lede = make('p', undefined, 'lede');
  lede.append('Embedding.open reads the safetensors header and then only the rows asked for, by HTTP range requests: ');
  lede.append(make('code', 'await (await Embedding.open(url)).forward([row])'));
  head.append(lede);
  const form = make('form');
  form.id = 'remote-form';
  form.className = 'search';
  form.autocomplete = 'off';
  const input = make('input');
  input.id = 'remote-word';
  input.value = new URLSearchParams(location.hash.slice(1)).get('word') ?? 'king';
  input.setAttribute('aria-label', 'Word to look up remotely');
  const button = make('button', 'Look up remotely');
  button.type = 'submit';
  form.append(input, button);
  const result = make('p', '…', 'muted');
  result.id = 'remote-result';
  result.setAttribute('aria-live', 'polite');
  panel.append(head, form, result);
  panel.hidden = false;

  await init();
  const t0 = performance.now();
  const table = await Embedding.open(GLOVE.url);
  const words = (table.metadata?.vocab ?? '').split('\n');
  const lookup = async (word) => {
    const row = words.indexOf(word);
    if (row < 0) {
      result.textContent = `"${word}" is not among the ${words.length.toLocaleString('en')} words`;
      return;
    }
    const before = { ...table.stats };
    const t = performance.now();
    const vector = await table.forward([row]);
    const { requests, bytesFetched } = table.stats;
    const explorer = document.getElementById('load-progress');
    const arrived = explorer && !explorer.closest('[hidden]') && explorer.max ? ` The explorer's download was at ${Math.round((100 * explorer.value) / explorer.max)}%.` : '';
    result.textContent = `"${word}" (row ${row}): [${Array.from(vector.subarray(0, 5), (v) => v.toFixed(3)).join(', ')}, …] in ${(performance.now() - t).toFixed(0)} ms; `
      + `${requests - before.requests} request${requests - before.requests === 1 ? '' : 's'}, ${kb(bytesFetched - before.bytesFetched)} for the row. `
      + `So far ${requests} requests and ${kb(bytesFetched)} (the header with its vocabulary included), ${(performance.now() - t0).toFixed(0)} ms since opening.${arrived}`;
    result.dataset.row = String(row);
    result.dataset.values = Array.from(new Uint32Array(vector.buffer)).join(',');
    result.dataset.ready = 'true';
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    lookup(input.value.trim()).catch((err) => { result.textContent = `${err.name}: ${err.message}`; });
  });
  await lookup(input.value.trim());
}

if (panel) {
  setup().catch((err) => {
    const result = document.getElementById('remote-result');
    if (result) result.textContent = `${err.name}: ${err.message}`;
  });
}
