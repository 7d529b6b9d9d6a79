"""The OpenTelemetry SDK's tracer provider, as ``setup.configure`` starts it (imported
only then: the SDK is an optional extra)."""

import logging
import os
import socket
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)

from tickets.tracing import state

# The exporter (a line per failed try of every batch) and the span queue (a line per
# span dropped when it is full, on the request's own path).
NOISY_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.sdk._shared_internal",
)


class OncePerMinute(logging.Filter):
    """While a collector is away an operator needs to know it, once in a while, not in
    a line per failed try or per dropped span."""

    def __init__(self, seconds: float = 60.0) -> None:
        super().__init__()
        self.seconds = seconds
        self.last = -seconds

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: ARG002 (any record)
        now = time.monotonic()
        if now - self.last < self.seconds:
            return False
        self.last = now
        return True


def sampler(name: str, ratio: float) -> Sampler:
    base: Sampler = {"always_on": ALWAYS_ON, "always_off": ALWAYS_OFF}.get(
        name.removeprefix("parentbased_"), TraceIdRatioBased(ratio)
    )
    return ParentBased(base) if name.startswith("parentbased_") else base


def start(role: str, sampler_name: str, ratio: float) -> trace.Tracer:
    """A provider exporting by OTLP/HTTP (endpoint, headers, timeout: the OTEL_* variables
    the exporter reads) from a background thread; flushed at exit."""
    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the defaults
    # name the service and tell its processes apart.
    defaults: dict[str, str | int] = {
        "service.instance.id": f"{role}@{socket.gethostname()}:{os.getpid()}",
        "process.pid": os.getpid(),
    }
    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    if not named:
        defaults["service.name"] = "tickets"
    resource = Resource.create(defaults)
    provider = TracerProvider(resource=resource, sampler=sampler(sampler_name, ratio))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    for name in NOISY_LOGGERS:
        logging.getLogger(name).addFilter(OncePerMinute())
    return provider.get_tracer(state.SCOPE)
