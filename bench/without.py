"""Run a module as a program with some optional modules made unimportable, for the dependency rows.

``python -m bench.without uvloop,httptools,orjson glow_models_mcp [args...]`` runs
``python -m glow_models_mcp [args...]`` as if ``uvloop``, ``httptools`` and ``orjson`` were not
installed: their ``sys.modules`` entries are set to ``None`` first, so every ``import`` of them
raises ``ImportError`` and the code that uses them takes its fallback (the standard ``asyncio``
loop, uvicorn's ``h11`` parser, the standard ``json`` module). ``-`` blocks nothing.

The benchmark uses it for the with/without figures of each optional speed dependency, and for
the peer, which as installed on its own (``pip install fastmcp``: uvicorn without its
``standard`` extra) has none of them.
"""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit("usage: python -m bench.without MODULE[,MODULE...]|- PROGRAM_MODULE [ARGS...]")
    blocked = [name for name in sys.argv[1].split(",") if name and name != "-"]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    program = sys.argv[2]
    sys.argv = [program, *sys.argv[3:]]
    runpy.run_module(program, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
