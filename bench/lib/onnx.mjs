// ONNX models for onnxruntime-web, written as protobuf bytes by hand: just the fields of
// ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto, TypeProto and TensorProto
// they need (field numbers from onnx/onnx.proto). Tables are initializers, so they sit in the
// session's wasm memory once (as a served model's weights would) and each run() passes only
// the indices.
//   gatherModel(table, V, d, 'int32')             out = Gather(table, indices, axis = 0)
//   quantizedBagModels(q, scales, zeros, V, d, L)  the bag sum of int8 rows, two ways (below)

const ELEM = { float: 1, uint8: 2, int32: 6, int64: 7 }; // TensorProto.DataType

function varint(n) { // non-negative integer, < 2^53
  const bytes = [];
  while (n >= 0x80) { bytes.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); }
  bytes.push(n);
  return bytes;
}
const concat = (parts) => {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const key = (field, wire) => varint(field * 8 + wire);
const int = (field, n) => Uint8Array.from([...key(field, 0), ...varint(n)]);
const bytes = (field, b) => concat([Uint8Array.from([...key(field, 2), ...varint(b.length)]), b]);
const str = (field, s) => bytes(field, new TextEncoder().encode(s));
const msg = (field, parts) => bytes(field, concat(parts));
const raw = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// ValueInfoProto { name = 1; type = 2 }, TypeProto { tensor_type = 1 },
// TypeProto.Tensor { elem_type = 1; shape = 2 }, TensorShapeProto { dim = 1 },
// Dimension { dim_value = 1; dim_param = 2 }
const valueInfo = (field, name, elemType, dims) => msg(field, [
  str(1, name),
  msg(2, [msg(1, [int(1, ELEM[elemType]),
    msg(2, dims.map((dim) => msg(1, [typeof dim === 'number' ? int(1, dim) : str(2, dim)])))])]),
]);
// TensorProto { dims = 1; data_type = 2; name = 8; raw_data = 9 } (raw_data little-endian)
const initializer = (name, elemType, dims, data) => msg(5, [...dims.map((n) => int(1, n)), int(2, ELEM[elemType]),
  str(8, name), bytes(9, raw(data))]);
// AttributeProto { name = 1; i = 3; type = 20 (INT = 2) }
const intAttribute = (name, value) => msg(5, [str(1, name), int(3, value), int(20, 2)]);
// NodeProto { input = 1; output = 2; name = 3; op_type = 4; attribute = 5; domain = 7 }
const node = (op, inputs, outputs, { domain, attributes = [] } = {}) => msg(1, [
  ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, outputs[0]), str(4, op),
  ...attributes, ...(domain ? [str(7, domain)] : [])]);

// ModelProto { ir_version = 1; producer_name = 2; graph = 7; opset_import = 8 }, GraphProto
// { node = 1; name = 2; initializer = 5; input = 11; output = 12 }, OperatorSetIdProto
// { domain = 1; version = 2 }
function model({ nodes, initializers, inputs, outputs, opsets }) {
  const graph = msg(7, [...nodes, str(2, 'bench'), ...initializers, ...inputs, ...outputs]);
  return concat([int(1, 10), str(2, 'wasm-embedding bench'), graph,
    ...Object.entries(opsets).map(([domain, version]) => msg(8, [str(1, domain), int(2, version)]))]);
}

export function gatherModel(table, V, d, indexType = 'int32') {
  if (table.length !== V * d) throw new Error('gatherModel: table length is not V * d');
  return model({
    nodes: [node('Gather', ['table', 'indices'], ['out'])], // axis defaults to 0
    initializers: [initializer('table', 'float', [V, d], table)],
    inputs: [valueInfo(11, 'indices', indexType, ['B'])],
    outputs: [valueInfo(12, 'out', 'float', ['B', d])],
    opsets: { '': 13 },
  });
}

/**
 * The sum of each bag of L int8 rows (indices int32 [B, L] -> out float [B, d]), row r read as
 * (q[r] - zeros[r]) * scales[r] (uint8 q: V x d; one float scale and one uint8 zero point a row),
 * built from onnxruntime's own operators two ways:
 *   blockQuantized  com.microsoft GatherBlockQuantized (bits 8, one block a row), ReduceSum
 *   dequantizeLinear  Gather of the codes, scales and zero points, DequantizeLinear with one block
 *                     a row (opset 21), ReduceSum
 */
export function quantizedBagModels(q, scales, zeros, V, d, L) {
  const io = {
    inputs: [valueInfo(11, 'indices', 'int32', ['B', L])],
    outputs: [valueInfo(12, 'out', 'float', ['B', d])],
  };
  const axes = initializer('axes', 'int64', [1], BigInt64Array.of(1n));
  const reduce = node('ReduceSum', ['rows', 'axes'], ['out'], { attributes: [intAttribute('keepdims', 0)] });
  const blockQuantized = model({
    ...io,
    nodes: [
      node('GatherBlockQuantized', ['q', 'indices', 'scales', 'zeros'], ['rows'], {
        domain: 'com.microsoft',
        attributes: [intAttribute('bits', 8), intAttribute('block_size', d), intAttribute('gather_axis', 0), intAttribute('quantize_axis', 1)],
      }),
      reduce,
    ],
    initializers: [initializer('q', 'uint8', [V, d], q), initializer('scales', 'float', [V, 1], scales),
      initializer('zeros', 'uint8', [V, 1], zeros), axes],
    opsets: { '': 21, 'com.microsoft': 1 },
  });
  const dequantizeLinear = model({
    ...io,
    nodes: [
      node('Gather', ['q', 'indices'], ['qRows']),
      node('Gather', ['scales', 'indices'], ['rowScales']),
      node('Gather', ['zeros', 'indices'], ['rowZeros']),
      node('DequantizeLinear', ['qRows', 'rowScales', 'rowZeros'], ['rows'], {
        attributes: [intAttribute('axis', 2), intAttribute('block_size', d)],
      }),
      reduce,
    ],
    initializers: [initializer('q', 'uint8', [V, d], q), initializer('scales', 'float', [V, 1], scales),
      initializer('zeros', 'uint8', [V, 1], zeros), axes],
    opsets: { '': 21 },
  });
  return { blockQuantized, dequantizeLinear };
}
