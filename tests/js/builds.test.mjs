// The two builds and loading: SIMD and scalar give identical results; init() options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { init, Embedding, SGD, simdSupported } from 'wasm-embedding';

const wasmPath = (name) => new URL(`../../dist/${name}`, import.meta.url);

// A training run touching every code path: renorm, padding, frequency scaling, accumulation, SGD.
function workload(dim, sgdOptions) {
  const emb = new Embedding(97, dim, { seed: 11, paddingIdx: 5, maxNorm: 3, normType: dim % 2 ? 1.5 : 2, scaleGradByFreq: true });
  const opt = new SGD([emb], sgdOptions);
  const outputs = [];
  for (let step = 0; step < 4; ++step) {
    const indices = Int32Array.from({ length: 40 }, (_, i) => (i * 31 + step * 17) % 97 % (step + 20));
    outputs.push(emb.forward(indices));
    emb.backward(indices, Float32Array.from({ length: 40 * dim }, (_, i) => Math.sin(i + step)));
    emb.backward(indices.subarray(0, 7), Float32Array.from({ length: 7 * dim }, (_, i) => Math.cos(i)));
    opt.step();
    opt.zeroGrad();
  }
  const result = { outputs, weight: emb.weight };
  opt.dispose();
  emb.dispose();
  return result;
}

test('the SIMD and scalar builds give bit-identical results', async () => {
  const results = {};
  for (const simd of [true, false]) {
    assert.equal((await init({ simd })).simd, simd);
    results[simd] = [1, 3, 4, 5, 7, 8, 16, 17, 63, 64, 65, 128, 163, 300].flatMap((dim) => [
      workload(dim, { lr: 0.1 }),
      workload(dim, { lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true }),
    ]);
  }
  assert.deepEqual(results[true], results[false]); // Float32Array equality is exact
});

test('objects keep the build they were created with', async () => {
  await init({ simd: true });
  const a = new Embedding(5, 3, { seed: 2 });
  await init({ simd: false });
  const b = new Embedding(5, 3, { seed: 2 });
  assert.deepEqual(a.forward([1, 4]), b.forward([1, 4]));
  new SGD([a], { lr: 1 }).step(); // each optimizer state lives in its parameter's module
  a.dispose();
  b.dispose();
});

test('init({ wasm }) accepts bytes, a path and a file URL; bad values are rejected', async () => {
  for (const [simd, file] of [[true, 'embedding.wasm'], [false, 'embedding-scalar.wasm']]) {
    assert.deepEqual(await init({ simd, wasm: readFileSync(wasmPath(file)) }), { simd, threads: 1, version: '0.1.0' });
    assert.equal(new Embedding(2, 2, { seed: 1 }).lookup(1).length, 2);
    await init({ simd, wasm: wasmPath(file).pathname });
    await init({ simd, wasm: wasmPath(file) });
    assert.equal(new Embedding(2, 2).lookup(1).length, 2);
  }
  await assert.rejects(init({ wasm: '/nonexistent/embedding.wasm' }), /ENOENT/);
  await assert.rejects(init({ wasm: 42 }), { name: 'TypeError', message: /wasm must be a URL, a path or the module's bytes, got 42/ });
  await assert.rejects(init({ simd: 'yes' }), { name: 'TypeError', message: /simd must be a boolean/ });
  await assert.rejects(init({ thread: 2 }), { name: 'TypeError', message: /unknown option 'thread'/ });
  for (const threads of [0, 1.5, 65, '2']) {
    await assert.rejects(init({ threads }), { name: 'RangeError', message: /threads must be an integer in \[1, 64\]/ });
  }
  await assert.rejects(init({ wasm: new Uint8Array([1, 2, 3]) }));
  assert.equal(simdSupported(), true); // Node 20 supports wasm SIMD
  await init();
});

test('using the API before init() resolves throws a clear Error', () => {
  const script = `
    import { Embedding, SGD } from 'wasm-embedding';
    for (const use of [() => new Embedding(2, 2), () => Embedding.fromPretrained([[1]]), () => new SGD([], { lr: 1 })]) {
      try { use(); console.log('no error'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); }
    }`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url) });
  assert.equal(out.toString(), 'Error: wasm-embedding: call await init() first\n'.repeat(3));
});
