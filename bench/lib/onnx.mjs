// A Gather model for onnxruntime-web, written as ONNX protobuf bytes by hand: just the fields
// of ModelProto, GraphProto, NodeProto, ValueInfoProto, TypeProto and TensorProto it needs
// (field numbers from onnx/onnx.proto). The table is an initializer, so it sits in the
// session's wasm memory once (as a served model's weights would) and each run() passes only
// the indices.
//   gatherModel(table, V, d, 'int32') -> Uint8Array     out = Gather(table, indices, axis = 0)

const ELEM = { float: 1, int32: 6, int64: 7 }; // TensorProto.DataType

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

// ValueInfoProto { name = 1; type = 2 }, TypeProto { tensor_type = 1 },
// TypeProto.Tensor { elem_type = 1; shape = 2 }, TensorShapeProto { dim = 1 },
// Dimension { dim_value = 1; dim_param = 2 }
const valueInfo = (field, name, elemType, dims) => msg(field, [
  str(1, name),
  msg(2, [msg(1, [int(1, ELEM[elemType]),
    msg(2, dims.map((dim) => msg(1, [typeof dim === 'number' ? int(1, dim) : str(2, dim)])))])]),
]);

export function gatherModel(table, V, d, indexType = 'int32') {
  if (table.length !== V * d) throw new Error('gatherModel: table length is not V * d');
  // TensorProto { dims = 1; data_type = 2; name = 8; raw_data = 9 } (raw_data little-endian)
  const initializer = msg(5, [int(1, V), int(1, d), int(2, ELEM.float), str(8, 'table'),
    bytes(9, new Uint8Array(table.buffer, table.byteOffset, table.byteLength))]);
  // NodeProto { input = 1; output = 2; name = 3; op_type = 4 } (axis defaults to 0)
  const node = msg(1, [str(1, 'table'), str(1, 'indices'), str(2, 'out'), str(3, 'gather'), str(4, 'Gather')]);
  // GraphProto { node = 1; name = 2; initializer = 5; input = 11; output = 12 }
  const graph = msg(7, [node, str(2, 'embedding'), initializer,
    valueInfo(11, 'indices', indexType, ['B']), valueInfo(12, 'out', 'float', ['B', d])]);
  // ModelProto { ir_version = 1; producer_name = 2; graph = 7; opset_import = 8 },
  // OperatorSetIdProto { domain = 1; version = 2 }
  return concat([int(1, 8), str(2, 'wasm-embedding bench'), graph, msg(8, [str(1, ''), int(2, 13)])]);
}
