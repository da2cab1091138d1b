"""The test tiers themselves: the in-process guard of ``conftest.py`` fails a test that is not marked
``process`` but opens an internet socket or starts a subprocess, and leaves marked tests alone."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")

INNER = """
import socket
import subprocess
import sys

import pytest


def test_connects_without_the_mark():
    with pytest.raises(PermissionError):
        socket.create_connection(("127.0.0.1", 9), timeout=0.2)


def test_spawns_without_the_mark():
    subprocess.run([sys.executable, "-c", "pass"], check=False)


def test_swallows_the_refusal():
    try:
        socket.socket().bind(("127.0.0.1", 0))
    except OSError:
        pass  # the code under test turned it into an error result: the test still fails


def test_unix_sockets_and_pure_code_are_fine():
    a, b = socket.socketpair()
    a.close(), b.close()
    assert sum(range(4)) == 6


@pytest.mark.process
def test_marked_may_bind():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
"""


@pytest.mark.process  # the inner tests bind and spawn; the outer guard must not count those
def test_the_guard_fails_unmarked_network_and_process_use(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "anyio")
    # Errors at teardown (the guard), on top of the failure of the test that did not catch the refusal.
    result.assert_outcomes(passed=4, failed=1, errors=3)
    text = result.stdout.str()
    assert "test_connects_without_the_mark is not marked `process` but tried to: connect to" in text
    assert "test_spawns_without_the_mark is not marked `process` but tried to: start a subprocess" in text
    assert "test_swallows_the_refusal is not marked `process` but tried to: bind" in text
