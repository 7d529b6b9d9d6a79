"""Tracing on inside the test process, its spans kept in memory."""

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tickets.tracing import state


class Spans:
    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.exporter = exporter

    def all(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, prefix: str) -> list[ReadableSpan]:
        return [s for s in self.all() if s.name.startswith(prefix)]


@contextmanager
def traced() -> Iterator[Spans]:
    """``state.TRACER`` set to an in-memory tracer for the block, then off again."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous, state.TRACER = state.TRACER, provider.get_tracer(state.SCOPE)
    try:
        yield Spans(exporter)
    finally:
        state.TRACER = previous
        provider.shutdown()
