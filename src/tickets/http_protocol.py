"""uvicorn's httptools protocol with the bounds its C parser lacks: a request head (request
line and headers) larger than ``MAX_HEAD_BYTES`` gets 431, a head still incomplete
``HEAD_TIMEOUT_SECONDS`` after its first byte (a slowloris client) gets 408, and a
malformed request gets 400; each as problem+json, then the connection closes.

How the size is counted, two ways, either refusing: the request line and each header as
the parser hands them over (name, value and their separators), which sees a head that
arrives in one read however large; and the bytes of every read after which the parser
is still inside a head and completed nothing during it, which sees a head (or a single
header) trickling in over many reads before the parser hands any of it over. The timer
starts only when a read leaves a head incomplete, so a request whose head arrives in one
read (nearly all) costs nothing extra.

After a response that refused a request as overloaded, the connection's next request is
not read until the refusal's ``Retry-After`` has passed (tickets.api.admission).

A connection that sends nothing at all is closed after the keep-alive timeout, as an
idle kept-alive connection is: uvicorn starts that timer only after a response, so a
silent new socket would otherwise hold one of the process's connections forever.

This subclass uses uvicorn internals (its parser callbacks, ``flow``, ``cycle``, the
keep-alive timer): no documented uvicorn setting bounds an httptools head, times one
out, or holds reading after a refusal. docs/design.md ("Library internals") records
it as the open gap it is; uvicorn is bounded at the tested minor in pyproject.toml and
tests/unit/test_http_protocol_internals.py fails when what it relies on changes.
"""

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tickets.api.admission import HOLD_READING

MAX_HEAD_BYTES = 16 * 1024
HEAD_TIMEOUT_SECONDS = 10.0
LINGER_SECONDS = 2.0

REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}
PROBLEMS = {
    400: ("request.malformed", "Malformed HTTP request"),
    408: ("request.head_timeout", "Request headers not received in time"),
    431: ("request.head_too_large", f"Request headers above {MAX_HEAD_BYTES} bytes"),
}


def problem_response(status: int) -> bytes:
    code, title = PROBLEMS[status]
    body = json.dumps(
        {"type": f"urn:tickets:problem:{code}", "title": title, "status": status, "code": code}
    ).encode()
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/problem+json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n" % (status, REASONS[status], len(body))
    )
    return head + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes = MAX_HEAD_BYTES
    head_timeout_seconds = HEAD_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_head = True
        self._completed = False
        self._head_bytes = 0
        self._head_size = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        # uvicorn's own keep-alive timer: closes the connection unless a request starts
        # first (data_received cancels it, as it does between kept-alive requests).
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # answered and closing: the rest of the request is discarded
        self._completed = False
        super().data_received(data)
        if not self._awaiting_head or self._completed or self._refused:
            return
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_seconds, self._too_slow)
        self._head_bytes += len(data)
        if self._head_bytes > self.max_head_bytes:
            self._refuse(431)

    # The parser callbacks below do nothing once the request is refused: the rest of the
    # read being parsed (body, pipelined requests) belongs to a connection that closes.
    def on_message_begin(self) -> None:
        if self._refused:
            return
        self._head_size = len(b"GET  HTTP/1.1\r\n\r\n")  # request line and the end
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        if self._refused or self._counted(len(url)):
            return
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused or self._counted(len(name) + len(value) + len(b": \r\n")):
            return
        super().on_header(name, value)

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def _counted(self, size: int) -> bool:
        """Count ``size`` bytes of the head; True (and refused) when over the limit."""
        self._head_size += size
        if self._head_size > self.max_head_bytes:
            self._refuse(431)
            return True
        return False

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._awaiting_head, self._completed, self._head_bytes = False, True, 0
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self._refused:
            return
        super().on_message_complete()
        self._awaiting_head, self._completed = True, True  # next bytes: a new head

    def on_response_complete(self) -> None:
        # The cycle is the one that just completed, but for a pipelined request parsed
        # meanwhile: then no hold, which only spares that client the wait.
        hold = self.cycle.scope.get(HOLD_READING) if self.cycle is not None else None
        super().on_response_complete()
        if isinstance(hold, int | float) and hold > 0 and not self.transport.is_closing():
            self.flow.pause_reading()
            self.loop.call_later(hold, self._end_hold)

    def _end_hold(self) -> None:
        if not self.transport.is_closing():
            self.flow.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:  # noqa: ARG002 (httptools override)
        self._refuse(400)

    def _too_slow(self) -> None:
        self._head_timer = None
        if self._awaiting_head and not self._refused:
            self._refuse(408)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _refuse(self, status: int) -> None:
        """Answer, then close a moment later: closing with the client's bytes unread would
        reset the connection and could destroy the answer before the client reads it."""
        self._cancel_head_timer()
        self._refused = True
        self.transport.write(problem_response(status))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
