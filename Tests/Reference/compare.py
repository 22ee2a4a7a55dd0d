"""Times ResLab's and PyTorch's benchmark workloads side by side and prints,
for each workload and thread count, the median of each and their ratio.

    swift build -c release
    .venv/bin/python Tests/Reference/compare.py --rounds 9 --seconds 2

ResLab is the release binary (.build/release/reslab); PyTorch is
bench_pytorch.py beside this file, with torch.set_num_threads to match.
In every round each workload is timed by ResLab and by PyTorch one right
after the other (the first of the pair alternating from round to round), so
that the shared machine's slow spells fall on both alike. Besides the ratio
of the medians, the table gives the median and the range of the ratios of
the pairs, and the last column the median arithmetic peak that `reslab
bench` timed beside ResLab's figures: it tells a quiet hour (about 370-410
GFLOP/s on two threads of this machine) from a busy one (about 200). On
two threads a further column gives the median and range of a cache line's
round trip between the two CPUs, timed before and after each pair
(core_to_core.c): this virtual machine's host places them near each other
(60-80 ns) or far apart (320-360 ns), and every two-thread step is
1.4-1.6 times slower far apart (core_distance.py). Two more rows then give
the pairs that ran near each other throughout and those that ran far
apart throughout; a pair split across a move compares two placements.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKLOADS = ["mlp-spiral", "mlp-fashion", "conv-fashion"]


def run(command):
    """The standard output of `command`; if it cannot start or fails, the
    script stops with one line naming it and the last line it printed to
    standard error."""
    try:
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as failure:
        detail = (getattr(failure, "stderr", None) or str(failure)).strip().splitlines() or ["no output"]
        sys.exit(f"error: {os.path.basename(command[0])} failed: {detail[-1]}")


def json_lines(output, name):
    """The JSON objects in `output`, one a line; the script stops with one
    line naming the program `name` if any line is not one."""
    found = []
    for line in output.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            sys.exit(f"error: {name} printed {line[:40]!r}, not a JSON object")
        found.append(record)
    return found


def records(command):
    """The JSON objects `command` prints, one a line (see `json_lines`)."""
    return json_lines(run(command), os.path.basename(command[0]))


def workload_figure(found, name):
    """The first of a benchmark's JSON figures that has samples/s (`reslab
    bench` reports the arithmetic peak first); the script stops with one
    line naming the program `name` if there is none."""
    figures = [record for record in found if isinstance(record.get("samples_per_s"), (int, float))]
    if not figures:
        sys.exit(f"error: {name} printed no samples/s figure")
    return figures[0]


def measure(command):
    """Runs one benchmark command and returns its workload's JSON figure."""
    return workload_figure(records(command), os.path.basename(command[0]))


def require_reslab(path, hint=" (swift build -c release)"):
    """Stops the script with one line unless `path` is an executable file."""
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.exit(f"error: {path} is not an executable reslab{hint}")


def round_trip(probe):
    """Nanoseconds of a cache line's round trip between CPUs 0 and 1."""
    output = run([probe]).strip()
    if not output.isdigit() or not 0 < int(output) < 10**6:
        sys.exit(f"error: core_to_core printed {output[:40]!r}, not a round trip in nanoseconds")
    return int(output)


# Round trips above this many nanoseconds mean the host has placed the two
# CPUs far apart (320-360 ns on this machine, against 60-80 near each other).
FAR_APART = 150


def built_probe(directory):
    """core_to_core.c compiled into `directory`; returns the executable's path."""
    probe = os.path.join(directory, "core_to_core")
    run(["cc", "-O2", "-pthread", "-o", probe, os.path.join(HERE, "core_to_core.c")])
    return probe


def placement(before, after):
    """"near" or "far" when the round trips timed before and after a pair
    agree, else "moved"."""
    places = {"far" if trip > FAR_APART else "near" for trip in (before, after)}
    return places.pop() if len(places) == 1 else "moved"


def placement_rows(threads, numerators, denominators, placements, digits=0):
    """`row`s for the pairs that ran near each other throughout and for
    those that ran far apart throughout, with how many pairs each holds."""
    rows = []
    for place in ("near", "far"):
        pairs = [(a, b) for a, b, where in zip(numerators, denominators, placements) if where == place]
        if pairs:
            rows.append(row(f"  {place} ({len(pairs)})", threads, [a for a, _ in pairs], [b for _, b in pairs], digits))
    return rows


def row(label, threads, numerators, denominators, digits=0):
    """One table row: the label, the thread count, the medians of two series
    timed in alternating rounds, their ratio, and the median and range of the
    ratios of the rounds' pairs."""
    top, bottom = statistics.median(numerators), statistics.median(denominators)
    pairs = [a / b for a, b in zip(numerators, denominators)]
    return (f"{label:16} {threads:>7} {top:>10.{digits}f} {bottom:>10.{digits}f} {top / bottom:>6.2f}×   "
            f"{statistics.median(pairs):.2f}× ({min(pairs):.2f}–{max(pairs):.2f})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--threads", type=int, action="append", help="thread counts (default: 1 and 2)")
    parser.add_argument("--workload", action="append", choices=WORKLOADS, help="workloads (default: all)")
    parser.add_argument("--depth", type=int, action="append", help="blocks (default: each workload's own)")
    args = parser.parse_args()
    if not (1 <= args.rounds <= 1000 and 0 < args.seconds <= 3600
            and all(1 <= t <= 1024 for t in args.threads or []) and all(1 <= d <= 1000 for d in args.depth or [])):
        sys.exit("error: --rounds must be 1 to 1000, --seconds above 0 and at most 3600, "
                 "--threads 1 to 1024, --depth 1 to 1000")
    reslab = os.path.join(ROOT, ".build", "release", "reslab")
    require_reslab(reslab)
    with tempfile.TemporaryDirectory() as directory:
        compare(args, reslab, built_probe(directory))


def compare(args, reslab, probe):
    """Prints the table: one row per thread count and workload."""
    print(f"{'workload':16} {'threads':>7} {'ResLab':>10} {'PyTorch':>10} {'ratio':>7}   pairs: median (range)"
          "   peak GFLOP/s   round trip ns")
    for threads in args.threads or [1, 2]:
        for workload, depth in [(w, d) for w in args.workload or WORKLOADS for d in args.depth or [None]]:
            common = ["--workload", workload, "--threads", str(threads), "--seconds", str(args.seconds)]
            common += ["--depth", str(depth)] if depth else []
            label = f"{workload} d{depth}" if depth else workload
            # One timing per call (after its peak loop): this script makes the rounds.
            commands = {"reslab": [reslab, "bench", "--json", "--rounds", "1"] + common,
                        "torch": [sys.executable, os.path.join(HERE, "bench_pytorch.py")] + common}
            rates = {"reslab": [], "torch": []}
            peaks, trips, placements = [], [], []
            for round in range(args.rounds):
                before = round_trip(probe) if threads > 1 else None
                for name in (["reslab", "torch"] if round % 2 == 0 else ["torch", "reslab"]):
                    figure = measure(commands[name])
                    rates[name].append(figure["samples_per_s"])
                    peaks += [figure["peak_gflops"]] if "peak_gflops" in figure else []
                if threads > 1:
                    after = round_trip(probe)
                    trips += [before, after]
                    placements.append(placement(before, after))
            peak = f"   {statistics.median(peaks):.0f}" if peaks else ""
            trip = f"   {statistics.median(trips):.0f} ({min(trips)}–{max(trips)})" if trips else ""
            print(row(label, threads, rates["reslab"], rates["torch"]) + peak + trip, flush=True)
            for line in placement_rows(threads, rates["reslab"], rates["torch"], placements):
                print(line, flush=True)


if __name__ == "__main__":
    main()
