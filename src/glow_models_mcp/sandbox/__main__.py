"""``python -m glow_models_mcp.sandbox [--host HOST] [--port PORT] [--db PATH]``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .server import run_sandbox


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m glow_models_mcp.sandbox", description="Run the local reference Glow Models API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--db", default=":memory:", help="SQLite file that keeps data across restarts (default: in memory)"
    )
    args = parser.parse_args(argv)
    try:
        run_sandbox(host=args.host, port=args.port, db_path=args.db)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
