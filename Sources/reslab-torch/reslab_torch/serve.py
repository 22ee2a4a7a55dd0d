"""`python -m reslab_torch serve`: the PyTorch engine behind ResLab's
screen, speaking the JSON-lines protocol on stdin/stdout or on a TCP port,
exactly as `reslab serve` does. Under `torchrun` every rank runs it; rank 0
speaks the protocol and the others follow it.
"""
import argparse
import math
import os
import signal
import sys
import traceback

import torch

from . import __version__
from .data import load
from .engine import CAPABILITIES, Engine, Stopped
from .protocol import PROTOCOL, Connection
from .ranks import Ranks, lost_rank, short_reason
from .training import Settings


def positive(kind, most=None):
    """An argparse type: a finite number above zero, and at most `most`."""
    def parse(text):
        value = kind(text)
        if not (value > 0 and math.isfinite(value)) or (most is not None and value > most):
            bound = f" and at most {most}" if most is not None else ""
            raise argparse.ArgumentTypeError(f"must be a positive number{bound} (got {text})")
        return value
    return parse


def seed(text):
    value = int(text)
    if not 0 <= value < 1 << 63:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2^63 - 1 (got {text})")
    return value


def parser():
    p = argparse.ArgumentParser(prog="python -m reslab_torch serve",
                                description="Run the PyTorch engine behind ResLab's dashboard (reslab --engine '…').")
    p.add_argument("--model", default="resnet20",
                   help="resnet20|32|44|56|110 (He et al., CIFAR), resnet18|34|50 (torchvision), "
                        "or ResLab's own dense|conv (with --depth, --width, --norm, --activation)")
    p.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "cifar10", "spirals"])
    p.add_argument("--data", help="the dataset's directory (CIFAR-10's binary batches; Fashion-MNIST's IDX files)")
    p.add_argument("--depth", type=positive(int), default=3, help="blocks (dense) or blocks per stage (conv)")
    p.add_argument("--width", type=positive(int), default=16)
    p.add_argument("--norm", default="batch", choices=["batch", "layer", "none"])
    p.add_argument("--activation", default="relu", choices=["relu", "tanh", "sigmoid", "gelu"])
    p.add_argument("--batch", type=positive(int), help="the whole batch, shared among the ranks (64; 128 on spirals)")
    p.add_argument("--lr", type=positive(float), default=0.1, help="peak learning rate of SGD with Nesterov momentum")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--schedule", default="onecycle", choices=["onecycle", "cosine", "constant"])
    p.add_argument("--steps", type=positive(int), help="training steps (one epoch; 2000 on spirals)")
    p.add_argument("--epochs", type=positive(int))
    p.add_argument("--seed", type=seed, default=1)
    p.add_argument("--eval-every", type=positive(int), help="steps between evaluations")
    p.add_argument("--validation-limit", type=positive(int), help="validation samples per evaluation (256)")
    p.add_argument("--sweep-limit", type=positive(int), default=2000, help="test samples per lesion evaluation")
    p.add_argument("--load", help="a ResLab checkpoint to start from")
    p.add_argument("--device", choices=["cpu", "cuda"], help="cuda when available")
    p.add_argument("--threads", type=positive(int, os.cpu_count() or 1), help="PyTorch's CPU threads per rank")
    p.add_argument("--publish-interval", type=positive(float, 3600), default=0.1,
                   help="seconds between snapshots while training (0.1); one always goes out with each evaluation")
    p.add_argument("--listen", type=int, help="listen on this TCP port instead of stdin/stdout: one front end at a time; "
                        "the next one to connect takes over the run")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--timeout", type=positive(int, 86400), default=300,
                   help="seconds a rank waits for the others before the run ends with an error")
    p.add_argument("--rank-log", help="a directory where each rank writes its own view of the run (for tests)")
    return p


def fail(message):
    print(f"reslab_torch serve: {message}", file=sys.stderr, flush=True)
    return 1


def main(arguments):
    options = parser().parse_args(arguments)
    if not (0 <= options.momentum < 1) or options.weight_decay < 0:
        return fail("--momentum must be in [0, 1) and --weight-decay zero or positive")
    if options.listen is not None and not 0 < options.listen < 65536:
        return fail(f"--listen {options.listen} is not a TCP port")
    device = torch.device(options.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        return fail("--device cuda, but PyTorch sees no GPU")
    if options.threads:
        torch.set_num_threads(options.threads)
    settings = Settings(**{field: getattr(options, field) for field in Settings.__dataclass_fields__
                           if hasattr(options, field)})
    ranks = Ranks(device, options.timeout)
    if device.type == "cuda" and ranks.world > 1:
        device = ranks.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    try:
        dataset = load(settings.dataset, settings.data, settings.seed).to(device)
        engine = Engine(settings, dataset, ranks)
    except (OSError, ValueError) as error:
        return fail(str(error))
    connection = None
    if ranks.leader:
        try:
            connection = Connection.listen(options.host, options.listen) if options.listen is not None \
                else Connection.standard()
        except OSError as error:
            return fail(f"cannot listen on {options.host}:{options.listen}: {error.strerror or error}")
        engine.connection = connection
        engine_name = f"reslab-torch {__version__}" + (f" ({ranks.world} ranks, {ranks.backend})" if ranks.world > 1 else "")
        engine.hello = {"kind": "hello", "protocol": PROTOCOL, "engine": engine_name, "capabilities": CAPABILITIES}
        engine.greet()
    # torchrun stops every rank with SIGTERM when one of them fails: the loop
    # stops at its next iteration, and the front end hears it as an error.
    signal.signal(signal.SIGTERM, lambda number, frame: engine.stop_on_signal())
    try:
        engine.run()
    except Exception as error:  # noqa: BLE001 — whatever stops the run, the front end hears why.
        if isinstance(error, Stopped):
            message = "the run was stopped (SIGTERM; under torchrun, another rank has failed)"
        elif lost_rank(error):
            message = f"a rank of the run stopped ({short_reason(error)}); the run cannot go on"
        else:
            message = f"the engine failed: {type(error).__name__}: {error}"
            traceback.print_exc()
        if connection:
            connection.write({"kind": "error", "message": message})
            connection.write({"kind": "ended", "reason": message})
        print(f"reslab_torch serve (rank {ranks.rank}): {message}", file=sys.stderr, flush=True)
        # The other ranks may be gone or stuck in a collective: leave without waiting for them.
        os._exit(1)
    if connection:
        connection.write({"kind": "ended"})
    ranks.finish()
