"""The stdio start path: what a server does between its spawn and its first answers (the cold start
of every desktop client's server; the figure is in BENCHMARKS.md, never asserted here).

* A stdio server against an instance imports none of the modules it does not use: the HTTP
  transports, the sandbox, ``doctor`` and ``demo``.
* The cyclic garbage collector, paused while the server starts (``cli._pause_gc``), is on when the
  server serves, with the start-up's objects frozen; a start that fails leaves it on too.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys

import pytest
from rawrpc import request, stdio_exchange
from support import TOOL_NAMES, clean_env

from glow_models_mcp import cli

#: Package modules a stdio server against an instance never uses.
NOT_ON_THE_STDIO_PATH = (
    "glow_models_mcp.http_app",
    "glow_models_mcp.sandbox",
    "glow_models_mcp.doctor",
    "glow_models_mcp.demo",
)

#: An instance URL nothing listens on: listing tools must not need the upstream.
NOWHERE = "http://127.0.0.1:9"


@pytest.mark.process
def test_stdio_start_imports_only_what_it_serves_with() -> None:
    env = clean_env(
        drop=("GLOW_", "OTEL_"),
        GLOW_INSTANCE_URL=NOWHERE,
        GLOW_API_KEY="k",
        GLOW_TOKEN="t",
        PYTHONPROFILEIMPORTTIME="1",
    )
    answers, stderr = stdio_exchange([request(1, "tools/list")], env)
    assert [t["name"] for t in answers[1]["result"]["tools"]] == list(TOOL_NAMES)
    imported = {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}
    assert "glow_models_mcp.stdio" in imported  # the check can see the package's imports
    assert not sorted(m for m in imported if m.startswith(NOT_ON_THE_STDIO_PATH))


#: Runs ``main`` with ``run_stdio`` replaced: reports the collector's state while the server is
#: built and when it would start serving (stdout stays empty).
_PROBE = """
import gc, json, sys
from glow_models_mcp import cli, server, stdio

seen = {}
build = server.build_server

def probed_build(*args, **kwargs):
    seen["building"] = gc.isenabled()
    return build(*args, **kwargs)

async def report(_server):
    seen["serving"] = gc.isenabled()
    seen["frozen"] = gc.get_freeze_count()
    print(json.dumps(seen), file=sys.stderr)

server.build_server = probed_build
stdio.run_stdio = report
sys.exit(cli.main([]))
"""


@pytest.mark.process
def test_gc_is_paused_while_starting_and_on_with_the_start_frozen_when_serving() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        env=clean_env(GLOW_INSTANCE_URL=NOWHERE),
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert proc.stdout == b""
    seen = json.loads(proc.stderr.decode().strip().splitlines()[-1])
    assert seen["building"] is False
    assert seen["serving"] is True
    assert seen["frozen"] > 0


def test_a_failed_start_leaves_the_gc_on(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("GLOW_")]:
        monkeypatch.delenv(name)
    sigterm = signal.getsignal(signal.SIGTERM)  # main() installs its own handler
    try:
        with pytest.raises(SystemExit) as stopped:
            cli.main(["--timeout", "-5"])  # refused by the settings, after the pause began
    finally:
        signal.signal(signal.SIGTERM, sigterm)
    enabled = gc.isenabled()
    gc.enable()  # for the tests after this one, whatever the outcome
    assert stopped.value.code == cli.EXIT_CONFIG
    assert enabled
