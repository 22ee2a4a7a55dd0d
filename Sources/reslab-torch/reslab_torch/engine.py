"""The PyTorch engine: trains a network and answers the protocol's commands,
on one process or on every rank of a `torchrun` run.

Every rank runs the same loop. At the top of each iteration rank 0 shares
what arrived from the front end (see `ranks.py`); then every rank applies
those commands, takes one training step of its share of the batch (DDP adds
the gradients), and, when rank 0 asked for it, adds up the measurements and
evaluations for a snapshot. Only rank 0 writes to the front end.
"""
import dataclasses
import json
import os
import time

import torch
from torch.nn import functional
from torch.nn.parallel import DistributedDataParallel

from . import experiments
from .checkpoint import save_checkpoint
from .history import RunHistory
from .protocol import ATTACHED, number, parse_command
from .statistics import BlockProbe
from .training import Batches, build_model, learning_rate

CAPABILITIES = ["k-deletions", "lesion-sweep", "save"]
# The newest events travel in every snapshot, as in ResLab.
CARRIED_EVENTS = 20


@dataclasses.dataclass
class RunningExperiment:
    """A lesion experiment under way: its name, the generator that runs it
    (see `experiments.py`) and how far it has come."""
    label: str
    work: object
    done: int = 0
    total: int = 1


class Stopped(Exception):
    """A signal asked the run to stop."""


def percent(value):
    return "–" if value is None else f"{100 * value:.1f} %"


class Engine:
    """One run: the dataset, the network, its optimizer and the state the
    commands change (block modes, scope, pause, learning rate)."""

    def __init__(self, settings, dataset, ranks, connection=None):
        self.settings, self.dataset, self.ranks, self.connection = settings, dataset, ranks, connection
        self.device = ranks.device
        self.model, self.spec = build_model(settings, dataset, ranks.device)
        self.model.to(self.device)
        if self.spec and self.spec["kind"] == "dense":
            dataset.flatten()
        self.blocks = list(self.model.blocks)
        self.probe = BlockProbe(self.blocks)
        self.batch = settings.batch or (128 if dataset.planar else 64)
        self.batches = Batches(len(dataset.train[1]), self.batch, settings.seed + 1, ranks.rank, ranks.world)
        per_epoch = self.batches.per_epoch
        if settings.steps:
            self.total_steps = settings.steps
        elif settings.epochs:
            self.total_steps = settings.epochs * per_epoch
        else:
            self.total_steps = 2000 if dataset.planar else per_epoch
        self.evaluation_interval = settings.eval_every or max(1, min(per_epoch, 100 if dataset.planar else 200))
        self.validation_limit = settings.validation_limit or (10_000 if dataset.planar else 256)
        self.peak_rate = settings.lr
        self.rate = learning_rate(settings.schedule, 0, self.total_steps, self.peak_rate)
        # A loaded checkpoint brings its modes; a new network starts residual.
        self.modes = [block.mode for block in self.blocks]
        self.scope = "eval"
        self.state = "training"
        self.step = 0
        self.pending_steps = 0
        self.quit = False
        self.stop_signalled = False
        self.events, self.event_count, self.published_events = [], 0, 0
        self.evaluation = {"evaluated_at_step": 0}
        self.results = {}
        self.experiment, self.queued = None, []
        # Lines read from the front end, for the numbers in error messages.
        self.line_number = 0
        self.state_before_experiment = "training"
        self.start = self.last_publish = time.monotonic()
        self.training_seconds = 0.0
        self.sums = torch.zeros(3, device=self.device)
        # What each snapshot since the last evaluation took: (sums, rows, norms, seconds).
        self.since_evaluation = []
        self.last_summary = None
        # What a front end that connects later hears first (rank 0), after the hello that `serve` sets.
        self.history, self.hello = RunHistory(), None
        self._build_optimizer()
        self._wrap()
        self.model_name = settings.model
        world = f" · {ranks.world} ranks ({ranks.backend})" if ranks.world > 1 else ""
        self.title = f"{dataset.title} · {settings.model} · {len(self.blocks)} blocks{world}"

    # MARK: - Set-up

    def _build_optimizer(self):
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.rate, momentum=self.settings.momentum,
                                         nesterov=self.settings.momentum > 0,
                                         weight_decay=self.settings.weight_decay)

    def _wrap(self):
        """The network as training calls it: itself, or DDP around it. With
        the lesion scope on training, a deleted or plain block leaves
        parameters without gradients, which DDP must then look for."""
        if self.ranks.world == 1:
            self.trained = self.model
            return
        unused = any(mode != "residual" for mode in self.training_modes)
        old = getattr(self, "trained", None)
        if isinstance(old, DistributedDataParallel) and old.module is self.model:
            if old.find_unused_parameters == unused:
                return
            # The old wrapper's gradient hooks must not add the gradients a second time.
            old._remove_autograd_hooks()
        ids = [self.device.index] if self.device.type == "cuda" else None
        self.trained = DistributedDataParallel(self.model, device_ids=ids, find_unused_parameters=unused)

    def stop_on_signal(self):
        """Called from a signal handler: the loop stops at the top of its next iteration."""
        self.stop_signalled = True

    @property
    def training_modes(self):
        return list(self.modes) if self.scope == "train" else ["residual"] * len(self.blocks)

    # MARK: - The loop

    def run(self):
        """Trains and answers commands until `quit` or the end of the input."""
        self.note(f"training {self.dataset.title} · {self.model_name} · {len(self.blocks)} blocks on "
                  f"{self.device.type}" + (f", {self.ranks.world} ranks" if self.ranks.world > 1 else ""))
        self.report("start")
        self.evaluate_and_publish()
        while True:
            if self.stop_signalled:
                raise Stopped()
            control = self.ranks.share(self._gather_control() if self.ranks.leader else None)
            for command in control["commands"]:
                self.apply(command)
            if self.quit:
                break
            if control["commands"]:
                self.publish()
            if self.experiment is not None:
                self._advance_experiment()
                continue
            if self.step >= self.total_steps:
                if self.state not in ("finished", "diverged"):
                    self.finish_training()
                time.sleep(0.05)
                continue
            if self.state != "training" and self.pending_steps == 0:
                time.sleep(0.05)
                continue
            if self.pending_steps:
                self.pending_steps -= 1
            self.train_step()
            if self.step % self.evaluation_interval == 0 or self.step == self.total_steps:
                self.evaluate_and_publish()
            elif control["publish"] or self.state == "paused":
                self.publish()
        if self.event_count > self.published_events:
            self.publish()

    def _gather_control(self):
        """Rank 0: the commands that arrived since the last iteration, and
        whether a snapshot is due. Bad lines are answered here."""
        commands = []
        while not self.connection.lines.empty():
            line = self.connection.lines.get()
            if line is None:
                commands.append({"command": "quit"})
                break
            if isinstance(line, tuple) and line[0] == ATTACHED:
                self.connection.attach(*line[1:])
                self.line_number = 0
                self.greet()
                continue
            self.line_number += 1
            if isinstance(line, tuple):
                self.connection.write({"kind": "error", "message": f"line {self.line_number}: {line[1]} bytes, "
                                       "over the 16 MiB limit; ignored"})
                continue
            if not line.strip():
                continue
            try:
                commands.append(parse_command(line))
            except ValueError as error:
                self.connection.write({"kind": "error", "message": f"line {self.line_number}: {error}"})
        due = time.monotonic() - self.last_publish >= self.settings.publish_interval
        return {"commands": commands, "publish": due}

    def train_step(self):
        rate = learning_rate(self.settings.schedule, self.step, self.total_steps, self.peak_rate)
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        indices = self.batches.next().to(self.device)
        x, y = self.dataset.train[0][indices], self.dataset.train[1][indices]
        began = time.monotonic()
        self.model.set_modes(self.training_modes)
        self.probe.begin_step(self.device)
        logits = self.trained(x)
        loss = functional.cross_entropy(logits, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.probe.end_step()
        self.optimizer.step()
        with torch.no_grad():
            self.sums[0] += loss.detach() * len(y)
            self.sums[1] += (logits.argmax(dim=1) == y).sum()
            self.sums[2] += len(y)
        self.training_seconds += time.monotonic() - began
        self.step += 1
        self.rate = rate

    # MARK: - Evaluation

    @torch.no_grad()
    def evaluate(self, split, modes, limit=None):
        """(mean loss, accuracy) of `split`'s first `limit` samples with
        `modes`; each rank takes a contiguous share, and the counts are added."""
        images, labels = split
        count = min(len(labels), limit) if limit else len(labels)
        lower = count * self.ranks.rank // self.ranks.world
        upper = count * (self.ranks.rank + 1) // self.ranks.world
        self.model.eval()
        self.model.set_modes(modes)
        totals = torch.zeros(3, device=self.device, dtype=torch.float64)
        batch = max(self.batch, 100)
        for start in range(lower, upper, batch):
            end = min(start + batch, upper)
            logits = self.model(images[start:end])
            totals[0] += functional.cross_entropy(logits, labels[start:end], reduction="sum").double()
            totals[1] += (logits.argmax(dim=1) == labels[start:end]).sum()
        totals[2] = upper - lower
        self.model.train()
        loss, correct, seen = self.ranks.total(totals).tolist()
        if seen == 0:
            return None, None
        return loss / seen, correct / seen

    def evaluate_and_publish(self):
        loss, accuracy = self.evaluate(self.dataset.validation, self.training_modes, self.validation_limit)
        self.evaluation.update(val_loss=loss, val_acc=accuracy, evaluated_at_step=self.step)
        self.evaluation["lesioned_val_acc"] = None if self.modes == self.training_modes else \
            self.evaluate(self.dataset.validation, self.modes, self.validation_limit)[1]
        self.publish(at_evaluation=True)

    @property
    def current_accuracy(self):
        lesioned = self.evaluation.get("lesioned_val_acc")
        return lesioned if lesioned is not None else self.evaluation.get("val_acc")

    def finish_training(self):
        loss, accuracy = self.evaluate(self.dataset.test, self.training_modes)
        self.evaluation.update(test_loss=loss, test_acc=accuracy)
        self.state = "finished"
        self.note(f"finished at step {self.step}: test acc {percent(accuracy)}")
        self.publish(at_evaluation=True)

    # MARK: - Commands

    def apply(self, command):
        name = command["command"]
        if name == "pause" and self.state == "training":
            self.state = "paused"
            self.note(f"paused at step {self.step}")
        elif name == "resume" and self.state == "paused":
            self.state = "training"
            self.note("resumed")
        elif name == "toggle_pause":
            self.apply({"command": "resume" if self.state == "paused" else "pause"})
        elif name == "step" and self.state == "paused":
            self.pending_steps += 1
        elif name == "set_mode":
            block, mode = command["block"], command["mode"]
            if block < len(self.modes) and self.modes[block] != mode:
                self.change_modes(f"block {block + 1} {mode}", {block: mode})
        elif name == "set_all_modes":
            self.change_modes(f"all blocks {command['mode']}", dict.fromkeys(range(len(self.modes)), command["mode"]))
        elif name in ("toggle_skip", "toggle_delete"):
            block = command["block"]
            if block < len(self.modes):
                lesion = "plain" if name == "toggle_skip" else "deleted"
                mode = "residual" if self.modes[block] == lesion else lesion
                self.apply({"command": "set_mode", "block": block, "mode": mode})
        elif name == "toggle_all_skips":
            live = [i for i, mode in enumerate(self.modes) if mode != "deleted"]
            if live:
                target = "plain" if any(self.modes[i] == "residual" for i in live) else "residual"
                self.change_modes(f"every skip {'off' if target == 'plain' else 'on'}", dict.fromkeys(live, target))
                if target == "plain" and self.vanishing_blocker:
                    self.note(self.vanishing_blocker)
        elif name in ("toggle_scope", "set_scope"):
            scope = command.get("scope") or ("train" if self.scope == "eval" else "eval")
            if scope != self.scope:
                self.scope = scope
                self._wrap()
                self.note(f"lesion scope: {'evaluation only' if scope == 'eval' else 'training and evaluation'}")
                self.evaluate_and_publish()
        elif name == "evaluate":
            self.evaluate_and_publish()
            self.note(f"evaluated at step {self.step}: val acc {percent(self.evaluation['val_acc'])}")
        elif name == "scale_learning_rate":
            self.peak_rate *= command["factor"]
            self.note(f"learning rate {self.peak_rate:g}")
        elif name == "reset":
            self.reset()
        elif name in ("lesion_sweep", "k_deletion_curve"):
            self.start_experiment(name)
        elif name == "path_report":
            self.note("path report: not offered by this engine")
        elif name == "cancel_experiment" and self.experiment is not None:
            self.queued.clear()
            self.note(f"{self.experiment.label} cancelled")
            self.end_experiment()
        elif name == "save":
            self.save(command.get("path") or f"reslab-{self.dataset.name}-step{self.step}.safetensors")
        elif name == "quit":
            self.quit = True

    @property
    def vanishing_blocker(self):
        """Why switching the skips off will not make the gradients vanish
        here, if something prevents it (as ResLab's engine says it)."""
        norm = self.spec["norm"] if self.spec else "batch"
        activation = self.spec["activation"] if self.spec else "relu"
        helpers = ([f"{norm} norm rescales every block"] if norm != "none" else []) + \
            (["ReLU passes gradients at slope 1"] if activation == "relu" else [])
        if not helpers:
            return None
        advice = " and ".join(helpers) + ", so the gradients will not vanish here"
        if self.scope == "eval":
            advice += " (and scope is eval only: press m to train with the skips off)"
        return advice + "; to see vanishing, run `reslab --preset vanishing` (sigmoid, no norm)"

    def change_modes(self, description, changes):
        """Sets some blocks' modes, evaluates at once and logs the accuracy change."""
        if self.evaluation["evaluated_at_step"] != self.step:
            self.evaluate_and_publish()
        before = self.current_accuracy
        for block, mode in changes.items():
            self.modes[block] = mode
        self._wrap()
        self.evaluate_and_publish()
        self.note(f"{description} · val acc {percent(before)} → {percent(self.current_accuracy)}")
        self.report(description)

    def reset(self):
        """Starts again from the initial weights, the batches in their first order."""
        self.model, self.spec = build_model(self.settings, self.dataset, self.device)
        self.model.to(self.device)
        self.blocks = list(self.model.blocks)
        self.probe = BlockProbe(self.blocks)
        self._build_optimizer()
        self._wrap()
        self.batches = Batches(len(self.dataset.train[1]), self.batch, self.settings.seed + 1, self.ranks.rank,
                               self.ranks.world)
        self.step, self.state, self.training_seconds = 0, "training", 0.0
        self.sums.zero_()
        self.since_evaluation = []
        self.last_summary = None
        self.evaluation.pop("test_loss", None)
        self.evaluation.pop("test_acc", None)
        self.note(f"reset to the initial weights, learning rate {self.peak_rate:g}")
        self.evaluate_and_publish()

    def save(self, path):
        """Writes the weights on rank 0: a ResLab checkpoint for ResLab's own
        networks (it loads in `reslab lesion --load`), torchvision's names otherwise."""
        if not self.ranks.leader:
            return
        try:
            if os.path.exists(path) and not os.path.isfile(path):
                raise OSError(f"{path} exists and is not a regular file")
            self.model.set_modes(self.modes)
            metadata = {"reslab.step": str(self.step), "reslab.engine": "reslab-torch"}
            if self.spec:
                metadata["reslab.model"] = json.dumps(self.spec)
                metadata["reslab.configuration"] = json.dumps(self.configuration())
            else:
                metadata["reslab_torch.model"] = self.model_name
            save_checkpoint(self.model, metadata, path)
            self.note(f"saved checkpoint {path} at step {self.step}")
        except (OSError, ValueError, RuntimeError) as error:
            self.note(f"could not save: {error}")

    def configuration(self):
        """The run as ResLab's checkpoints describe it (`reslab.configuration`)."""
        s = self.settings
        return {"activation": s.activation, "arms": self.dataset.classes if self.dataset.planar else 3,
                "dataset": self.dataset.name, "depth": s.depth, "initialization": "he", "model": s.model,
                "momentum": s.momentum, "norm": s.norm, "optimizer": "sgd", "seed": s.seed, "skip": True,
                "threads": 1, "twin": False, "weightDecay": s.weight_decay, "width": s.width}

    # MARK: - Experiments

    def start_experiment(self, name):
        label = "lesion sweep" if name == "lesion_sweep" else "k-deletion curve"
        if self.state == "diverged":
            return
        if self.experiment is not None:
            self.queued.append(name)
            self.note(f"{label} queued")
            return
        base = self.training_modes

        def evaluate(modes):
            return self.evaluate(self.dataset.test, modes, self.settings.sweep_limit)[1]
        if name == "lesion_sweep":
            downsampling = [bool(getattr(block, "downsamples", False)) for block in self.blocks]
            work = experiments.single_lesion(evaluate, base, downsampling)
        else:
            work = experiments.k_deletions(evaluate, base)
        self.experiment = RunningExperiment(label, work)
        self.state_before_experiment, self.state = self.state, "evaluating"
        self.note(f"{label} started; training paused")
        self.publish()

    def _advance_experiment(self):
        label = self.experiment.label
        try:
            self.experiment.done, self.experiment.total = next(self.experiment.work)
            if time.monotonic() - self.last_publish >= self.settings.publish_interval:
                self.publish()
            return
        except StopIteration as finished:
            result = finished.value
        if label == "lesion sweep":
            self.results["lesion_sweep"] = result
            accuracies = result["accuracy"]
            worst = min(range(len(accuracies)), key=accuracies.__getitem__)
            self.note(f"lesion sweep: intact {percent(result['intact'])}, mean with one block deleted "
                      f"{percent(sum(accuracies) / len(accuracies))}, worst block {worst + 1} {percent(accuracies[worst])}"
                      + self._group_means(result))
        else:
            self.results["k_deletions"] = result
            self.note("k-deletion curve: " + ", ".join(f"k={r['k']} {percent(r['mean'])}" for r in result))
        self.end_experiment()

    @staticmethod
    def _group_means(sweep):
        """"; ordinary blocks X %, downsampling blocks Y %" when some blocks downsample."""
        marks = sweep.get("downsampling")
        if not marks:
            return ""
        groups = [[a for a, mark in zip(sweep["accuracy"], marks) if mark == wanted] for wanted in (False, True)]
        ordinary, downsampling = (sum(g) / len(g) if g else sweep["intact"] for g in groups)
        return f"; ordinary blocks {percent(ordinary)}, downsampling blocks {percent(downsampling)}"

    def end_experiment(self):
        self.experiment = None
        self.state = self.state_before_experiment
        if self.queued:
            self.start_experiment(self.queued.pop(0))
        self.publish()

    # MARK: - Snapshots

    def note(self, message):
        self.event_count += 1
        self.events.append({"id": self.event_count, "time": round(time.monotonic() - self.start, 3),
                            "message": message})
        del self.events[:-CARRIED_EVENTS]

    def report(self, event):
        """With --rank-log DIR, each rank appends its own view (step and
        block modes) to DIR/rank-R.jsonl: how a test sees that every rank
        applied a command at the same step."""
        if self.settings.rank_log:
            line = {"rank": self.ranks.rank, "pid": os.getpid(), "step": self.step, "event": event,
                    "modes": self.modes}
            with open(os.path.join(self.settings.rank_log, f"rank-{self.ranks.rank}.jsonl"), "a") as file:
                file.write(json.dumps(line) + "\n")

    def _training_summary(self, at_evaluation=False):
        """The means over the steps since the last snapshot, or, at an
        evaluation (and the end), since the last evaluation, as the Swift
        engine reports them: the same figures however often snapshots go
        out. Added over the ranks; when no step was taken since, the last
        ones (None after a reset)."""
        rows, weight_norms = self.probe.take()
        taken = []
        if rows is not None:
            taken = [(self.sums.clone(), rows, weight_norms, self.training_seconds)]
            self.sums.zero_()
            self.training_seconds = 0.0
            self.since_evaluation += taken
        if at_evaluation:
            taken, self.since_evaluation = self.since_evaluation, []
        # Every rank took the same steps, so all of them stop here or none.
        if not taken:
            return self.last_summary
        sums = torch.stack([part[0] for part in taken]).sum(dim=0)
        rows, weight_norms = torch.cat([part[1] for part in taken]), torch.cat([part[2] for part in taken])
        seconds = sum(part[3] for part in taken)
        world = self.ranks.world
        packed = self.ranks.total(torch.cat([sums, rows.flatten()]))
        sums, rows = packed[:3].tolist(), packed[3:].view(rows.shape)
        # Each rank's loss is the mean over its share: the whole batch's ∂L/∂x is 1/world of each rank's.
        input_norms = (rows[:, 0].sqrt() / world).mean(dim=0)
        branch, shortcut = rows[-1, 1], rows[-1, 2]
        ratios = [None if not torch.isfinite(b) or s <= 0 else float((b / s).sqrt()) for b, s in zip(branch, shortcut)]
        self.last_summary = {"train_loss": sums[0] / sums[2], "train_acc": sums[1] / sums[2],
                             "grad_norm": weight_norms.mean(dim=0).tolist(), "input_grad_norm": input_norms.tolist(),
                             "branch_ratio": ratios, "samples_per_s": sums[2] / seconds if seconds > 0 else 0.0}
        return self.last_summary

    def publish(self, at_evaluation=False):
        """Sends a snapshot (rank 0). Every rank must call it at the same
        moment: the training figures are added over the ranks."""
        summary = self._training_summary(at_evaluation)
        if summary is not None and self.state == "training" and not torch.isfinite(torch.tensor(summary["train_loss"])):
            self.state = "diverged"
            kind = "NaN" if summary["train_loss"] != summary["train_loss"] else "infinite"
            self.note(f"diverged at step {self.step}: the loss is {kind}; lower the learning rate "
                      f"(now {self.peak_rate:g})")
        self.last_publish = time.monotonic()
        self.published_events = self.event_count
        if not self.ranks.leader:
            return
        snapshot = {
            "kind": "train", "step": self.step, "total_steps": self.total_steps,
            "epoch": self.step / max(self.batches.per_epoch, 1), "block_modes": list(self.modes),
            "scope": self.scope, "lr": number(self.rate), "state": self.state,
            "elapsed_s": time.monotonic() - self.start, "events": list(self.events),
            "evaluated_at_step": self.evaluation["evaluated_at_step"], "title": self.title,
            "dataset": self.dataset.name, "model": self.model_name,
            "depth": self.spec["depth"] if self.spec else len(self.blocks),
            "width": self.spec["width"] if self.spec else self.settings.width,
            "activation": self.spec["activation"] if self.spec else "relu",
            "norm": self.spec["norm"] if self.spec else "batch",
            "classes": self.dataset.classes, "seed": self.settings.seed,
            "threads": torch.get_num_threads() * self.ranks.world,
            "grad_norm": [], "input_grad_norm": [], "branch_ratio": [], "samples_per_s": 0.0,
        }
        if summary is not None:
            snapshot.update(summary)
            snapshot["train_loss"] = number(summary["train_loss"])
            snapshot["grad_norm"] = [number(v) for v in summary["grad_norm"]]
            snapshot["input_grad_norm"] = [number(v) for v in summary["input_grad_norm"]]
        for key in ("val_loss", "val_acc", "lesioned_val_acc", "test_loss", "test_acc"):
            if self.evaluation.get(key) is not None:
                snapshot[key] = number(self.evaluation[key]) if key.endswith("loss") else self.evaluation[key]
        snapshot.update(self.results)
        if self.experiment is not None:
            snapshot["experiment"] = {"name": self.experiment.label, "done": self.experiment.done,
                                      "total": self.experiment.total}
        self.history.record(snapshot)
        self.connection.write(snapshot)

    def greet(self):
        """Rank 0: the hello, then the run so far, to a front end that has just connected."""
        self.connection.write(self.hello)
        for snapshot in self.history.replay():
            self.connection.write(snapshot)
