"""The HTTP server `tickets serve` runs bounds what its C parser does not: oversized request
heads get 431 (in one write or in pieces), heads that trickle in (slowloris) 408,
malformed requests 400, each as problem+json with the connection closed; a connection
that sends nothing is closed after the keep-alive timeout; ordinary requests, bodies in
many pieces and pipelined requests are untouched."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import uvicorn

from tickets.api.admission import HOLD_READING
from tickets.http_protocol import MAX_HEAD_BYTES, BoundedHttpToolsProtocol
from tickets.server_options import server_options


class QuickTimeout(BoundedHttpToolsProtocol):
    head_timeout_seconds = 0.5


async def echo_length(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers 200 with the number of body bytes it received; ``/refuse?S`` answers 503
    and asks the server to hold the connection's next request S seconds, as admission
    control does."""
    if scope["path"] == "/refuse":
        scope[HOLD_READING] = float(scope["query_string"])
        headers = [(b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    received = 0
    while True:
        message = await receive()
        received += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = str(received).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _serve(**overrides: Any) -> AsyncIterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free: int = sock.getsockname()[1]
    options = {**server_options(), "http": QuickTimeout, "lifespan": "off", **overrides}
    server = uvicorn.Server(uvicorn.Config(echo_length, host="127.0.0.1", port=free, **options))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(30):
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
    yield free
    server.should_exit = True
    await task


@pytest_asyncio.fixture
async def port() -> AsyncIterator[int]:
    async for free in _serve():
        yield free


@pytest_asyncio.fixture
async def quick_idle_port() -> AsyncIterator[int]:
    """A server whose keep-alive timeout is 1 s."""
    async for free in _serve(timeout_keep_alive=1):
        yield free


async def exchange(port: int, *parts: bytes) -> bytes:
    """Send ``parts`` (yielding between them) and read until the server closes or 5 s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for part in parts:
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0)
    except ConnectionError:
        pass  # the server may refuse and close before everything is sent
    try:
        async with asyncio.timeout(5):
            return await reader.read(-1)
    finally:
        writer.close()


def problem(answer: bytes, status: int, code: str) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
    assert b"content-type: application/problem+json" in head
    assert b"connection: close" in head
    document = json.loads(body)
    assert document["status"] == status
    assert document["code"] == code


def test_serve_uses_the_bounded_protocol() -> None:
    assert issubclass(server_options()["http"], BoundedHttpToolsProtocol)


async def test_an_oversized_head_gets_431(port: int) -> None:
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (MAX_HEAD_BYTES * 20) + b"\r\n\r\n"
    problem(await exchange(port, big), 431, "request.head_too_large")


@pytest.mark.parametrize("size", [MAX_HEAD_BYTES + 1024, 100_000])
async def test_an_oversized_head_in_one_write_gets_431(port: int, size: int) -> None:
    """The parser hands a head that arrives in one read over whole; it is counted too."""
    start = b"GET / HTTP/1.1\r\nHost: x\r\n"
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"a" * 1000) for i in range(size // 1000))
    problem(await exchange(port, start + headers + b"\r\n"), 431, "request.head_too_large")


async def test_a_head_just_under_the_limit_in_one_write_is_served(port: int) -> None:
    start = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    filler = b"X-Fill: " + b"a" * (MAX_HEAD_BYTES - 200) + b"\r\n"
    answer = await exchange(port, start + filler + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK"), answer[:200]


async def test_a_connection_that_sends_nothing_is_closed(quick_idle_port: int) -> None:
    """Closed like an idle kept-alive connection; before, it stayed open for good."""
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_idle_port)
    try:
        async with asyncio.timeout(10):
            assert await reader.read(-1) == b""  # end of stream: the server closed it
    finally:
        writer.close()


async def test_a_request_on_a_fresh_connection_is_served_then_kept_alive(
    quick_idle_port: int,
) -> None:
    """The idle timer of a new connection stops when a request starts."""
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_idle_port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        async with asyncio.timeout(10):
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200 OK")
            assert await reader.readexactly(1) == b"0"
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert (await reader.read(-1)).startswith(b"HTTP/1.1 200 OK")
    finally:
        writer.close()


async def test_a_head_sent_in_small_pieces_is_bounded_too(port: int) -> None:
    pieces = [b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "] + [b"a" * 1000] * (MAX_HEAD_BYTES // 500)
    problem(await exchange(port, *pieces), 431, "request.head_too_large")


async def test_a_head_that_never_completes_gets_408(port: int) -> None:
    problem(await exchange(port, b"GET / HTTP/1.1\r\nHo"), 408, "request.head_timeout")


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1, 2"])
async def test_a_malformed_content_length_gets_a_problem_400(port: int, length: bytes) -> None:
    request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n"
    problem(await exchange(port, request), 400, "request.malformed")


async def test_large_bodies_in_pieces_and_pipelined_requests_pass(port: int) -> None:
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    close = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = await exchange(port, head, *[b"a" * 10_000] * 10, close * 1)
    assert answer.count(b"HTTP/1.1 200 OK") == 2, answer
    assert b"\r\n\r\n100000" in answer

    get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = await exchange(port, get * 3 + close)
    assert answer.count(b"HTTP/1.1 200 OK") == 4, answer


async def answer_head(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    await reader.readexactly(length)
    return head


async def test_after_a_refusal_the_next_request_on_that_connection_waits(port: int) -> None:
    """A client that ignores Retry-After is held to it; other connections are not."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    other_reader, other_writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /refuse?3600 HTTP/1.1\r\nHost: x\r\n\r\n")
        async with asyncio.timeout(10):
            assert (await answer_head(reader)).startswith(b"HTTP/1.1 503")
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        other_writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        async with asyncio.timeout(10):
            assert (await answer_head(other_reader)).startswith(b"HTTP/1.1 200")
        with pytest.raises(TimeoutError):  # not read, so not answered, while held
            await asyncio.wait_for(reader.read(1), 1)
    finally:
        writer.close()
        other_writer.close()


async def test_a_held_request_is_served_when_the_hold_ends(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /refuse?0.2 HTTP/1.1\r\nHost: x\r\n\r\n")
        async with asyncio.timeout(10):
            assert (await answer_head(reader)).startswith(b"HTTP/1.1 503")
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await answer_head(reader)).startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
