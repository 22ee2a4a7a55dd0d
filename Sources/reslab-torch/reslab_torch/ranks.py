"""The processes of one run: a single one, or the ranks that `torchrun`
starts, joined by torch.distributed (gloo on CPU, nccl on GPUs).

Rank 0 speaks the protocol. Every iteration of the engine's loop it shares
what arrived (commands, whether to publish) with the other ranks, so that
all of them apply a command at the same step; sums that need the whole run
(evaluation counts, gradient squares) are added with an all-reduce.
"""
import datetime
import os
import re
import sys

import torch
import torch.distributed as dist


class RankLost(RuntimeError):
    """Another rank stopped answering: the run cannot go on."""


def short_reason(error):
    """The gist of a collective's error, for one line on the dashboard:
    gloo's "[…/pair.cc:537] Read error […]: Connection reset by peer. This is
    typically caused by …" becomes "Connection reset by peer"."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = re.sub(r"^\[[^\]]*\]\s*", "", text)
    text = text.split(". ")[0].rstrip(".")
    return text.rsplit(": ", 1)[-1][:120]


def lost_rank(error):
    """Whether `error` says another rank is gone: raised by a collective of
    ours, or by one inside DDP's forward or backward (gloo and nccl report
    those as plain RuntimeErrors)."""
    text = str(error)
    return isinstance(error, (RankLost, dist.DistError)) or (
        isinstance(error, RuntimeError) and any(word in text for word in ("gloo", "NCCL", "Connection")))


class Ranks:
    """This process's place in the run: `rank`, `world` (the number of
    ranks) and the collective operations the engine needs."""

    def __init__(self, device, timeout_seconds=300):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.backend = None
        self.device = device
        if self.world > 1:
            self.backend = "nccl" if device.type == "cuda" else "gloo"
            if device.type == "cuda":
                torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            dist.init_process_group(self.backend, timeout=datetime.timedelta(seconds=timeout_seconds))

    @property
    def leader(self):
        """Whether this rank speaks the protocol."""
        return self.rank == 0

    def share(self, value):
        """Rank 0's `value` (any picklable object), on every rank."""
        if self.world == 1:
            return value
        box = [value]
        self._collective(dist.broadcast_object_list, box, src=0)
        return box[0]

    def total(self, tensor):
        """The element-wise sum of `tensor` over the ranks (a new tensor on the same device)."""
        if self.world == 1:
            return tensor
        # gloo adds CPU tensors; nccl adds GPU ones.
        wire = tensor.detach().to(self.device if self.backend == "nccl" else "cpu").contiguous()
        self._collective(dist.all_reduce, wire)
        return wire.to(tensor.device)

    def _collective(self, operation, *arguments, **options):
        try:
            operation(*arguments, **options)
        except (RuntimeError, ValueError, OSError) as error:
            raise RankLost(short_reason(error)) from error

    def finish(self):
        """Waits until every rank is done with the run's collectives, then
        leaves the process at once. Tearing down the process group, or
        letting the interpreter finalize its objects, can abort ("terminate
        called without an active exception") while gloo's threads still run."""
        if self.world > 1:
            self._collective(dist.barrier)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
