// The demo page's spam classifier (web/classifier.js) trained here in Node, as the page's
// workers train it (same data, split, batch size, seeds and default learning rates): test
// accuracy per epoch from random and from GloVe rows, for each optimizer, and the median
// epoch time. Needs the demo data (node scripts/demo-data.mjs) and a build (npm run build).
//
//   flock /tmp/bench.lock node bench/demo-training.mjs [epochs = 5]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lib from 'wasm-embedding';
import { demoData } from '../scripts/demo-data.mjs';
import { LEARNING_RATES, pack, SpamClassifier } from '../web/classifier.js';
import { seededRandom, shuffle } from '../web/random.js';

const EPOCHS = Number(process.argv[2] ?? 5);
const BATCH_SIZE = 32;
const SEED = 1;

await lib.init();
const dir = await demoData({ quiet: true });
const corpus = JSON.parse(readFileSync(join(dir, 'spam.json'), 'utf8'));
const bytes = new Uint8Array(readFileSync(join(dir, 'glove.6B.100d.safetensors')));
const glove = lib.Embedding.fromSafetensors(bytes, 'weight');
const gloveVocab = new lib.Vocab(lib.loadSafetensors(bytes).metadata.vocab.split('\n'));

// GloVe's rows for the corpus words (zeros for the words it lacks), as the page makes them.
const dim = glove.embeddingDim;
const init = new Float32Array(corpus.vocab.length * dim);
corpus.vocab.forEach((word, i) => {
  const row = gloveVocab.indexOf(word);
  if (row >= 0) init.set(glove.lookup(row), i * dim);
});

const test = pack(corpus.test.ids);
const testLabels = Uint8Array.from(corpus.test.spam);
console.log(`${corpus.train.ids.length} training and ${corpus.test.ids.length} test emails, ${corpus.vocab.length} words, batches of ${BATCH_SIZE}`);
console.log(`| optimizer (lr) | init | test accuracy, epochs 0…${EPOCHS} | median epoch |`);
console.log('|---|---|---|---:|');
for (const [optimizer, lr] of Object.entries(LEARNING_RATES)) {
  for (const [name, rows] of [['random', null], ['GloVe', init]]) {
    const model = new SpamClassifier(lib, { vocabSize: corpus.vocab.length, dim, init: rows, seed: SEED, optimizer, lr });
    const random = seededRandom(SEED);
    const accuracy = [model.evaluate(test, testLabels).accuracy];
    const times = [];
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      const order = shuffle(corpus.train.ids.map((_, i) => i), random);
      let ms = 0;
      for (let at = 0; at < order.length; at += BATCH_SIZE) {
        const members = order.slice(at, at + BATCH_SIZE);
        const batch = pack(members.map((i) => corpus.train.ids[i]));
        const labels = Uint8Array.from(members, (i) => corpus.train.spam[i]);
        const t0 = performance.now();
        model.step(batch, labels);
        ms += performance.now() - t0;
      }
      times.push(ms);
      accuracy.push(model.evaluate(test, testLabels).accuracy);
    }
    model.dispose();
    times.sort((a, b) => a - b);
    console.log(`| ${optimizer} (${lr}) | ${name} | ${accuracy.map((a) => (100 * a).toFixed(1)).join(' → ')} % | ${times[times.length >> 1].toFixed(0)} ms |`);
  }
}
