// safetensors and .npy: the golden files of shared/reference/semantics.md §7.5-§7.6, files
// written by numpy and PyTorch (tests/fixtures/tensor_files/, made by
// tests/fixtures/generate_tensor_files.py), the round trip ours -> Python -> ours, float16 and
// bfloat16 rounding against numpy and PyTorch, and hostile files (a clear Error, the heap flat).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { init, Embedding, EmbeddingBag, loadNpy, loadSafetensors, memoryUsage, saveNpy, saveSafetensors } from 'wasm-embedding';
import { oursNpy, oursSafetensors } from '../fixtures/ours.mjs';

await init();
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/tensor_files.json', import.meta.url), 'utf8'));
const file = (name) => new Uint8Array(readFileSync(new URL(`../fixtures/tensor_files/${name}`, import.meta.url)));
const hex = (data) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
const GOLDEN_DATA = Float32Array.of(1, -2, 0.5, 0.25, 0, 3);

// A safetensors file from a header string and a data section of dataSize bytes.
function safetensors(header, dataSize = 0, length = undefined) {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataSize);
  new DataView(out.buffer).setBigUint64(0, BigInt(length ?? json.length), true);
  out.set(json, 8);
  return out;
}

function heapFlat(fn) {
  fn();
  const before = memoryUsage().heapInUseBytes;
  fn();
  assert.equal(memoryUsage().heapInUseBytes, before, 'the heap is back where it was');
}

test('the golden files of semantics.md §7.5 and §7.6, byte for byte', () => {
  const emb = Embedding.fromPretrained(GOLDEN_DATA, { embeddingDim: 3 });
  const st = saveSafetensors({ weight: emb }, { format: 'pt' });
  assert.equal(st.length, 128);
  assert.equal(hex(st.subarray(0, 8)), '6000000000000000');
  assert.equal(new TextDecoder().decode(st.subarray(8, 104)),
    '{"__metadata__":{"format":"pt"},"weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}   ');
  assert.equal(hex(st.subarray(104)), '0000803f000000c00000003f0000803e0000000000004040');
  const npy = saveNpy(GOLDEN_DATA, [2, 3]);
  assert.deepEqual(npy, file('f4.npy'), 'numpy.save of the same array');
  assert.equal(npy.length, 128 + 24);
  const back = Embedding.fromSafetensors(st);
  assert.deepEqual(back.weight, GOLDEN_DATA);
  assert.deepEqual(loadSafetensors(st.buffer.slice(0)).metadata, { format: 'pt' });
  back.dispose();
  emb.dispose();
  // An F32 tensor at an offset that is not a multiple of 4 (after 3 bytes of U8) loads too.
  const odd = safetensors('{"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[3,11]}}', 11);
  const oddData = odd.length - 11;
  new DataView(odd.buffer).setFloat32(oddData + 3, 1.5, true);
  new DataView(odd.buffer).setFloat32(oddData + 7, -2, true);
  const w = Embedding.fromSafetensors(odd, 'w');
  assert.deepEqual(w.weight, Float32Array.of(1.5, -2));
  w.dispose();
});

test('.npy files written by numpy: every dtype, Fortran order, big-endian, versions 1-3', () => {
  for (const [name, want] of Object.entries(fixtures.npy)) {
    const bytes = file(name);
    const got = loadNpy(bytes);
    assert.equal(got.dtype, want.dtype, name);
    assert.deepEqual(got.shape, want.shape, name);
    assert.equal(hex(got.data), want.hex, name);
    if (want.numpySave) assert.deepEqual(saveNpy(got.data, got.shape), bytes, `${name}: saveNpy writes numpy.save's bytes`);
  }
  assert.ok(loadNpy(file('f4_fortran_3d.npy').buffer).data instanceof Float32Array);
  assert.ok(loadNpy(file('i8.npy')).data instanceof BigInt64Array);
});

test('a PyTorch state dict written to safetensors loads, as tensors and as tables', () => {
  const bytes = file(fixtures.torch.file);
  const { tensors, metadata } = loadSafetensors(bytes);
  assert.deepEqual(metadata, fixtures.torch.metadata);
  assert.deepEqual(Object.keys(tensors).sort(), Object.keys(fixtures.torch.tensors).sort());
  for (const [name, want] of Object.entries(fixtures.torch.tensors)) {
    assert.equal(tensors[name].dtype, want.dtype, name);
    assert.deepEqual(tensors[name].shape, want.shape, name);
    assert.equal(hex(tensors[name].data), want.hex, name);
  }
  const emb = Embedding.fromSafetensors(bytes, 'emb.weight', { paddingIdx: 0, freeze: false });
  assert.equal(hex(emb.weight), fixtures.torch.tensors['emb.weight'].hex);
  assert.equal(emb.requiresGrad, true);
  const half = Embedding.fromSafetensors(bytes, 'emb.half');
  assert.equal(hex(half.weight), fixtures.torch.tensors['emb.half'].hex, 'F16 widened exactly');
  const brain = Embedding.fromSafetensors(bytes, 'emb.bfloat16');
  assert.equal(hex(brain.weight), fixtures.torch.tensors['emb.bfloat16'].hex, 'BF16 widened exactly');
  const bag = EmbeddingBag.fromSafetensors(bytes, 'bag.weight', { mode: 'max' });
  assert.equal(hex(bag.weight), fixtures.torch.tensors['bag.weight'].hex);
  assert.equal(bag.mode, 'max');
  // What we read, written back, is the file PyTorch's side wrote, byte for byte.
  assert.deepEqual(saveSafetensors(tensors, metadata), bytes);
  for (const t of [emb, half, brain, bag]) t.dispose();
});

test('round trip: ours -> PyTorch / numpy -> ours, bit-exact', () => {
  const ours = oursSafetensors();
  assert.deepEqual(ours, file('ours.safetensors'), 'the fixture is what this version writes');
  const python = file('python.safetensors');
  assert.deepEqual(python, ours, 'read into PyTorch and saved again: the same bytes');
  const a = loadSafetensors(ours);
  const b = loadSafetensors(python);
  assert.deepEqual(b, a);
  assert.equal(b.tensors.ids.data[2], 2n ** 62n + 1n);
  for (const [name, bytes] of Object.entries(oursNpy())) {
    assert.deepEqual(bytes, file(name), `${name}: the fixture is what this version writes`);
    const back = file(name.replace('ours_', 'python_'));
    assert.deepEqual(back, bytes, `${name}: numpy.load then numpy.save gives the same bytes`);
    assert.deepEqual(loadNpy(back), loadNpy(bytes));
  }
});

test('float16 and bfloat16: rounding as numpy and PyTorch, widening exact', () => {
  const inputs = new Float32Array(Uint32Array.from(fixtures.halves.inputs).buffer);
  const bits = (dtype) => {
    const { tensors } = loadSafetensors(saveSafetensors({ t: { dtype, shape: [inputs.length], data: inputs } }));
    return saveSafetensors({ t: { dtype, shape: [inputs.length], data: tensors.t.data } });
  };
  for (const [dtype, want] of [['F16', fixtures.halves.f16], ['BF16', fixtures.halves.bf16]]) {
    const file16 = saveSafetensors({ t: { dtype, shape: [inputs.length], data: inputs } });
    const got = new Uint16Array(file16.slice(file16.length - 2 * inputs.length).buffer);
    assert.deepEqual([...got], want, `${dtype} bits of numpy/PyTorch's rounding`);
    assert.deepEqual(bits(dtype), file16, `${dtype}: widened and rounded again, the same bits`);
  }
  // Every float16 bit pattern widens to a float32 that rounds back to it (NaN to a NaN).
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const widened = loadSafetensors(saveSafetensors({ h: { dtype: 'F16', shape: [65536], data: all } })).tensors.h.data;
  const again = saveSafetensors({ h: { dtype: 'F16', shape: [65536], data: widened } });
  const back = new Uint16Array(again.slice(again.length - 2 * 65536).buffer);
  for (let h = 0; h < 65536; ++h) {
    const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (nan) assert.ok(Number.isNaN(widened[h]) && (back[h] & 0x7fff) === 0x7e00, `0x${h.toString(16)}`);
    else assert.equal(back[h], h, `0x${h.toString(16)} -> ${widened[h]}`);
  }
  assert.equal(widened[0x3c00], 1);
  assert.equal(widened[0x0001], 2 ** -24);
  assert.equal(widened[0xfbff], -65504);
});

test('hostile safetensors headers: an Error naming what is wrong, the heap flat', () => {
  const f32 = '"dtype":"F32","shape":[1],"data_offsets":';
  const cases = [
    [new Uint8Array(5), /the file is 5 bytes, too short/],
    [safetensors('{}', 0, 10), /header length 10 \(bytes 0-7\) runs past the end of the 10-byte file/],
    [safetensors('{}', 0, 100_000_001), /header length 100000001 .* over the limit of 100000000 bytes/],
    [safetensors('{}', 0, 2 ** 53), /over the limit/],
    [Uint8Array.of(255, 255, 255, 255, 255, 255, 255, 255, 123, 125), /over the limit/],
    [safetensors('[]'), /does not start with '\{' \(byte 8\)/],
    [safetensors('{"\xff":1}'.replace('\xff', '\u00ff')).map((b, i) => (i === 10 ? 0xff : b)), /invalid UTF-8 in the header at byte 10/],
    [safetensors(`{"a":{${f32}[0,4]}`), /JSON ends early/],
    [safetensors(`{"a":{${f32}[0,4]}}}`, 4), /unexpected data after the header's JSON object at byte 62/],
    [safetensors(`{"a":{${f32}[0,4]},"a":{${f32}[4,8]}}`, 8), /duplicate tensor name "a" at byte 62/],
    [safetensors('{"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}}', 4), /tensor "a": unknown dtype "F7" at byte 22 \(known: BOOL, /],
    [safetensors('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', 4), /tensor "a": expected an integer in \[0, 2\^64\) at byte 37/],
    [safetensors('{"a":{"dtype":"F32","shape":[1]}}'), /tensor "a": "data_offsets" is missing/],
    [safetensors('{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}'), /tensor "a": shape \[4294967296, 4294967296\] of F64 overflows 64 bits/],
    [safetensors(`{"a":{${f32}[0,8]}}`, 8), /tensor "a": shape \[1\] of F32 needs 4 bytes, but data_offsets \[0, 8\] hold 8/],
    [safetensors(`{"a":{${f32}[0,4]},"b":{${f32}[8,12]}}`, 12), /tensor "b": data_offsets \[8, 12\] leave a gap after tensor "a" \(data_offsets \[0, 4\]\)/],
    [safetensors(`{"a":{${f32}[0,4]},"b":{${f32}[2,6]}}`, 6), /tensor "b": data_offsets \[2, 6\] overlap tensor "a"/],
    [safetensors(`{"a":{${f32}[4,8]}}`, 8), /tensor "a": data_offsets \[4, 8\] must start at 0/],
    [safetensors(`{"a":{${f32}[0,4]}}`, 3), /the tensors cover 4 bytes of the 3-byte data section/],
    [safetensors(`{"a":{${f32}[0,4]}}`, 9), /the tensors cover 4 bytes of the 9-byte data section/],
    [safetensors('{"__metadata__":{"k":1}}'), /__metadata__ must be null or an object of strings \(byte 29\)/],
    [safetensors(`{"a":{"x":${'['.repeat(300)}${']'.repeat(300)},${f32}[0,4]}}`, 4), /nests more than 128 levels/],
    [safetensors('{"a":{"dtype":"F32","shape":[9007199254740993,0],"data_offsets":[0,0]}}'), /past 2\^53, more than JavaScript can index/],
  ];
  for (const [bytes, message] of cases) heapFlat(() => assert.throws(() => loadSafetensors(bytes), (err) => err.constructor === Error && message.test(err.message), String(message)));
  heapFlat(() => assert.throws(() => Embedding.fromSafetensors(safetensors(`{"a":{${f32}[0,8]}}`, 8), 'a'), /needs 4 bytes/));
});

test('malformed .npy files: an Error naming what is wrong and where', () => {
  const npy = (dict, dataSize = 0, version = 1) => {
    const header = new TextEncoder().encode(dict);
    const pre = version === 1 ? 10 : 12;
    const out = new Uint8Array(pre + header.length + dataSize);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
    if (version === 1) new DataView(out.buffer).setUint16(8, header.length, true);
    else new DataView(out.buffer).setUint32(8, header.length, true);
    out.set(header, pre);
    return out;
  };
  const tail = "'fortran_order': False, 'shape': (2,)}";
  const cases = [
    [new Uint8Array(20), /not a .npy file/],
    [npy('{}', 0, 4), /unsupported format version 4.0/],
    [npy(' '.repeat(10001), 0, 2), /over 10000 bytes/],
    [npy(`{'descr': '<f4', ${tail}`).subarray(0, 30), /runs past the end of the file/],
    [npy(`{'descr': '<c8', ${tail}`, 16), /unsupported descr at byte 21/],
    [npy(`{'descr': '<f4', 'fortran': False, 'shape': (2,)}`, 8), /unknown key in the header dict at byte 27/],
    [npy("{'descr': '<f4', 'shape': (2,)}", 8), /has no 'fortran_order'/],
    [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", 8), /malformed header dict at byte 62: unexpected "\)"/],
    [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 8), /shape at byte 61 must hold integers/],
    [npy(`{'descr': '<f4', ${tail}`, 7), /the data \(F32 \[2\]\) runs past the end of the 72-byte file \(it starts at byte 65\)/],
  ];
  for (const [bytes, message] of cases) heapFlat(() => assert.throws(() => loadNpy(bytes), (err) => err.constructor === Error && message.test(err.message), String(message)));
});

test('bad arguments to the writers and loaders: TypeError or RangeError naming them', () => {
  const emb = Embedding.fromPretrained(GOLDEN_DATA, { embeddingDim: 3 });
  const bytes = saveSafetensors({ weight: emb, ids: { dtype: 'I64', shape: [2], data: BigInt64Array.of(1n, 2n) } });
  const cases = [
    [() => saveSafetensors(null), TypeError, /entries must be an object of name -> tensor, got null/],
    [() => saveSafetensors({ __metadata__: emb }), TypeError, /"__metadata__" is reserved/],
    [() => saveSafetensors({ '\uD800': emb }), TypeError, /lone surrogate/],
    [() => saveSafetensors({ w: new Float32Array(3) }), TypeError, /"w" must be an Embedding, an EmbeddingBag or \{ dtype, shape, data \}, got a Float32Array/],
    [() => saveSafetensors({ w: { dtype: 'F33', shape: [1], data: new Float32Array(1) } }), TypeError, /unknown dtype "F33"/],
    [() => saveSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float64Array(2) } }), TypeError, /data for dtype F32 must be a Float32Array, got a Float64Array/],
    [() => saveSafetensors({ w: { dtype: 'F16', shape: [2], data: new Int16Array(2) } }), TypeError, /Float32Array or Uint16Array \(bits\)/],
    [() => saveSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }), TypeError, /its shape holds 4 values, data has 3/],
    [() => saveSafetensors({ w: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }), TypeError, /shape must be an array of non-negative integers, got \[-1\]/],
    [() => saveSafetensors({ w: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 2) } }), TypeError, /BOOL data must be 0 or 1, got 2 at position 1/],
    [() => saveSafetensors({ w: { dtype: 'F4', shape: [3], data: new Uint8Array(2) } }), TypeError, /3 elements of F4 are not a whole number of bytes/],
    [() => saveSafetensors({ w: emb }, { k: 1 }), TypeError, /metadata "k" must be a string, got 1/],
    [() => saveNpy([1, 2]), TypeError, /saveNpy: data must be a typed array/],
    [() => saveNpy(new Float32Array(4), [3]), TypeError, /shape \[3\] holds 3 values, data has 4/],
    [() => loadSafetensors('file.safetensors'), TypeError, /expects the file's bytes \(a Uint8Array or an ArrayBuffer\), got "file.safetensors"/],
    [() => Embedding.fromSafetensors(bytes, 'emb'), Error, /no tensor named "emb" in the file \(it holds "ids", "weight"\)|no tensor named "emb" in the file \(it holds "weight", "ids"\)/],
    [() => Embedding.fromSafetensors(bytes, 'ids'), TypeError, /tensor "ids" is I64 \[2\]; a table needs a 2-D F32, F16 or BF16 tensor/],
    [() => Embedding.fromSafetensors(bytes, 'weight', { embeddingDim: 3 }), TypeError, /unknown option 'embeddingDim'/],
    [() => EmbeddingBag.fromSafetensors(bytes, 'weight', { mode: 'median' }), RangeError, /mode must be/],
  ];
  for (const [call, type, message] of cases) heapFlat(() => assert.throws(call, (err) => err instanceof type && message.test(err.message), String(message)));
  emb.dispose();
});
