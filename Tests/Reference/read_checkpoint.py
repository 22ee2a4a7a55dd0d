"""Opens a ResLab checkpoint with numpy alone and checks its names and shapes.

    python3 Tests/Reference/read_checkpoint.py model.safetensors

The safetensors layout: an 8-byte little-endian header length, a JSON header
(tensor name -> dtype, shape, byte range; run metadata under __metadata__),
then raw little-endian float32 data.
"""
import json
import struct
import sys

import numpy as np


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    metadata = header.pop("__metadata__", {})
    data = blob[8 + length:]
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", name
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
    return tensors, metadata


def main(path):
    tensors, metadata = read(path)
    model = json.loads(metadata["reslab.model"])
    modes = json.loads(metadata["reslab.block_modes"])
    blocks = model["depth"] if model["kind"] == "dense" else 3 * model["depth"]
    assert len(modes) == blocks, (len(modes), blocks)
    head = tensors["head.linear.weight"]
    assert head.shape[0] == model["classes"], head.shape
    for index in range(blocks):
        names = [n for n in tensors if n.startswith(f"blocks.{index}.branch.")]
        assert names, f"block {index} has no branch tensors"
    for name, array in tensors.items():
        assert np.all(np.isfinite(array)), name
    print(f"{len(tensors)} tensors, {sum(a.size for a in tensors.values())} floats, "
          f"{model['kind']} model of {blocks} blocks, modes {sorted(set(modes))}: OK")


if __name__ == "__main__":
    main(sys.argv[1])
