"""The HTTP server's configuration for `tickets serve`, in one place: the API in one
process or in N (api_processes.py), and the benchmark's hand-written baseline, which is
served the same way."""

from typing import Any

from tickets.http_protocol import BoundedHttpToolsProtocol

SERVER_OPTIONS: dict[str, Any] = {
    # Chosen by measurement (docs/benchmarks.md, "The server"): httptools parses requests
    # in C instead of h11's Python, here with the head size and time bounds it lacks
    # (http_protocol); uvloop ("auto": where it is installed, not on Windows) runs the
    # event loop in C. Both cut the server's instructions per request.
    "http": BoundedHttpToolsProtocol,
    "loop": "auto",
    # Bounds a misbehaving client can meet without a proxy in front: idle keep-alive
    # connections close after 5 s, at most 1,000 connections are served at once (the
    # rest get 503), and a graceful stop waits 10 s for requests in flight.
    "timeout_keep_alive": 5,
    "limit_concurrency": 1000,
    "timeout_graceful_shutdown": 10,
    "access_log": False,
    "log_config": None,
}


def server_options() -> dict[str, Any]:
    """The server settings `tickets serve` uses (a copy: callers add host and port)."""
    return dict(SERVER_OPTIONS)
