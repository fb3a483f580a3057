"""safetensors files written and read by hand, for test/torch/safetensors.test.ts.

The `safetensors` package is not installed, so both directions follow the format's specification
directly: an unsigned 64-bit little-endian header length N, N bytes of JSON header padded with spaces
to a multiple of 8, then the raw little-endian tensor data. The writer is the project's
scripts/torch_to_safetensors.py, which orders tensors as the reference implementation does (dtype
descending in its enum order, then name), so a conforming writer given the same tensors and metadata
produces the same bytes. The checker below validates a file as the reference reader does.

  write PATH   writes a file of every supported dtype; prints {name: {dtype, shape, values}} and metadata
  check PATH   validates a file as the reference reader does and prints the same description of it
"""
import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from torch_to_safetensors import save_safetensors  # noqa: E402

TORCH_DTYPES = {
    'BOOL': torch.bool, 'U8': torch.uint8, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I32': torch.int32, 'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64,
}
NAME_OF = {v: k for k, v in TORCH_DTYPES.items()}


def describe(tensors, metadata):
    def values(t):
        if t.dtype in (torch.bool, torch.uint8, torch.int32, torch.int64):
            return t.flatten().to(torch.int64).tolist()
        return [v if math.isfinite(v) else repr(v) for v in t.flatten().to(torch.float64).tolist()]
    return dict(
        tensors={name: dict(dtype=NAME_OF[t.dtype], shape=list(t.shape), values=values(t)) for name, t in tensors.items()},
        metadata=metadata,
    )


def sample():
    return {
        'conv.weight': (torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) * 0.37 - 1.5),
        'half': torch.tensor([0.0, -0.0, 1.0, 65504.0, -2.5e-3, 6.1e-5], dtype=torch.float16),
        'brain': torch.tensor([[1.0, -3.140625], [1e30, 0.0078125]], dtype=torch.bfloat16),
        'bn.num_batches_tracked': torch.tensor(2 ** 40 + 3, dtype=torch.int64),
        'ids': torch.tensor([-7, 0, 2 ** 31 - 1], dtype=torch.int32),
        'bytes': torch.arange(0, 256, 51, dtype=torch.uint8),
        'mask': torch.tensor([[True, False, True]]),
        'double': torch.tensor([math.pi, -math.e, 1e-300], dtype=torch.float64),
        'scalar': torch.tensor(0.25),
        'empty': torch.zeros(0, 3),
    }


def write(path):
    tensors = sample()
    metadata = {'format': 'pt', 'note': 'written by hand'}
    save_safetensors(tensors, path, metadata)
    print(json.dumps(describe(tensors, metadata)))


def check(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    assert n % 8 == 0, f'header length {n} is not a multiple of 8'
    text = raw[8:8 + n]
    assert text[:1] == b'{', 'header does not start with {'
    header = json.loads(text.decode('utf-8'))
    assert text.decode('utf-8').rstrip(' ') == json.dumps(header, separators=(',', ':'), ensure_ascii=False), 'header is not compact JSON padded with spaces'
    metadata = header.pop('__metadata__', {})
    assert all(isinstance(v, str) for v in metadata.values()), 'metadata values must be strings'
    data = raw[8 + n:]
    tensors, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
        begin, stop = info['data_offsets']
        assert begin == end, f'{name}: offset {begin}, expected {end}'
        dtype = TORCH_DTYPES[info['dtype']]
        count = math.prod(info['shape'])
        assert stop - begin == count * torch.tensor([], dtype=dtype).element_size(), f'{name}: wrong byte count'
        assert begin % torch.tensor([], dtype=dtype).element_size() == 0, f'{name}: misaligned'
        if count == 0:
            tensors[name] = torch.empty(info['shape'], dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(data[begin:stop]), dtype=dtype).reshape(info['shape'])
        end = stop
    assert end == len(data), f'data holds {len(data)} bytes, tensors cover {end}'
    print(json.dumps(describe(tensors, metadata)))


if __name__ == '__main__':
    {'write': write, 'check': check}[sys.argv[1]](sys.argv[2])
