"""Writes the PyTorch reference fixtures that Tests/NetworkTests compares against.

Builds small dense and conv ResNets with exactly ResLab's layout and parameter
names, runs one forward and backward pass per (block modes, train/eval) case,
and stores inputs, weights, logits, loss and every gradient as JSON.

    python3 -m venv .venv && .venv/bin/pip install torch numpy
    .venv/bin/python Tests/Reference/make_fixtures.py
"""
import copy
import json
import os
from collections import OrderedDict

import sys

import torch
from torch import nn

# The networks are the PyTorch package's own (Sources/reslab-torch).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "reslab-torch"))
from reslab_torch.models import ResNet  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "NetworkTests", "Fixtures")
torch.set_num_threads(1)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def randomise(model, generator):
    """Random weights everywhere, so that no gradient is trivially zero or one."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            scale = 0.5 if name.endswith("weight") and p.dim() >= 2 else 0.2
            p.copy_(torch.randn(p.shape, generator=generator) * scale + (1.0 if p.dim() == 1 and name.endswith("weight") else 0.0))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=generator) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=generator) + 0.5)


def fixture(name, spec, batch, mode_patterns):
    generator = torch.Generator().manual_seed(1234)
    model = ResNet(spec)
    randomise(model, generator)
    initial = copy.deepcopy(model.state_dict())
    features = 1
    for d in spec["inputShape"]:
        features *= d
    x = torch.randn([batch] + spec["inputShape"], generator=generator)
    labels = torch.randint(0, spec["classes"], (batch,), generator=generator)
    cases = []
    for modes in mode_patterns:
        for training in (True, False):
            model.load_state_dict(initial)
            model.zero_grad()
            model.train(training)
            for block, mode in zip(model.blocks, modes):
                block.mode = mode
            inp = x.clone().requires_grad_(True)
            logits = model(inp)
            loss = nn.functional.cross_entropy(logits, labels)
            loss.backward()
            cases.append({
                "modes": modes,
                "training": training,
                "logits": flat(logits),
                "loss": loss.item(),
                "inputGradient": flat(inp.grad),
                "gradients": {n: flat(p.grad) if p.grad is not None else [0.0] * p.numel()
                              for n, p in model.named_parameters()},
                "buffersAfter": {n: flat(b) for n, b in model.named_buffers() if "running" in n},
            })
    data = {
        "spec": spec,
        "input": flat(x.reshape(batch, features)),
        "labels": [int(v) for v in labels],
        "parameters": {n: flat(v) for n, v in initial.items() if "num_batches" not in n},
        "cases": cases,
    }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(data, f)


def optimizer_fixture():
    """Three steps of each optimizer on one 37-element tensor (two full
    16-lane vectors and a tail), with given gradients: the weights after each."""
    generator = torch.Generator().manual_seed(7)
    initial = torch.randn(37, generator=generator)
    gradients = [torch.randn(37, generator=generator) for _ in range(3)]
    settings = {
        "sgd-nesterov": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4}),
        "sgd-momentum": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": False, "weight_decay": 5e-4}),
        "adam": (torch.optim.Adam, {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 5e-4}),
    }
    runs = {}
    for name, (kind, options) in settings.items():
        weight = torch.nn.Parameter(initial.clone())
        optimizer = kind([weight], **options)
        after = []
        for gradient in gradients:
            weight.grad = gradient.clone()
            optimizer.step()
            after.append(flat(weight.detach()))
        runs[name] = after
    data = {"initial": flat(initial), "gradients": [flat(g) for g in gradients], "weights_after": runs}
    with open(os.path.join(OUT, "optimizers.json"), "w") as f:
        json.dump(data, f)


def patterns(blocks):
    modes = ["residual", "plain", "deleted"]
    result = [["residual"] * blocks]
    for mode in modes[1:]:
        result.append([mode if i % 2 == 0 else "residual" for i in range(blocks)])
    return result


def main():
    os.makedirs(OUT, exist_ok=True)
    dense = {"kind": "dense", "inputShape": [3], "classes": 4, "depth": 3, "width": 6,
             "activation": "gelu", "norm": "batch", "initialization": "he"}
    fixture("dense-batchnorm", dense, 5, patterns(3))
    fixture("dense-layernorm", dict(dense, norm="layer", activation="tanh"), 5, patterns(3))
    conv = {"kind": "conv", "inputShape": [2, 8, 8], "classes": 3, "depth": 1, "width": 3,
            "activation": "relu", "norm": "batch", "initialization": "he"}
    fixture("conv-batchnorm", conv, 4, patterns(3))
    optimizer_fixture()
    print("wrote fixtures to", os.path.abspath(OUT))


if __name__ == "__main__":
    main()
