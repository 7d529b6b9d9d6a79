"""Start and stop processes for fault tests: the fault-test worker, and real `tickets`
commands (serve, worker) as a deployment runs them."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_worker(url: str, *args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.worker_process", url, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.strip() == "ready":
            return process
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"worker did not start: {process.stdout.read()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_tickets(
    args: list[str], env: dict[str, str], port: int | None = None, ready: tuple[str, int] = ("", 0)
) -> subprocess.Popen[bytes]:
    """`tickets ARGS` in its own process; with ``port``, once /health/live answers; with
    ``ready`` (text, n), once n lines of its output contain the text."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tickets", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE if ready[1] else None,
    )
    deadline = time.monotonic() + 60
    seen = 0
    while seen < ready[1] and process.stdout is not None:
        line = process.stdout.readline()  # a later restart's lines stay far below a pipe's size
        if not line:
            raise AssertionError(f"tickets {' '.join(args)} exited with {process.wait()}")
        seen += ready[0].encode() in line
    if port is None:
        return process
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=5):
                return process
        except OSError:
            time.sleep(0.1)  # polling a process we do not control, bounded by the deadline
    process.kill()
    raise AssertionError(f"tickets {' '.join(args)} did not start (exit {process.poll()})")


def stop_gracefully(processes: list[subprocess.Popen[bytes]]) -> list[int | None]:
    """SIGTERM each, then their exit codes (None: still running after 60 s, then killed)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    codes: list[int | None] = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=60))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            codes.append(None)
    return codes
