"""Database client spans for the statements that matter to a trace: the command's one
write (its ticket, its events into the outbox, its idempotency record, atomically)."""

import contextlib
from collections.abc import Iterator

from opentelemetry.trace import SpanKind, Status, StatusCode

from tickets.tracing import state

SUMMARY = "commit ticket and outbox"


@contextlib.contextmanager
def write_span(events: int) -> Iterator[None]:
    """A CLIENT span around the command's write (semantic conventions for databases)."""
    assert state.TRACER is not None
    attributes: dict[str, str | int] = {
        "db.system.name": "postgresql",
        "db.query.summary": SUMMARY,
        "tickets.outbox.events": events,
    }
    with state.TRACER.start_as_current_span(
        SUMMARY,
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield
        except Exception as error:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.set_attribute("error.type", type(error).__qualname__)
            raise
