"""Optional OpenTelemetry traces and metrics (the ``otel`` extra), named by the semantic conventions.

**Off unless asked for.** Nothing here imports ``opentelemetry`` at module level: the hooks below
are no-ops (one boolean test) until :func:`configure` (called once by the CLI) or :func:`enable`
(tests) switches telemetry on. :func:`configure` does so only when

* ``OTEL_SDK_DISABLED`` is not ``true``, and
* one of ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``,
  ``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``, ``OTEL_TRACES_EXPORTER`` or ``OTEL_METRICS_EXPORTER``
  (other than ``none``) is set, and
* ``opentelemetry-sdk`` is installed (``pip install 'glow-models-mcp[otel]'``); without it a
  one-line warning goes to stderr and the server runs without telemetry.

Exporters: ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` = ``otlp`` (the default: OTLP over
HTTP/protobuf, configured by the standard ``OTEL_EXPORTER_OTLP_*`` variables), ``console`` (to
stderr, never stdout: stdout is the stdio transport) or ``none``. ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` name the service (default ``service.name`` = ``glow-models-mcp``);
``OTEL_METRIC_EXPORT_INTERVAL`` sets the metric export period (ms). The SDK flushes at exit.

What is recorded (never a credential, never an argument value):

* **the tool span**: the MCP SDK already opens the SERVER span ``tools/call {tool}`` with
  ``mcp.method.name``, ``gen_ai.tool.name``, ``gen_ai.operation.name = execute_tool``,
  ``jsonrpc.request.id``, ``mcp.protocol.version`` and ``error.type = tool_error`` (MCP semantic
  conventions); as the conventions ask, no second span is made: :func:`start_tool_call` adds
  ``glow.tool.outcome`` (``ok``, ``error``, ``invalid_arguments``, ``unresolved``) and
  ``glow.upstream.status_code`` to it. Without that span (a tool run outside the SDK's
  middleware) it opens an INTERNAL span of the same name and attributes itself.
* **one CLIENT span per upstream HTTP request**, a child of the tool span (HTTP client
  conventions): name ``{http.request.method} {url.template}``, attributes ``http.request.method``,
  ``url.template``, ``server.address``, ``server.port``, ``http.response.status_code``,
  ``http.request.resend_count`` (on a retry: 1, 2...), ``error.type`` (the HTTP status for a
  4xx/5xx, else the exception class, e.g. ``httpx2.ConnectError``) and ``glow.upstream.operation``
  (``get``, ``search``...). ``url.full`` is left out: a download URL carries an upload id.
* **metrics**: ``mcp.server.operation.duration`` (histogram, s; ``mcp.method.name = tools/call``,
  ``gen_ai.tool.name``, ``gen_ai.operation.name``, ``error.type`` on failure) as the MCP
  conventions define it, measured around the tool's work; ``glow.tool.calls`` (counter,
  ``{call}``; ``gen_ai.tool.name``, ``glow.tool.outcome``): the conventions define no call
  counter; ``http.client.request.duration`` (histogram, s; the HTTP client span's attributes
  without the resend count).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

#: Environment variables any one of which (set, and not ``none``) asks for telemetry.
SWITCHES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
)
SERVICE_NAME = "glow-models-mcp"
INSTRUMENTATION = "glow_models_mcp"
#: Histogram buckets (seconds) the HTTP and MCP conventions advise for durations.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 30.0, 60.0)


class _Instruments:
    """The tracer and the three instruments, made once telemetry is on."""

    def __init__(self, tracer_provider: Any, meter_provider: Any) -> None:
        from opentelemetry import metrics, trace

        from . import __version__

        self.trace = trace
        tracer_provider = tracer_provider or trace.get_tracer_provider()
        meter_provider = meter_provider or metrics.get_meter_provider()
        self.tracer = tracer_provider.get_tracer(INSTRUMENTATION, __version__)
        meter = meter_provider.get_meter(INSTRUMENTATION, __version__)
        self.tool_duration = meter.create_histogram(
            "mcp.server.operation.duration",
            unit="s",
            description="MCP request duration as observed on the server (tools/call: the tool's work).",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.tool_calls = meter.create_counter("glow.tool.calls", unit="{call}", description="Tool calls, by outcome.")
        self.http_duration = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of upstream (Glow API) HTTP requests.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )


_on: _Instruments | None = None


def enabled() -> bool:
    """Whether telemetry is on in this process."""
    return _on is not None


def requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the ``OTEL_*`` variables ask for telemetry (see the module docstring)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip().lower() not in ("", "none") for name in SWITCHES)


def enable(tracer_provider: Any = None, meter_provider: Any = None) -> None:
    """Switch the hooks on with these providers (default: the global ones). For tests and :func:`configure`."""
    global _on
    _on = _Instruments(tracer_provider, meter_provider)


def disable() -> None:
    """Switch the hooks off again (tests)."""
    global _on
    _on = None


def configure(environ: Mapping[str, str] = os.environ) -> bool:
    """Switch telemetry on from the ``OTEL_*`` environment, if asked for and installed.

    Sets the global tracer and meter providers (so the MCP SDK's own server spans are exported
    too) with the exporters ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` name. Returns
    whether telemetry is on. Never raises for a missing extra or an unknown exporter name: it
    warns on stderr and leaves that signal off.
    """
    if not requested(environ):
        return False
    try:
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError:
        _warn("OTEL_* variables are set but opentelemetry-sdk is not installed; install glow-models-mcp[otel]")
        return False
    named = environ.get("OTEL_SERVICE_NAME") or "service.name=" in environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    attributes = {} if named else {"service.name": SERVICE_NAME}
    resource = Resource.create(attributes)

    traces = environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    tracer_provider = TracerProvider(resource=resource)
    if traces == "console":
        tracer_provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    elif traces == "otlp":
        span_exporter = _otlp("trace")
        if span_exporter is not None:
            tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    elif traces != "none":
        _warn(f"OTEL_TRACES_EXPORTER={traces!r} is not supported here (otlp, console or none); traces are off")

    exported = environ.get("OTEL_METRICS_EXPORTER", "otlp").strip().lower() or "otlp"
    readers = []
    if exported == "console":
        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter(out=sys.stderr)))
    elif exported == "otlp":
        metric_exporter = _otlp("metrics")
        if metric_exporter is not None:
            readers.append(PeriodicExportingMetricReader(metric_exporter))
    elif exported != "none":
        _warn(f"OTEL_METRICS_EXPORTER={exported!r} is not supported here (otlp, console or none); metrics are off")
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)

    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    enable(tracer_provider, meter_provider)
    return True


def _otlp(signal: str) -> Any:
    """The OTLP/HTTP exporter of ``signal`` (``trace`` or ``metrics``), or ``None`` (warned) if not installed."""
    try:
        if signal == "trace":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            return OTLPSpanExporter()
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter()
    except ImportError:
        _warn(f"opentelemetry-exporter-otlp-proto-http is not installed; {signal} export is off")
        return None


def _warn(message: str) -> None:
    print(f"glow-models-mcp: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# Hooks (tools.py, upstream.py)
# ------------------------------------------------------------------------------------------------


class ToolCall:
    """One tool call being observed: see :func:`start_tool_call`. ``end`` once, in a ``finally``."""

    __slots__ = ("_on", "_own", "_span", "_started", "_token", "tool")

    def __init__(self, on: _Instruments | None, tool: str) -> None:
        self._on = on
        self.tool = tool
        self._started = time.perf_counter()
        self._span: Any = None
        self._own = False
        self._token: Any = None
        if on is None:
            return
        trace = on.trace
        current = trace.get_current_span()
        if current.is_recording() and getattr(current, "name", None) == f"tools/call {tool}":
            self._span = current  # the SDK's SERVER span: add to it rather than nest a duplicate
            return
        self._span = on.tracer.start_span(
            f"tools/call {tool}",
            kind=trace.SpanKind.INTERNAL,
            attributes={
                "mcp.method.name": "tools/call",
                "gen_ai.tool.name": tool,
                "gen_ai.operation.name": "execute_tool",
            },
        )
        self._own = True
        from opentelemetry import context

        self._token = context.attach(trace.set_span_in_context(self._span))

    def end(self, outcome: str, upstream_status: int | None) -> None:
        """Record the call's outcome (``ok``, ``error``, ``invalid_arguments``, ``unresolved``) and
        the last upstream HTTP status (``None`` if none)."""
        on = self._on
        if on is None:
            return
        elapsed = time.perf_counter() - self._started
        failed = outcome != "ok"
        span = self._span
        span.set_attribute("glow.tool.outcome", outcome)
        if upstream_status is not None and upstream_status > 0:
            span.set_attribute("glow.upstream.status_code", upstream_status)
        if self._own:
            if failed:
                span.set_attribute("error.type", "tool_error")
                span.set_status(on.trace.Status(on.trace.StatusCode.ERROR))
            from opentelemetry import context

            context.detach(self._token)
            span.end()
        attributes: dict[str, Any] = {
            "mcp.method.name": "tools/call",
            "gen_ai.tool.name": self.tool,
            "gen_ai.operation.name": "execute_tool",
        }
        if failed:
            attributes["error.type"] = "tool_error"
        on.tool_duration.record(elapsed, attributes)
        on.tool_calls.add(1, {"gen_ai.tool.name": self.tool, "glow.tool.outcome": outcome})


def start_tool_call(tool: str) -> ToolCall:
    """Start observing a call of ``tool`` (a no-op object when telemetry is off)."""
    return ToolCall(_on, tool)


class UpstreamAttempt:
    """One upstream HTTP request as a CLIENT span (a context manager); set ``status`` on success."""

    __slots__ = ("_attributes", "_on", "_span", "_started", "status")

    def __init__(self, on: _Instruments, attributes: dict[str, Any], resend: int) -> None:
        self._on = on
        self._attributes = attributes
        self.status: int | None = None
        span_attributes = dict(attributes)
        if resend:
            span_attributes["http.request.resend_count"] = resend
        self._span = on.tracer.start_span(
            f"{attributes['http.request.method']} {attributes['url.template']}",
            kind=on.trace.SpanKind.CLIENT,
            attributes=span_attributes,
        )
        self._started = time.perf_counter()

    def __enter__(self) -> UpstreamAttempt:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        on, span = self._on, self._span
        elapsed = time.perf_counter() - self._started
        attributes = dict(self._attributes)
        status = self.status if exc is None else getattr(getattr(exc, "error", exc), "status", None)
        error_type: str | None = None
        if isinstance(status, int) and status > 0:
            attributes["http.response.status_code"] = status
            if status >= 400:
                error_type = str(status)
        if exc is not None and error_type is None:
            error_type = _error_type(exc)
        if error_type is not None:
            attributes["error.type"] = error_type
            span.set_status(on.trace.Status(on.trace.StatusCode.ERROR))
        for key in ("http.response.status_code", "error.type"):
            if key in attributes:
                span.set_attribute(key, attributes[key])
        span.end()
        on.http_duration.record(elapsed, attributes)


def _error_type(exc: BaseException) -> str:
    """A low-cardinality name for a failed request: the transport exception's class (the one our
    wrapper was raised from), else our exception's, or ``cancelled``."""
    import anyio

    if isinstance(exc, anyio.get_cancelled_exc_class()):
        return "cancelled"
    cause = exc.__context__ if exc.__context__ is not None else exc
    kind = type(cause)
    module = kind.__module__.split(".")[0]
    return f"{module}.{kind.__qualname__}" if module not in ("builtins", "glow_models_mcp") else kind.__qualname__


class _NoAttempt:
    """The upstream hook when telemetry is off."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status: int | None = None

    def __enter__(self) -> _NoAttempt:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def upstream_attempt(
    operation: str, method: str, template: str, base_url: str, resend: int
) -> UpstreamAttempt | _NoAttempt:
    """Observe one HTTP request to the upstream (``template``: the path with ``{placeholders}``,
    never a value; ``resend``: 0 for the first attempt, 1 for the first retry...)."""
    on = _on
    if on is None:
        return _NoAttempt()
    parts = urlsplit(base_url)
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.template": template,
        "server.address": parts.hostname or "",
        "server.port": parts.port or (443 if parts.scheme == "https" else 80),
        "glow.upstream.operation": operation,
    }
    return UpstreamAttempt(on, attributes, resend)
