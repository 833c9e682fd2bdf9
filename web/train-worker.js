// One training run of the spam classifier (classifier.js), off the page's main thread.
// The page starts one worker per run and talks to it with these messages:
//   in:  load { lib, simd, corpus }   import the package (the URL the page's import map gives
//                                     it: import maps do not reach workers), fetch the corpus
//        reset { init, optimizer, lr, seed }   a fresh model; init = pretrained rows or null
//        train { epochs }   train (or resume) until that many epochs are done
//        pause
//        predict { id, text }   the spam probability of a message
//        neighbours { id, word, k }   the word's nearest words before training and now
//        export { id, metadata }   the trained model as safetensors bytes
//   out: loaded { simd, vocab, trainSize, testSize }, ready { start }, progress { … },
//        epoch { … }, paused, finished, reply { id, … }, error { message }
import { pack, SpamClassifier } from './classifier.js';
import { seededRandom, shuffle } from './random.js';
import { tokenize } from './tokenize.js';

const BATCH_SIZE = 32;
const RANDOM_DIM = 100; // the random run's width: GloVe's, for a fair comparison
const SLICE_MS = 40; // train this long, then let messages (pause, predict) in

let lib = null;
let corpus = null; // { vocab, row: Map, train: { emails, labels }, test: { batch, labels } }
let model = null;
let initial = null; // the word table as it was before training (frozen), for "before" neighbours
let run = null; // { epoch, order, position, random, stepTimes, rows, loss, seen }
let generation = 0; // bumped by reset and pause: a training loop of an older generation stops

async function load({ lib: url, simd, corpus: corpusUrl }) {
  lib = await import(url);
  const build = await lib.init({ simd });
  const response = await fetch(corpusUrl);
  if (!response.ok) throw new Error(`could not fetch ${corpusUrl}: HTTP ${response.status} (run npm start, which prepares the data)`);
  const data = await response.json();
  corpus = {
    vocab: data.vocab,
    row: new Map(data.vocab.map((word, i) => [word, i])),
    train: { emails: data.train.ids, labels: Uint8Array.from(data.train.spam) },
    test: { batch: pack(data.test.ids), labels: Uint8Array.from(data.test.spam) },
  };
  postMessage({ type: 'loaded', simd: build.simd, vocab: data.vocab, trainSize: data.train.ids.length, testSize: data.test.ids.length });
}

function reset({ init, optimizer, lr, seed }) {
  generation++;
  model?.dispose();
  initial?.dispose();
  model = initial = null; // stays so if the options are bad (the library's error is reported)
  const vocabSize = corpus.vocab.length;
  model = new SpamClassifier(lib, { vocabSize, dim: init ? init.length / vocabSize : RANDOM_DIM, init, seed, optimizer, lr });
  initial = lib.Embedding.fromPretrained(model.bag.weight, { embeddingDim: model.dim });
  run = { epoch: 0, order: null, position: 0, random: seededRandom(seed), stepTimes: [], rows: [], loss: 0, seen: 0 };
  postMessage({ type: 'ready', start: { epoch: 0, ...scores(model.evaluate(pack(corpus.train.emails), corpus.train.labels)) } });
}

// What an epoch reports: the training loss as given, the test accuracy now.
function scores(train) {
  return { trainLoss: train.loss, testAccuracy: model.evaluate(corpus.test.batch, corpus.test.labels).accuracy };
}

const median = (values) => {
  const sorted = Float64Array.from(values).sort();
  return sorted.length ? sorted[sorted.length >> 1] : NaN;
};

// Trains in slices of SLICE_MS, yielding between them, until `epochs` epochs are done or a
// pause or reset bumps the generation.
async function train({ epochs }) {
  const mine = ++generation;
  const { emails, labels } = corpus.train;
  const steps = Math.ceil(emails.length / BATCH_SIZE);
  while (mine === generation && run.epoch < epochs) {
    const sliceEnd = performance.now() + SLICE_MS;
    let last = null;
    while (performance.now() < sliceEnd && run.epoch < epochs) {
      if (run.order === null) run.order = shuffle(emails.map((_, i) => i), run.random);
      const members = run.order.slice(run.position, run.position + BATCH_SIZE);
      const batch = pack(members.map((i) => emails[i]));
      const batchLabels = Uint8Array.from(members, (i) => labels[i]);
      const t0 = performance.now();
      const { loss, rows } = model.step(batch, batchLabels);
      const ms = performance.now() - t0;
      run.stepTimes.push(ms);
      run.rows.push(rows);
      run.loss += loss * members.length;
      run.seen += members.length;
      run.position += BATCH_SIZE;
      last = { stepMs: ms, rows };
      if (run.position >= emails.length) finishEpoch();
    }
    if (last) {
      postMessage({ type: 'progress', epoch: run.epoch, step: Math.ceil(run.position / BATCH_SIZE), steps, vocabSize: corpus.vocab.length, ...last });
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (mine === generation) postMessage({ type: run.epoch >= epochs ? 'finished' : 'paused' });
}

function finishEpoch() {
  run.epoch++;
  const trainTime = run.stepTimes.reduce((a, b) => a + b, 0);
  postMessage({
    type: 'epoch',
    epoch: run.epoch,
    ...scores({ loss: run.loss / run.seen }),
    ms: trainTime,
    stepMs: median(run.stepTimes),
    rows: median(run.rows),
  });
  Object.assign(run, { order: null, position: 0, stepTimes: [], rows: [], loss: 0, seen: 0 });
}

function predict({ id, text }) {
  const words = tokenize(text);
  const ids = words.map((w) => corpus.row.get(w)).filter((i) => i !== undefined);
  postMessage({ type: 'reply', id, probability: model.probability(ids), known: ids.length, words: words.length });
}

function neighbours({ id, word, k }) {
  const row = corpus.row.get(word);
  if (row === undefined) return postMessage({ type: 'reply', id, missing: true });
  const named = ({ indices, scores }) => Array.from(indices, (i, n) => ({ word: corpus.vocab[i], score: scores[n] }));
  postMessage({ type: 'reply', id, before: named(initial.nearest(row, k)), after: named(model.bag.nearest(row, k)) });
}

function save({ id, metadata }) {
  const bytes = model.save(lib, { vocab: corpus.vocab.join('\n'), ...metadata });
  postMessage({ type: 'reply', id, bytes }, [bytes.buffer]);
}

const handlers = {
  load,
  reset,
  train,
  pause: () => { generation++; postMessage({ type: 'paused' }); },
  predict,
  neighbours,
  export: save,
};

// Messages are handled one at a time, in order (load is async); a training loop runs on its
// own and sees pause and reset through the generation counter.
let queue = Promise.resolve();
onmessage = ({ data }) => {
  queue = queue.then(async () => {
    try {
      const result = handlers[data.type](data);
      if (data.type !== 'train') await result;
      else result.catch(fail);
    } catch (err) {
      if (data.id === undefined) fail(err);
      else postMessage({ type: 'reply', id: data.id, error: describe(err) }); // a failed request leaves the run as it was
    }
  });
};

const describe = (err) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));
const fail = (err) => postMessage({ type: 'error', message: describe(err) });
