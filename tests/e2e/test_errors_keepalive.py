"""After an unexpected exception the server answers a 500 problem and keeps the
keep-alive connection usable: the client's next request on it is served.

The real app under a real uvicorn (as `tickets serve` runs it) in a thread, with one
extra route that raises, because no request should make the app itself fail."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from tests.conftest import settings_for
from tickets.bootstrap import build_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_port(database_url: str) -> Iterator[int]:
    app: FastAPI = build_app(settings_for(database_url))

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test-only/boom", boom, methods=["GET"])
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "server exited"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def _exchange(sock: socket.socket, path: str) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request on ``sock`` and its whole response (Content-Length framed)."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: tickets\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response to {path}: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed inside the body of {path}"
        body += chunk
    return int(status_line.split()[1]), headers, body


def test_the_connection_survives_a_500(live_port: int) -> None:
    with socket.create_connection(("127.0.0.1", live_port), timeout=10) as sock:
        status, headers, body = _exchange(sock, "/test-only/boom")
        assert status == 500
        assert headers["content-type"].startswith("application/problem+json"), headers
        assert b'"code":"internal.error"' in body, body
        assert b"a bug" not in body  # no internals in the answer
        # The same connection serves the next request.
        status, _, body = _exchange(sock, "/health/live")
        assert status == 200, body
