"""Commands over HTTP: the real app under uvicorn with a create → submit → approve|reject
mix from concurrent clients, against a bare ASGI endpoint running the same statements
on the same driver and pool, all served by one uvicorn worker in the same run. The
target is against the three-statement endpoint; the one-statement endpoint, which
writes like the app's unit of work, is reported beside it (see bare_app)."""

import asyncio
import functools
import os
import random
import socket
import statistics
import sys
import time
from asyncio.subprocess import Process
from typing import Any

import psutil

from tickets.bench.databases import BENCH_SECRET, scratch_database
from tickets.bench.loadgen import Connection, Latencies, timed
from tickets.bench.report import Report, scaled
from tickets.infrastructure.migrate import upgrade_to_head


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def start(args: list[str], env: dict[str, str], port: int) -> Process:
    process = await asyncio.create_subprocess_exec(sys.executable, *args, env=env)
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return process
        except OSError:
            await asyncio.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server {args} did not start")


async def app_client(port: int, seconds: float, clients: int, lat: Latencies) -> int:
    async def token(c: Connection, name: str, role: str) -> str:
        body = await timed(lat, c.request("POST", "/auth/token", {"username": name, "role": role}))
        return f"Bearer {body['access_token']}"

    setup = Connection("127.0.0.1", port)
    author = {"Authorization": await token(setup, "bench-author", "requester")}
    approver = {"Authorization": await token(setup, "bench-approver", "approver")}
    await setup.close()
    lat.seconds.clear()
    done = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        c = Connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            created = await timed(lat, c.request("POST", "/tickets", {"title": "b"}, author))
            if created is None:
                continue
            path = f"/tickets/{created['id']}"
            await timed(lat, c.request("POST", f"{path}/submit", None, author))
            if random.random() < 0.7:
                await timed(lat, c.request("POST", f"{path}/approve", None, approver))
            else:
                await timed(lat, c.request("POST", f"{path}/reject", {"reason": "no"}, approver))
            done += 3
        await c.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return done


async def bare_client(
    port: int, seconds: float, clients: int, lat: Latencies, mode: str = "bare"
) -> int:
    done = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        c = Connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            ticket = os.urandom(16).hex()
            ticket_id = f"{ticket[:8]}-{ticket[8:12]}-{ticket[12:16]}-{ticket[16:20]}-{ticket[20:]}"
            await timed(lat, c.request("POST", f"/{mode}/create/{ticket_id}"))
            await timed(lat, c.request("POST", f"/{mode}/{ticket_id}"))
            await timed(lat, c.request("POST", f"/{mode}/{ticket_id}"))
            done += 3
        await c.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return done


async def measure(kind: str, url: str, seconds: float, clients: int) -> dict[str, Any]:
    port = free_port()
    env = {
        **os.environ,
        "TICKETS_DATABASE_URL": url,
        "TICKETS_JWT_SECRET": BENCH_SECRET,
        "TICKETS_DEV_LOGIN": "true",
        "TICKETS_RUN_WORKER": "false",
        "TICKETS_LOG_LEVEL": "WARNING",
    }
    if kind == "app":
        args = ["-m", "tickets", "serve", "--port", str(port)]
    else:
        args = ["-m", "tickets.bench.bare_app", url, str(port)]
    process = await start(args, env, port)
    lat = Latencies()
    run = app_client if kind == "app" else functools.partial(bare_client, mode=kind)
    try:
        await run(port, min(2.0, seconds / 3), clients, Latencies())  # warm-up
        started = time.perf_counter()
        done = await run(port, seconds, clients, lat)
        elapsed = time.perf_counter() - started
        rss = psutil.Process(process.pid).memory_info().rss / 2**20
    finally:
        process.terminate()
        await process.wait()
    return {
        "requests_per_second": round(done / elapsed, 1),
        "p50_ms": round(lat.percentile(50) * 1000, 2),
        "p99_ms": round(lat.percentile(99) * 1000, 2),
        "errors": lat.errors,
        "rss_mb": round(rss, 1),
    }


async def run(report: Report, server_url: str, quick: bool) -> None:
    seconds, clients, rounds = (5.0, 16, 1) if quick else (10.0, 32, 3)
    seconds = scaled(seconds, 0.5)
    measured: list[dict[str, Any]] = []
    async with scratch_database(server_url) as url:
        await asyncio.to_thread(upgrade_to_head, url)
        # Rounds alternate the variants, so drift on a shared machine (a checkpoint, a
        # neighbour's load) reaches each of them; the verdict is the median round.
        for _ in range(rounds):
            one: dict[str, Any] = {k: await measure(k, url, seconds, clients) for k in KINDS}
            one["ratio"] = _ratio(one, "app", "bare")
            one["app_to_one_statement_ratio"] = _ratio(one, "app", "single")
            measured.append(one)
    ratio = statistics.median(r["ratio"] for r in measured)
    report.figures["http_commands"] = {
        "clients": clients,
        "seconds_per_variant": seconds,
        "rounds": [{KINDS.get(k, k): v for k, v in r.items()} for r in measured],
        "ratio_median": round(ratio, 3),
        "app_to_one_statement_ratio_median": round(
            statistics.median(r["app_to_one_statement_ratio"] for r in measured), 3
        ),
    }
    report.check("commands over HTTP / bare ASGI endpoint", ratio, "ratio", minimum=0.60)
    rss = max(r["app"]["rss_mb"] for r in measured)
    report.check("API RSS under command load", rss, "MB", maximum=150)


KINDS = {"bare": "bare", "single": "bare_one_statement", "app": "app"}
"""Measured variants, in order, and their names in the figures."""


def _ratio(measured: dict[str, Any], kind: str, baseline: str) -> float:
    rate: float = measured[kind]["requests_per_second"]
    base: float = measured[baseline]["requests_per_second"]
    return round(rate / base, 3)
