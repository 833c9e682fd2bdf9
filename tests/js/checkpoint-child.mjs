// checkpoint.test.mjs's new process, on the scalar build: loads <dir>/<k>.safetensors for each
// mix k, trains steps [N, N + M), writes the tables to <dir>/<k>.after.safetensors.
//   node tests/js/checkpoint-child.mjs <dir> <mixes> <N> <M>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lib from 'wasm-embedding';
import { MIXES, train } from './checkpoint-training.mjs';

const [dir, mixes, N, M] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a)));
await lib.init({ simd: false });
for (let k = 0; k < mixes; ++k) {
  const { tables, optimizers } = lib.loadCheckpoint(readFileSync(join(dir, `${k}.safetensors`)));
  train({ tables, optimizers, lr: MIXES[k].options.lr }, N, N + M);
  writeFileSync(join(dir, `${k}.after.safetensors`), lib.saveSafetensors(tables));
}
