"""The embedded launcher: shared by processes on one data folder, stopped by the last
one, and its data kept across restarts."""

import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import psutil

from tickets.infrastructure.embedded import start_embedded
from tickets.infrastructure.embedded_watchdog import WATCHDOG_PID

JOIN_AND_LEAVE = """
import sys
from pathlib import Path
from tickets.infrastructure.embedded import start_embedded
server = start_embedded(Path(sys.argv[1]))
print(server.url)
server.stop()
"""

HOLD = """
import sys, time
from pathlib import Path
from tickets.infrastructure.embedded import start_embedded
server = start_embedded(Path(sys.argv[1]))
print(server.url, flush=True)
time.sleep(600)
"""


def _servers_of(data_dir: Path) -> list[psutil.Process]:
    """Running postgres processes whose command line names ``data_dir``."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and any(str(data_dir) in a for a in cmdline):
            found.append(process)
    return found


def _query(url: str, sql: str) -> object:
    async def run() -> object:
        connection = await asyncpg.connect(url)
        try:
            if sql.startswith("SELECT"):
                return await connection.fetchval(sql)
            return await connection.execute(sql)
        finally:
            await connection.close()

    return asyncio.run(run())


def test_embedded_server_is_shared_stopped_by_the_last_user_and_keeps_data() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="tickets-embedded-test-"))
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    try:
        first = start_embedded(data_dir)
        _query(first.url, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")

        joined = subprocess.run(
            [sys.executable, "-c", JOIN_AND_LEAVE, str(data_dir)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert joined.stdout.strip().splitlines()[-1] == first.url
        assert pid_file.exists(), "another process leaving must not stop a server in use"
        assert _query(first.url, "SELECT 1") == 1

        first.stop()
        assert not pid_file.exists(), "the last user stops the server"

        again = start_embedded(data_dir)
        try:
            assert _query(again.url, "SELECT v FROM kept") == 42
        finally:
            again.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _start_holder(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    url = holder.stdout.readline().strip()
    assert _query(url, "SELECT 1") == 1
    return holder, url


def _until_no_server(data_dir: Path, seconds: float = 60) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while (left := _servers_of(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _watchdog_of(data_dir: Path) -> psutil.Process:
    pid = int((data_dir / "pgdata" / WATCHDOG_PID).read_text())
    return psutil.Process(pid)


def test_the_server_of_a_killed_last_user_is_stopped() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="tickets-embedded-kill-")).resolve()
    try:
        holder, _ = _start_holder(data_dir)
        assert _watchdog_of(data_dir).is_running()
        holder.kill()  # SIGKILL: no atexit, its PID stays in the handle file
        holder.wait()
        assert not _until_no_server(data_dir), "a killed last user's server must stop"
    finally:
        for process in _servers_of(data_dir):
            process.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


def test_a_server_left_by_a_killed_user_is_adopted_and_stopped_by_the_next() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="tickets-embedded-adopt-")).resolve()
    try:
        holder, url = _start_holder(data_dir)
        watchdog = _watchdog_of(data_dir)
        watchdog.kill()  # everything killed at once, watchdog included
        watchdog.wait(10)
        holder.kill()
        holder.wait()
        assert _servers_of(data_dir), "with no watchdog the server outlives its killed user"

        joined = subprocess.run(
            [sys.executable, "-c", JOIN_AND_LEAVE, str(data_dir)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert joined.stdout.strip().splitlines()[-1] == url, "the next user adopts it"
        assert not _until_no_server(data_dir), "the last user must stop the adopted server"
    finally:
        for process in _servers_of(data_dir):
            process.kill()
        shutil.rmtree(data_dir, ignore_errors=True)
