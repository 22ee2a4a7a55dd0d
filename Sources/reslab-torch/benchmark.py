"""What the PyTorch engine costs, measured side by side in one run.

1. Overhead: the same network, batch and data trained by a plain PyTorch
   loop (forward, loss, backward, SGD step) and by the engine's training
   step (block modes, hooks, per-block ‖∂L/∂W‖, ‖∂L/∂x‖ and branch ratio
   every step, and the snapshot's statistics gathered every 10 steps), in
   alternating rounds. Prints the median of the rounds' time ratios.
2. Ranks: training throughput of `python -m reslab_torch serve` on one
   rank against two gloo ranks under torchrun, from the samples/s its
   snapshots report.

    python Sources/reslab-torch/benchmark.py [--model resnet20] [--rounds 20] [--steps 10]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
from torch.nn import functional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reslab_torch.data import load  # noqa: E402
from reslab_torch.engine import Engine  # noqa: E402
from reslab_torch.ranks import Ranks  # noqa: E402
from reslab_torch.training import Batches, Settings, build_model  # noqa: E402


class PlainLoop:
    """The textbook loop: forward, loss, backward, SGD step."""

    def __init__(self, settings, dataset):
        self.model, _ = build_model(settings, dataset)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9, nesterov=True,
                                         weight_decay=5e-4)
        self.images, self.labels = dataset.train
        self.batches = Batches(len(self.labels), settings.batch, settings.seed + 1)

    def train_step(self):
        batch = self.batches.next()
        loss = functional.cross_entropy(self.model(self.images[batch]), self.labels[batch])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()


class EngineLoop:
    """The engine's step, with the snapshot's statistics gathered every 10 steps."""

    def __init__(self, settings, dataset):
        self.engine = Engine(settings, dataset, Ranks(torch.device("cpu")))

    def train_step(self):
        self.engine.train_step()
        if self.engine.step % 10 == 0:
            self.engine._training_summary()


def seconds(loop, steps):
    began = time.perf_counter()
    for _ in range(steps):
        loop.train_step()
    return time.perf_counter() - began


def overhead(settings, dataset, rounds, steps):
    """Rounds of `steps` steps, the two loops taking turns, which goes first alternating."""
    plain, engine = PlainLoop(settings, dataset), EngineLoop(settings, dataset)
    seconds(plain, 3)
    seconds(engine, 3)
    ratios = []
    for round in range(rounds):
        if round % 2:
            engine_time, plain_time = seconds(engine, steps), seconds(plain, steps)
        else:
            plain_time, engine_time = seconds(plain, steps), seconds(engine, steps)
        ratios.append(engine_time / plain_time)
        print(f"round {round + 1:2}: plain {settings.batch * steps / plain_time:5.0f} samples/s, "
              f"engine {settings.batch * steps / engine_time:5.0f} samples/s, engine/plain time {ratios[-1]:.3f}")
    print(f"overhead: median {statistics.median(ratios):.3f}× the plain loop's time "
          f"(range {min(ratios):.3f}–{max(ratios):.3f}, {rounds} rounds of {steps} steps each)")


def served_throughput(model, ranks, threads, steps):
    """Samples/s of a served run by the wall clock, from its first snapshot
    past step 10 to its last before the end (the evaluations are left out)."""
    serve = ["-m", "reslab_torch", "serve", "--model", model, "--dataset", "fashion-mnist", "--threads", str(threads),
             "--steps", str(steps), "--eval-every", str(steps)]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(ranks)] if ranks > 1 \
        else [sys.executable]
    environment = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.abspath(__file__)), OMP_NUM_THREADS=str(threads))
    process = subprocess.Popen(launcher + serve, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=environment, text=True)
    first = last = None
    for line in process.stdout:
        message = json.loads(line)
        if message["kind"] != "train":
            continue
        if 10 < message["step"] < steps:
            first = first or message
            last = message
        if message["state"] == "finished":
            break
    process.stdin.close()
    process.wait()
    if not first or last["step"] == first["step"]:
        return float("nan")
    return 64 * (last["step"] - first["step"]) / (last["elapsed_s"] - first["elapsed_s"])


def main():
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--model", default="resnet20")
    options.add_argument("--rounds", type=int, default=20)
    options.add_argument("--steps", type=int, default=10)
    options.add_argument("--rank-steps", type=int, default=150)
    options.add_argument("--skip-ranks", action="store_true")
    arguments = options.parse_args()
    torch.set_num_threads(2)
    settings = Settings(model=arguments.model, batch=64, threads=2)
    dataset = load("fashion-mnist")
    print(f"{arguments.model}, Fashion-MNIST, batch 64, {torch.get_num_threads()} threads, torch {torch.__version__}")
    overhead(settings, dataset, arguments.rounds, arguments.steps)
    if arguments.skip_ranks:
        return
    for ranks, threads in ((1, 1), (1, 2), (2, 1)):
        rate = served_throughput(arguments.model, ranks, threads, arguments.rank_steps)
        print(f"serve, {ranks} rank{'s' if ranks > 1 else ''} × {threads} thread{'s' if threads > 1 else ''}: "
              f"{rate:7.0f} samples/s")


if __name__ == "__main__":
    main()
