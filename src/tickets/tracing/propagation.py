"""W3C trace context (``traceparent``, ``tracestate``) in and out of plain string maps:
the outbox row's metadata, HTTP request headers, AMQP message headers."""

from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

W3C = TraceContextTextMapPropagator()


def carrier_of(span: trace.Span) -> dict[str, str]:
    """``traceparent`` (and ``tracestate`` if any) naming ``span``; empty for a span that
    is not recorded, so an unsampled command stores nothing extra."""
    carrier: dict[str, str] = {}
    if span.get_span_context().is_valid:
        W3C.inject(carrier, trace.set_span_in_context(span))
    return carrier


def context_of(carrier: Mapping[str, str]) -> Context:
    """The remote parent a carrier names (an empty context when it names none)."""
    return W3C.extract(carrier)


def parent_of(traceparent: str | None, tracestate: str | None = None) -> Context | None:
    """The context of an outbox message's stored trace, None when it has none."""
    if not traceparent:
        return None
    carrier = {"traceparent": traceparent}
    if tracestate:
        carrier["tracestate"] = tracestate
    return context_of(carrier)
