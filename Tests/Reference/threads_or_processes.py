"""Asks what a second thread costs a workload's step: in each round, times
the workload on two threads, then as two one-thread processes at once,
each pinned to a CPU of its own (`taskset -c 0` and `-c 1`), then on one
thread at half its batch, the share each of the two threads' shards takes.

    python3 Tests/Reference/threads_or_processes.py [--reslab .build/release/reslab]
        [--workload mlp-spiral] [--rounds 6] [--seconds 1]

Prints one line per round: where the CPUs sat (the round trip, timed
before the round and after it), the two threads' samples/s, the two
processes' and their sum, and the half batch's samples/s on one thread.
The processes share nothing but the machine: their sum is what the two
CPUs can train without handing anything to each other. Two threads fall
short of it by the cost of a smaller batch per call (the half-batch
figure, against one process's) and by what the threads share: the
gradients added up, the update, the weights read by both.
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from compare import (WORKLOADS, built_probe, json_lines, measure, require_reslab,  # noqa: E402
                     round_trip, workload_figure)

# Each workload's own batch (`BenchmarkWorkload.batchSize`).
BATCHES = {"mlp-spiral": 256, "mlp-fashion": 128, "conv-fashion": 64}


def bench(reslab, workload, threads, seconds, extra=()):
    """The command that times `workload` for `seconds` in one round."""
    return [reslab, "bench", "--json", "--workload", workload, "--threads", str(threads),
            "--rounds", "1", "--seconds", str(seconds), *extra]


def pinned_side_by_side(command):
    """Runs `command` twice at once, on CPU 0 and on CPU 1, and returns
    the two runs' samples/s; the script stops with one line if either fails."""
    try:
        running = [subprocess.Popen(["taskset", "-c", str(cpu), *command], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for cpu in (0, 1)]
    except OSError as failure:
        sys.exit(f"error: taskset could not start: {failure}")
    name, figures = os.path.basename(command[0]), []
    for process in running:
        output, errors = process.communicate()
        if process.returncode != 0:
            detail = errors.strip().splitlines() or ["no output"]
            sys.exit(f"error: {name} pinned to a CPU failed: {detail[-1]}")
        figures.append(workload_figure(json_lines(output, name), name)["samples_per_s"])
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reslab", default=".build/release/reslab")
    parser.add_argument("--workload", choices=WORKLOADS, default="mlp-spiral")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    require_reslab(args.reslab)
    if not (1 <= args.rounds <= 1000 and 0 < args.seconds <= 3600):
        sys.exit("error: --rounds must be 1 to 1000, --seconds above 0 and at most 3600")
    if (os.cpu_count() or 1) < 2:
        sys.exit("error: this needs two CPUs")
    half = str(BATCHES[args.workload] // 2)
    with tempfile.TemporaryDirectory() as directory:
        probe = built_probe(directory)
        print(f"{'round trip (ns)':>16}{'2 threads':>12}{'process 1':>12}{'process 2':>12}{'sum':>10}"
              f"{'half batch':>12}   samples/s, {args.workload}")
        for _ in range(args.rounds):
            before = round_trip(probe)
            two_threads = measure(bench(args.reslab, args.workload, 2, args.seconds))["samples_per_s"]
            processes = pinned_side_by_side(bench(args.reslab, args.workload, 1, args.seconds))
            half_batch = measure(bench(args.reslab, args.workload, 1, args.seconds, ("--batch", half)))["samples_per_s"]
            after = round_trip(probe)
            print(f"{before:>7} / {after:<6}{two_threads:>12.0f}{processes[0]:>12.0f}{processes[1]:>12.0f}"
                  f"{sum(processes):>10.0f}{half_batch:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
