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

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "NetworkTests", "Fixtures")
torch.set_num_threads(1)


def activation(name):
    return {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(), "gelu": nn.GELU()}[name]


def norm(kind, features, dense):
    if kind == "batch":
        return nn.BatchNorm1d(features) if dense else nn.BatchNorm2d(features)
    if kind == "layer":
        return nn.LayerNorm(features)
    return None


def pre_activated(spec, features, index, name, transform, dense):
    layers = []
    n = norm(spec["norm"], features, dense)
    if n is not None:
        layers.append((f"norm{index}", n))
    layers.append((f"act{index}", activation(spec["activation"])))
    layers.append((f"{name}{index}", transform))
    return layers


class Pool(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


class Block(nn.Module):
    def __init__(self, branch, shortcut):
        super().__init__()
        self.branch = branch
        self.shortcut = shortcut
        self.mode = "residual"

    def forward(self, x):
        s = self.shortcut(x) if self.shortcut is not None else x
        if self.mode == "residual":
            return self.branch(x) + s
        if self.mode == "plain":
            return self.branch(x)
        return s


class ResNet(nn.Module):
    def __init__(self, spec):
        super().__init__()
        dense = spec["kind"] == "dense"
        w = spec["width"]
        blocks = []
        if dense:
            self.stem = nn.Sequential(OrderedDict([("linear", nn.Linear(spec["inputShape"][0], w))]))
            for _ in range(spec["depth"]):
                branch = pre_activated(spec, w, 1, "linear", nn.Linear(w, w), True) + \
                    pre_activated(spec, w, 2, "linear", nn.Linear(w, w), True)
                blocks.append(Block(nn.Sequential(OrderedDict(branch)), None))
            final = w
        else:
            c = spec["inputShape"][0]
            self.stem = nn.Sequential(OrderedDict([("conv", nn.Conv2d(c, w, 3, padding=1, bias=False))]))
            inputs = w
            for stage in range(3):
                outputs = w << stage
                for index in range(spec["depth"]):
                    stride = 2 if stage > 0 and index == 0 else 1
                    branch = pre_activated(spec, inputs, 1, "conv",
                                           nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False), False) + \
                        pre_activated(spec, outputs, 2, "conv", nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False), False)
                    shortcut = nn.Conv2d(inputs, outputs, 1, stride, bias=False) \
                        if stride != 1 or inputs != outputs else None
                    blocks.append(Block(nn.Sequential(OrderedDict(branch)), shortcut))
                    inputs = outputs
            final = inputs
        self.blocks = nn.ModuleList(blocks)
        head = []
        n = norm(spec["norm"], final, dense)
        if n is not None:
            head.append(("norm", n))
        head.append(("act", activation(spec["activation"])))
        if not dense:
            head.append(("pool", Pool()))
        head.append(("linear", nn.Linear(final, spec["classes"])))
        self.head = nn.Sequential(OrderedDict(head))

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


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
