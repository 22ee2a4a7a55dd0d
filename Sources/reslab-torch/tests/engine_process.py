"""An engine in a child process, driven as a front end drives it: commands
in on stdin, JSON lines out, each line checked against the protocol schema."""
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time

import jsonschema

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
with open(os.path.join(ROOT, "Sources", "RunProtocol", "protocol.schema.json")) as schema_file:
    SCHEMA = json.load(schema_file)
ENGINE_MESSAGE = jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/engine_message"})
COMMAND = jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/command"})
PACKAGE = os.path.join(os.path.dirname(__file__), "..")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(*options, ranks=1):
    """`python -m reslab_torch serve OPTIONS`, under torchrun for several ranks."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(ranks),
                "--master_port", str(free_port())] if ranks > 1 else [sys.executable]
    return launcher + ["-m", "reslab_torch", "serve", *options]


class EngineProcess:
    """The engine's stdout, read on a thread; every line is validated as it arrives."""

    def __init__(self, command):
        environment = dict(os.environ, PYTHONPATH=PACKAGE, OMP_NUM_THREADS="1")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=environment)
        self.messages, self.invalid = [], []
        self._arrivals = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.stderr = []
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            message = json.loads(line)
            errors = list(ENGINE_MESSAGE.iter_errors(message))
            if errors:
                self.invalid.append((errors[0].message, line[:200]))
            self.messages.append(message)
            self._arrivals.put(message)
        self._arrivals.put(None)

    def send(self, text):
        """A command (a dictionary, checked against the schema first) or a raw line."""
        if isinstance(text, dict):
            COMMAND.validate(text)
            text = json.dumps(text)
        self.process.stdin.write(text.encode() + b"\n")
        self.process.stdin.flush()

    def wait_for(self, predicate, seconds=120):
        """The first message from now on for which `predicate` holds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                message = self._arrivals.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if message is None:
                raise AssertionError("the engine ended first: " + b"".join(self.stderr[-10:]).decode(errors="replace"))
            if predicate(message):
                return message
        raise AssertionError(f"nothing arrived in {seconds} s: " + b"".join(self.stderr[-10:]).decode(errors="replace"))

    def finish(self, seconds=60):
        """Closes the input and waits for the exit status."""
        if not self.process.stdin.closed:
            self.process.stdin.close()
        return self.process.wait(seconds)

    def kill(self):
        """Stops the engine if it still runs, and closes its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            pipe.close()


def snapshot(message):
    return message["kind"] == "train"


def event(text):
    """A predicate: a snapshot whose events hold `text`."""
    return lambda message: snapshot(message) and any(text in e["message"] for e in message["events"])
