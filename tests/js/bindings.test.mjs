// The Embind layer itself (bindings/embind/: EMSCRIPTEN_BINDINGS blocks, and runtime.js, the
// package's Embind runtime): handles, results, and calls that re-enter the module from a JS
// callback while a bound call is on the stack. The rest of the suite covers every binding
// through the public API.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init } from '../../bindings/js/node.js';
import { requireRuntime } from '../../bindings/js/runtime.js';
import { BUILDS } from './helpers.mjs';

// reenterProbe(depth, x, y) (bindings/embind/runtime.cc) returns depth * 1e6 + x * 1e3 + y plus
// what the module's reenterProbeCallback(depth) returns, computed after the callback returned.
const outer = (depth, x, y, inner) => depth * 1e6 + x * 1e3 + Math.fround(y) + inner;

for (const { label, simd } of BUILDS) describe(`${label} build`, () => {
    let m;
    before(async () => {
      // The sources' runtime (to reach the module), with the built .wasm files.
      const wasm = new URL(`../../dist/${simd ? 'embedding' : 'embedding-scalar'}.wasm`, import.meta.url);
      await init({ simd, wasm });
      m = requireRuntime().m;
    });

    test(`${label}: a callback that re-enters the same binding leaves the outer call's arguments and result alone`, () => {
      const seen = [];
      m.reenterProbeCallback = (depth) => {
        seen.push(depth);
        return depth < 4 ? m.reenterProbe(depth + 1, 10 + depth, 0.25 * (depth + 1)) : 7;
      };
      try {
        let want = 7;
        for (let depth = 4; depth >= 1; --depth) want = outer(depth, 9 + depth, 0.25 * depth, want);
        assert.equal(m.reenterProbe(1, 10, 0.25), want);
        assert.deepEqual(seen, [1, 2, 3, 4]);
      } finally {
        delete m.reenterProbeCallback;
      }
    });

    test(`${label}: a callback that calls other bindings (a table's methods) mid-call`, () => {
      const table = new m.Table();
      try {
        assert.ok(table.ptr !== 0);
        assert.equal(table.allocate(4, 2), true);
        const weight = table.weightPtr() >>> 2;
        m.HEAPF32.set([1, 2, 3, 4, 5, 6, 7, 8], weight);
        const idx = m._malloc(64);
        const out = m._malloc(64);
        m.HEAP32.set([3, 1], idx >>> 2);
        m.reenterProbeCallback = () => {
          assert.equal(table.forward(idx, 2, out), -1); // -1: success
          return m.HEAPF32[(out >>> 2) + 1] + m.HEAPF32[(out >>> 2) + 2]; // 8 + 3
        };
        assert.equal(m.reenterProbe(2, 0.5, 1.5), outer(2, 0.5, 1.5, 11));
        assert.deepEqual(Array.from(m.HEAPF32.subarray(out >>> 2, (out >>> 2) + 4)), [7, 8, 3, 4]);
        m._free(idx);
        m._free(out);
      } finally {
        delete m.reenterProbeCallback;
        table.delete();
      }
    });

    test(`${label}: handles: ptr, delete() twice is harmless, new is required, arguments are checked by class`, () => {
      const table = new m.Table();
      const packed = new m.PackedTable();
      assert.equal(table.constructor.name, 'Table');
      assert.ok(Number.isInteger(table.ptr) && table.ptr > 0);
      assert.notEqual(table.ptr, packed.ptr);
      assert.throws(() => m.Table(), TypeError);
      // A function taking a Table* refuses another class's handle (nothing reaches C++).
      assert.throws(() => m.optimStateFields(packed, 1), /expected a Table handle/);
      assert.equal(m.optimStateFields(table, 1), 0); // no optimizer state: 0
      table.delete();
      assert.equal(table.ptr, 0);
      table.delete();
      packed.delete();
    });

    test(`${label}: results come back as JS values of their C++ types`, () => {
      const table = new m.Table();
      try {
        assert.equal(table.allocate(3, 5), true); // bool
        assert.equal(table.gradPresent(), false);
        assert.equal(table.gradCount(), 0); // size_t: unsigned
        assert.equal(typeof m.heapInUse(), 'number');
        assert.ok(m.heapInUse() > 0);
        assert.ok(table.weightPtr() > 0); // an address, unsigned
      } finally {
        table.delete();
      }
    });
});
