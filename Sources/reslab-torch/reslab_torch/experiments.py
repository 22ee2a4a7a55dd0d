"""Veit et al.'s lesion experiments, run one evaluation at a time so that
the engine stays responsive and every rank runs the same evaluation at the
same moment. Each experiment is a generator: it yields `(done, total)`
after every evaluation and returns its result, in the protocol's form.

The settings are ResLab's (`ExperimentDefaults`): k = 0, 1, 2, 4, … and n,
ten random subsets per k, drawn from seed 1.
"""
import random
import statistics

REPEATS = 10
SEED = 1


def single_lesion(evaluate, base, downsampling):
    """Accuracy intact, then with each block deleted alone."""
    total = len(base) + 1
    intact = evaluate(base)
    yield 1, total
    accuracies = []
    for index in range(len(base)):
        accuracies.append(evaluate(base[:index] + ["deleted"] + base[index + 1:]))
        yield index + 2, total
    result = {"kind": "lesion-single", "mode": "deleted", "intact": intact, "accuracy": accuracies}
    if any(downsampling):
        result["downsampling"] = downsampling
    return result


def deletion_sizes(n):
    """0, 1, 2, 4, … and n."""
    sizes, k = {0, n}, 1
    while k <= n:
        sizes.add(k)
        k *= 2
    return sorted(sizes)


def k_deletions(evaluate, base):
    """For each k, the mean and standard deviation of the accuracy with k
    random blocks deleted."""
    n = len(base)
    generator = random.Random(SEED)
    jobs = [(k, generator.sample(range(n), k)) for k in deletion_sizes(n) for _ in range(REPEATS)]
    values = {}
    for done, (k, deleted) in enumerate(jobs, start=1):
        modes = ["deleted" if index in deleted else mode for index, mode in enumerate(base)]
        values.setdefault(k, []).append(evaluate(modes))
        yield done, len(jobs)
    return [{"kind": "lesion-k", "k": k, "samples": len(v), "mean": statistics.fmean(v), "std": statistics.pstdev(v)}
            for k, v in values.items()]
