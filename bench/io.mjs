// npm run bench:io, the parse and memory part: GloVe 6B 100-d as GloVe text (296 MB, from
// scripts/glove-data.mjs) read by us, by a straightforward plain-JS parser and by gensim's
// load_word2vec_format(no_header=True), each run in a fresh process (gensim in Python), the
// contenders interleaved with the order rotating; the tables show medians. Time is the whole
// load, from opening the file to a table and a vocabulary, as wall time and as the process's
// CPU time (user + system, all threads: steadier than wall time on a shared machine); memory is
// the peak RSS growth (VmHWM) over the process's RSS just before, against the table's bytes.
//   node bench/io.mjs [--quick] [--rounds 3]        (the driver)
//   node bench/io.mjs --child ours --file F          (one measurement, reported to the driver)
import { fork, execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, report, rss, RESULTS } from './lib/common.mjs';
import { gloveText, WORDS, DIM } from '../scripts/glove-data.mjs';

const TABLE_BYTES = WORDS * DIM * 4;
const GOALS = { plainJs: 10, gensim: 8, memory: 1.5 }; // issue #8: x faster; RSS growth / table bytes

const CONTENDERS = {
  ours: 'ours: loadWordVectors(fs.createReadStream(file)), SIMD build',
  oursScalar: 'ours, scalar build',
  oursBytes: 'ours: parseWordVectors(fs.readFileSync(file)) (the file in memory)',
  plainJs: 'plain JS: readFileSync, TextDecoder, split, parseFloat',
  gensim: 'gensim 4.2: KeyedVectors.load_word2vec_format(no_header=True)',
};

const cpuSeconds = (since) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
};

// What each contender loaded, to check they agree: rows, width, the bits of row 0 and of "king".
function summary(rows, dim, table, kingRow) {
  const bits = (r) => Array.from(new Uint32Array(table.buffer, table.byteOffset + r * dim * 4, 4));
  return { rows, dim, first: bits(0), king: bits(kingRow) };
}

async function ours(file, how) {
  const { init, loadWordVectors, parseWordVectors, memoryUsage } = await import('wasm-embedding');
  await init({ simd: how !== 'oursScalar' });
  const base = rss();
  const [t0, c0] = [performance.now(), process.cpuUsage()];
  const { vocab, embedding } = how === 'oursBytes'
    ? parseWordVectors(readFileSync(file))
    : await loadWordVectors(createReadStream(file));
  const [seconds, cpu] = [(performance.now() - t0) / 1000, cpuSeconds(c0)];
  const end = rss();
  const result = summary(vocab.size, embedding.embeddingDim, embedding.weight, vocab.indexOf('king'));
  return { seconds, cpu, growth: end.peak - base.rss, ...result, wasmMemoryBytes: memoryUsage().wasmMemoryBytes };
}

// What a user writes without a library.
function plainJs(file) {
  const base = rss();
  const [t0, c0] = [performance.now(), process.cpuUsage()];
  const text = new TextDecoder().decode(readFileSync(file));
  const vocab = new Map();
  const vectors = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = line.split(' ');
    vocab.set(parts[0], vectors.length);
    vectors.push(parts.slice(1).map(parseFloat));
  }
  const dim = vectors[0].length;
  const table = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => table.set(v, i * dim));
  const [seconds, cpu] = [(performance.now() - t0) / 1000, cpuSeconds(c0)];
  const end = rss();
  return { seconds, cpu, growth: end.peak - base.rss, ...summary(vectors.length, dim, table, vocab.get('king')) };
}

const GENSIM = `
import json, resource, sys, time
from gensim.models import KeyedVectors
def rss():
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith('VmRSS:'))
base = rss()
t0, c0 = time.perf_counter(), time.process_time()
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=False, no_header=True)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
bits = lambda r: kv.vectors[r].view('uint32')[:4].tolist()
print(json.dumps({'seconds': seconds, 'cpu': cpu, 'growth': peak - base, 'rows': len(kv), 'dim': kv.vector_size,
                  'first': bits(0), 'king': bits(kv.key_to_index['king'])}))
`;

function gensim(file) {
  const out = execFileSync('/usr/bin/python3', ['-c', GENSIM, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

// One measurement in a fresh process (gensim: a fresh Python process).
function measure(contender, file) {
  if (contender === 'gensim') return Promise.resolve(gensim(file));
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', contender, '--file', file], { stdio: 'inherit' });
    child.on('message', resolve);
    child.on('exit', (code) => code !== 0 && reject(new Error(`${contender}: exit ${code}`)));
  });
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

async function driver({ quick, rounds }) {
  const file = await gloveText();
  const reps = quick ? 1 : Number(rounds);
  const keys = Object.keys(CONTENDERS);
  const samples = Object.fromEntries(keys.map((k) => [k, []]));
  for (let r = 0; r < reps; ++r) {
    for (let k = 0; k < keys.length; ++k) {
      const key = keys[(k + r) % keys.length];
      const result = await measure(key, file);
      samples[key].push(result);
      process.stderr.write(`round ${r + 1}/${reps}: ${key} ${result.seconds.toFixed(2)} s (CPU ${result.cpu.toFixed(2)} s), RSS +${mb(result.growth)}\n`);
    }
  }
  // Everyone read the same file the same way: rows, width and values agree.
  const want = samples.ours[0];
  for (const key of keys) {
    for (const field of ['rows', 'dim', 'first', 'king']) {
      if (JSON.stringify(samples[key][0][field]) !== JSON.stringify(want[field])) {
        throw new Error(`${key} read ${field} ${JSON.stringify(samples[key][0][field])}, ours ${JSON.stringify(want[field])}`);
      }
    }
  }
  const time = (key) => median(samples[key].map((s) => s.seconds));
  const cpu = (key) => median(samples[key].map((s) => s.cpu));
  const growth = (key) => median(samples[key].map((s) => s.growth));
  const faster = (key, of) => (key === 'ours' ? '—' : `${(of(key) / of('ours')).toFixed(1)}x`);
  const lines = [
    `### Parsing GloVe 6B 100-d text: ${mb(readFileSync(file).length)}, ${WORDS.toLocaleString('en')} words x ${DIM} (table ${mb(TABLE_BYTES)})`,
    '',
    `Medians of ${reps} run${reps > 1 ? 's' : ''}, each in a fresh process, interleaved. "ours is x faster": the contender's time over ours (loadWordVectors from a file stream), in wall time and in CPU time.`,
    '',
    '| contender | wall time | ours is | CPU time | ours is | peak RSS growth | growth / table |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...keys.map((key) => `| ${CONTENDERS[key]} | ${time(key).toFixed(2)} s | ${faster(key, time)} | ${cpu(key).toFixed(2)} s | ${faster(key, cpu)} | ${mb(growth(key))} | ${(growth(key) / TABLE_BYTES).toFixed(2)}x |`),
    '',
    `Goals (issue #8): ${faster('plainJs', time)} plain JS (goal >= ${GOALS.plainJs}x; CPU ${faster('plainJs', cpu)}), `
      + `${faster('gensim', time)} gensim (goal >= ${GOALS.gensim}x; CPU ${faster('gensim', cpu)}), `
      + `peak RSS growth ${(growth('ours') / TABLE_BYTES).toFixed(2)}x the table (goal <= ${GOALS.memory}x).`,
  ];
  console.log(lines.join('\n'));
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(new URL('io.json', RESULTS), JSON.stringify({ file, tableBytes: TABLE_BYTES, samples }, null, 1));
  writeFileSync(new URL('io.md', RESULTS), `${lines.join('\n')}\n`);
}

const { values } = parseArgs({ options: { child: { type: 'string' }, file: { type: 'string' }, quick: { type: 'boolean', default: false }, rounds: { type: 'string', default: '3' } } });
if (values.child) report(values.child === 'plainJs' ? plainJs(values.file) : await ours(values.file, values.child));
else await driver(values);
