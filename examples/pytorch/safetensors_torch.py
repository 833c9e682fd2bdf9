#!/usr/bin/env python3
"""PyTorch <-> wasm-embedding through safetensors files, written and read by hand with the
standard library and numpy (the published format; the `safetensors` package is not needed).

  python3 safetensors_torch.py export emb.safetensors   # an nn.Embedding and an nn.EmbeddingBag
  python3 safetensors_torch.py compressed emb.safetensors  # the same table as float16, int8, int4
  python3 safetensors_torch.py load emb.safetensors     # a file saved by wasm-embedding, into PyTorch

In the browser: Embedding.fromSafetensors(bytes, 'emb.weight'); back: saveSafetensors({ ... }).
"""
import json
import struct
import sys

import numpy as np
import torch

# dtype name, numpy dtype (bfloat16 travels as its 16 bits), in the order the format ranks
# alignment: the writer puts the most aligned tensors first, then orders by name.
DTYPES = {
    torch.bool: ('BOOL', '|b1'), torch.uint8: ('U8', '|u1'), torch.int8: ('I8', '|i1'),
    torch.int16: ('I16', '<i2'), torch.float16: ('F16', '<f2'), torch.bfloat16: ('BF16', '<i2'),
    torch.int32: ('I32', '<i4'), torch.float32: ('F32', '<f4'), torch.float64: ('F64', '<f8'),
    torch.int64: ('I64', '<i8'),
}
RANK = {name: rank for rank, name in enumerate(
    ['BOOL', 'F4', 'F6_E2M3', 'F6_E3M2', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ',
     'F8_E5M2FNUZ', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64'])}
BY_NAME = {name: (dtype, np_dtype) for dtype, (name, np_dtype) in DTYPES.items()}


def save_safetensors(tensors, path, metadata=None):
    """tensors: {name: torch.Tensor}; metadata: {str: str} or None."""
    items = sorted(tensors.items(), key=lambda kv: (-RANK[DTYPES[kv[1].dtype][0]], kv[0].encode()))
    header = {} if metadata is None else {'__metadata__': metadata}
    blobs, offset = [], 0
    for name, tensor in items:
        tensor = tensor.detach().cpu().contiguous()
        dtype, np_dtype = DTYPES[tensor.dtype]
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.view(torch.int16)
        blob = tensor.numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode()
    text += b' ' * (-len(text) % 8)  # as the reference writer: a multiple of 8 bytes
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def load_safetensors(path):
    """-> ({name: torch.Tensor}, metadata or None)"""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop('__metadata__', None)
    tensors = {}
    for name, info in header.items():
        begin, end = info['data_offsets']
        dtype, np_dtype = BY_NAME[info['dtype']]
        array = np.frombuffer(data, dtype=np_dtype, count=(end - begin) // np.dtype(np_dtype).itemsize,
                              offset=8 + n + begin).copy()
        tensor = torch.from_numpy(array)
        tensors[name] = (tensor.view(torch.bfloat16) if dtype == torch.bfloat16 else tensor).reshape(info['shape'])
    return tensors, metadata


def export_demo(path):
    torch.manual_seed(0)
    emb = torch.nn.Embedding(1000, 64, padding_idx=0)
    bag = torch.nn.EmbeddingBag(500, 32, mode='sum')
    # ... train at scale here, then:
    tensors = {f'emb.{k}': v for k, v in emb.state_dict().items()}
    tensors.update({f'bag.{k}': v for k, v in bag.state_dict().items()})
    save_safetensors(tensors, path, {'format': 'pt'})
    print(f'wrote {path}: ' + ', '.join(f'{k} {list(v.shape)}' for k, v in tensors.items()))


# A table in a compressed storage: float16 as .half(), int8 and int4 in FBGEMM's row-wise
# layouts (PyTorch's prepack ops). The __metadata__ entries make Embedding.fromSafetensors load it
# as that storage rather than as a float32 table.
PREPACK = {'int8': torch.ops.quantized.embedding_bag_byte_prepack, 'int4': torch.ops.quantized.embedding_bag_4bit_prepack}


def compressed(name, weight, storage):
    """-> ({name: tensor}, {metadata entries}) for weight (a float32 [rows, dim] tensor)."""
    packed = weight.half() if storage == 'float16' else PREPACK[storage](weight.contiguous())
    return {name: packed}, {f'{name}.storage': storage, f'{name}.embedding_dim': str(weight.shape[1])}


def export_compressed_demo(path):
    torch.manual_seed(0)
    weight = torch.nn.Embedding(1000, 64, padding_idx=0).weight.detach()
    tensors, metadata = {}, {}
    for storage in ('float16', 'int8', 'int4'):
        t, m = compressed(f'emb.{storage}', weight, storage)
        tensors.update(t)
        metadata.update(m)
    save_safetensors(tensors, path, metadata)
    print(f'wrote {path}: ' + ', '.join(f'{k} {v.dtype} {list(v.shape)}' for k, v in tensors.items()))


def load_demo(path):
    tensors, metadata = load_safetensors(path)
    for name, weight in tensors.items():
        if weight.dim() == 2 and weight.is_floating_point():
            emb = torch.nn.Embedding.from_pretrained(weight.float(), freeze=False)
            print(f'{name}: nn.Embedding({emb.num_embeddings}, {emb.embedding_dim}), row 1 {emb(torch.tensor([1]))[0, :4].tolist()}')
    print('metadata:', metadata)


if __name__ == '__main__':
    commands = {'export': export_demo, 'compressed': export_compressed_demo, 'load': load_demo}
    if len(sys.argv) != 3 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2])
