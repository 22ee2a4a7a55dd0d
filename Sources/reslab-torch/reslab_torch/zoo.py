"""The residual networks of the papers, built in code (no download), with
block modes on every block:

- `cifar_resnet(depth)`: He et al. 2015's CIFAR ResNets, depth 6n + 2
  (ResNet-20/32/44/56/110): a 3x3 stem of 16 channels, three stages of n
  basic blocks (16, 32, 64 channels), stride 2 at the start of stages 2 and
  3 with the parameter-free shortcut of their option A (subsample, then pad
  the new channels with zeros), global average pooling, a linear head.
- `imagenet_resnet(depth)`: torchvision's resnet18/34 (basic blocks) and
  resnet50 (bottlenecks), with torchvision's parameter names, so its weights
  load as they are.

A block's output is act(F(x) + S(x)). Its `mode` changes that: "plain" gives
act(F(x)), the block of a plain network; "deleted" gives S(x), so that a
deleted downsampling block keeps its projection (Veit et al. 2016).
"""
import torch
from torch import nn
from torch.nn import functional

from .models import MODES


class ModeBlock(nn.Module):
    """A post-activation residual block whose subclasses give `branch`
    (F) and `shortcut` (S); `mode` picks the output."""

    def __init__(self):
        super().__init__()
        self.mode = "residual"
        self.relu = nn.ReLU(inplace=False)
        # Called with (block, F(x), S(x)) by a training forward that computes both (see statistics.BlockProbe).
        self.measure = None

    def forward(self, x):
        if self.mode == "deleted":
            return self.shortcut(x)
        if self.mode == "plain":
            return self.relu(self.branch(x))
        f, s = self.branch(x), self.shortcut(x)
        if self.measure is not None and self.training:
            self.measure(self, f, s)
        return self.relu(f + s)

    def branch_parameters(self):
        """The parameters of F: all but the projection shortcut's."""
        return [p for name, p in self.named_parameters() if not name.startswith("downsample.")]

    @property
    def downsamples(self):
        """Whether the shortcut changes the shape (Veit's downsampling blocks)."""
        return self.downsample is not None


class BasicBlock(ModeBlock):
    """Two 3x3 convolutions (torchvision's names: conv1, bn1, conv2, bn2, downsample)."""
    expansion = 1

    def __init__(self, inputs, width, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = downsample

    def branch(self, x):
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))

    def shortcut(self, x):
        return self.downsample(x) if self.downsample is not None else x


class Bottleneck(ModeBlock):
    """1x1, 3x3 (with the stride), 1x1 with 4x the width (torchvision's resnet50)."""
    expansion = 4

    def __init__(self, inputs, width, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, width * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * 4)
        self.downsample = downsample

    def branch(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        return self.bn3(self.conv3(x))

    def shortcut(self, x):
        return self.downsample(x) if self.downsample is not None else x


class PadShortcut(nn.Module):
    """He et al.'s option A: every other pixel, the new channels zero."""

    def __init__(self, outputs):
        super().__init__()
        self.outputs = outputs

    def forward(self, x):
        x = x[:, :, ::2, ::2]
        return functional.pad(x, (0, 0, 0, 0, 0, self.outputs - x.shape[1]))


class ZooResNet(nn.Module):
    """A stem, stages of mode blocks, pooling and a linear head (`fc`)."""

    def __init__(self, stem, stages, features, classes):
        super().__init__()
        self.stem_layers = stem
        for index, stage in enumerate(stages, start=1):
            setattr(self, f"layer{index}", stage)
        self.stage_count = len(stages)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(features, classes)

    @property
    def blocks(self):
        """Every block, input to output."""
        return [block for index in range(1, self.stage_count + 1) for block in getattr(self, f"layer{index}")]

    def set_modes(self, modes):
        blocks = self.blocks
        if len(modes) != len(blocks):
            raise ValueError(f"{len(modes)} modes for {len(blocks)} blocks")
        for block, mode in zip(blocks, modes):
            if mode not in MODES:
                raise ValueError(f"unknown block mode {mode!r}")
            block.mode = mode

    def forward(self, x):
        x = self.stem_layers(x)
        for index in range(1, self.stage_count + 1):
            x = getattr(self, f"layer{index}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def cifar_resnet(depth, classes=10, channels=3):
    """ResNet-`depth` for 32x32 images, depth = 6n + 2 (20, 32, 44, 56, 110)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"a CIFAR ResNet has depth 6n + 2 (20, 32, 44, 56, 110); got {depth}")
    n = (depth - 2) // 6
    stem = nn.Sequential(nn.Conv2d(channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
    stages, inputs = [], 16
    for stage, width in enumerate((16, 32, 64)):
        blocks = []
        for index in range(n):
            stride = 2 if stage > 0 and index == 0 else 1
            blocks.append(BasicBlock(inputs, width, stride, PadShortcut(width) if stride != 1 else None))
            inputs = width
        stages.append(nn.Sequential(*blocks))
    return ZooResNet(stem, stages, 64, classes)


IMAGENET_LAYOUTS = {18: (BasicBlock, (2, 2, 2, 2)), 34: (BasicBlock, (3, 4, 6, 3)), 50: (Bottleneck, (3, 4, 6, 3))}


def imagenet_resnet(depth, classes=1000, channels=3):
    """torchvision's resnet18, resnet34 or resnet50, with its parameter names."""
    if depth not in IMAGENET_LAYOUTS:
        raise ValueError(f"resnet{depth} is not built here; choose 18, 34 or 50")
    kind, counts = IMAGENET_LAYOUTS[depth]
    stem = nn.Sequential(nn.Conv2d(channels, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                         nn.MaxPool2d(3, 2, 1))
    stages, inputs = [], 64
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), counts)):
        blocks = []
        for index in range(count):
            stride = 2 if stage > 0 and index == 0 else 1
            outputs = width * kind.expansion
            downsample = None
            if stride != 1 or inputs != outputs:
                downsample = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))
            blocks.append(kind(inputs, width, stride, downsample))
            inputs = outputs
        stages.append(nn.Sequential(*blocks))
    return ZooResNet(stem, stages, inputs, classes)


def build(name, classes=None, channels=3):
    """`resnet20` … `resnet110` (CIFAR) or `resnet18`, `resnet34`, `resnet50` (ImageNet)."""
    if not name.startswith("resnet") or not name[6:].isdigit():
        raise ValueError(f"unknown model {name!r}")
    depth = int(name[6:])
    if depth in IMAGENET_LAYOUTS:
        return imagenet_resnet(depth, classes or 1000, channels)
    return cifar_resnet(depth, classes or 10, channels)
