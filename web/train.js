// The "train in your browser" section: two runs of the spam classifier side by side, each in
// its own Web Worker (train-worker.js), one from random rows and one from GloVe's; live
// charts, start / pause / reset, and a message box scored by both models.
import { drawChart } from './chart.js';
import { LEARNING_RATES } from './classifier.js';
import { $, count, el, errorText, ms, percent } from './dom.js';

const CORPUS_URL = new URL('../data/spam.json', import.meta.url).href; // relative: any sub-path works
const SEED = 1; // the random run's table and both runs' batch order
const ACCURACY_TICKS = [0.5, 0.6, 0.7, 0.8, 0.9, 1];
const epochCount = (n) => `${n} epoch${n === 1 ? '' : 's'}`;

// The two runs' cards, from the page's template.
const RUNS = {
  random: { title: 'Random init', note: 'Rows drawn from N(0, 1), as torch.nn.EmbeddingBag does.' },
  glove: { title: 'GloVe init', note: 'Rows of the pretrained GloVe vectors: the classic fine-tuning comparison.' },
};

function runCard(key) {
  const card = $('run-template').content.firstElementChild.cloneNode(true);
  const { title, note } = RUNS[key];
  card.dataset.run = key;
  card.setAttribute('aria-label', title);
  card.querySelector('.swatch').classList.add(key);
  card.querySelector('.run-title').textContent = title;
  card.querySelector('.run-note').textContent = note;
  card.querySelector('.run-progress').setAttribute('aria-label', `${title}: training progress`);
  document.querySelector('#train .runs').append(card);
  return card;
}

class Run {
  /**
   * @param {string} key 'random' | 'glove'
   * @param {{ lib: string, simd: boolean, initRows: ((vocab: string[]) => Promise<{ rows: Float32Array, found: number }>) | null,
   *           after: Promise<unknown>, settings: () => object, onChange: () => void }} options
   *   initRows: gives the pretrained rows for the corpus vocabulary (null: random init);
   *   after: the worker starts once it resolves
   */
  constructor(key, { lib, simd, initRows, after, settings, onChange }) {
    this.key = key;
    this.card = runCard(key);
    this.settings = settings;
    this.onChange = onChange;
    this.state = 'loading';
    this.started = false; // trained or paused since the last reset
    this.at = null; // where the last progress message was: { epoch, step, steps }
    this.history = []; // per epoch: { epoch, trainLoss, testAccuracy, ms, stepMs, rows }
    this.init = null; // the pretrained rows, once known
    this.replies = new Map();
    this.lastRequest = 0;
    this.initRows = initRows;
    this.#show('Waiting for the explorer…');
    after.then(() => {
      this.worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
      this.worker.onmessage = ({ data }) => this.#receive(data);
      this.worker.onerror = (e) => this.#fail(e.message || 'the training worker failed to start');
      this.worker.postMessage({ type: 'load', lib, simd, corpus: new URL(CORPUS_URL, location.href).href });
      this.#show('Loading the corpus…');
    });
  }

  async #receive(message) {
    switch (message.type) {
      case 'loaded':
        this.vocab = message.vocab;
        this.card.dataset.simd = String(message.simd); // the worker's build, as the page's
        this.sizes = { train: message.trainSize, test: message.testSize };
        if (this.initRows) {
          this.state = 'waiting';
          this.#show('Waiting for the GloVe vectors…');
          this.onChange();
          try {
            const { rows, found } = await this.initRows(this.vocab);
            this.init = rows;
            this.card.querySelector('.run-note').textContent =
              `Rows of GloVe 6B 100-d: ${count(found)} of the ${count(this.vocab.length)} words have one, the rest start at 0.`;
          } catch (err) {
            this.#fail(`GloVe vectors: ${errorText(err)}`);
            return;
          }
        }
        this.state = 'loaded';
        this.reset();
        break;
      case 'ready':
        this.state = 'ready';
        this.history = [message.start];
        this.#show(`Ready: ${count(this.sizes.train)} training emails, ${count(this.sizes.test)} test emails.`);
        this.#stats();
        if (this.startWhenReady) this.start(); // Start was pressed while it started over
        break;
      case 'progress':
        this.#progress(message);
        return; // the charts change per epoch only
      case 'epoch':
        this.history.push(message);
        this.#stats();
        break;
      case 'paused':
        if (this.state === 'training') this.state = 'paused';
        this.#show(this.at ? `Paused in epoch ${this.at.epoch + 1}, after step ${this.at.step} of ${this.at.steps}.` : 'Paused.');
        break;
      case 'finished':
        this.state = 'finished';
        this.#show(`Done: ${this.#epochs()}.`);
        break;
      case 'reply': {
        const { resolve, reject } = this.replies.get(message.id);
        this.replies.delete(message.id);
        if (message.error) reject(new Error(message.error));
        else resolve(message);
        return;
      }
      case 'error':
        this.#fail(message.message);
        return;
    }
    this.onChange();
  }

  #epochs() {
    return epochCount(this.history.length - 1);
  }

  #fail(message) {
    this.state = 'failed';
    const alert = this.card.querySelector('.run-error');
    alert.textContent = message;
    alert.hidden = false;
    this.#show('Stopped by an error.');
    this.onChange();
  }

  #show(status) {
    this.card.querySelector('.run-status').textContent = status;
  }

  #progress({ epoch, step, steps, stepMs, rows, vocabSize }) {
    this.at = { epoch, step, steps };
    this.card.querySelector('.run-progress').value = (epoch + step / steps) / this.settings().epochs;
    this.#show(`Epoch ${epoch + 1}, step ${step} of ${steps}`);
    this.card.querySelector('.last-step').textContent =
      `Last step: ${ms(stepMs)}, moved ${count(rows)} of ${count(vocabSize)} rows (${percent(rows / vocabSize)})`;
  }

  #stats() {
    const last = this.history.at(-1);
    const set = (name, text) => { this.card.querySelector(`[data-stat="${name}"]`).textContent = text; };
    set('accuracy', percent(last.testAccuracy));
    set('loss', last.trainLoss.toFixed(3));
    set('epoch-time', last.ms === undefined ? '–' : ms(last.ms));
    set('step-time', last.stepMs === undefined ? '–' : ms(last.stepMs));
    set('rows', last.rows === undefined ? '–' : `${count(last.rows)} of ${count(this.vocab.length)}`);
    this.card.dataset.epochs = String(this.history.length - 1);
    this.card.querySelector('.run-progress').value = (this.history.length - 1) / this.settings().epochs;
  }

  reset() {
    const { optimizer, lr } = this.settings();
    // Not before the corpus and the pretrained rows are in (loading ends with a reset of its own).
    if (!this.vocab || this.state === 'waiting' || (this.initRows && !this.init)) return;
    this.card.querySelector('.run-error').hidden = true;
    this.card.querySelector('.last-step').textContent = '';
    this.state = 'resetting';
    this.started = false;
    this.at = null;
    this.#show('Starting over…');
    this.worker.postMessage({ type: 'reset', init: this.init, optimizer, lr, seed: SEED });
  }

  start() {
    this.startWhenReady = this.state === 'resetting';
    if (!['ready', 'paused', 'finished'].includes(this.state)) return;
    if (this.history.length - 1 >= this.settings().epochs) return;
    this.state = 'training';
    this.started = true;
    this.#show(`Epoch ${this.history.length}…`);
    this.worker.postMessage({ type: 'train', epochs: this.settings().epochs });
  }

  pause() {
    if (this.state === 'training') this.worker.postMessage({ type: 'pause' });
  }

  get trained() {
    return this.history.length > 1;
  }

  get live() {
    return ['ready', 'training', 'paused', 'finished'].includes(this.state);
  }

  /** Asks the worker something (predict, neighbours, export): its reply, or null while there is no model; rejects with the worker's error. */
  request(type, payload) {
    if (!this.live) return Promise.resolve(null);
    const id = ++this.lastRequest;
    return new Promise((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      this.worker.postMessage({ type, id, ...payload });
    });
  }
}

/**
 * Wires the training section.
 * @param {{ lib: string, simd: boolean, gloveRows: (vocab: string[]) => Promise<{ rows: Float32Array, found: number }>, after: Promise<unknown> }} options
 */
export function setupTraining({ lib, simd, gloveRows, after }) {
  const form = $('train-form');
  const settings = () => ({ optimizer: form.optimizer.value, lr: Number(form.lr.value), epochs: Number(form.epochs.value) });
  const runs = [];
  const onChange = () => {
    render(runs, settings());
    scoreMessage(runs);
    compareWord(runs[1]);
  };
  runs.push(new Run('random', { lib, simd, initRows: null, after, settings, onChange }));
  runs.push(new Run('glove', { lib, simd, initRows: gloveRows, after, settings, onChange }));

  form.optimizer.addEventListener('change', () => {
    form.lr.value = String(LEARNING_RATES[form.optimizer.value]);
    for (const run of runs) run.reset();
  });
  form.lr.addEventListener('change', () => runs.forEach((run) => run.reset()));
  form.epochs.addEventListener('change', () => render(runs, settings()));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    runs.forEach((run) => run.start());
    onChange();
  });
  $('train-pause').addEventListener('click', () => runs.forEach((run) => run.pause()));
  $('train-reset').addEventListener('click', () => runs.forEach((run) => run.reset()));
  for (const run of runs) {
    run.card.querySelector('.export').addEventListener('click', () => download(run, settings()));
  }

  let pending = 0;
  $('message').addEventListener('input', () => {
    clearTimeout(pending);
    pending = setTimeout(() => scoreMessage(runs), 120);
  });
  for (const button of document.querySelectorAll('[data-example]')) {
    button.addEventListener('click', () => {
      $('message').value = button.dataset.example;
      scoreMessage(runs);
    });
  }
  $('moved-form').addEventListener('submit', (e) => {
    e.preventDefault();
    compareWord(runs[1]);
  });
  render(runs, settings());
}

// Saves a run's trained model (word table, linear layer, vocabulary) as a safetensors download.
async function download(run, { optimizer, lr }) {
  const epochs = run.history.length - 1;
  const alert = run.card.querySelector('.run-error');
  let reply;
  try {
    reply = await run.request('export', {
      metadata: { model: "EmbeddingBag(mode='mean') -> Linear(dim, 1) -> sigmoid", init: run.key, optimizer, lr: String(lr), epochs: String(epochs) },
    });
  } catch (err) {
    alert.textContent = `Export: ${errorText(err)}`;
    alert.hidden = false;
    return;
  }
  if (!reply) return;
  const url = URL.createObjectURL(new Blob([reply.bytes], { type: 'application/octet-stream' }));
  const link = el('a', { href: url, download: `spam-filter-${run.key}-init-${epochs}-epochs.safetensors` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function render(runs, { epochs }) {
  const training = runs.some((r) => r.state === 'training');
  const startable = runs.some((r) => ['ready', 'paused', 'finished'].includes(r.state) && r.history.length - 1 < epochs);
  $('train-start').disabled = training || !startable;
  $('train-start').textContent = runs.some((r) => r.started) && !training ? 'Continue' : 'Start';
  $('train-pause').disabled = !training;
  $('train-reset').disabled = training || runs.every((r) => r.history.length <= 1);
  for (const run of runs) run.card.querySelector('.export').disabled = !run.trained || run.state === 'training';
  document.getElementById('train').dataset.state = training ? 'training' : runs.map((r) => r.state).join(' ');

  const xMax = Math.max(epochs, ...runs.map((r) => r.history.length - 1));
  const series = (pick) => runs.map((r) => ({ name: r.key, className: r.key, points: r.history.map((h) => [h.epoch, pick(h)]) }));
  const losses = runs.flatMap((r) => r.history.map((h) => h.trainLoss));
  const lossMax = Math.max(0.8, ...losses.filter(Number.isFinite));
  drawChart($('loss-chart'), {
    series: series((h) => h.trainLoss),
    xMax,
    yMin: 0,
    yMax: lossMax,
    yTicks: [0, lossMax / 4, lossMax / 2, (3 * lossMax) / 4, lossMax],
    yFormat: (y) => y.toFixed(2),
  });
  drawChart($('accuracy-chart'), {
    series: series((h) => h.testAccuracy),
    xMax,
    yMin: 0.5,
    yMax: 1,
    yTicks: ACCURACY_TICKS,
    yFormat: (y) => `${Math.round(y * 100)}%`,
  });
}

const spamPercent = (p) => (p > 0.999 ? '> 99.9%' : p < 0.001 ? '< 0.1%' : percent(p));

// Scores the message box with both models.
async function scoreMessage(runs) {
  const text = $('message').value;
  const results = await Promise.all(runs.map((run) => (run.trained ? run.request('predict', { text }).catch((err) => ({ error: err })) : null)));
  runs.forEach((run, i) => {
    const out = document.querySelector(`.verdict[data-run="${run.key}"]`);
    const result = results[i];
    const meter = out.querySelector('meter');
    const label = out.querySelector('.verdict-text');
    if (!result) {
      meter.value = 0;
      label.textContent = 'train it first';
      delete out.dataset.probability;
      return;
    }
    if (result.error) {
      meter.value = 0;
      label.textContent = errorText(result.error);
      return;
    }
    meter.value = result.probability;
    out.dataset.probability = String(result.probability);
    label.textContent = result.known === 0
      ? 'no known words'
      : `${spamPercent(result.probability)} spam`;
  });
}

// The word's nearest words in the run's table before training and now.
async function compareWord(run) {
  const word = $('moved-word').value.trim().toLowerCase();
  if (!word) return;
  const lists = { before: $('moved-before'), after: $('moved-after') };
  let reply;
  try {
    reply = await run.request('neighbours', { word, k: 8 });
  } catch (err) {
    reply = { error: errorText(err) };
  }
  $('moved-epochs').textContent = epochCount(Math.max(0, run.history.length - 1));
  if (!reply?.before) {
    for (const list of Object.values(lists)) list.replaceChildren();
    $('moved-note').textContent = reply?.error ?? (reply?.missing ? `“${word}” is not among the ${count(run.vocab.length)} words of the corpus.` : '');
    return;
  }
  $('moved-note').textContent = '';
  const before = new Set(reply.before.map((n) => n.word));
  for (const side of ['before', 'after']) {
    lists[side].replaceChildren(...reply[side].map(({ word: w, score }) =>
      el('li', { className: side === 'after' && !before.has(w) ? 'new' : '', dataset: { word: w } },
        el('span', { className: 'word' }, w),
        el('span', { className: 'bar', style: `--score: ${Math.max(0, score)}` }),
        el('span', { className: 'score' }, score.toFixed(2)))));
  }
}
