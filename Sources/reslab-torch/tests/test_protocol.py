"""The engine's line reader, fed the way a pipe delivers bytes."""
import io

from reslab_torch.protocol import LINE_LIMIT, Connection


def read_all(chunks):
    """Every item the reader queues for `chunks`, up to the end of input."""
    pending = iter(chunks)
    connection = Connection(lambda: next(pending, b""), io.BytesIO())
    items = []
    while (item := connection.lines.get(timeout=30)) is not None:
        items.append(item)
    return items


def test_an_overlong_line_is_reported_once_and_the_next_line_still_arrives():
    size = LINE_LIMIT + (1 << 20)
    huge = b"x" * size + b"\n"
    chunks = [b'{"command":"pause"}\n'] + [huge[i:i + (1 << 16)] for i in range(0, len(huge), 1 << 16)]
    chunks += [b'{"command":"st', b'ep"}\n', b"tail without newline"]
    items = read_all(chunks)
    assert items == [b'{"command":"pause"}', ("too long", size), b'{"command":"step"}', b"tail without newline"]


def test_lines_split_anywhere_are_put_back_together():
    text = b"".join(b'{"command":"toggle_delete","block":%d}\n' % i for i in range(50))
    for size in (1, 7, 64):
        items = read_all([text[i:i + size] for i in range(0, len(text), size)])
        assert items == text.split(b"\n")[:-1]
