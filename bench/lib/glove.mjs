// GloVe 6B 100-d (scripts/glove-data.mjs) as a Float32Array and its words, for the nearest
// benchmark. The text is parsed once by a plain reader and kept as raw float32 + a word list
// in bench/results/data/ (git-ignored); later runs read those (a second or two). The vectors
// are the file's decimals rounded to float32, as any loader gives them.
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DIM, WORDS, gloveText } from '../../scripts/glove-data.mjs';
import { DATA } from './common.mjs';

export const gloveVectorsPath = fileURLToPath(new URL('glove.6B.100d.f32', DATA));
const wordsPath = fileURLToPath(new URL('glove.6B.100d.words.txt', DATA));

/** { words: string[], vectors: Float32Array (WORDS x DIM), dim } */
export async function loadGlove() {
  if (!existsSync(gloveVectorsPath) || !existsSync(wordsPath)) await convert();
  const bytes = readFileSync(gloveVectorsPath);
  const vectors = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const words = readFileSync(wordsPath, 'utf8').split('\n');
  if (words.length !== WORDS || vectors.length !== WORDS * DIM) throw new Error('glove: the cached data is incomplete; delete bench/results/data/glove.*');
  return { words, vectors, dim: DIM };
}

async function convert() {
  process.stderr.write('glove: parsing the GloVe text once (about 15 s)\n');
  const vectors = new Float32Array(WORDS * DIM);
  const words = [];
  const lines = createInterface({ input: createReadStream(await gloveText()), crlfDelay: Infinity });
  for await (const line of lines) {
    const fields = line.split(' ');
    const at = words.length * DIM;
    for (let j = 0; j < DIM; ++j) vectors[at + j] = parseFloat(fields[fields.length - DIM + j]);
    words.push(fields.slice(0, fields.length - DIM).join(' '));
  }
  mkdirSync(new URL('.', new URL(`file://${gloveVectorsPath}`)), { recursive: true });
  writeFileSync(`${gloveVectorsPath}.partial`, vectors);
  renameSync(`${gloveVectorsPath}.partial`, gloveVectorsPath);
  writeFileSync(wordsPath, words.join('\n'));
}
