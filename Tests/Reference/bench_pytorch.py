"""PyTorch versions of the three `reslab bench` workloads, for side-by-side timing.

Each workload is a full SGD-momentum step (forward, backward, update) on random
inputs, with exactly ResLab's shapes (the same module as make_fixtures.py).
Prints one JSON object per workload: {"workload", "threads", "samples_per_s"}.
`--depth N` gives every workload N blocks instead of its own (as `reslab bench
--depth N` does).

    .venv/bin/python Tests/Reference/bench_pytorch.py --threads 2 --seconds 3
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_fixtures import ResNet  # noqa: E402

WORKLOADS = {
    "mlp-spiral": ({"kind": "dense", "inputShape": [2], "classes": 3, "depth": 30, "width": 32,
                    "activation": "relu", "norm": "none"}, 256),
    "mlp-fashion": ({"kind": "dense", "inputShape": [784], "classes": 10, "depth": 20, "width": 128,
                     "activation": "relu", "norm": "batch"}, 128),
    "conv-fashion": ({"kind": "conv", "inputShape": [1, 28, 28], "classes": 10, "depth": 3, "width": 16,
                      "activation": "relu", "norm": "batch"}, 64),
}


def measure(name, threads, seconds, depth=None):
    spec, batch = WORKLOADS[name]
    spec = dict(spec, depth=depth or spec["depth"])
    torch.manual_seed(99)
    model = ResNet(spec)
    model.train()
    # Rate 0, as in `reslab bench`: every step does all of its arithmetic on the same
    # weights, where a rate that diverged would leave NaNs (mlp-spiral did at 0.01).
    optimizer = torch.optim.SGD(model.parameters(), lr=0, momentum=0.9)
    x = torch.randn([batch] + spec["inputShape"])
    y = torch.randint(0, spec["classes"], (batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(3):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        step()
        steps += 1
    elapsed = time.perf_counter() - start
    return {"workload": name, "threads": threads, "samples_per_s": steps * batch / elapsed}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    parser.add_argument("--depth", type=int, help="blocks, instead of each workload's own")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.workload or list(WORKLOADS):
        print(json.dumps(measure(name, args.threads, args.seconds, args.depth)), flush=True)


if __name__ == "__main__":
    main()
