"""Times two builds of ResLab side by side and prints, for each figure, the
median of each build (new first) and their ratio (new / old): samples/s
for workloads, GFLOP/s of useful arithmetic for products (a convolution
stage run by Winograd's tiles does fewer multiply-adds than it is worth).

    python3 Tests/Reference/compare_builds.py OLD NEW --rounds 8 --seconds 2 --workload mlp-fashion
    python3 Tests/Reference/compare_builds.py OLD NEW --rounds 8 --seconds 1 --gemm --threads 1

OLD and NEW are `reslab` executables (for example a copy of
.build/release/reslab saved before a change). In every round each build
runs the same `reslab bench` command one right after the other, the first
of the pair alternating from round to round, so that the shared machine's
slow spells fall on both alike. Besides the ratio of the medians, the table
gives the median and the range of the ratios of the pairs. On two threads
or more, a cache line's round trip between the CPUs is timed before and
after each pair (core_to_core.c), and two more rows give the pairs that
ran with the CPUs near each other throughout and those that ran far apart
throughout: the host moves them, and far apart every two-thread step is
1.4-1.6 times slower (core_distance.py), so a pair split across a move
compares two placements, not two builds.
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from compare import (WORKLOADS, built_probe, placement, placement_rows, records, require_reslab,  # noqa: E402
                     round_trip, row)


def figures(executable, arguments):
    """Runs `reslab bench --json` and returns {figure name: value}: samples
    per second for workloads, GFLOP/s for products (the peak left out),
    counting the useful arithmetic where a product reports it, so that two
    builds doing the same convolution by different algorithms compare by
    speed."""
    results = {}
    for record in records([executable, "bench", "--json"] + arguments):
        if record.get("workload") == "fma-peak":
            continue
        value = record.get("samples_per_s") or record.get("useful_gflops") or record.get("gflops")
        if not isinstance(record.get("workload"), str) or not isinstance(value, (int, float)):
            sys.exit(f"error: {executable} printed a figure without a workload and a value: {str(record)[:60]}")
        results[record["workload"]] = value
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gemm", action="store_true", help="time the GEMM shapes instead of workloads")
    parser.add_argument("--workload", action="append", choices=WORKLOADS, help="workloads (default: all)")
    args = parser.parse_args()
    for build in (args.old, args.new):
        require_reslab(build, hint="")
    if not (1 <= args.rounds <= 1000 and 0 < args.seconds <= 3600 and 1 <= args.threads <= 1024):
        sys.exit("error: --rounds must be 1 to 1000, --seconds above 0 and at most 3600, --threads 1 to 1024")
    # One timing per figure and call (after its peak loop): this script makes the rounds.
    common = ["--threads", str(args.threads), "--seconds", str(args.seconds), "--rounds", "1"]
    if args.gemm:
        commands = [common + ["--gemm"]]
    else:
        commands = [common + ["--workload", w] for w in args.workload or WORKLOADS]
    with tempfile.TemporaryDirectory() as directory:
        probe = built_probe(directory) if args.threads > 1 else None
        values = time_pairs(args, commands, probe)
    print(f"{'figure':16} {'threads':>7} {'new':>10} {'old':>10} {'ratio':>7}   pairs: median (range)")
    for name, runs in values.items():
        print(row(name, args.threads, runs["new"], runs["old"], digits=1), flush=True)
        for line in placement_rows(args.threads, runs["new"], runs["old"], runs["placement"], digits=1):
            print(line, flush=True)


def time_pairs(args, commands, probe):
    """{figure: {"old": [...], "new": [...], "placement": [...]}}, one entry
    per pair: "near" or "far" when the round trips timed before and after
    the pair agree, else "moved" (and None without a probe)."""
    values = {}
    for round in range(args.rounds):
        for command in commands:
            before = round_trip(probe) if probe else None
            pair = {}
            for build in (["old", "new"] if round % 2 == 0 else ["new", "old"]):
                pair[build] = figures(getattr(args, build), command)
            where = placement(before, round_trip(probe)) if probe else None
            for name in pair["old"]:
                runs = values.setdefault(name, {"old": [], "new": [], "placement": []})
                runs["old"].append(pair["old"][name])
                runs["new"].append(pair["new"][name])
                runs["placement"].append(where)
    return values


if __name__ == "__main__":
    main()
