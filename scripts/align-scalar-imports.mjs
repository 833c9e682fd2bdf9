// The SIMD and scalar builds ship with one JS glue (the SIMD build's). Emscripten minifies the
// names of the functions a module imports from its glue in the order the linker lists them, and
// that order can differ between the two builds. This gives the scalar module the SIMD glue's
// import names, after checking that the two glues differ in nothing else.
// Usage: node scripts/align-scalar-imports.mjs <simd glue.js> <scalar glue.js> <scalar.wasm> <out.wasm>
import { readFileSync, writeFileSync } from 'node:fs';

const [simdGlue, scalarGlue, scalarWasm, out] = process.argv.slice(2);
const fail = (message) => {
  console.error(`align-scalar-imports: ${message}`);
  process.exit(1);
};

// asmLibraryArg={"a":_abort,...}: the import name each glue gives each JS function.
const IMPORTS = /var asmLibraryArg=\{([^}]*)\}/;
function importNames(glue, file) {
  const match = IMPORTS.exec(glue);
  if (!match) fail(`${file} has no asmLibraryArg`);
  return new Map(match[1].split(',').map((pair) => {
    const [, name, fn] = /^"([^"]+)":(.+)$/.exec(pair) ?? fail(`${file}: unexpected import entry ${pair}`);
    return [fn, name];
  }));
}
const simd = readFileSync(simdGlue, 'utf8');
const scalar = readFileSync(scalarGlue, 'utf8').replaceAll('embedding-scalar.wasm', 'embedding.wasm');
if (simd.replace(IMPORTS, '') !== scalar.replace(IMPORTS, '')) {
  fail('the SIMD and scalar builds\' JS glue differ beyond their import names; they can no longer share one glue');
}
const wanted = importNames(simd, simdGlue);
const renamed = new Map(); // scalar import name -> SIMD import name
for (const [fn, name] of importNames(scalar, scalarGlue)) {
  if (!wanted.has(fn)) fail(`the scalar build imports ${fn}, which the SIMD glue does not provide`);
  renamed.set(name, wanted.get(fn));
}

// The wasm import section, rewritten with the new field names (everything else copied).
const wasm = readFileSync(scalarWasm);
let at = 8;
const leb = () => {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = wasm[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value;
  }
};
const encodeLeb = (value) => {
  const bytes = [];
  do {
    const low = value % 128;
    value = Math.floor(value / 128);
    bytes.push(value > 0 ? low | 0x80 : low);
  } while (value > 0);
  return Buffer.from(bytes);
};
const name = () => {
  const length = leb();
  at += length;
  return wasm.subarray(at - length, at).toString('utf8');
};
const encodeName = (text) => Buffer.concat([encodeLeb(Buffer.byteLength(text)), Buffer.from(text)]);

const parts = [wasm.subarray(0, 8)];
while (at < wasm.length) {
  const sectionStart = at;
  const id = wasm[at++];
  const size = leb();
  const end = at + size;
  if (id !== 2) {
    parts.push(wasm.subarray(sectionStart, end));
    at = end;
    continue;
  }
  const count = leb();
  const entries = [encodeLeb(count)];
  for (let i = 0; i < count; ++i) {
    const module = name();
    const field = name();
    const descStart = at;
    const kind = wasm[at++];
    if (kind === 0) leb(); // function: type index
    else if (kind === 3) at += 2; // global: value type, mutability
    else { // table (element type, limits) or memory (limits)
      if (kind === 1) at += 1;
      const flags = wasm[at++];
      leb();
      if (flags & 1) leb();
    }
    const newField = kind === 0 ? renamed.get(field) ?? fail(`the scalar module imports ${module}.${field}, which its glue does not name`) : field;
    entries.push(encodeName(module), encodeName(newField), wasm.subarray(descStart, at));
  }
  if (at !== end) fail('the import section has bytes past its entries');
  const content = Buffer.concat(entries);
  parts.push(Buffer.from([2]), encodeLeb(content.length), content);
}
writeFileSync(out, Buffer.concat(parts));
