"""Two gloo ranks on the CPU under torchrun: rank 0 speaks the protocol and
every command reaches both ranks at the same step; a rank that dies ends
the run with an error line, not a hang."""
import json
import os
import signal
import time

import pytest

from engine_process import EngineProcess, event, serve_command, snapshot

OPTIONS = ("--model", "dense", "--dataset", "spirals", "--depth", "4", "--width", "16", "--threads", "1",
           "--steps", "100000", "--eval-every", "50")


def rank_log(directory, rank):
    path = os.path.join(directory, f"rank-{rank}.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as log:
        return [json.loads(line) for line in log]


@pytest.fixture
def two_ranks(tmp_path):
    process = EngineProcess(serve_command(*OPTIONS, "--rank-log", str(tmp_path), ranks=2))
    yield process, str(tmp_path)
    process.kill()


def test_a_deletion_sent_to_rank_0_is_applied_on_both_ranks(two_ranks):
    engine, logs = two_ranks
    hello = engine.wait_for(lambda m: m["kind"] == "hello")
    assert "2 ranks, gloo" in hello["engine"]
    engine.wait_for(lambda m: snapshot(m) and m["step"] > 0 and m["grad_norm"])
    engine.send({"command": "toggle_delete", "block": 2})
    deleted = engine.wait_for(event("block 3 deleted · val acc"))
    assert deleted["block_modes"][2] == "deleted"
    # Each rank writes its own report when it has applied the command; rank 1's may land a moment after rank 0's snapshot.
    deadline = time.monotonic() + 30
    while True:
        reports = [[line for line in rank_log(logs, rank) if line["event"] == "block 3 deleted"] for rank in (0, 1)]
        if all(reports) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(reports[0]) == len(reports[1]) == 1
    assert reports[0][0]["step"] == reports[1][0]["step"] == deleted["step"]
    assert reports[0][0]["modes"] == reports[1][0]["modes"] == deleted["block_modes"]
    # Training goes on with both ranks after the deletion, and an evaluation adds both ranks' halves.
    engine.send({"command": "evaluate"})
    engine.wait_for(event("evaluated at step"))
    engine.send({"command": "quit"})
    assert engine.finish() == 0, b"".join(engine.stderr[-60:]).decode(errors="replace")
    assert engine.messages[-1] == {"kind": "ended"}
    assert engine.invalid == []


def test_a_killed_rank_ends_the_run_with_an_error(two_ranks):
    engine, logs = two_ranks
    engine.wait_for(lambda m: snapshot(m) and m["step"] > 0)
    victim = [line for line in rank_log(logs, 1) if line["event"] == "start"][0]["pid"]
    os.kill(victim, signal.SIGKILL)
    began = time.monotonic()
    error = engine.wait_for(lambda m: m["kind"] == "error", seconds=60)
    # One short line for the dashboard, not gloo's paragraph.
    assert "stopped" in error["message"] and "pair.cc" not in error["message"] and len(error["message"]) < 160
    ended = engine.wait_for(lambda m: m["kind"] == "ended", seconds=30)
    assert "stopped" in ended["reason"]
    assert engine.process.wait(60) != 0
    assert time.monotonic() - began < 60
    assert engine.invalid == []
