"""What a run is made of: its settings, the network they name, the order of
its batches and its learning-rate schedule, each as ResLab's engine does it."""
import dataclasses
import json
import math
import os

import torch

from .checkpoint import load_checkpoint
from .models import ResNet
from .zoo import build


@dataclasses.dataclass
class Settings:
    """The options of `python -m reslab_torch serve` (see `serve.py`)."""
    model: str = "resnet20"
    dataset: str = "fashion-mnist"
    data: str = None
    depth: int = 3
    width: int = 16
    norm: str = "batch"
    activation: str = "relu"
    batch: int = None
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "onecycle"
    steps: int = None
    epochs: int = None
    seed: int = 1
    eval_every: int = None
    validation_limit: int = None
    sweep_limit: int = 2000
    load: str = None
    device: str = None
    threads: int = None
    publish_interval: float = 0.1
    rank_log: str = None

    @property
    def own_model(self):
        """Whether the model is one of ResLab's own (`dense`, `conv`), which
        write ResLab checkpoints."""
        return self.model in ("dense", "conv")


def build_model(settings, dataset, device=torch.device("cpu")):
    """The network `settings` name, for `dataset`, initialised from the seed
    (or loaded from `settings.load`); with its spec when it is ResLab's own.
    A network too large to train on `device` is refused before it is built."""
    if settings.load:
        model, metadata = load_checkpoint(settings.load)
        spec = json.loads(metadata["reslab.model"])
        if spec["classes"] != dataset.classes:
            raise ValueError(f"{settings.load} has {spec['classes']} classes; {dataset.name} has {dataset.classes}")
        return model.train(), spec
    shape = list(dataset.train[0].shape[1:])
    if settings.own_model:
        if not (1 <= settings.depth <= 1000 and 1 <= settings.width <= 4096):
            raise ValueError("--depth must be 1–1000 and --width 1–4096")
        spec = {"kind": settings.model, "depth": settings.depth, "width": settings.width, "norm": settings.norm,
                "activation": settings.activation, "classes": dataset.classes, "initialization": "he",
                "inputShape": [math.prod(shape)] if settings.model == "dense" else shape}
        if settings.model == "conv" and len(shape) != 3:
            raise ValueError(f"a conv network needs images; {dataset.name} has samples of shape {shape}")

        def make():
            return ResNet(spec)
    else:
        if len(shape) != 3:
            raise ValueError(f"{settings.model} needs images; {dataset.name} has samples of shape {shape}")
        spec = None

        def make():
            return build(settings.model, classes=dataset.classes, channels=shape[0])
    check_memory(make, device)
    torch.manual_seed(settings.seed)
    return make(), spec


def check_memory(make, device):
    """Raises ValueError when the weights of `make()`, with their gradients,
    momentum and a spare copy (16 bytes a parameter), would take more than
    three quarters of `device`'s memory. Counted on PyTorch's meta device,
    which allocates nothing."""
    with torch.device("meta"):
        count = sum(p.numel() for p in make().parameters())
    if device.type == "cuda":
        total = torch.cuda.get_device_properties(device).total_memory
    else:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if 16 * count > 0.75 * total:
        raise ValueError(f"the network has {count / 1e6:.0f} M parameters and needs about {16 * count / 1e9:.1f} GB "
                         f"to train; {device.type} has {total / 1e9:.1f} GB")


def learning_rate(schedule, step, total, peak):
    """The rate at `step` of `total`: constant, cosine, or one-cycle (a
    warm-up from peak/25 over 30 % of the run, then half a cosine down to
    peak/25/10⁴), as ResLab's `LearningRateSchedule`."""
    t = min(step, max(total, 1)) / max(total, 1)
    if schedule == "constant":
        return peak
    if schedule == "cosine":
        return peak * 0.5 * (1 + math.cos(math.pi * t))
    start = peak / 25
    end = start / 1e4
    if t < 0.3:
        return start + (peak - start) * t / 0.3
    return end + (peak - end) * 0.5 * (1 + math.cos(math.pi * (t - 0.3) / 0.7))


class Batches:
    """Shuffled batches of sample indices, a new order every epoch, the same
    on every rank for the same seed; each rank takes its share of a batch."""

    def __init__(self, count, batch, seed, rank=0, world=1):
        if batch > count:
            raise ValueError(f"a batch of {batch} is more than the {count} training samples")
        if batch % world:
            raise ValueError(f"a batch of {batch} does not split evenly among {world} ranks")
        self.count, self.batch, self.rank, self.world = count, batch, rank, world
        self.generator = torch.Generator().manual_seed(seed)
        self.per_epoch = count // batch
        self._order, self._next = None, self.per_epoch

    def next(self):
        """This rank's indices of the next batch."""
        if self._next == self.per_epoch:
            self._order = torch.randperm(self.count, generator=self.generator)
            self._next = 0
        start = self._next * self.batch
        self._next += 1
        share = self.batch // self.world
        return self._order[start + self.rank * share:start + (self.rank + 1) * share]
