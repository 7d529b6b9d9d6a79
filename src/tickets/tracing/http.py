"""The HTTP server span of a request (semantic conventions for HTTP servers), current
for everything the request runs, so its command span and log lines belong to it."""

from collections.abc import MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from tickets.tracing import state
from tickets.tracing.propagation import context_of

Scope = MutableMapping[str, Any]


class ServerSpan:
    __slots__ = ("span", "token")

    def __init__(self, span: trace.Span, token: object) -> None:
        self.span = span
        self.token = token


def start(scope: Scope, request_id: str) -> ServerSpan:
    """Open the request's span, continuing a caller's ``traceparent`` if it sent one."""
    assert state.TRACER is not None
    incoming = {}
    for name, value in scope["headers"]:
        if name in (b"traceparent", b"tracestate"):
            incoming[name.decode()] = value.decode("latin-1")
    parent = context_of(incoming) if incoming else None
    method = scope["method"]
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
        "network.protocol.version": scope.get("http_version", "1.1"),
        "http.request.header.x-request-id": (request_id,),
    }
    if scope.get("query_string"):
        attributes["url.query"] = scope["query_string"].decode("latin-1")
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    server = scope.get("server")
    if server:
        attributes["server.address"], attributes["server.port"] = server[0], server[1]
    span = state.TRACER.start_span(
        method, context=parent, kind=SpanKind.SERVER, attributes=attributes
    )
    token = otel_context.attach(trace.set_span_in_context(span))
    return ServerSpan(span, token)


def finish(
    opened: ServerSpan, scope: Scope, status: int, error: BaseException | None = None
) -> None:
    """Name the span by its route (known only after routing) and close it."""
    span = opened.span
    route = getattr(scope.get("route"), "path_format", None)
    if route is not None:
        span.set_attribute("http.route", route)
        span.update_name(f"{scope['method']} {route}")
    span.set_attribute("http.response.status_code", status)
    if error is not None:
        span.record_exception(error)
        span.set_attribute("error.type", type(error).__qualname__)
    if status >= 500:  # a 4xx is the client's error, not the server span's
        span.set_status(Status(StatusCode.ERROR))
        if error is None:
            span.set_attribute("error.type", str(status))
    span.end()
    otel_context.detach(opened.token)  # type: ignore[arg-type]
