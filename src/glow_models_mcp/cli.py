"""Command line: ``glow-models-mcp [serve] | sandbox | demo | doctor``.

* ``glow-models-mcp`` (or ``serve``): run the MCP server (stdio by default; ``--transport sse|http``).
* ``glow-models-mcp --sandbox``: the same against an embedded local reference API, no credentials.
* ``glow-models-mcp sandbox``: run the local reference API alone on ``127.0.0.1:8000``.
* ``glow-models-mcp demo``: a scripted agent session through the server over stdio.
* ``glow-models-mcp doctor``: check configuration, reachability and credentials; exit 0 when all pass.

Exit codes: 0 success, 1 a check or run failed, 2 bad configuration or usage, 3 the HTTP port is
already in use, 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
from typing import Any

from . import __version__

EXIT_OK, EXIT_FAIL, EXIT_CONFIG, EXIT_PORT_IN_USE = 0, 1, 2, 3
#: 128 + the signal's number, as shells report a process ended by it.
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM


def _serve_options(parser: argparse.ArgumentParser, *, on_subcommand: bool = False) -> None:
    """Add the serve flags. On a subcommand their defaults are suppressed, so a flag given before
    the subcommand (``glow-models-mcp --read-only serve``) is not overwritten by the sub-parser."""
    g = parser.add_argument_group("serve options (each also has an environment variable, see README)")
    if on_subcommand:
        _add = g.add_argument

        def add(*names: str, **kw: Any) -> None:
            kw["default"] = argparse.SUPPRESS
            _add(*names, **kw)

        g.add_argument = add  # type: ignore[method-assign,assignment]
    g.add_argument(
        "--transport", choices=["stdio", "sse", "http"], help="stdio (default), sse, or http (streamable HTTP)"
    )
    g.add_argument("--host", help="bind address for sse/http (default 127.0.0.1)")
    g.add_argument("--port", type=int, help="port for sse/http (default 8765)")
    g.add_argument("--root-path", help="path prefix a reverse proxy serves sse/http under, e.g. /glow")
    g.add_argument("--workers", type=int, help="worker processes for --transport http (default 1)")
    g.add_argument("--sandbox", action="store_true", default=None, help="serve against an embedded local reference API")
    g.add_argument(
        "--sandbox-db",
        metavar="PATH",
        help="SQLite file that keeps the --sandbox data across runs and processes (default: in memory)",
    )
    g.add_argument(
        "--resource-links",
        choices=["auto", "on", "off"],
        help="add export_models' resource_link block: auto (default: known clients only), on or off",
    )
    g.add_argument("--read-only", action="store_true", default=None, help="register only the read-only tools")
    g.add_argument("--tools", help="comma-separated tool names to register (default: all)")
    g.add_argument("--exclude-tools", help="comma-separated tool names to leave out (wins over --tools)")
    g.add_argument(
        "--timeout", type=float, dest="total_timeout", help="total seconds per upstream operation (default 30)"
    )
    g.add_argument("--log-level", help="DEBUG, INFO, WARNING (default), ERROR")
    g.add_argument("--log-json", action="store_true", default=None, help="JSON log lines on stderr")
    g.add_argument(
        "--unsafe-allow-unauthenticated-remote",
        action="store_true",
        default=None,
        help="allow a non-loopback HTTP bind without GLOW_MCP_HTTP_TOKEN (unsafe)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands: serve, sandbox, demo, doctor)."""
    parser = argparse.ArgumentParser(
        prog="glow-models-mcp",
        description="MCP server for the Glow Models API (tools, docs and export resources).",
    )
    parser.add_argument("--version", action="version", version=f"glow-models-mcp {__version__}")
    _serve_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="{serve,sandbox,demo,doctor}")
    serve = sub.add_parser("serve", help="run the MCP server (the default)")
    _serve_options(serve, on_subcommand=True)
    sandbox = sub.add_parser("sandbox", help="run the local reference Glow API alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8000)
    sandbox.add_argument("--db", default=":memory:", help="SQLite file to keep data across restarts")
    sub.add_parser("demo", help="walk a scripted agent session against the local reference API")
    doctor = sub.add_parser("doctor", help="check configuration, reachability and credentials")
    _serve_options(doctor, on_subcommand=True)
    return parser


def load_settings(args: argparse.Namespace) -> Any:
    """Settings from the environment, overridden by the flags given on the command line.

    Raises:
        SystemExit(2): on an invalid value, with a message naming the variable (never its value).
    """
    import pydantic

    from .settings import Settings

    overrides: dict[str, Any] = {}
    for key in (
        "transport",
        "host",
        "port",
        "root_path",
        "workers",
        "sandbox",
        "sandbox_db",
        "resource_links",
        "read_only",
        "total_timeout",
        "log_level",
        "log_json",
        "unsafe_allow_unauthenticated_remote",
    ):
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = value
    for key in ("tools", "exclude_tools"):
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = [v.strip() for v in value.split(",") if v.strip()]
    try:
        return Settings(**overrides)
    except pydantic.ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False, include_input=False)
        ]
        _die("invalid configuration:\n" + "\n".join(lines), EXIT_CONFIG)


def _die(message: str, code: int) -> None:
    print(f"glow-models-mcp: {message}", file=sys.stderr)
    raise SystemExit(code)


#: Whether :func:`main` paused the cyclic garbage collector for the server's start-up.
_gc_paused = False


def _pause_gc() -> None:
    """Pause the cyclic garbage collector for the start-up (imports, settings, building the server).

    Start-up allocates hundreds of thousands of long-lived objects (the SDK's and this package's
    pydantic models) and almost no garbage, so the collector's passes over them during the imports
    free next to nothing yet cost about a tenth of a cold start. :func:`_resume_gc` turns it back on.
    """
    global _gc_paused
    if gc.isenabled():
        gc.disable()
        _gc_paused = True


def _resume_gc(*, freeze: bool) -> None:
    """Turn the collector paused by :func:`_pause_gc` back on; with ``freeze``, first move every
    object alive now into the permanent generation (:func:`gc.freeze`), so that later collections
    never walk the start-up's objects again (enabling it without freezing would make the first
    request pay one long pass over all of them). No-op when nothing was paused."""
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        if freeze:
            gc.freeze()
        gc.enable()


def serve(settings: Any) -> int:
    """Run the server until the client disconnects (stdio EOF) or SIGINT/SIGTERM."""
    import anyio

    from .logs import configure_logging

    configure_logging(settings.log_level, json_lines=settings.log_json, secrets=settings.secret_values())
    from . import telemetry

    telemetry.configure()  # OpenTelemetry, only when OTEL_* variables ask for it (and the extra is installed)
    from .settings import instance_url_problem
    from .tools import select_tools

    try:  # before anything starts: an unknown tool name, or no tool left, stops the server at once
        chosen = select_tools(read_only=settings.read_only, include=settings.tools, exclude=settings.exclude_tools)
    except ValueError as exc:
        _die(str(exc), EXIT_CONFIG)
    if not chosen:
        _die(
            "no tool is left to serve: --tools/GLOW_MCP_TOOLS, --exclude-tools/GLOW_MCP_EXCLUDE_TOOLS and "
            "--read-only/GLOW_MCP_READ_ONLY (which keeps only the read-only tools) exclude them all",
            EXIT_CONFIG,
        )
    if settings.workers > 1 and settings.transport != "http":  # before anything starts
        from .http_app import workers_problem

        _die(workers_problem(settings) or "", EXIT_CONFIG)
    sandbox = None
    if settings.sandbox:
        import sqlite3

        from .sandbox import SandboxServer

        try:
            sandbox = SandboxServer(settings.sandbox_db or ":memory:")
        except (sqlite3.Error, ValueError) as exc:  # cannot be opened, or is not a sandbox database
            hint = (
                "; it must be a file this user can read and write, in a directory it can write"
                if isinstance(exc, sqlite3.OperationalError)
                else ""
            )
            _die(f"GLOW_MCP_SANDBOX_DB {settings.sandbox_db}: {exc}{hint}", EXIT_CONFIG)
            raise  # not reached: _die exits
        sandbox.__enter__()
        settings = sandbox.client_settings(settings)
        where = f" (database {settings.sandbox_db})" if settings.sandbox_db else ""
        _announce(settings, f"serving against the embedded reference API at {sandbox.url}{where}")
    elif settings.instance_url and (problem := instance_url_problem(settings.instance_url)):
        _die(f"GLOW_INSTANCE_URL {problem[0]}; {problem[1]}", EXIT_CONFIG)
    elif not settings.instance_url:
        _die(
            "GLOW_INSTANCE_URL is not set. Point it at your Glow API server (and set GLOW_API_KEY and GLOW_TOKEN), "
            "or run with --sandbox to try the server against a local reference API.",
            EXIT_CONFIG,
        )
    try:
        from .server import build_server

        try:
            server = build_server(settings)
        except ValueError as exc:
            _die(str(exc), EXIT_CONFIG)
        if settings.transport == "stdio":
            from .stdio import run_stdio

            _resume_gc(freeze=True)
            signum = anyio.run(_until_signal, run_stdio, server, backend_options=event_loop_options())
            if signum is not None:
                return 128 + signum
        else:
            from .http_app import PortInUseError, serve_http

            _resume_gc(freeze=True)
            try:
                if settings.workers > 1:  # the workers build their own servers; this one only checked the settings
                    from .http_app import WorkerStartError, serve_workers

                    try:
                        return 128 + serve_workers(settings)
                    except WorkerStartError as exc:
                        _die(str(exc), EXIT_FAIL)
                else:
                    anyio.run(serve_http, server, settings, settings.transport, backend_options=event_loop_options())
            except PortInUseError as exc:
                _die(str(exc), EXIT_PORT_IN_USE)
            except ValueError as exc:
                _die(str(exc), EXIT_CONFIG)
    finally:
        if sandbox is not None:
            sandbox.__exit__(None, None, None)
    return EXIT_OK


def _announce(settings: Any, text: str) -> None:
    """One line to the user on stderr: ``glow-models-mcp: <text>``, or, with ``GLOW_MCP_LOG_JSON``,
    a JSON object shaped as the JSON log lines (``level``, ``name``, ``message``)."""
    if settings.log_json:
        line = json.dumps({"level": "INFO", "name": "glow_models_mcp.cli", "message": text})
    else:
        line = f"glow-models-mcp: {text}"
    print(line, file=sys.stderr)


def event_loop_options() -> dict[str, Any]:
    """anyio's asyncio backend options for serving: uvloop's event loop where it is installed (a
    dependency except on Windows, see pyproject.toml), else the standard one. uvloop lowers the
    server's CPU per call (see BENCHMARKS.md)."""
    try:
        import uvloop
    except ImportError:
        return {}
    return {"loop_factory": uvloop.new_event_loop}


async def _until_signal(run: Any, *args: Any) -> int | None:
    """Await ``run(*args)``; SIGTERM or SIGINT cancel it, with everything in flight (upstream
    requests included). Returns the number of the signal that stopped it, or ``None``.

    The signals are received on the event loop: raising ``KeyboardInterrupt`` from a signal
    handler instead would land at an arbitrary point (e.g. inside a stdout write) and end the
    process with an asyncio traceback.
    """
    import anyio

    signalled: int | None = None
    async with anyio.create_task_group() as tg:

        async def stop_on_signal(*, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
            nonlocal signalled
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                task_status.started()
                async for signum in signals:
                    signalled = int(signum)
                    tg.cancel_scope.cancel()
                    return

        await tg.start(stop_on_signal)
        await run(*args)
        tg.cancel_scope.cancel()
    return signalled


class _Terminated(BaseException):
    """Raised by the SIGTERM handler outside the event loop (before or after serving, or when
    uvicorn re-raises the SIGTERM it caught once it has shut down); ends the process with 143."""


def _sigterm_to_exit() -> None:
    def handler(signum: int, frame: Any) -> None:
        raise _Terminated

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not in the main thread
        pass


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``glow-models-mcp`` console script."""
    args = build_parser().parse_args(argv)
    _sigterm_to_exit()
    if args.command in (None, "serve"):
        _pause_gc()  # until the server is built (see serve)
    try:
        if args.command == "sandbox":
            import sqlite3

            from .http_app import PortInUseError, bind_sockets
            from .sandbox import run_sandbox

            try:  # a port in use is one line naming the flag, not uvicorn's log and exit
                for sock in bind_sockets(args.host, args.port, port_hint="pass --port", host_hint="--host"):
                    sock.close()
            except PortInUseError as exc:
                _die(str(exc), EXIT_PORT_IN_USE)
            except ValueError as exc:
                _die(str(exc), EXIT_CONFIG)
            try:
                run_sandbox(host=args.host, port=args.port, db_path=args.db)
            except sqlite3.Error as exc:
                _die(f"cannot use the database file {args.db!r}: {exc}", EXIT_CONFIG)
            return EXIT_OK
        if args.command == "demo":
            from .demo import run_demo

            return run_demo()
        if args.command == "doctor":
            from .doctor import run_doctor

            return run_doctor(load_settings(args))
        return serve(load_settings(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except _Terminated:
        return EXIT_TERMINATED
    except BaseException as exc:
        if not _only_broken_pipes(exc):
            raise
        # The client went away mid-write; nothing more to say to it.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        return EXIT_OK
    finally:
        _resume_gc(freeze=False)  # when serve() ended before serving (e.g. bad configuration)


def _only_broken_pipes(exc: BaseException) -> bool:
    """Whether ``exc`` is a BrokenPipeError, or an exception group holding only those."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_only_broken_pipes(inner) for inner in exc.exceptions)
    return isinstance(exc, (BrokenPipeError, ConnectionResetError))


if __name__ == "__main__":
    sys.exit(main())
