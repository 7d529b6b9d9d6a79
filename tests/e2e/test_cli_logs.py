"""`tickets serve` as a user runs it: in json format every line it writes is JSON (the
banner, uvicorn, migrations included); on the console, control characters in a request
path are escaped."""

import json
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET
from tests.e2e.cli_helpers import TICKETS, run_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _serve(tmp_path: Path, database: str, log_format: str, paths: list[str]) -> tuple[str, str]:
    port = free_port()
    env = run_env(
        tmp_path,
        TICKETS_DATABASE_URL=database,
        TICKETS_JWT_SECRET=TEST_SECRET,
        TICKETS_LOG_FORMAT=log_format,
        TICKETS_LOG_LEVEL="INFO",
    )
    process = subprocess.Popen(
        [TICKETS, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"{base}/health/live", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.1)
        for path in paths:
            httpx.get(base + path, timeout=5)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return stdout, stderr


def test_in_json_format_every_line_of_serve_is_json(tmp_path: Path, fresh_database: str) -> None:
    stdout, stderr = _serve(tmp_path, fresh_database, "json", ["/tickets%1b%5b31mred"])
    lines = (stdout + stderr).strip().splitlines()
    records = [json.loads(line) for line in lines]  # fails on the first plain line
    events = [r["event"] for r in records]
    assert "serving" in events, events
    assert any("Uvicorn running" in e for e in events), events
    assert any(e.startswith("migrations applied") for e in events), events
    assert any(r.get("path") == "/tickets\x1b[31mred" for r in records), records


def test_on_the_console_control_characters_in_a_path_are_escaped(
    tmp_path: Path, fresh_database: str
) -> None:
    _, stderr = _serve(tmp_path, fresh_database, "console", ["/tickets%1b%5b2J%1b%5b31mred"])
    assert "\x1b" not in stderr
    assert "/tickets\\x1b[2J\\x1b[31mred" in stderr, stderr
    log_lines = [line for line in stderr.splitlines() if "serving on" not in line]
    for line in log_lines:
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", line), f"no timestamp: {line!r}"
