"""HTTP under load: the served app against a hand-written FastAPI + asyncpg endpoint
(tickets.bench.handwritten), each in its own server process and driven by a load
generator in another, 16 connections each.

Per round, alternated: commands (create → submit → approve|reject) on the hand-written
endpoint in 1 and 2 processes, and on the app in its default configuration (outbox
worker in process), with a worker process beside it on the same cores, as
`tickets serve --workers 2`, and as the API alone (its worker runs after the load, as
on a deployment where the worker has cores of its own); then reads (details by id, a
list page followed by cursor) on the app and on the hand-written endpoint over the same
read-model rows. The hand-written endpoint writes into a database of its own (its
outbox rows are not events the app's worker could deliver) and reads the app's.

Each variant also records how many of the machine's cores were busy: the bound on what
a second process can add (see ``scaling_ceiling``). A second process is judged by what it
adds against what it adds to the hand-written endpoint in the same round, since on 2
cores both share them with PostgreSQL and the load generator. Every command variant but
the one with a separate worker process also records the CPU it consumed per command in
the measured window (tickets.bench.cpu_use)."""

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from tickets.bench.cpu_use import CpuMeter
from tickets.bench.databases import wait_all_processed
from tickets.bench.http_servers import SERVERS, drained, drive, rss_mb, serving
from tickets.bench.report import Report, scaled
from tickets.infrastructure.migrate import upgrade_to_head
from tickets.testing.scratch_databases import scratch_database

CLIENTS = 16
COMMAND_VARIANTS = (
    "handwritten",
    "app_own_worker",
    "app",
    "handwritten_2_processes",
    "app_2_processes",
    "app_api_only",
)
# Not the variant with a worker process of its own: that process is not under the
# server's, and its CPU would go uncounted.
CPU_VARIANTS = frozenset(COMMAND_VARIANTS) - {"app_own_worker"}


async def _one(
    kind: str, url: str, scenario: str, seconds: float, ids: Path | None = None
) -> dict[str, Any]:
    async with serving(kind, url) as (port, pid):
        auth = not kind.startswith("handwritten")
        meter = CpuMeter(pid, url) if scenario == "commands" and kind in CPU_VARIANTS else None
        before = busy_seconds()
        started = time.perf_counter()
        try:
            if meter:
                await meter.open()
            mark = meter.mark if meter else None
            result = await drive(port, scenario, seconds, CLIENTS, auth, ids, mark)
        finally:
            if meter:
                await meter.close()
        busy = (busy_seconds() - before) / (time.perf_counter() - started)
        result["busy_cores"] = round(busy, 2)
        result["rss_mb"] = rss_mb(pid)
        if meter:
            result["cpu"] = meter.used(result["requests"] - result["errors"])
    return result


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (every process, every core)."""
    times = psutil.cpu_times()
    return float(times.user + times.nice + times.system + times.irq + times.softirq)


async def ticket_ids(url: str, into: Path) -> Path:
    connection = await asyncpg.connect(url)
    try:
        await drained(url, lambda: _wait(connection))
        rows = await connection.fetch("SELECT ticket_id FROM read.ticket_details LIMIT 5000")
    finally:
        await connection.close()
    await asyncio.to_thread(into.write_text, "\n".join(str(r["ticket_id"]) for r in rows))
    return into


async def _wait(connection: asyncpg.Connection) -> None:
    await wait_all_processed(connection, every=0.1)


async def one_round(app_url: str, own_url: str, seconds: float, folder: Path) -> dict[str, Any]:
    measured: dict[str, Any] = {}
    # The API alone last: the events it leaves are delivered (by ticket_ids) before
    # any variant with a worker runs again.
    for kind in COMMAND_VARIANTS:
        url = own_url if kind.startswith("handwritten") else app_url
        measured[f"commands_{kind}"] = await _one(kind, url, "commands", seconds)
    ids = await ticket_ids(app_url, folder / "ids.txt")
    for scenario in ("details", "list"):
        for kind in ("handwritten", "app"):
            measured[f"{scenario}_{kind}"] = await _one(kind, app_url, scenario, seconds, ids)
    return measured


def ratios(m: dict[str, Any]) -> dict[str, float]:
    def rate(key: str, base: str) -> float:
        return round(_rate(m, key, base), 3)

    def cpu(key: str) -> float:
        app, own = m[key]["cpu"]["ms_per_command"], m["commands_handwritten"]["cpu"]
        return round(float(app / max(own["ms_per_command"], 1e-6)), 3)

    def tail(key: str, base: str) -> float:
        return round(float(m[key]["p99_ms"] / max(m[base]["p99_ms"], 0.001)), 2)

    return {
        "commands_own_worker": rate("commands_app_api_only", "commands_handwritten"),
        "commands_own_worker_same_cores": rate("commands_app_own_worker", "commands_handwritten"),
        "commands_default": rate("commands_app", "commands_handwritten"),
        "details": rate("details_app", "details_handwritten"),
        "list": rate("list_app", "list_handwritten"),
        "p99_commands": tail("commands_app", "commands_handwritten"),
        "p99_details": tail("details_app", "details_handwritten"),
        "p99_list": tail("list_app", "list_handwritten"),
        "two_processes": rate("commands_app_2_processes", "commands_app"),
        "two_processes_handwritten": rate(
            "commands_handwritten_2_processes", "commands_handwritten"
        ),
        "two_processes_gain_vs_handwritten": round(
            _rate(m, "commands_app_2_processes", "commands_app")
            / _rate(m, "commands_handwritten_2_processes", "commands_handwritten"),
            3,
        ),
        "scaling_ceiling": scaling_ceiling(m["commands_app"]),
        "cpu_per_command": cpu("commands_app"),
        "cpu_per_command_api_only": cpu("commands_app_api_only"),
    }


def _rate(m: dict[str, Any], key: str, base: str) -> float:
    return float(m[key]["requests_per_second"] / m[base]["requests_per_second"])


def scaling_ceiling(one_process: dict[str, Any]) -> float:
    """The most a second API process could add: the machine's cores over the cores one
    process's run kept busy (server, PostgreSQL, worker and load generator together),
    assuming each request costs the same CPU however many processes serve it."""
    cores = psutil.cpu_count() or 1
    return round(cores / max(float(one_process["busy_cores"]), 0.01), 2)


TARGETS = (
    ("commands over HTTP / hand-written endpoint, worker in its own process "
     "(run after the load, off these cores)", "commands_own_worker", "ratio", 0.6, None),
    ("commands over HTTP / hand-written endpoint, default config",
     "commands_default", "ratio", 0.5, None),
    ("details over HTTP / hand-written endpoint", "details", "ratio", 0.8, None),
    ("list page by cursor over HTTP / hand-written endpoint", "list", "ratio", 0.8, None),
    ("p99 of commands at 16 connections / hand-written p99", "p99_commands", "x", None, 2.0),
    ("p99 of details at 16 connections / hand-written p99", "p99_details", "x", None, 2.0),
    ("p99 of list pages at 16 connections / hand-written p99", "p99_list", "x", None, 2.0),
    ("serve --workers 2 gain over 1 process / hand-written endpoint's gain, commands",
     "two_processes_gain_vs_handwritten", "ratio", 0.9, None),
    ("CPU per command, API process (its worker off these cores) + its PostgreSQL "
     "backends / hand-written's", "cpu_per_command_api_only", "x", None, 1.5),
)  # fmt: skip


async def run(report: Report, server_url: str, quick: bool) -> None:
    seconds, rounds = (5.0, 1) if quick else (10.0, 3)
    seconds = scaled(seconds, 0.5)
    measured: list[dict[str, Any]] = []
    async with scratch_database(server_url) as app_url, scratch_database(server_url) as own_url:
        await asyncio.to_thread(upgrade_to_head, app_url)
        await asyncio.to_thread(upgrade_to_head, own_url)
        with tempfile.TemporaryDirectory() as folder:
            # Rounds alternate the variants, so drift on a shared machine (a checkpoint, a
            # neighbour's load) reaches each of them; the verdict is the median round.
            for _ in range(rounds):
                one = await one_round(app_url, own_url, seconds, Path(folder))
                measured.append({**one, "ratios": ratios(one)})
    medians = {
        name: round(statistics.median(r["ratios"][name] for r in measured), 3)
        for name in measured[0]["ratios"]
    }
    report.figures["http"] = {
        "connections": CLIENTS,
        "seconds_per_variant": seconds,
        "servers": SERVERS,
        "rounds": measured,
        "ratio_medians": medians,
    }
    for name, key, unit, minimum, maximum in TARGETS:
        report.check(name, medians[key], unit, minimum=minimum, maximum=maximum)
    rss = max(r[k]["rss_mb"] for r in measured for k in r if k.endswith("_app"))
    report.check("API RSS under load", rss, "MB", maximum=150)
