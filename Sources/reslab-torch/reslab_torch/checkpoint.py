"""ResLab's checkpoints: safetensors files whose `__metadata__` holds the run
configuration (`reslab.configuration`), the architecture (`reslab.model`),
the block modes (`reslab.block_modes`) and the step (`reslab.step`)."""
import json
import os

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from .models import ResNet


def load_checkpoint(path):
    """The network of a ResLab checkpoint, with its weights, batch-norm
    statistics and block modes, in evaluation mode; and the metadata."""
    try:
        with safe_open(path, framework="pt") as file:
            metadata = file.metadata() or {}
            tensors = {name: file.get_tensor(name) for name in file.keys()}
    except FileNotFoundError:
        raise
    except Exception as error:  # safetensors raises its own error type for every kind of bad file
        raise ValueError(f"{path}: not a safetensors checkpoint ({error})") from None
    if "reslab.model" not in metadata:
        raise ValueError(f"{path}: no reslab.model in __metadata__; was it written by reslab?")
    try:
        model = ResNet(json.loads(metadata["reslab.model"]))
    except (KeyError, TypeError, IndexError, ValueError, RuntimeError) as error:
        raise ValueError(f"{path}: its reslab.model does not describe a network ({error!r})") from None
    expected = set(model.state_dict())
    # PyTorch also counts batches in its batch norms; ResLab does not store them.
    expected = {name for name in expected if not name.endswith("num_batches_tracked")}
    if set(tensors) != expected:
        missing, extra = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        raise ValueError(f"{path}: tensors do not fit the network (missing {missing[:3]}, unexpected {extra[:3]})")
    model.load_state_dict(tensors, strict=False)
    model.set_modes(json.loads(metadata.get("reslab.block_modes", "[]")) or ["residual"] * len(model.blocks))
    model.eval()
    return model, metadata


def save_checkpoint(model, metadata, path):
    """Writes `model` as a ResLab checkpoint with `metadata` (the dictionary
    `load_checkpoint` returned), its block modes updated. The file appears
    whole or not at all: it is written beside `path`, then renamed."""
    metadata = dict(metadata)
    metadata["reslab.block_modes"] = json.dumps([block.mode for block in model.blocks])
    metadata["format"] = "pt"
    tensors = {name: tensor.detach().to(torch.float32).contiguous()
               for name, tensor in model.state_dict().items() if not name.endswith("num_batches_tracked")}
    temporary = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.{os.getpid()}.tmp")
    save_file(tensors, temporary, metadata=metadata)
    os.replace(temporary, path)
