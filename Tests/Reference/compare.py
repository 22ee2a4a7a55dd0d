"""Runs ResLab's and PyTorch's benchmark workloads alternately and prints,
for each workload and thread count, the median of each and their ratio.

    swift build -c release
    .venv/bin/python Tests/Reference/compare.py --rounds 3 --seconds 2

ResLab is the release binary (.build/release/reslab); PyTorch is
bench_pytorch.py beside this file, with torch.set_num_threads to match.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(command):
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {o["workload"]: o["samples_per_s"] for o in (json.loads(line) for line in output.split("\n") if line)}



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2)
    args = parser.parse_args()
    reslab = os.path.join(ROOT, ".build", "release", "reslab")
    print(f"{'workload':14} {'threads':>7} {'ResLab':>12} {'PyTorch':>12} {'ratio':>7}")
    for threads in (1, 2):
        results = {"reslab": {}, "torch": {}}
        for _ in range(args.rounds):
            for name, command in (
                ("reslab", [reslab, "bench", "--json", "--threads", str(threads), "--seconds", str(args.seconds)]),
                ("torch", [sys.executable, os.path.join(HERE, "bench_pytorch.py"), "--threads", str(threads),
                           "--seconds", str(args.seconds)]),
            ):
                for workload, rate in run(command).items():
                    results[name].setdefault(workload, []).append(rate)
        for workload in results["reslab"]:
            ours = statistics.median(results["reslab"][workload])
            theirs = statistics.median(results["torch"][workload])
            print(f"{workload:14} {threads:>7} {ours:>12.0f} {theirs:>12.0f} {ours / theirs:>6.2f}×")


if __name__ == "__main__":
    main()
