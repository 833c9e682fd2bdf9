// Safetensors files for the remote tests: every storage a remote table reads, as
// saveSafetensors writes them, and the in-memory tables they must agree with bit for bit.
import assert from 'node:assert/strict';
import { Embedding, saveSafetensors } from '../../dist/node.js';

/** { name: bytes } for a rows x dim table in each storage (seeded), and a file with a long header. */
export function makeFiles(rows, dim, seed = 7) {
  const t = new Embedding(rows, dim, { seed });
  const w = t.weight;
  const files = {
    'f32.safetensors': saveSafetensors({ weight: t }),
    'f16.safetensors': saveSafetensors({ weight: { dtype: 'F16', shape: [rows, dim], data: w } }),
    'bf16.safetensors': saveSafetensors({ weight: { dtype: 'BF16', shape: [rows, dim], data: w } }),
    'int8.safetensors': saveSafetensors({ weight: t.quantize('int8') }),
    'int4.safetensors': saveSafetensors({ weight: t.quantize('int4') }),
    'float16.safetensors': saveSafetensors({ weight: t.quantize('float16') }),
    // A header past the first request's 64 KB, and the table under another name after another tensor.
    'long-header.safetensors': saveSafetensors(
      { aaa: { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) }, emb: t.quantize('int8') },
      { note: 'x'.repeat(100_000) },
    ),
  };
  t.dispose();
  return files;
}

/** Bit-for-bit equality of two Float32Arrays. */
export function assertSameBits(actual, expected, what) {
  assert.ok(actual instanceof Float32Array, `${what}: not a Float32Array`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; ++i) {
    if (a[i] !== e[i]) assert.fail(`${what}: value ${i} is 0x${a[i].toString(16)}, expected 0x${e[i].toString(16)}`);
  }
}
