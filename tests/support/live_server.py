"""A real `tickets serve` process on a free port, for tests that speak HTTP over a socket."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(database_url: str, workdir: Path, **env_overrides: str) -> Iterator[str]:
    """Starts `python -m tickets serve` against ``database_url``; yields its base URL.

    The server writes its log to ``workdir/server.log``, shown when it fails to start.
    """
    port = free_port()
    env = {
        **os.environ,
        "TICKETS_DATABASE_URL": database_url,
        "TICKETS_JWT_SECRET": TEST_SECRET,
        "TICKETS_DEV_LOGIN": "true",
        "TICKETS_LOG_LEVEL": "WARNING",
        "TICKETS_DATA_DIR": str(workdir / "data"),
        **env_overrides,
    }
    log = workdir / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tickets", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_live(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_until_live(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"server did not come up:\n{log.read_text()}")
