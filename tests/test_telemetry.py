"""OpenTelemetry (``glow_models_mcp.telemetry``): spans and metrics of real tool calls against the
reference API, read from the OpenTelemetry SDK's in-memory exporters, and the switch.

The calls go through an MCP client with JSON-RPC framing (``mode="legacy"``), so the SDK's own
``tools/call`` SERVER span is there and ours are checked against it. The upstream is the reference
API in process; the retry case puts one 503 in front of it (the reference API never answers 503).
Every credential is a unique sentinel (the bearer token aside, which the reference API must know:
it is checked too) and must not appear in any span, attribute, event, status or metric.

Process tests: without the ``OTEL_*`` switch the server starts without importing the
OpenTelemetry SDK (``-X importtime``; ``opentelemetry-api`` is imported by the MCP SDK itself),
with ``OTEL_TRACES_EXPORTER=console`` a stdio server exports its spans to stderr, never stdout;
with only ``OTEL_EXPORTER_OTLP_ENDPOINT`` set it exports spans and metrics over OTLP/HTTP to a
loopback receiver (decoded with ``opentelemetry-proto``), credentials absent from the raw payloads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from mcp import Client
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from rawrpc import INITIALIZED, initialize
from support import SUPERADMIN_TOKEN, ReferenceAPI, clean_env, server_command, unique

from glow_models_mcp import telemetry
from glow_models_mcp.server import build_server
from glow_models_mcp.upstream import GET, SEARCH

API_KEY = unique("otel-key-sentinel")
HTTP_TOKEN = unique("otel-http-sentinel")
BAD_TOKEN = unique("otel-token-sentinel")
SECRETS = (API_KEY, HTTP_TOKEN, BAD_TOKEN, SUPERADMIN_TOKEN)
UNKNOWN_ID = "00000000-0000-4000-8000-00000000beef"


class Telemetry:
    """In-memory span exporter and metric reader, installed as the global providers."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def metrics(self) -> dict[str, list[Any]]:
        """Metric name -> its data points (our instrumentation scope only)."""
        found: dict[str, list[Any]] = {}
        data = self.reader.get_metrics_data()
        for rm in data.resource_metrics if data else ():
            for sm in rm.scope_metrics:
                if sm.scope.name != telemetry.INSTRUMENTATION:
                    continue
                for metric in sm.metrics:
                    found.setdefault(metric.name, []).extend(metric.data.data_points)
        return found

    def dump(self) -> str:
        """Everything exported, as text (for the secret checks)."""
        parts: list[str] = []
        for span in self.finished():
            parts.append(span.to_json())
        data = self.reader.get_metrics_data()
        if data is not None:
            parts.append(data.to_json())
        return "\n".join(parts)


@pytest.fixture
def otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[Telemetry]:
    """Our hooks on, with in-memory providers; the MCP SDK's spans go to the same exporter.

    The SDK takes its tracer from the global provider once, at its first span, and the API lets
    the global provider be set once per process; so instead of the global, the SDK module's
    tracer is swapped for one of this test's provider (and restored after)."""
    import mcp.shared._otel as sdk_otel

    t = Telemetry()
    monkeypatch.setattr(sdk_otel, "_tracer", t.tracer_provider.get_tracer("mcp-python-sdk"))
    telemetry.enable(t.tracer_provider, t.meter_provider)
    try:
        yield t
    finally:
        telemetry.disable()
        t.tracer_provider.shutdown()
        t.meter_provider.shutdown()


class FirstAttemptFails(httpx2.AsyncBaseTransport):
    """The reference API, except that the first request to ``path`` gets a 503 (it echoes the
    credentials it received, as a careless proxy might)."""

    def __init__(self, api: ReferenceAPI, path: str) -> None:
        self.inner = api.transport()
        self.path = path
        self.failed = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path == self.path and not self.failed:
            self.failed = True
            echo = f"busy; got {request.headers.get('x-api-key')} {request.headers.get('authorization')}"
            return httpx2.Response(503, json={"detail": echo})
        return await self.inner.handle_async_request(request)


def _settings(api: ReferenceAPI, **overrides: Any) -> Any:
    values: dict[str, Any] = {"api_key": API_KEY, "http_token": HTTP_TOKEN}
    values.update(overrides)
    return api.settings(**values)


async def _call(server: Any, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(server, mode="legacy") as client:
        return await client.call_tool(tool, arguments)


def _by_kind(spans: list[ReadableSpan], kind: SpanKind, prefix: str) -> list[ReadableSpan]:
    return [s for s in spans if s.kind == kind and s.name.startswith(prefix)]


def _assert_no_secret(t: Telemetry) -> None:
    text = t.dump()
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into the telemetry"


def _point(points: list[Any], **attributes: Any) -> Any:
    matching = [p for p in points if all(p.attributes.get(k) == v for k, v in attributes.items())]
    assert len(matching) == 1, [dict(p.attributes) for p in points]
    return matching[0]


@pytest.mark.anyio
async def test_successful_call_spans_and_metrics(otel: Telemetry, reference_api: ReferenceAPI) -> None:
    result = await _call(
        build_server(_settings(reference_api), transport=reference_api.transport()), "search_models", {}
    )
    assert not result.is_error
    spans = otel.finished()

    [tool] = _by_kind(spans, SpanKind.SERVER, "tools/call")  # the SDK's span, not a second one of ours
    assert tool.name == "tools/call search_models"
    attrs = dict(tool.attributes or {})
    assert attrs["mcp.method.name"] == "tools/call"
    assert attrs["gen_ai.tool.name"] == "search_models"
    assert attrs["gen_ai.operation.name"] == "execute_tool"
    assert attrs["glow.tool.outcome"] == "ok"
    assert attrs["glow.upstream.status_code"] == 200
    assert "error.type" not in attrs
    assert not [s for s in spans if s.kind == SpanKind.INTERNAL and s.name.startswith("tools/call")]

    [http] = _by_kind(spans, SpanKind.CLIENT, "POST ")
    assert http.name == f"POST {SEARCH.path}"
    assert http.parent is not None and http.parent.span_id == tool.context.span_id
    assert http.context.trace_id == tool.context.trace_id
    assert dict(http.attributes or {}) == {
        "http.request.method": "POST",
        "url.template": SEARCH.path,
        "server.address": "reference-api.test",
        "server.port": 80,
        "glow.upstream.operation": "search",
        "http.response.status_code": 200,
    }
    assert http.status.status_code == StatusCode.UNSET

    found = otel.metrics()
    duration = _point(found["mcp.server.operation.duration"], **{"gen_ai.tool.name": "search_models"})
    assert dict(duration.attributes) == {
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": "search_models",
        "gen_ai.operation.name": "execute_tool",
    }
    assert duration.count == 1 and duration.sum > 0
    calls = _point(found["glow.tool.calls"], **{"gen_ai.tool.name": "search_models"})
    assert calls.value == 1 and calls.attributes["glow.tool.outcome"] == "ok"
    upstream = _point(found["http.client.request.duration"], **{"url.template": SEARCH.path})
    assert upstream.count == 1 and upstream.attributes["http.response.status_code"] == 200
    _assert_no_secret(otel)


@pytest.mark.anyio
async def test_upstream_4xx_marks_both_spans(otel: Telemetry, reference_api: ReferenceAPI) -> None:
    server = build_server(_settings(reference_api), transport=reference_api.transport())
    result = await _call(server, "get_model", {"model_id": UNKNOWN_ID})
    assert result.is_error
    spans = otel.finished()
    [tool] = _by_kind(spans, SpanKind.SERVER, "tools/call")
    attrs = dict(tool.attributes or {})
    assert tool.name == "tools/call get_model"
    assert attrs["glow.tool.outcome"] == "error" and attrs["glow.upstream.status_code"] == 404
    assert attrs["error.type"] == "tool_error" and tool.status.status_code == StatusCode.ERROR
    [http] = _by_kind(spans, SpanKind.CLIENT, "POST ")
    assert http.name == f"POST {GET.path}" and http.parent is not None and http.parent.span_id == tool.context.span_id
    assert http.attributes is not None
    assert http.attributes["http.response.status_code"] == 404 and http.attributes["error.type"] == "404"
    assert http.status.status_code == StatusCode.ERROR
    # The argument (the model id) is nowhere: not in the names, not in the attributes.
    assert UNKNOWN_ID not in otel.dump()

    found = otel.metrics()
    duration = _point(found["mcp.server.operation.duration"], **{"gen_ai.tool.name": "get_model"})
    assert duration.attributes["error.type"] == "tool_error"
    assert _point(found["glow.tool.calls"], **{"gen_ai.tool.name": "get_model"}).attributes["glow.tool.outcome"] == (
        "error"
    )
    assert _point(found["http.client.request.duration"], **{"url.template": GET.path}).attributes["error.type"] == "404"
    _assert_no_secret(otel)


@pytest.mark.anyio
async def test_retry_is_a_second_client_span_with_resend_count(otel: Telemetry, reference_api: ReferenceAPI) -> None:
    transport = FirstAttemptFails(reference_api, SEARCH.path)
    server = build_server(_settings(reference_api, max_retries=2), transport=transport)
    result = await _call(server, "search_models", {})
    assert not result.is_error and transport.failed
    spans = otel.finished()
    [tool] = _by_kind(spans, SpanKind.SERVER, "tools/call")
    attempts = sorted(_by_kind(spans, SpanKind.CLIENT, "POST "), key=lambda s: s.start_time or 0)
    assert [s.name for s in attempts] == [f"POST {SEARCH.path}"] * 2
    assert all(s.parent is not None and s.parent.span_id == tool.context.span_id for s in attempts)
    first, second = (dict(s.attributes or {}) for s in attempts)
    assert first["http.response.status_code"] == 503 and first["error.type"] == "503"
    assert "http.request.resend_count" not in first
    assert second["http.response.status_code"] == 200 and second["http.request.resend_count"] == 1
    assert "error.type" not in second
    assert dict(tool.attributes or {})["glow.tool.outcome"] == "ok"

    points = otel.metrics()["http.client.request.duration"]
    assert _point(points, **{"http.response.status_code": 503}).count == 1
    assert _point(points, **{"http.response.status_code": 200}).count == 1
    assert not any("http.request.resend_count" in p.attributes for p in points)  # not a metric dimension
    _assert_no_secret(otel)


@pytest.mark.anyio
async def test_rejected_token_is_not_recorded(otel: Telemetry, reference_api: ReferenceAPI) -> None:
    """A token the upstream refuses (401): the failure is recorded, the token is not."""
    server = build_server(_settings(reference_api, token=BAD_TOKEN), transport=reference_api.transport())
    result = await _call(server, "search_models", {})
    assert result.is_error
    [http] = _by_kind(otel.finished(), SpanKind.CLIENT, "POST ")
    assert http.attributes is not None and http.attributes["http.response.status_code"] == 401
    _assert_no_secret(otel)


@pytest.mark.anyio
async def test_tool_outside_the_sdk_gets_its_own_span(otel: Telemetry, reference_api: ReferenceAPI) -> None:
    """Without the SDK's SERVER span (a tool run directly), the tool span is ours (INTERNAL)."""
    from glow_models_mcp.tools import TOOL_SPECS, run_tool

    [spec] = [s for s in TOOL_SPECS if s.operation is SEARCH]
    server = build_server(_settings(reference_api), transport=reference_api.transport())
    async with server.state.open():
        await run_tool(spec, server.state, {})
    spans = otel.finished()
    [tool] = [s for s in spans if s.name == f"tools/call {spec.name}"]
    assert tool.kind == SpanKind.INTERNAL
    assert dict(tool.attributes or {}) == {
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": spec.name,
        "gen_ai.operation.name": "execute_tool",
        "glow.tool.outcome": "ok",
        "glow.upstream.status_code": 200,
    }
    [http] = _by_kind(spans, SpanKind.CLIENT, "POST ")
    assert http.parent is not None and http.parent.span_id == tool.context.span_id
    assert trace.get_current_span() is trace.INVALID_SPAN  # our span was detached again


def test_switch() -> None:
    assert not telemetry.requested({})
    assert not telemetry.requested({"OTEL_SERVICE_NAME": "x", "OTEL_RESOURCE_ATTRIBUTES": "a=b"})
    assert not telemetry.requested({"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"})
    assert telemetry.requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert telemetry.requested({"OTEL_TRACES_EXPORTER": "console"})
    assert not telemetry.requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "TRUE"})
    assert not telemetry.enabled()  # nothing switched it on in this process


# --- process: the start path -------------------------------------------------------------------


def _imported_at_start(**env: str) -> set[str]:
    """The modules a stdio server (sandbox) imports from start to exit (stdin at EOF)."""
    environ = clean_env(drop=("GLOW_", "OTEL_"), GLOW_MCP_SANDBOX="true", **env)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *server_command()[1:]],
        input=b"",
        capture_output=True,
        env=environ,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    modules = set()
    for line in proc.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    return modules


@pytest.mark.process
def test_no_opentelemetry_sdk_at_start_without_the_switch() -> None:
    """Without OTEL_* the start imports no OpenTelemetry SDK, exporter or metrics API: only the
    ``opentelemetry-api`` tracing modules that the MCP SDK imports itself."""
    modules = _imported_at_start()
    otel = sorted(m for m in modules if m.startswith("opentelemetry"))
    assert "glow_models_mcp.telemetry" in modules  # the hooks are loaded...
    assert not [
        m for m in otel if m.startswith(("opentelemetry.sdk", "opentelemetry.exporter", "opentelemetry.metrics"))
    ]
    sdk_own = subprocess.run(
        [sys.executable, "-c", "import sys, mcp.server.mcpserver; print(' '.join(sys.modules))"],
        capture_output=True,
        env=clean_env(drop=("GLOW_", "OTEL_")),
        timeout=60,
        check=True,
    ).stdout.split()
    assert set(otel) <= {m.decode() for m in sdk_own}  # ...and import nothing the MCP SDK does not

    switched = _imported_at_start(OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none")
    assert "opentelemetry.sdk.trace" in switched  # the check can see an import when there is one


@pytest.mark.process
def test_console_export_goes_to_stderr_not_stdout() -> None:
    """A stdio server with OTEL_TRACES_EXPORTER=console: stdout carries only JSON-RPC, the spans
    (flushed at exit) are on stderr with the tool and upstream spans of the call."""
    env = clean_env(
        drop=("GLOW_", "OTEL_"),
        GLOW_MCP_SANDBOX="true",
        OTEL_TRACES_EXPORTER="console",
        OTEL_METRICS_EXPORTER="none",
    )
    lines = [
        initialize("2025-11-25"),
        INITIALIZED,
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search_models", "arguments": {}}},
    ]
    stdin = "".join(json.dumps(m) + "\n" for m in lines).encode()
    proc = subprocess.run(server_command(), input=stdin, capture_output=True, env=env, timeout=90)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    answers = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [a.get("id") for a in answers] == [0, 1]
    assert answers[1]["result"]["isError"] is False
    err = proc.stderr.decode()
    assert '"name": "tools/call search_models"' in err
    assert f'"name": "POST {SEARCH.path}"' in err
    assert '"glow.upstream.operation": "search"' in err


class Collector:
    """A minimal OTLP/HTTP receiver on loopback: keeps every POSTed body by path."""

    def __init__(self) -> None:
        import http.server
        import threading

        bodies: dict[str, list[bytes]] = {}
        self.bodies = bodies

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                bodies.setdefault(self.path, []).append(self.rfile.read(length))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Collector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.process
def test_otlp_export_end_to_end(sandbox: Any) -> None:
    """A stdio server with only OTEL_EXPORTER_OTLP_ENDPOINT set exports its spans and metrics
    over OTLP/HTTP at exit; the raw payloads hold the span and metric names and no credential."""
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    with Collector() as collector:
        env = clean_env(
            drop=("GLOW_", "OTEL_"),
            GLOW_INSTANCE_URL=sandbox.url,
            GLOW_API_KEY=API_KEY,
            GLOW_TOKEN=SUPERADMIN_TOKEN,
            GLOW_MCP_HTTP_TOKEN=HTTP_TOKEN,
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
        )
        lines = [
            initialize("2025-11-25"),
            INITIALIZED,
            {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search_models", "arguments": {}}},
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "get_model", "arguments": {"model_id": UNKNOWN_ID}},
            },
        ]
        stdin = "".join(json.dumps(m) + "\n" for m in lines).encode()
        proc = subprocess.run(server_command(), input=stdin, capture_output=True, env=env, timeout=90)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    raw = b"".join(b for bodies in collector.bodies.values() for b in bodies)
    for secret in SECRETS:
        assert secret.encode() not in raw
    assert UNKNOWN_ID.encode() not in raw

    spans = {}
    for body in collector.bodies.get("/v1/traces", []):
        request = ExportTraceServiceRequest.FromString(body)
        for rs in request.resource_spans:
            service = {a.key: a.value.string_value for a in rs.resource.attributes}["service.name"]
            assert service == telemetry.SERVICE_NAME
            for ss in rs.scope_spans:
                for span in ss.spans:
                    spans[span.name] = {a.key: a.value for a in span.attributes}
    assert {"tools/call search_models", "tools/call get_model", f"POST {SEARCH.path}", f"POST {GET.path}"} <= set(spans)
    assert spans["tools/call get_model"]["glow.tool.outcome"].string_value == "error"
    assert spans[f"POST {GET.path}"]["http.response.status_code"].int_value == 404

    names = set()
    for body in collector.bodies.get("/v1/metrics", []):
        request = ExportMetricsServiceRequest.FromString(body)
        for rm in request.resource_metrics:
            for sm in rm.scope_metrics:
                names.update(m.name for m in sm.metrics if sm.scope.name == telemetry.INSTRUMENTATION)
    assert names == {"mcp.server.operation.duration", "glow.tool.calls", "http.client.request.duration"}
