"""What the PyTorch engine costs, measured side by side in one run.

1. Overhead: the same network, batch and data trained by a plain PyTorch
   loop (forward, loss, backward, SGD step) and by the engine's training
   step (block modes, hooks, per-block ‖∂L/∂W‖, ‖∂L/∂x‖ and branch ratio
   every step, and the snapshot's statistics gathered every 10 steps), in
   alternating rounds. Prints the median of the rounds' time ratios.
2. Ranks: training throughput of `python -m reslab_torch serve` on one
   rank against two gloo ranks under torchrun, from the samples/s its
   snapshots report.

    python Sources/reslab-torch/benchmark.py [--model resnet20] [--rounds 5] [--steps 30]
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
from reslab_torch.training import Settings, build_model  # noqa: E402


def plain_loop(settings, dataset, steps):
    """Seconds for `steps` steps of the textbook loop."""
    model, _ = build_model(settings, dataset)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    images, labels = dataset.train
    generator = torch.Generator().manual_seed(2)
    began = time.perf_counter()
    for _ in range(steps):
        batch = torch.randint(0, len(labels), (settings.batch,), generator=generator)
        loss = functional.cross_entropy(model(images[batch]), labels[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - began


def engine_steps(settings, dataset, steps):
    """Seconds for `steps` steps of the engine, statistics included."""
    engine = Engine(settings, dataset, Ranks(torch.device("cpu")))
    began = time.perf_counter()
    for step in range(steps):
        engine.train_step()
        if step % 10 == 9:
            engine._training_summary()
    return time.perf_counter() - began


def overhead(settings, dataset, rounds, steps):
    ratios = []
    plain_loop(settings, dataset, 3)
    engine_steps(settings, dataset, 3)
    for round in range(rounds):
        plain = plain_loop(settings, dataset, steps)
        engine = engine_steps(settings, dataset, steps)
        ratios.append(engine / plain)
        print(f"round {round + 1}: plain {settings.batch * steps / plain:7.0f} samples/s, "
              f"engine {settings.batch * steps / engine:7.0f} samples/s, engine/plain time {engine / plain:.3f}")
    print(f"overhead: median {statistics.median(ratios):.3f}× the plain loop's time "
          f"(range {min(ratios):.3f}–{max(ratios):.3f}, {rounds} rounds of {steps} steps)")


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
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--steps", type=int, default=30)
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
