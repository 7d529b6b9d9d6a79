"""Whether this process traces, and its tracer when it does.

Every call site asks ``state.TRACER is None`` first and does nothing more when it is:
with tracing off no span, context or carrier is ever built, and OpenTelemetry is not
even imported (it is an optional extra). ``setup.configure`` sets it, once per process,
after any fork (a span processor's export thread does not survive one).
"""

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

TRACER: "Tracer | None" = None

SCOPE = "tickets"
"""The instrumentation scope every span of the service is recorded under."""

DELIVERIES: ContextVar[Any] = ContextVar("tickets_deliveries", default=None)
"""The delivery spans of the batch a dispatcher is delivering (tracing.delivery.Deliveries),
for a handler that opens spans of its own under them (the broker publisher)."""
