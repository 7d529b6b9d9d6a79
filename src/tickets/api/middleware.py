"""Pure ASGI middleware: request ids, access logging and latency, and the body limit."""

import logging
import os
import re
import time
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import FilteringBoundLogger

from tickets.api.json_limits import BodyShape
from tickets.api.problems import internal_error, problem
from tickets.tracing import state as tracing

MAX_BODY_BYTES = 1024 * 1024
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
# Metric labels come from these bounded sets only: a label value per request method or
# per unmatched path would let any client grow /metrics without limit.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
BODILESS = frozenset({"GET", "HEAD"})
UNMATCHED_ROUTE = "unmatched"
log = structlog.get_logger("tickets.http")


class RequestLatency:
    """The request latency histogram, its children kept by label values: ``labels()``
    validates and looks them up under a lock on every call, on every request. The label
    values come from bounded sets (see KNOWN_METHODS), so the memory is bounded too."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.histogram = Histogram(
            "tickets_http_request_seconds",
            "HTTP request latency by method, route and status",
            ["method", "route", "status"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self._children: dict[tuple[str, str, int], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.histogram.labels(method, route, str(status))
        child.observe(seconds)


class RequestContextMiddleware:
    """Gives every request an X-Request-ID (the client's, if sane), binds it to the log
    context as the correlation id, echoes it back, and records latency.

    It also answers an unexpected exception with a 500 problem itself. Left to
    Starlette's ServerErrorMiddleware, the exception would be re-raised to the server
    after the 500 was sent, and uvicorn then drops the keep-alive connection without
    ``Connection: close``: the client's next request on it fails.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        # bind/reset rather than the bound_contextvars context manager: same effect,
        # without contextlib's generator machinery on every request.
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        span = None
        failure: BaseException | None = None
        if tracing.TRACER is not None:  # off: not even the tracing module is imported
            from tickets.tracing import http as traced

            span = traced.start(scope, request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            failure = error
            if response_started:  # half a response: only closing the connection is honest
                raise
            await internal_error(error)(scope, receive, send_with_id)
        finally:
            _observe(scope, status, time.perf_counter() - started)
            if span is not None:
                traced.finish(span, scope, status, failure)
            structlog.contextvars.reset_contextvars(**tokens)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    # 128 random bits as 32 hex digits, like uuid4().hex without building a UUID.
    return os.urandom(16).hex()


def access_log() -> FilteringBoundLogger | None:
    """The access log's logger, or None when its INFO lines are filtered out: a request
    then does not even build the line's arguments. Asked once, when the app starts: the
    level is set before (tickets.logging_setup)."""
    # A logger bound now, under the configuration in effect: calls skip the lazy proxy.
    logger = structlog.get_logger("tickets.http").bind()
    return logger if logger.is_enabled_for(logging.INFO) else None


def _observe(scope: Scope, status: int, seconds: float) -> None:
    route = scope.get("route")
    path = getattr(route, "path_format", UNMATCHED_ROUTE)
    method = scope["method"] if scope["method"] in KNOWN_METHODS else OTHER_METHOD
    app: Any = scope.get("app")
    state = getattr(app, "state", None)
    latency = getattr(state, "request_latency", None)
    if latency is not None:
        latency.observe(method, path, status, seconds)
    access = getattr(state, "access_log", log)  # no lifespan ran: the lazy logger
    if access is not None:
        access.info(
            "http.request",
            method=scope["method"],
            path=scope["path"],
            status=status,
            ms=round(seconds * 1000, 2),
        )


def _over(digits: bytes, limit: int) -> bool:
    return len(digits.lstrip(b"0")) > len(str(limit)) or int(digits) > limit


class BodyLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes with 413, declared or streamed, and
    JSON bodies nested too deep or with too many members with 400 (json_limits)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            # bytes.isdigit is ASCII-only; the length check keeps int() off huge numbers.
            if name == b"content-length" and value.isdigit() and _over(value, self.limit):
                response = problem(
                    413,
                    "request.too_large",
                    "Request body too large",
                    f"request body exceeds {self.limit} bytes",
                )
                await response(scope, receive, send)
                return
        if scope["method"] in BODILESS:
            await self.app(scope, receive, send)  # no route of these reads a body
            return
        received = 0
        shape = BodyShape()

        # A streamed body is counted as it is read, inside the route, where the raised
        # HTTPException (or BodyRefused) reaches the problem handlers. Every route that
        # parses a body reads it through here, before parsing it.
        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.limit:
                    raise HTTPException(413, f"request body exceeds {self.limit} bytes")
                shape.feed(chunk)
                if not message.get("more_body", False):
                    shape.check()
            return message

        await self.app(scope, limited_receive, send)
