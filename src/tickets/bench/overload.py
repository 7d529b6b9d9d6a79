"""Overload: goodput and the latency of admitted requests at 1x, 3x and 10x the
saturating load, on one `tickets serve` API process, its outbox worker off (as with a
worker process elsewhere): an in-process worker would spend the later loads' CPU
delivering the earlier loads' events, and bias the comparison against them.

Load is counted in connections of clients that create tickets back to back and honour
``Retry-After`` (tickets.bench.overload_load). First the saturating load: of a few
connection counts, the one with the highest goodput. Then rounds (1 quick, 3 full), each
the unloaded latency (one connection), 1x (its goodput is the peak), 10x and 3x that
many connections. The targets, medians of the rounds: at 10x, goodput at least 0.9x the
peak and the p99 of admitted requests at most 10x the unloaded p99. For contrast, 10x
once more with admission control off (limits no process reaches), as the service
behaved before it had any.
"""

import asyncio
import json
import statistics
import sys
from typing import Any

from tickets.bench.http_servers import serving
from tickets.bench.report import Report, scaled
from tickets.infrastructure.migrate import upgrade_to_head
from tickets.testing.scratch_databases import scratch_database

KIND = "app_api_only"
SEARCH = (4, 8, 16, 32)
QUICK_SEARCH = (8, 16)
MULTIPLES = (3, 10)
NO_ADMISSION = {
    "TICKETS_MAX_COMMANDS_IN_FLIGHT": "10000",
    "TICKETS_MAX_READS_IN_FLIGHT": "10000",
    "TICKETS_MAX_QUEUE_WAIT_SECONDS": "0",
}


async def offered(port: int, clients: int, seconds: float) -> dict[str, Any]:
    """Run the overload load generator process against ``port``; its JSON result."""
    args = [str(port), "--clients", str(clients), "--seconds", str(seconds)]
    args += ["--warmup", str(min(1.0, seconds / 3))]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tickets.bench.overload_load", *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"overload load generator failed ({process.returncode})")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def measure(url: str, seconds: float, quick: bool) -> dict[str, Any]:
    rounds: list[dict[str, Any]] = []
    async with serving(KIND, url) as (port, _):
        search = [await offered(port, n, seconds) for n in (QUICK_SEARCH if quick else SEARCH)]
        saturating = int(max(search, key=lambda r: float(r["goodput_per_second"]))["clients"])
        # Rounds alternate the loads, so drift on a shared machine reaches each of them;
        # each round's ratios are against its own unloaded and 1x runs.
        for _ in range(1 if quick else 3):
            one: dict[str, Any] = {"unloaded": await offered(port, 1, seconds)}
            for multiple in (1, *MULTIPLES[::-1]):
                one[f"{multiple}x"] = await offered(port, multiple * saturating, seconds)
            rounds.append(one)
    async with serving(KIND, url, NO_ADMISSION) as (port, _):
        without = await offered(port, MULTIPLES[-1] * saturating, seconds)
    for one in rounds:
        _ratios(one, one)
    _ratios({"10x": without}, rounds[-1])
    return {
        "search": search,
        "saturating_clients": saturating,
        "rounds": rounds,
        "10x_without_admission_control": without,
    }


def _ratios(loads: dict[str, Any], base: dict[str, Any]) -> None:
    peak = max(float(base["1x"]["goodput_per_second"]), 0.001)
    unloaded_p99 = max(float(base["unloaded"]["admitted_p99_ms"]), 0.001)
    for load, result in loads.items():
        if load != "unloaded":
            result["goodput_over_peak"] = round(float(result["goodput_per_second"]) / peak, 3)
            p99 = float(result["admitted_p99_ms"])
            result["admitted_p99_over_unloaded"] = round(p99 / unloaded_p99, 2)


async def run(report: Report, server_url: str, quick: bool) -> None:
    seconds = scaled(4.0 if quick else 10.0, 0.5)
    async with scratch_database(server_url) as url:
        await asyncio.to_thread(upgrade_to_head, url)
        measured = await measure(url, seconds, quick)
    medians = {
        f"{load}_{ratio}": statistics.median(r[load][ratio] for r in measured["rounds"])
        for load in ("1x", "3x", "10x")
        for ratio in ("goodput_over_peak", "admitted_p99_over_unloaded")
    }
    report.figures["overload"] = {"seconds_per_load": seconds, **measured, "medians": medians}
    report.check("overload: goodput at 10x / peak", medians["10x_goodput_over_peak"], "ratio", 0.9)
    report.check(
        "overload: admitted p99 at 10x / unloaded p99",
        medians["10x_admitted_p99_over_unloaded"],
        "x",
        maximum=10,
    )
