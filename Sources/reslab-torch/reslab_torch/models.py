"""ResLab's dense and conv ResNets, layer for layer and name for name.

A block computes a branch F(x) (norm -> act -> linear/conv, twice,
pre-activation) and a shortcut S(x) (the identity, or a 1x1 projection where
the shape changes). Its `mode` picks the output: "residual" is S(x) + F(x),
"plain" is F(x), "deleted" is S(x); a deleted downsampling block keeps its
projection, as in Veit et al. 2016. A model spec is the JSON of a
checkpoint's `reslab.model`.
"""
from collections import OrderedDict

from torch import nn

MODES = ("residual", "plain", "deleted")


def activation(name):
    return {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(), "gelu": nn.GELU()}[name]


def norm(kind, features, dense):
    if kind == "batch":
        return nn.BatchNorm1d(features) if dense else nn.BatchNorm2d(features)
    if kind == "layer":
        return nn.LayerNorm(features)
    return None


def pre_activated(spec, features, index, name, transform, dense):
    """norm? -> act -> transform, named with `index` as ResLab names them."""
    layers = []
    n = norm(spec["norm"], features, dense)
    if n is not None:
        layers.append((f"norm{index}", n))
    layers.append((f"act{index}", activation(spec["activation"])))
    layers.append((f"{name}{index}", transform))
    return layers


class Pool(nn.Module):
    """Global average pooling over height and width."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class Block(nn.Module):
    """A residual block with a mode: residual, plain or deleted."""

    def __init__(self, branch, shortcut):
        super().__init__()
        self.branch = branch
        self.shortcut = shortcut
        self.mode = "residual"
        # Called with (block, F(x), S(x)) by a training forward that computes both (see statistics.BlockProbe).
        self.measure = None

    def forward(self, x):
        if self.mode == "plain":
            return self.branch(x)
        s = self.shortcut(x) if self.shortcut is not None else x
        if self.mode == "deleted":
            return s
        f = self.branch(x)
        if self.measure is not None and self.training:
            self.measure(self, f, s)
        return f + s

    def branch_parameters(self):
        """The parameters of F, whose gradient norm the engine reports."""
        return list(self.branch.parameters())

    @property
    def downsamples(self):
        """Whether the shortcut is a projection (Veit's downsampling blocks)."""
        return self.shortcut is not None


class ResNet(nn.Module):
    """Dense: linear stem -> n blocks -> norm -> act -> linear head. Conv:
    3x3 conv stem -> three stages of n blocks (width, 2 width, 4 width
    channels; stride 2 and a projection at the start of stages 2 and 3) ->
    norm -> act -> global average pool -> linear head."""

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

    def set_modes(self, modes):
        """One mode per block, input to output."""
        if len(modes) != len(self.blocks):
            raise ValueError(f"{len(modes)} modes for {len(self.blocks)} blocks")
        for block, mode in zip(self.blocks, modes):
            if mode not in MODES:
                raise ValueError(f"unknown block mode {mode!r}")
            block.mode = mode

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)
