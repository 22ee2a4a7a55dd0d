"""Times, turn about, a cache line's round trip between the two CPUs
(core_to_core.c) and one second of each workload on two threads
(`reslab bench`), and prints one line per round: the round trip in
nanoseconds, the two-thread arithmetic peak timed beside the first
workload, and each workload's milliseconds per step.

    python3 Tests/Reference/core_distance.py [--reslab .build/release/reslab] [--rounds 12]

On this virtual machine the host sometimes places the two CPUs far apart.
The two-thread steps, whose threads hand weights, gradients, activations
and batch statistics to each other through the caches, then slow down
with the round trip; the arithmetic peak, which each core reaches alone,
does not move.
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from compare import WORKLOADS, built_probe, measure, require_reslab, round_trip  # noqa: E402


def timed(reslab, workload):
    """One second of `workload` on two threads: its milliseconds per step
    and the peak timed beside it, in GFLOP/s."""
    record = measure([reslab, "bench", "--json", "--workload", workload, "--threads", "2",
                      "--rounds", "1", "--seconds", "1"])
    return record["ms_per_step"], record["peak_gflops"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reslab", default=".build/release/reslab")
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    require_reslab(args.reslab)
    if not 1 <= args.rounds <= 1000:
        sys.exit("error: --rounds must be 1 to 1000")
    with tempfile.TemporaryDirectory() as directory:
        probe = built_probe(directory)
        print(f"{'round trip (ns)':>15}{'peak GFLOP/s':>14}" + "".join(f"{w + ' ms/step':>22}" for w in WORKLOADS))
        for _ in range(args.rounds):
            trip = round_trip(probe)
            figures = [timed(args.reslab, w) for w in WORKLOADS]
            print(f"{trip:>15}{figures[0][1]:>14.0f}" + "".join(f"{ms:>22.2f}" for ms, _ in figures), flush=True)


if __name__ == "__main__":
    main()
