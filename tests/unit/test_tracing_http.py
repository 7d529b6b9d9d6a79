"""The request's SERVER span: a caller's traceparent is its parent; it carries the
request id, the status and (when routed) the route."""

from typing import Any

from tests.support.tracing import traced
from tickets.api.middleware import RequestContextMiddleware

TRACE, PARENT = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


async def test_a_request_continues_the_callers_trace() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/health/live",
        "headers": [
            (b"traceparent", f"00-{TRACE}-{PARENT}-01".encode()),
            (b"x-request-id", b"req-1"),
        ],
    }
    with traced() as spans:
        await RequestContextMiddleware(app)(scope, receive, send)
    [span] = spans.all()
    assert format(span.context.trace_id, "032x") == TRACE
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == PARENT
    assert span.kind.name == "SERVER"
    assert span.attributes["http.response.status_code"] == 204
    assert span.attributes["http.request.header.x-request-id"] == ("req-1",)
    assert sent[0]["status"] == 204
