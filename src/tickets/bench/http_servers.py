"""The servers an HTTP scenario measures, each in its own process, and the load generator
that drives them, in another (tickets.bench.loadgen)."""

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psutil

from tickets.bench.databases import BENCH_SECRET
from tickets.bench.loadgen import WINDOW

SERVERS = {
    "app": "tickets serve, default configuration (outbox worker in process)",
    "app_own_worker": "tickets serve with TICKETS_RUN_WORKER=false + a tickets worker process",
    "app_api_only": "tickets serve with TICKETS_RUN_WORKER=false, its worker process run "
    "after the load (off the two cores the API and PostgreSQL share)",
    "app_2_processes": "tickets serve --workers 2 (its outbox worker in a process beside them)",
    "handwritten": "hand-written FastAPI + asyncpg pool (tickets.bench.handwritten)",
    "handwritten_2_processes": "the hand-written endpoint in 2 processes, served like "
    "tickets serve --workers 2",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TICKETS_DATABASE_URL": url,
        "TICKETS_JWT_SECRET": BENCH_SECRET,
        "TICKETS_DEV_LOGIN": "true",
        "TICKETS_LOG_LEVEL": "WARNING",
        **extra,
    }


async def _start(
    args: list[str], env: dict[str, str], port: int | None
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(sys.executable, *args, env=env)
    if port is None:
        return process
    for _ in range(600):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return process
        except OSError:
            await asyncio.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server {args} did not start")


async def _listening(pid: int, port: int, processes: int) -> None:
    """Wait until ``processes`` children of ``pid`` listen on ``port``: the first one to
    answer is not enough, or the load generator's connections would all go to it (each
    API process listens on a socket of its own; see tickets.api_processes)."""
    for _ in range(600):
        listening = {
            child.pid
            for child in psutil.Process(pid).children()
            for c in _connections(child)
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        }
        if len(listening) >= processes:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"not all {processes} processes of {pid} listen on {port}")


def _connections(process: psutil.Process) -> list[Any]:
    try:
        return list(process.net_connections("tcp"))
    except psutil.Error:  # a child that just exited, or is not ours to inspect
        return []


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
    await process.wait()


@asynccontextmanager
async def serving(
    kind: str, url: str, settings: dict[str, str] | None = None
) -> AsyncIterator[tuple[int, int]]:
    """Run server ``kind`` on ``url`` (``app`` and ``app_api_only`` with ``settings``
    added to their environment); yields its port and its (main) process id."""
    port = free_port()
    serve = ["-m", "tickets", "serve", "--port", str(port)]
    extra: list[asyncio.subprocess.Process] = []
    if kind.startswith("handwritten"):
        handwritten = ["-m", "tickets.bench.handwritten", url, str(port)]
        handwritten += ["2"] if kind == "handwritten_2_processes" else []
        process = await _start(handwritten, {**os.environ}, port)
    elif kind == "app_api_only":
        only = environment(url, TICKETS_RUN_WORKER="false", **(settings or {}))
        process = await _start(serve, only, port)
    elif kind == "app_own_worker":
        extra.append(await _start(["-m", "tickets", "worker"], environment(url), None))
        process = await _start(serve, environment(url, TICKETS_RUN_WORKER="false"), port)
    elif kind == "app_2_processes":
        process = await _start([*serve, "--workers", "2"], environment(url), port)
    else:
        process = await _start(serve, environment(url, **(settings or {})), port)
    if kind.endswith("_2_processes"):
        await _listening(process.pid, port, 2)
    try:
        yield port, process.pid
    finally:
        for p in (process, *extra):
            await _stop(p)


def rss_mb(pid: int) -> float:
    rss: int = psutil.Process(pid).memory_info().rss
    return round(rss / 2**20, 1)


async def drive(
    port: int,
    scenario: str,
    seconds: float,
    clients: int,
    auth: bool,
    ids: Path | None = None,
    mark: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Run the load generator process against ``port``; its JSON result. ``mark`` is
    awaited when its measured window starts (after the warm-up) and when it has ended."""
    args = [str(port), scenario, "--seconds", str(seconds), "--clients", str(clients)]
    args += ["--auth"] if auth else []
    args += ["--ids", str(ids)] if ids else []
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tickets.bench.loadgen", *args, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    last = ""
    async for raw in process.stdout:
        line = raw.decode().strip()
        if line == WINDOW or line.startswith("{"):
            last = line
            if mark is not None:
                await mark()
    await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed ({process.returncode})")
    result: dict[str, Any] = json.loads(last)
    return result


async def drained(url: str, pool_wait: Any) -> None:
    """Deliver every pending outbox message with a worker process, then stop it."""
    worker = await _start(["-m", "tickets", "worker"], environment(url), None)
    try:
        await pool_wait()
    finally:
        await _stop(worker)
