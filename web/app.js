// The wasm-embedding demo. It uses the package exactly as an npm user would: by name
// (resolved by the import map in index.html) and only through the public API.
import { init, Embedding, SGD } from 'wasm-embedding';

const SHOWN_VALUES = 6; // values shown per row; the norm is over the whole row

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const forceScalar = params.get('simd') === '0';

let table = null;    // the Embedding used for lookups
let tableKey = '';   // the settings it was made with

// ---------------------------------------------------------------- errors

function showError(err) {
  const el = $('error');
  el.textContent = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  el.hidden = false;
}

function clearError() {
  const el = $('error');
  el.textContent = '';
  el.hidden = true;
}

// Runs an action; a throw is shown in the page with the library's own message.
function guarded(fn) {
  try {
    fn();
    clearError();
    return true;
  } catch (err) {
    showError(err);
    return false;
  }
}

// ---------------------------------------------------------------- input parsing

// '' -> NaN for required numbers, so the library reports them itself.
const requiredNumber = (id) => ($(id).value.trim() === '' ? NaN : Number($(id).value));
const optionalNumber = (id) => ($(id).value.trim() === '' ? undefined : Number($(id).value));

// "1, 2, 3" (commas and/or spaces) -> [1, 2, 3]. Anything that is not an integer is
// passed on as a number (NaN, 1.5) so that the library's validation reports it.
function parseIndices(text) {
  return text.split(/[\s,;]+/).filter(Boolean).map(Number);
}

// "1:2, 3:4" -> [[1, 2], [3, 4]]
function parsePairs(text) {
  const pairs = [];
  for (const token of text.split(/[,;]+/).map((s) => s.trim()).filter(Boolean)) {
    const parts = token.split(':').map((s) => s.trim());
    if (parts.length !== 2 || parts.some((p) => p === '')) {
      throw new SyntaxError(`pairs: expected "a:b", got "${token}"`);
    }
    pairs.push(parts.map(Number));
  }
  if (pairs.length === 0) throw new SyntaxError('pairs: give at least one pair, like "1:2"');
  return pairs;
}

function tableSettings() {
  const paddingIdx = optionalNumber('padding-idx');
  return {
    numEmbeddings: requiredNumber('num-embeddings'),
    embeddingDim: requiredNumber('embedding-dim'),
    seed: optionalNumber('seed'),
    paddingIdx: paddingIdx === undefined ? null : paddingIdx,
  };
}

// The table for the current settings: reused while they stay the same.
function currentTable() {
  const s = tableSettings();
  const key = JSON.stringify(s);
  if (table && key === tableKey) return table;
  const next = new Embedding(s.numEmbeddings, s.embeddingDim, { seed: s.seed, paddingIdx: s.paddingIdx });
  table?.dispose();
  table = next;
  tableKey = key;
  const kib = (table.numEmbeddings * table.embeddingDim * 4) / 1024;
  $('table-info').textContent =
    `Table: ${table.numEmbeddings} × ${table.embeddingDim} float32 (${kib.toFixed(1)} KiB), ` +
    `seed ${s.seed ?? 'random'}, padding row ${table.paddingIdx ?? 'none'}.`;
  return table;
}

// ---------------------------------------------------------------- lookup

const fmt = (x) => x.toFixed(4);

function rowNorm(values, start, dim) {
  let sum = 0;
  for (let j = 0; j < dim; j++) sum += values[start + j] * values[start + j];
  return Math.sqrt(sum);
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function renderRows(emb, indices, out, elapsedMs) {
  const dim = emb.embeddingDim;
  const shown = Math.min(dim, SHOWN_VALUES);
  const body = el('tbody');
  indices.forEach((index, pos) => {
    const start = pos * dim;
    const values = el('td', { className: 'values' });
    for (let j = 0; j < shown; j++) {
      values.append(el('span', { className: 'v', title: String(out[start + j]) }, fmt(out[start + j])));
    }
    if (dim > shown) values.append(el('span', { className: 'more' }, `… +${dim - shown}`));
    const indexCell = el('td', { className: 'idx' }, String(index));
    const isPadding = emb.paddingIdx !== null && index === emb.paddingIdx;
    if (isPadding) indexCell.append(el('span', { className: 'tag' }, 'padding'));
    body.append(
      el('tr', { className: isPadding ? 'padding' : '', dataset: { index: String(index), position: String(pos) } },
        el('td', { className: 'pos' }, String(pos)),
        indexCell,
        el('td', { className: 'norm' }, fmt(rowNorm(out, start, dim))),
        values),
    );
  });
  const head = el('thead', {}, el('tr', {},
    el('th', {}, '#'), el('th', {}, 'index'), el('th', {}, '‖row‖₂'),
    el('th', { className: 'values' }, dim > shown ? `first ${shown} of ${dim} values` : `${dim} values`)));
  const output = $('lookup-output');
  output.replaceChildren(
    el('table', { className: 'rows' }, head, body),
    el('p', { className: 'muted' },
      `forward(${indices.length} ${indices.length === 1 ? 'index' : 'indices'}) → Float32Array(${out.length}) ` +
      `in ${elapsedMs.toFixed(3)} ms`),
  );
  output.dataset.indices = JSON.stringify(indices);
  output.dataset.dim = String(dim);
}

function runLookup() {
  return guarded(() => {
    const emb = currentTable();
    const indices = parseIndices($('indices').value);
    const t0 = performance.now();
    const out = emb.forward(indices);
    const elapsed = performance.now() - t0;
    renderRows(emb, indices, out, elapsed);
  });
}

// ---------------------------------------------------------------- training

function train() {
  const pairs = parsePairs($('pairs').value);
  const lr = requiredNumber('lr');
  const steps = requiredNumber('steps');
  if (!Number.isInteger(steps) || steps < 1 || steps > 10000) {
    throw new RangeError(`steps: expected an integer in [1, 10000], got ${$('steps').value}`);
  }
  const source = currentTable();
  const indices = pairs.flat();
  const dim = source.embeddingDim;

  // A copy of the lookup table, so every run starts from the same weights.
  const model = new Embedding(source.numEmbeddings, dim, { paddingIdx: source.paddingIdx });
  let opt = null;
  try {
    model.setWeight(source.weight);
    opt = new SGD([model], { lr });
    const losses = [];
    const grad = new Float32Array(indices.length * dim);
    const lossOf = (out) => {
      let loss = 0;
      for (let p = 0; p < pairs.length; p++) {
        const a = 2 * p * dim, b = a + dim;
        for (let j = 0; j < dim; j++) {
          const d = out[a + j] - out[b + j];
          loss += d * d;
        }
      }
      return loss;
    };
    const t0 = performance.now();
    for (let step = 0; step < steps; step++) {
      const out = model.forward(indices);
      losses.push(lossOf(out));
      // d(loss)/d(e_a) = 2(e_a - e_b), d(loss)/d(e_b) = 2(e_b - e_a)
      for (let p = 0; p < pairs.length; p++) {
        const a = 2 * p * dim, b = a + dim;
        for (let j = 0; j < dim; j++) {
          const d = out[a + j] - out[b + j];
          grad[a + j] = 2 * d;
          grad[b + j] = -2 * d;
        }
      }
      model.backward(indices, grad);
      opt.step();
      opt.zeroGrad();
    }
    losses.push(lossOf(model.forward(indices))); // after the last step
    const elapsed = performance.now() - t0;
    return { losses, elapsed, lr, steps, pairs };
  } finally {
    opt?.dispose?.();
    model.dispose();
  }
}

function renderTraining({ losses, elapsed, lr, steps, pairs }) {
  const list = $('train-loss');
  list.replaceChildren(...losses.map((loss, step) =>
    el('li', { dataset: { step: String(step), loss: String(loss) } },
      el('span', { className: 'step' }, step === 0 ? 'start' : `step ${step}`), loss.toPrecision(6))));
  const first = losses[0], last = losses[losses.length - 1];
  $('train-summary').textContent =
    `loss ${first.toPrecision(5)} → ${last.toPrecision(5)} after ${steps} SGD steps ` +
    `(lr ${lr}, ${pairs.length} pair${pairs.length === 1 ? '' : 's'}) in ${elapsed.toFixed(2)} ms`;
  drawChart($('loss-chart'), losses);
  list.dataset.runs = String(Number(list.dataset.runs ?? 0) + 1);
}

function drawChart(canvas, losses) {
  const ratio = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || canvas.width;
  const cssH = canvas.clientHeight || canvas.height;
  canvas.width = Math.round(cssW * ratio);
  canvas.height = Math.round(cssH * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);

  const pad = { left: 56, right: 14, top: 14, bottom: 30 };
  const w = cssW - pad.left - pad.right, h = cssH - pad.top - pad.bottom;
  const max = Math.max(...losses) || 1;
  const n = losses.length - 1 || 1;
  const x = (i) => pad.left + (i / n) * w;
  const y = (v) => pad.top + h - (v / max) * h;
  const style = getComputedStyle(document.documentElement);
  const line = style.getPropertyValue('--line').trim() || '#ddd';
  const muted = style.getPropertyValue('--muted').trim() || '#666';
  const accent = style.getPropertyValue('--accent').trim() || '#2f6fdb';

  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = line;
  ctx.fillStyle = muted;
  ctx.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.left, Math.round(y(v)) + 0.5);
    ctx.lineTo(pad.left + w, Math.round(y(v)) + 0.5);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(v.toPrecision(3), pad.left - 6, y(v));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const tick = Math.max(1, Math.ceil(n / 8));
  for (let i = 0; i <= n; i += tick) ctx.fillText(String(i), x(i), pad.top + h + 6);
  ctx.fillText('step', pad.left + w / 2, pad.top + h + 17);

  ctx.strokeStyle = accent;
  ctx.fillStyle = accent;
  ctx.lineWidth = 2;
  ctx.beginPath();
  losses.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))));
  ctx.stroke();
  losses.forEach((v, i) => {
    ctx.beginPath();
    ctx.arc(x(i), y(v), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  });
}

// ---------------------------------------------------------------- start

async function main() {
  try {
    const t0 = performance.now();
    const info = await init(forceScalar ? { simd: false } : undefined);
    const ms = performance.now() - t0;
    const simd = $('simd');
    simd.textContent = info.simd ? 'SIMD128: on' : 'SIMD128: off (scalar build)';
    simd.classList.add(info.simd ? 'on' : 'off');
    simd.dataset.simd = String(info.simd);
    $('version').textContent = info.version;
    $('init-time').textContent = `${ms.toFixed(1)} ms`;

    $('lookup-form').addEventListener('submit', (e) => {
      e.preventDefault();
      runLookup();
    });
    $('train-form').addEventListener('submit', (e) => {
      e.preventDefault();
      guarded(() => renderTraining(train()));
    });
    runLookup();
  } catch (err) {
    $('simd').textContent = 'failed';
    showError(err);
  } finally {
    document.body.dataset.ready = 'true';
  }
}

main();
