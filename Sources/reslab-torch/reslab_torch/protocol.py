"""ResLab's JSON-lines protocol, version 1 (README, "The boundary and the
protocol"; schema in Sources/RunProtocol/protocol.schema.json).

The engine writes one JSON object per line: a `hello` first, then `train`
snapshots, `notice`s, `error`s for lines it could not take, and `ended`
last. Each line it reads is one command. A bad line gets one error line and
the engine carries on; nothing a front end sends can stop it but `quit` or
the end of its input. Listening on a socket, the end of a front end's input
is not the end of the run: the next front end to connect takes over.
"""
import json
import math
import os
import queue
import socket
import sys
import threading

PROTOCOL = 1
# A line longer than this is answered with an error and skipped, as `reslab serve` does.
LINE_LIMIT = 16 << 20
MODES = ("residual", "plain", "deleted")
SCOPES = ("eval", "train")
# Each command, with the fields it needs and how each is checked.
COMMANDS = {
    "pause": {}, "resume": {}, "toggle_pause": {}, "step": {}, "evaluate": {}, "reset": {}, "quit": {},
    "toggle_all_skips": {}, "toggle_scope": {}, "lesion_sweep": {}, "k_deletion_curve": {},
    "path_report": {}, "cancel_experiment": {},
    "scale_learning_rate": {"factor": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                            and math.isfinite(v) and v > 0},
    "toggle_skip": {"block": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0},
    "toggle_delete": {"block": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0},
    "set_mode": {"block": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                 "mode": lambda v: v in MODES},
    "set_all_modes": {"mode": lambda v: v in MODES},
    "set_scope": {"scope": lambda v: v in SCOPES},
    "save": {},
}


class ProtocolError(ValueError):
    """A line that is not a command, as one sentence."""


def excerpt(line):
    """The start of a bad line, printable."""
    text = "".join(c for c in line[:60].decode("utf-8", "replace") if c.isprintable())
    return f"'{text}…'" if len(line) > 60 else f"'{text}'"


def parse_command(line):
    """One command line (bytes) as a dictionary, or ProtocolError."""
    try:
        command = json.loads(line)
    except (ValueError, RecursionError):
        raise ProtocolError(f"not JSON: {excerpt(line)}") from None
    if not isinstance(command, dict) or not isinstance(command.get("command"), str):
        raise ProtocolError(f"bad command {excerpt(line)}: missing 'command'")
    name = command["command"]
    if name not in COMMANDS:
        raise ProtocolError(f"bad command {excerpt(line)}: unknown command '{name}'")
    for field, valid in COMMANDS[name].items():
        if field not in command:
            raise ProtocolError(f"bad command {excerpt(line)}: missing '{field}'")
        if not valid(command[field]):
            raise ProtocolError(f"bad command {excerpt(line)}: wrong value at '{field}'")
    if name == "save" and "path" in command and not isinstance(command["path"], str):
        raise ProtocolError(f"bad command {excerpt(line)}: wrong type at 'path'")
    return command


def number(value):
    """A float as the protocol writes it: non-finite values as strings."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def encode(message):
    """One message as a line of JSON, without the newline."""
    return json.dumps(message, sort_keys=True, separators=(",", ":"), allow_nan=False)


# The marker that a new front end has connected (see `Connection._read`).
ATTACHED = "attached"


class Connection:
    """Lines in (read on a thread of their own, so the engine never blocks
    on its input) and lines out, over stdin/stdout or a TCP connection: one
    at a time, from the listening socket `server`."""

    def __init__(self, receive, writer, closer=None, server=None):
        self._writer = writer
        self._closer = closer
        self._server = server
        self._lock = threading.Lock()
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(receive,), daemon=True).start()

    @classmethod
    def standard(cls):
        # Raw reads of descriptor 0: a thread blocked in one holds no lock that interpreter shutdown needs.
        return cls(lambda: os.read(0, 1 << 16), sys.stdout.buffer)

    @classmethod
    def listen(cls, host, port):
        """Waits for a front end on host:port; when it goes away, for the next."""
        server = socket.create_server((host, port))
        print(f"reslab_torch serve: listening on {host}:{port}", file=sys.stderr, flush=True)
        client, _ = server.accept()
        return cls(lambda: client.recv(1 << 16), client.makefile("wb"), client.close, server)

    def _read(self, receive):
        """Queues each line (bytes), `("too long", n)` for an overlong one,
        and None at the end of the input; listening, `(ATTACHED, writer,
        closer)` when the next front end has connected instead."""
        while True:
            self._read_lines(receive)
            if self._server is None:
                break
            try:
                client, _ = self._server.accept()
            except OSError:
                break
            receive = lambda client=client: client.recv(1 << 16)
            self.lines.put((ATTACHED, client.makefile("wb"), client.close))
        self.lines.put(None)

    def attach(self, writer, closer):
        """From now on, lines go to a new front end (the old one is closed)."""
        with self._lock:
            if self._closer:
                self._closer()
            self._writer, self._closer = writer, closer

    def _read_lines(self, receive):
        """Queues the lines of one front end's input until it ends."""
        pending, skipping = b"", 0
        try:
            while True:
                chunk = receive()
                if not chunk:
                    break
                pending += chunk
                while True:
                    end = pending.find(b"\n")
                    if end < 0:
                        break
                    line, pending = pending[:end], pending[end + 1:]
                    if skipping:
                        self.lines.put(("too long", skipping + len(line)))
                        skipping = 0
                    else:
                        self.lines.put(line)
                if len(pending) > LINE_LIMIT:
                    skipping += len(pending)
                    pending = b""
        except (OSError, ValueError):
            pass
        if pending.strip() and not skipping:
            self.lines.put(pending)

    def write(self, message):
        """Writes one message; a front end that has gone away is not an error here."""
        try:
            with self._lock:
                self._writer.write(encode(message).encode() + b"\n")
                self._writer.flush()
        except (OSError, ValueError):
            pass

    def close(self):
        if self._closer:
            self._closer()
