"""The structlog processor that puts ``trace_id`` and ``span_id`` on every log line
written inside a recorded span, so a line leads to its trace."""

from collections.abc import MutableMapping
from typing import Any

from tickets.tracing import state


def add_trace_ids(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    if state.TRACER is None:  # tracing off: one global read per line
        return event
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event
