"""The stdio line sources in process, through real pipes: a line over the cap is answered once and
none of it runs, on both paths (the event-loop one and the threaded one)."""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable

import pytest

from glow_models_mcp import stdio

pytestmark = pytest.mark.anyio

CAP = 1024
PING = b'{"jsonrpc":"2.0","id":5,"method":"ping"}\n'


def _feed(data: bytes) -> int:
    """A pipe's read end, ``data`` written to it (then closed) by a thread."""
    read_fd, write_fd = os.pipe()

    def write() -> None:
        with os.fdopen(write_fd, "wb") as out:
            out.write(data)

    threading.Thread(target=write, daemon=True).start()
    return read_fd


async def _lines(source: Callable[[], Awaitable[bytes]]) -> list[bytes | str]:
    """Every line ``source`` gives until EOF, ``"too long"`` for each overlong one."""
    out: list[bytes | str] = []
    while True:
        try:
            line = await source()
        except stdio._LineTooLong:
            out.append("too long")
            continue
        if not line:
            return out
        out.append(line)


# A line over the cap whose newline comes in a later read, one whose newline is already buffered
# (spaces, then a request: only the request's tail would be left if the skip stopped early),
# and one that ends at EOF with no newline.
CASES = {
    "newline far past the cap": (b" " * (CAP * 1024) + PING + PING, ["too long", PING]),  # more than a pipe holds
    "newline just past the cap": (b"x" * (CAP + 10) + b"\n" + PING, ["too long", PING]),
    "overlong last line": (PING + b"y" * (CAP * 3), [PING, "too long"]),
}


@pytest.mark.parametrize("case", CASES)
async def test_an_overlong_line_is_skipped_whole_on_the_event_loop_path(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stdio, "MAX_LINE_BYTES", CAP)
    data, expected = CASES[case]
    read_fd = _feed(data)
    out_read, out_write = os.pipe()
    try:
        async with stdio._event_loop_io(read_fd, out_write, stdio._InFlight()) as (source, _out):
            assert await _lines(source) == expected
    finally:
        for fd in (read_fd, out_read, out_write):
            os.close(fd)


@pytest.mark.parametrize("case", CASES)
async def test_an_overlong_line_is_skipped_whole_on_the_threaded_path(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stdio, "MAX_LINE_BYTES", CAP)
    data, expected = CASES[case]
    with os.fdopen(_feed(data), "rb") as binary:
        assert await _lines(stdio._ThreadedSource(binary)) == expected
