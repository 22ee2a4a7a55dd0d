"""`python -m reslab_torch serve` speaks ResLab's protocol: a hello, then
snapshots, notices, errors and an end, every line valid under the committed
JSON Schema; commands change the run the way `reslab serve` does."""
import json
import socket
import time

import pytest
import torch

from engine_process import EngineProcess, event, free_port, serve_command, snapshot
from reslab_torch import load_checkpoint

SPIRALS = ("--model", "dense", "--dataset", "spirals", "--depth", "4", "--width", "24", "--threads", "1",
           "--steps", "400", "--eval-every", "100", "--sweep-limit", "300")


@pytest.fixture
def engine():
    process = EngineProcess(serve_command(*SPIRALS))
    yield process
    process.kill()


def test_a_session_from_hello_to_end(engine, tmp_path):
    hello = engine.wait_for(lambda m: True)
    assert hello == {"kind": "hello", "protocol": 1, "engine": hello["engine"],
                     "capabilities": ["k-deletions", "lesion-sweep", "save"]}
    trained = engine.wait_for(lambda m: snapshot(m) and m["grad_norm"])
    assert len(trained["grad_norm"]) == len(trained["input_grad_norm"]) == len(trained["branch_ratio"]) == 4
    assert all(v > 0 for v in trained["grad_norm"] + trained["input_grad_norm"])
    assert all(v is not None and v > 0 for v in trained["branch_ratio"])

    engine.send({"command": "toggle_delete", "block": 1})
    deleted = engine.wait_for(event("block 2 deleted · val acc"))
    assert deleted["block_modes"] == ["residual", "deleted", "residual", "residual"]
    assert "lesioned_val_acc" in deleted and "→" in deleted["events"][-1]["message"]

    engine.send("not json")
    engine.send('{"command":"fly"}')
    engine.send('{"command":"toggle_delete"}')
    errors = [engine.wait_for(lambda m: m["kind"] == "error") for _ in range(3)]
    assert [e["message"].split(":")[0] for e in errors] == ["line 2", "line 3", "line 4"]
    assert "not JSON" in errors[0]["message"] and "unknown command" in errors[1]["message"] \
        and "missing 'block'" in errors[2]["message"]

    engine.send({"command": "lesion_sweep"})
    swept = engine.wait_for(lambda m: snapshot(m) and "lesion_sweep" in m)
    assert len(swept["lesion_sweep"]["accuracy"]) == 4 and 0 < swept["lesion_sweep"]["intact"] <= 1

    path = tmp_path / "engine.safetensors"
    engine.send({"command": "save", "path": str(path)})
    engine.wait_for(event(f"saved checkpoint {path}"))
    model, metadata = load_checkpoint(str(path))
    assert [block.mode for block in model.blocks] == ["residual", "deleted", "residual", "residual"]

    engine.send({"command": "quit"})
    assert engine.finish() == 0
    assert engine.messages[-1] == {"kind": "ended"}
    assert engine.invalid == []


def test_listen_serves_one_front_end_over_tcp():
    port = free_port()
    engine = EngineProcess(serve_command(*SPIRALS, "--listen", str(port)))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=60)
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the engine never listened"
                time.sleep(0.2)
        lines = connection.makefile("rb")
        assert json.loads(lines.readline())["kind"] == "hello"
        assert json.loads(lines.readline())["kind"] == "train"
        connection.sendall(b'{"command":"quit"}\n')
        messages = [json.loads(line) for line in lines]
        connection.close()
        assert messages[-1] == {"kind": "ended"}
        assert engine.process.wait(60) == 0
    finally:
        engine.kill()


def test_the_next_front_end_takes_over_a_listening_run():
    """A front end that goes away without `quit` leaves the run going: the
    next one hears the hello, the evaluations from step 0 and the whole
    event log, then live snapshots, as from `reslab serve --listen`."""
    port = free_port()
    engine = EngineProcess(serve_command(*SPIRALS[:-6], "--steps", "1000000", "--eval-every", "20",
                                         "--listen", str(port)))

    def connect():
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=60)
                return connection, connection.makefile("rb")
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the engine never listened"
                time.sleep(0.2)

    try:
        first, lines = connect()
        assert json.loads(lines.readline())["kind"] == "hello"
        seen = 0
        while seen < 100:
            seen = json.loads(lines.readline())["step"]
        first.close()

        second, lines = connect()
        assert json.loads(lines.readline())["kind"] == "hello"
        replayed = []
        while not replayed or not replayed[-1]["events"]:
            replayed.append(json.loads(lines.readline()))
        steps = [message["step"] for message in replayed]
        assert steps[0] == 0 and steps[-1] >= seen and steps == sorted(steps)
        assert all(m["evaluated_at_step"] == m["step"] and not m["events"] for m in replayed[:-1])
        assert replayed[-1]["events"][0]["id"] == 1
        assert replayed[-1]["events"][0]["message"].startswith("training Spirals")
        assert json.loads(lines.readline())["step"] >= steps[-1]
        second.sendall(b'{"command":"quit"}\n')
        assert engine.process.wait(60) == 0
        second.close()
    finally:
        engine.kill()


def test_final_means_do_not_depend_on_how_often_snapshots_go_out():
    """A snapshot with an evaluation, the last one too, reports the means
    since the previous evaluation, as `reslab serve` does: publishing after
    every step or only at evaluations gives the same figures."""
    finals = []
    for interval in ("1e-9", "3600"):
        engine = EngineProcess(serve_command(*SPIRALS[:-6], "--steps", "250", "--eval-every", "100",
                                             "--publish-interval", interval))
        try:
            published = []
            finals.append(engine.wait_for(lambda m: snapshot(m) and published.append(m) is None
                                          and m["state"] == "finished"))
            assert engine.finish() == 0
            if interval == "1e-9":
                assert len(published) > 100
        finally:
            engine.kill()
    often, seldom = finals
    assert often["step"] == seldom["step"] == 250
    for key in ("train_loss", "train_acc", "grad_norm", "input_grad_norm", "test_acc"):
        assert often[key] == seldom[key], key


def test_pause_step_and_learning_rate(engine):
    engine.wait_for(snapshot)
    engine.send({"command": "pause"})
    paused = engine.wait_for(lambda m: snapshot(m) and m["state"] == "paused")
    engine.send({"command": "step"})
    stepped = engine.wait_for(lambda m: snapshot(m) and m["step"] == paused["step"] + 1)
    assert stepped["state"] == "paused"
    engine.send({"command": "scale_learning_rate", "factor": 0.5})
    engine.wait_for(event("learning rate 0.05"))
    # Every skip off, in a network whose batch norm and ReLU keep the gradients alive: it says so.
    engine.send({"command": "toggle_all_skips"})
    advised = engine.wait_for(event("so the gradients will not vanish here"))
    assert advised["block_modes"] == ["plain"] * 4
    engine.send({"command": "toggle_scope"})
    scoped = engine.wait_for(event("lesion scope: training and evaluation"))
    assert scoped["scope"] == "train"
    engine.finish()
    assert engine.invalid == []


def test_a_diverging_rate_is_reported_not_a_crash():
    engine = EngineProcess(serve_command(*SPIRALS[:-6], "--lr", "1e6", "--steps", "200"))
    try:
        diverged = engine.wait_for(lambda m: snapshot(m) and m["state"] == "diverged")
        message = diverged["events"][-1]["message"]
        assert "diverged at step" in message
        assert "the loss is NaN" in message or "the loss is infinite" in message
        assert engine.finish() == 0
        assert engine.invalid == []
    finally:
        engine.kill()


def test_bad_options_and_files_give_one_line(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\xff" * 100)
    for options, expected in [(("--dataset", "cifar10"), "cifar10 needs --data"),
                              (("--dataset", "cifar10", "--data", str(tmp_path)), "data_batch_1.bin not found"),
                              (("--model", "resnet21"), "depth 6n + 2"),
                              (("--device", "cuda"), "sees no GPU"),
                              (("--model", "dense", "--dataset", "spirals", "--depth", "1000", "--width", "4096"),
                               "M parameters and needs about"),
                              (("--model", "dense", "--dataset", "spirals", "--batch", "100000"), "more than the"),
                              (("--model", "dense", "--dataset", "spirals", "--load", str(bad)), "bad.safetensors")]:
        engine = EngineProcess(serve_command(*options))
        status = engine.finish()
        engine.kill()
        text = b"".join(engine.stderr).decode()
        assert status == 1 and expected in text and "Traceback" not in text, text
        assert engine.messages == []
    # Options out of range are refused by the parser, one line each, before anything is built.
    for options, expected in [(("--threads", "1000000000"), "--threads: must be a positive number and at most"),
                              (("--lr", "1e309"), "--lr: must be a positive number"),
                              (("--seed", "-5"), "--seed: must be from 0"),
                              (("--timeout", "1e20"), "--timeout: invalid"),
                              (("--steps", "-3"), "--steps: must be a positive number")]:
        engine = EngineProcess(serve_command(*options))
        status = engine.finish()
        engine.kill()
        text = b"".join(engine.stderr).decode()
        assert status == 2 and expected in text and "Traceback" not in text, text


def test_block_statistics_match_autograd():
    """The probe's ‖∂L/∂W‖, ‖∂L/∂x‖ and ‖F‖/‖S‖ are those autograd gives for one step."""
    from reslab_torch.models import ResNet
    from reslab_torch.statistics import BlockProbe
    torch.manual_seed(0)
    spec = {"kind": "dense", "depth": 3, "width": 8, "norm": "batch", "activation": "tanh", "classes": 3,
            "inputShape": [2]}
    model = ResNet(spec)
    probe = BlockProbe(model.blocks)
    x, y = torch.randn(16, 2), torch.randint(0, 3, (16,))
    inputs = []

    def keep(module, args):
        args[0].retain_grad()
        inputs.append(args[0])
    for block in model.blocks:
        block.register_forward_pre_hook(keep)
    probe.begin_step("cpu")
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    input_gradients = [x.grad for x in inputs]
    probe.end_step()
    rows, weight_norms = probe.take()
    for index, block in enumerate(model.blocks):
        expected = torch.cat([p.grad.flatten() for p in block.branch.parameters()]).norm()
        assert weight_norms[0, index] == pytest.approx(float(expected), rel=1e-5)
        assert rows[0, 0, index].sqrt() == pytest.approx(float(input_gradients[index].norm()), rel=1e-5)
        with torch.no_grad():
            f = block.branch(inputs[index])
        assert (rows[0, 1, index] / rows[0, 2, index]).sqrt() == pytest.approx(float(f.norm() / inputs[index].detach().norm()),
                                                                             rel=1e-4)
