#!/usr/bin/env python3
"""Writes a PyTorch state dict as .safetensors without the `safetensors` package (and reads one back).

The format is an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
and byte range, then the raw little-endian bytes. Usage:

  python3 scripts/torch_to_safetensors.py --torchvision resnet34 --weights IMAGENET1K_V1 resnet34.safetensors
  python3 scripts/torch_to_safetensors.py --state-dict model.pth model.safetensors

Also imported by the Python reference scripts of test/ and bench/.
"""
import argparse
import json
import struct
import sys

import torch

DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


# The reference implementation's Dtype enum order (BOOL, U8, ..., I64, leaving out the dtypes torch lacks):
# it writes tensors by dtype, descending, then by name, so that every tensor starts aligned.
WRITE_ORDER = ["BOOL", "U8", "F16", "BF16", "I32", "F32", "F64", "I64"]


def save_safetensors(tensors, path, metadata=None):
    """Writes tensors (name -> tensor) and string metadata with the reference writer's layout and bytes."""
    items = []
    for name, tensor in tensors.items():
        t = tensor.detach().cpu().contiguous()
        if t.dtype not in DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} has no safetensors code")
        items.append((name, t))
    items.sort(key=lambda item: (-WRITE_ORDER.index(DTYPES[item[1].dtype]), item[0]))
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}} if metadata else {}
    blobs = []
    offset = 0
    for name, t in items:
        # bfloat16 has no NumPy type: write its raw 16-bit patterns.
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the format pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for raw in blobs:
            f.write(raw)


def load_safetensors(path):
    """Every tensor of a .safetensors file, by name (the file is trusted: written by pneumo or by this script)."""
    codes = {code: dtype for dtype, code in DTYPES.items()}
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length].decode("utf-8"))
    header.pop("__metadata__", None)
    data = raw[8 + length :]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = codes[entry["dtype"]]
        # bfloat16 has no NumPy type: its raw 16-bit patterns come back as int16 and are reinterpreted.
        storage = torch.int16 if dtype == torch.bfloat16 else dtype
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=storage) if end > begin else torch.empty(0, dtype=storage)
        tensors[name] = t.view(dtype).reshape(entry["shape"])
    return tensors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--torchvision", metavar="ARCH", help="a torchvision.models constructor, e.g. resnet34, densenet121, efficientnet_b0")
    source.add_argument("--state-dict", metavar="FILE", help="a file saved with torch.save(model.state_dict(), FILE)")
    parser.add_argument("--weights", default="DEFAULT", help="torchvision weights enum name (default: DEFAULT)")
    parser.add_argument("out", help="the .safetensors file to write")
    args = parser.parse_args()
    if args.torchvision:
        import torchvision

        model = getattr(torchvision.models, args.torchvision)(weights=args.weights)
        state = model.state_dict()
        metadata = {"source": f"torchvision.models.{args.torchvision}(weights={args.weights!r})"}
    else:
        state = torch.load(args.state_dict, map_location="cpu")
        if "state_dict" in state and isinstance(state["state_dict"], dict):
            state = state["state_dict"]
        metadata = {"source": args.state_dict}
    save_safetensors(state, args.out, metadata)
    print(f"wrote {len(state)} tensors to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
