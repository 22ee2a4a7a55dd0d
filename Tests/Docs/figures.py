"""Regenerates the figures of the README's lessons from fresh runs.

Each figure sits in README.md between `<!-- figure: NAME -->` and
`<!-- /figure -->`. This script runs the commands printed in the figure (at
one thread, so the numbers are the same on every machine), writes the
figure anew, and checks each claim the words make against a threshold.

    python3 Tests/Docs/figures.py --reslab .build/release/reslab --check   # fails if the README is stale
    python3 Tests/Docs/figures.py --reslab .build/release/reslab --write   # rewrites the figures

The lesson figures and the headless sample take about 80 s in all and run
on every check; the conv-net lesion figure (90 s) and the real-data table
(about 2.5 minutes) run only with RESLAB_DOCS_FULL=1. Timings (wall time,
samples/s) are written fresh but left out of the comparison.
"""
import argparse
import concurrent.futures
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
SEEDS = [1, 2, 3, 4, 5]


def run(reslab, *arguments):
    """The JSON lines `reslab ARGUMENTS --json --threads 1` prints."""
    result = subprocess.run([reslab, *arguments, "--json", "--threads", "1"], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


WORKERS = 2


def over_seeds(measure):
    """`measure(seed)` for every seed, two at a time (each run uses one
    thread), or one at a time for a check beside other work."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(measure, SEEDS))


def holds(values, test):
    """Whether `test` holds on at least 4 of the 5 seeds."""
    return sum(bool(test(value)) for value in values) >= 4


def span(values, form="{:.1f}"):
    """`low–high` of the values over the seeds."""
    return form.format(min(values)) + "–" + form.format(max(values))


def claim(condition, sentence):
    """A claim the README makes; the figures stop if a fresh run breaks it."""
    if not condition:
        sys.exit(f"claim no longer holds: {sentence}")


def sci(value):
    """1.9e-32, 5.3e31, 1.4."""
    if 0.01 <= abs(value) < 1000:
        return f"{value:.2g}" if value < 10 else f"{value:.0f}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def vanishing_run(reslab, seed):
    final = {o["run"]: o for o in run(reslab, "train", "--preset", "vanishing", "--seed", str(seed)) if o.get("test_acc") is not None}
    return {
        "ratio": {net: o["grad_norm"][0] / o["grad_norm"][-1] for net, o in final.items()},
        "spread": {net: max(o["grad_norm"]) / min(o["grad_norm"]) for net, o in final.items()},
        "accuracy": {net: 100 * o["test_acc"] for net, o in final.items()},
        "chance": 100 / final["residual"]["classes"],
    }


def vanishing(reslab):
    runs = over_seeds(lambda seed: vanishing_run(reslab, seed))
    first = runs[0]
    chance = first["chance"]
    of = lambda key, net: [r[key][net] for r in runs]
    claim(holds(of("ratio", "plain"), lambda r: r <= 1e-2), "the plain twin's first block gets at most 1/100 of its last block's gradient")
    claim(holds(of("spread", "residual"), lambda r: r <= 10), "the residual net's 20 gradients stay within a factor of 10")
    claim(holds(of("accuracy", "plain"), lambda a: abs(a - chance) <= 5), "the plain twin stays within 5 points of chance")
    claim(holds([r["accuracy"]["residual"] - r["accuracy"]["plain"] for r in runs], lambda d: d >= 10),
          "the residual net ends at least 10 points above its plain twin")
    sci_span = lambda values: sci(min(values)) + " – " + sci(max(values))
    return f"""`reslab train --preset vanishing --threads 1`: a 20-block sigmoid net
without normalisation and its plain twin (same initial weights, same
batches), at the end of 2 000 steps, for seed 1 and (in brackets) the
range over seeds {SEEDS[0]}–{SEEDS[-1]} (`--seed S`):

| | plain twin | residual |
|---|---|---|
| ‖∂L/∂W‖ of block 1 / block 20 (mean of the last 18 steps) | {sci(first['ratio']['plain'])} ({sci_span(of('ratio', 'plain'))}) | {sci(first['ratio']['residual'])} ({sci_span(of('ratio', 'residual'))}) |
| spread of the 20 bars (max / min) | {sci(first['spread']['plain'])} ({sci_span(of('spread', 'plain'))}) | {sci(first['spread']['residual'])} ({sci_span(of('spread', 'residual'))}) |
| test accuracy (chance {chance:.1f} %) | {first['accuracy']['plain']:.1f} % ({span(of('accuracy', 'plain'))} %) | {first['accuracy']['residual']:.1f} % ({span(of('accuracy', 'residual'))} %) |

Claims checked on at least 4 of the 5 seeds: the plain twin's first block
gets at most 1/100 of its last block's gradient, the residual net's 20
gradients stay within a factor of 10 of each other, the plain twin ends
within 5 points of chance, and the residual net at least 10 points above it."""


def degradation_run(reslab, seed):
    final = [o for o in run(reslab, "train", "--preset", "degradation", "--seed", str(seed)) if o.get("test_acc") is not None]
    return {(o["run"], o["depth"]): (o["train_loss"], 100 * o["test_acc"]) for o in final}


def degradation(reslab):
    runs = over_seeds(lambda seed: degradation_run(reslab, seed))
    loss = lambda net, depth: [r[(net, depth)][0] for r in runs]
    accuracy = lambda net, depth: [r[(net, depth)][1] for r in runs]
    rows = "\n".join(
        f"| {net} | {depth} | {runs[0][(net, depth)][0]:.4f} ({span(loss(net, depth), '{:.3f}')}) | "
        f"{runs[0][(net, depth)][1]:.1f} % ({span(accuracy(net, depth))} %) |"
        for net, depth in [("plain", 8), ("residual", 8), ("plain", 32), ("residual", 32)])
    claim(holds([r[("plain", 32)][0] / r[("plain", 8)][0] for r in runs], lambda x: x > 2),
          "the 32-block plain net ends with over twice the 8-block one's training loss")
    claim(holds([r[("residual", 32)][0] / r[("residual", 8)][0] for r in runs], lambda x: x <= 2),
          "the 32-block residual net ends within a factor of 2 of the 8-block one")
    return f"""`reslab train --preset degradation --threads 1` (BatchNorm, ReLU), seed 1
and (in brackets) the range over seeds {SEEDS[0]}–{SEEDS[-1]}:

| run | depth | final train loss | test accuracy |
|---|---|---|---|
{rows}

Claims checked on at least 4 of the 5 seeds: the 32-block plain net ends
with over twice the training loss of the 8-block one, while the 32-block
residual net ends within a factor of 2 of its 8-block sibling."""


def lesion_rows(reslab):
    lines = run(reslab, "lesion", "--preset", "lesion", "--k", "0,1,2,4,8,16", "--samples", "20", "--reorder")
    table = {}
    for net in ("residual", "plain"):
        mine = [o for o in lines if o.get("run") == net]
        single = next(o for o in mine if o["kind"] == "lesion-single")
        ks = [o for o in mine if o["kind"] == "lesion-k" and 0 < o["k"]]
        swaps = {}
        for o in (o for o in mine if o["kind"] == "lesion-reorder"):
            swaps.setdefault(o["swaps"], []).append(o)
        table[net] = (single, ks, swaps)
    return table


def seed_spread(reslab):
    """Mean accuracy with one block deleted, per net, for the preset trained with each seed."""
    with tempfile.TemporaryDirectory() as directory:
        def measure(seed):
            path = os.path.join(directory, f"lesion-{seed}.safetensors")
            run(reslab, "train", "--preset", "lesion", "--seed", str(seed), "--save", path)
            singles = [next(o for o in run(reslab, "lesion", "--load", file) if o["kind"] == "lesion-single")
                       for file in (path, path.replace(".safetensors", "-plain.safetensors"))]
            return [(100 * sum(o["accuracy"]) / len(o["accuracy"]), 100 * o["intact"]) for o in singles]
        results = over_seeds(measure)
    return {"residual": [mean - intact for (mean, intact), _ in results],
            "plain-mean": [mean for _, (mean, _) in results],
            "plain-intact": [intact for _, (_, intact) in results]}


def lesion(reslab):
    table = lesion_rows(reslab)
    r_single, r_ks, r_swaps = table["residual"]
    p_single, p_ks, p_swaps = table["plain"]
    mean = lambda values: sum(values) / len(values)
    r_mean, p_mean = 100 * mean(r_single["accuracy"]), 100 * mean(p_single["accuracy"])
    ks = ", ".join(str(o["k"]) for o in r_ks)
    k_values = lambda rows: ", ".join(f"{100 * o['mean']:.1f}" for o in rows)
    taus = ", ".join(f"{mean([o['kendall_tau'] for o in group]):.2f}" for _, group in sorted(r_swaps.items()))
    swap_values = lambda groups: ", ".join(f"{100 * mean([o['accuracy'] for o in group]):.1f}" for _, group in sorted(groups.items()))
    spread = seed_spread(reslab)
    residual_ok = sum(drop >= -4 for drop in spread["residual"])
    plain_ok = sum(abs(value - 50) <= 10 for value in spread["plain-mean"])
    claim(residual_ok >= 4, "on at least 4 of 5 seeds one deletion costs the residual net at most 4 points")
    claim(plain_ok >= 4, "on at least 4 of 5 seeds the plain twin's mean with one block deleted is within 10 points of chance")
    low = lambda values: f"{min(values):.1f}"
    high = lambda values: f"{max(values):.1f}"
    return f"""`reslab lesion --preset lesion --k 0,1,2,4,8,16 --samples 20 --reorder --threads 1`:
a 16-block residual net on moons and its plain twin (same initial weights
and batches, BatchNorm), trained with seed 1 (intact test accuracy
{100 * r_single['intact']:.1f} % and {100 * p_single['intact']:.1f} %), then lesioned at test time.

| lesion | residual | plain twin | Veit et al. (ResNet-110 / VGG) |
|---|---|---|---|
| one block deleted, mean over blocks | {r_mean:.1f} % | {p_mean:.1f} % (chance is 50 %) | error nearly unchanged / VGG drops to chance |
| one block deleted, worst block | {100 * min(r_single['accuracy']):.1f} % | {100 * min(p_single['accuracy']):.1f} % | |
| k random blocks deleted, k = {ks} | {k_values(r_ks)} % | {k_values(p_ks)} % | smooth rise of error with k |
| random swaps (mean Kendall τ {taus}) | {swap_values(r_swaps)} % | {swap_values(p_swaps)} % | smooth fall with the number of swaps |

Over the seeds {SEEDS[0]}–{SEEDS[-1]} (`reslab train --preset lesion --seed S --save F`, then
`reslab lesion --load F` and `--load F-plain`), one deletion costs the residual
net {-max(spread['residual']):.1f} to {-min(spread['residual']):.1f} points on average, while the plain twin's mean
with one block deleted lies between {low(spread['plain-mean'])} % and {high(spread['plain-mean'])} %, around chance (its intact
accuracy: {low(spread['plain-intact'])} to {high(spread['plain-intact'])} %). Claims checked: on at least 4 of 5 seeds,
one deletion costs the residual net at most 4 points on average, and the
plain twin's mean lies within 10 points of chance."""


def paths_run(reslab, seed):
    result = next(o for o in run(reslab, "paths", "--preset", "paths", "--train-seed", str(seed)) if o["kind"] == "paths")
    n = result["blocks"]
    per_path = result["gradient_per_path"]
    return {"result": result, "factor": (per_path[1] / per_path[n]) ** (1 / (n - 1)), "high": result["effective_range"][1]}


def paths(reslab):
    runs = over_seeds(lambda seed: paths_run(reslab, seed))
    result = runs[0]["result"]
    n = result["blocks"]
    per_path = result["gradient_per_path"]
    low, high = result["effective_range"]
    factors = [r["factor"] for r in runs]
    ranges = sorted({f"{r['result']['effective_range'][0]}–{r['high']}" for r in runs})
    claim(holds([r["high"] for r in runs], lambda h: h <= n // 2), "90 % of the gradient comes from paths no longer than n/2")
    claim(holds(factors, lambda f: f > 1.5), "the gradient per path falls by more than a factor 1.5 per extra block")
    return f"""`reslab paths --preset paths --threads 1`: a trained {n}-block residual net.
Path lengths follow Binomial({n}, ½), so typical paths are {n // 2 - 1}–{n // 2 + 1} blocks long,
but the gradient per path falls by a factor of about {runs[0]['factor']:.1f} per extra block
from length 1 to {n} ({span(factors)} over seeds {SEEDS[0]}–{SEEDS[-1]}, `--train-seed S`): {sci(per_path[0])} for
length 0, {sci(per_path[1])} for length 1, {sci(per_path[n // 2])} for length {n // 2}, {sci(per_path[n])} for length {n}. 90 % of the
total gradient comes from paths of length {low}–{high} (over the seeds: {", ".join(ranges)}).
Claims checked on at least 4 of the 5 seeds: that range ends at or below
n/2, and the fall exceeds a factor 1.5 per block. Veit et al. found the
same in ResNet-110: the gradient comes from paths of 5–17 of its 54 blocks."""


def timed(reslab, *arguments):
    """The text `reslab ARGUMENTS --threads 2` prints, and its wall time in seconds."""
    began = time.monotonic()
    result = subprocess.run([reslab, *arguments, "--threads", "2"], capture_output=True, text=True, check=True)
    return result.stdout, time.monotonic() - began


def headless(reslab):
    text, seconds = timed(reslab, "train", "--dataset", "spirals", "--depth", "20", "--width", "32")
    lines = text.splitlines()
    shown = lines[:5] + ["..."] + lines[-3:]
    first_97 = next(int(re.search(r"step\s+(\d+)/", line).group(1)) for line in lines
                    if (match := re.search(r"val [0-9.]+\s+([0-9.]+) %", line)) and float(match.group(1)) >= 97)
    claim(first_97 <= 100, "validation accuracy passes 97 % within the first 100 steps")
    return f"""`swift run -c release reslab train --dataset spirals --depth 20 --width 32 --threads 2`,
measured on this machine (2 cores), wall time {seconds:.1f} s:

```
""" + "\n".join(shown) + f"""
```

Validation accuracy passes 97 % at step {first_97}."""


def real_data(reslab):
    rows = []
    for arguments, label in [
        (["--dataset", "fashion-mnist", "--model", "conv", "--depth", "3", "--width", "16", "--epochs", "1"], ""),
        (["--dataset", "fashion-mnist", "--depth", "4", "--width", "128", "--epochs", "2"], " (dense)"),
        (["--dataset", "shapes", "--model", "conv"], " (one epoch of 9 600 images)"),
        (["--dataset", "spirals", "--depth", "20", "--width", "32"], ""),
    ]:
        text, seconds = timed(reslab, "train", *arguments)
        accuracy = float(re.findall(r"test [0-9.]+\s+([0-9.]+) %", text)[-1])
        rows.append(f"| `reslab train {' '.join(arguments)} --threads 2`{label} | {accuracy:.1f} % test accuracy | {seconds:.1f} s |")
    return """Measured on this machine (2 cores), each command run as shown:

| command | result | wall time |
|---|---|---|
""" + "\n".join(rows)


CONV_CHECKPOINT = os.path.join(os.path.dirname(__file__), "..", "Fixtures", "lesion-conv.safetensors")


def lesion_conv(reslab):
    single = next(o for o in run(reslab, "lesion", "--load", CONV_CHECKPOINT) if o["kind"] == "lesion-single")
    marks = single["downsampling"]
    intact = 100 * single["intact"]
    costs = [intact - 100 * a for a in single["accuracy"]]
    first_stage_end = marks.index(True)
    mean = lambda values: sum(values) / len(values)
    downsampling = [c for c, down in zip(costs, marks) if down]
    later = [c for index, (c, down) in enumerate(zip(costs, marks)) if not down and index > first_stage_end]
    first = costs[:first_stage_end]
    claim(intact >= 90, "the conv net passes 90 % test accuracy")
    claim(mean(downsampling) >= 2 * mean(later), "a downsampling block costs at least twice an ordinary block of stages 2 and 3")
    claim(min(first[:2]) > max(later), "the first two blocks cost more than any ordinary block of stages 2 and 3")
    rows = "\n".join(f"| {index + 1}{' ↓' if down else ''} | {100 * a:.1f} % | {100 * a - intact:+.1f} |"
                     for index, (a, down) in enumerate(zip(single["accuracy"], marks)))
    return f"""`reslab lesion --load Tests/Fixtures/lesion-conv.safetensors --threads 1`: the
conv ResNet of `--preset lesion-conv` (3 stages of 3 blocks, width 16,
batch norm, 2 epochs of Fashion-MNIST; the checkpoint was written by
`reslab train --preset lesion-conv --save Tests/Fixtures/lesion-conv.safetensors`
in 298 s here), intact test accuracy {intact:.1f} %. ↓ marks the downsampling
blocks (stride 2, projection shortcut).

| block deleted | test accuracy | change (points) |
|---|---|---|
{rows}

What it shows, checked by the script: deleting a downsampling block costs
{mean(downsampling):.1f} points on average, {mean(downsampling) / mean(later):.1f}× the {mean(later):.1f} of an ordinary block of
stages 2 and 3, as in Veit et al.'s Figure 3. Unlike ResNet-110, whose
stages hold 18 blocks each, this net cannot lose its first two blocks
({first[0]:.1f} and {first[1]:.1f} points): with 3 blocks a stage, each is a large share of
its stage, so over all blocks an ordinary deletion costs as much as a
downsampling one."""


CHARTS = os.path.join(os.path.dirname(__file__), "charts")
CHART_COMMANDS = {
    "vanishing": ["train", "--preset", "vanishing"],
    "lesion": ["lesion", "--preset", "lesion", "--k", "0,1,2,4,8,16", "--samples", "20", "--reorder"],
    "paths": ["paths", "--preset", "paths"],
}
CHART_TITLES = {
    "train-loss": "loss against step, both nets", "train-accuracy": "accuracy against step",
    "gradient-norms": "gradient norm per block at three steps", "lesion-single": "Veit et al. Fig. 3: one block deleted",
    "lesion-k": "Fig. 5a: k blocks deleted", "lesion-reorder": "Fig. 5b: blocks reordered",
    "paths-total": "Fig. 6: total gradient by path length", "paths-distribution": "path lengths",
    "paths-gradient": "gradient per path",
}
WRITING = False


def charts(reslab):
    """The committed SVG charts of the README, written by the commands shown
    beside them; a check writes them afresh into a temporary directory and
    compares them file by file."""
    with tempfile.TemporaryDirectory() as scratch:
        sections = []
        for name, command in CHART_COMMANDS.items():
            target = os.path.join(CHARTS if WRITING else scratch, name)
            run(reslab, *command, "--plot-dir", target)
            if not WRITING:
                for file in sorted(os.listdir(target)):
                    committed = os.path.join(CHARTS, name, file)
                    if not os.path.exists(committed) or open(committed).read() != open(os.path.join(target, file)).read():
                        sys.exit(f"chart {name}/{file} differs from a fresh run of: reslab {' '.join(command)} --threads 1 --plot-dir DIR")
            shown = " ".join(command)
            images = "\n".join(f"![{CHART_TITLES[file[:-4]]}](Tests/Docs/charts/{name}/{file})"
                               for file in sorted(os.listdir(target)) if file.endswith(".svg"))
            sections.append(f"`reslab {shown} --threads 1 --plot-dir Tests/Docs/charts/{name}`:\n\n{images}")
        return "\n\n".join(sections)


FIGURES = {"vanishing": vanishing, "degradation": degradation, "lesion": lesion, "paths": paths, "headless": headless, "charts": charts}
if os.environ.get("RESLAB_DOCS_FULL") == "1":
    FIGURES["lesion-conv"] = lesion_conv
    FIGURES["real-data"] = real_data

# Timings (wall time, samples/s) differ from run to run: a check compares
# everything else.
VOLATILE = re.compile(r"wall time [0-9.]+ s|[0-9.]+k? samples/s|\| [0-9.]+ s \|")


def steady(text):
    return VOLATILE.sub("(time)", text)


def main():
    # The figures are the same at any speed: give way to whatever else runs
    # (the test suite runs this check beside its other tests).
    os.nice(10)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reslab", required=True, help="the reslab binary")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 if the README differs from a fresh run")
    action.add_argument("--write", action="store_true", help="rewrite the figures in the README")
    parser.add_argument("--only", nargs="*", default=list(FIGURES), help="figures to run")
    args = parser.parse_args()
    global WRITING
    WRITING = args.write
    if args.check:
        global WORKERS
        WORKERS = 1
    text = open(README).read()
    fresh = text
    for name in args.only:
        body = FIGURES[name](args.reslab)
        # A figure's text never holds "<!--", so a match cannot run into the next figure.
        pattern = re.compile(rf"(<!-- figure: {name} -->\n)(?:(?!<!--).)*?(<!-- /figure -->)", re.S)
        if not pattern.search(fresh):
            sys.exit(f"README.md has no figure '{name}'")
        fresh = pattern.sub(lambda match: match.group(1) + body + "\n" + match.group(2), fresh)
    if args.write:
        open(README, "w").write(fresh)
    elif steady(fresh) != steady(text):
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), fresh.splitlines(True), "README.md", "fresh run"))
        sys.exit(1)
    print("figures: " + ", ".join(args.only) + (" written" if args.write else " match the README"))


if __name__ == "__main__":
    main()
