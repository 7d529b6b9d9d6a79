"""The servers an HTTP scenario measures, each in its own process, and the load generator
that drives them, in another (tickets.bench.loadgen)."""

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psutil

from tickets.bench.databases import BENCH_SECRET

SERVERS = {
    "app": "tickets serve, default configuration (outbox worker in process)",
    "app_own_worker": "tickets serve with TICKETS_RUN_WORKER=false + a tickets worker process",
    "app_2_processes": "tickets serve --workers 2 (its outbox worker in a process beside them)",
    "handwritten": "hand-written FastAPI + asyncpg pool (tickets.bench.handwritten)",
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


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
    await process.wait()


@asynccontextmanager
async def serving(kind: str, url: str) -> AsyncIterator[tuple[int, int]]:
    """Run server ``kind`` on ``url``; yields its port and its (main) process id."""
    port = free_port()
    serve = ["-m", "tickets", "serve", "--port", str(port)]
    extra: list[asyncio.subprocess.Process] = []
    if kind == "handwritten":
        handwritten = ["-m", "tickets.bench.handwritten", url, str(port)]
        process = await _start(handwritten, {**os.environ}, port)
    elif kind == "app_own_worker":
        extra.append(await _start(["-m", "tickets", "worker"], environment(url), None))
        process = await _start(serve, environment(url, TICKETS_RUN_WORKER="false"), port)
    elif kind == "app_2_processes":
        process = await _start([*serve, "--workers", "2"], environment(url), port)
    else:
        process = await _start(serve, environment(url), port)
    try:
        yield port, process.pid
    finally:
        for p in (process, *extra):
            await _stop(p)


def rss_mb(pid: int) -> float:
    rss: int = psutil.Process(pid).memory_info().rss
    return round(rss / 2**20, 1)


async def drive(
    port: int, scenario: str, seconds: float, clients: int, auth: bool, ids: Path | None = None
) -> dict[str, Any]:
    """Run the load generator process against ``port``; its JSON result."""
    args = [str(port), scenario, "--seconds", str(seconds), "--clients", str(clients)]
    args += ["--auth"] if auth else []
    args += ["--ids", str(ids)] if ids else []
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tickets.bench.loadgen", *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed ({process.returncode})")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def drained(url: str, pool_wait: Any) -> None:
    """Deliver every pending outbox message with a worker process, then stop it."""
    worker = await _start(["-m", "tickets", "worker"], environment(url), None)
    try:
        await pool_wait()
    finally:
        await _stop(worker)
