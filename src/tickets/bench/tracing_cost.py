"""What tracing costs the served app (default configuration, worker in process), at 16
connections: commands, then details reads, per variant, alternated per round.

- ``off``: this build, no OTLP endpoint (the default);
- ``without``: a build without the feature, when TICKETS_BENCH_BASELINE_SRC names its
  source folder (``src`` of a checkout before tracing; it runs on this environment's
  packages), else not measured;
- ``on_100`` and ``on_10``: OTLP export to a sink that discards the spans (so the
  figure is the service's cost, not a collector's), sampling every trace, or 10 %;
- ``unreachable``: every trace sampled, the collector's port closed (export fails and
  is retried in the background: requests must not wait on it).
"""

import asyncio
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from tickets.bench.http_load import busy_seconds, ticket_ids
from tickets.bench.http_servers import drive, free_port, serving
from tickets.bench.otlp_sink import otlp_sink
from tickets.bench.report import Report, scaled
from tickets.infrastructure.migrate import upgrade_to_head
from tickets.testing.scratch_databases import scratch_database

CLIENTS = 16
BASELINE = "TICKETS_BENCH_BASELINE_SRC"


def variants(endpoint: str, closed: str) -> dict[str, dict[str, str]]:
    on = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "tickets-bench"}
    found = {
        "off": {},
        "on_100": {**on, "OTEL_TRACES_SAMPLER": "parentbased_always_on"},
        "on_10": {
            **on,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
        },
        "unreachable": {**on, "OTEL_EXPORTER_OTLP_ENDPOINT": closed},
    }
    baseline = os.environ.get(BASELINE)
    if baseline:
        found["without"] = {"PYTHONPATH": str(Path(baseline).resolve())}
    return found


async def _one(
    url: str, env: dict[str, str], scenario: str, seconds: float, ids: Path | None
) -> dict[str, Any]:
    async with serving("app", url, env) as (port, _pid):
        before = busy_seconds()
        result = await drive(port, scenario, seconds, CLIENTS, True, ids)
        result["busy_cpu_seconds"] = round(busy_seconds() - before, 2)
    return result


async def run(report: Report, server_url: str, quick: bool) -> None:
    seconds, rounds = (4.0, 1) if quick else (10.0, 3)
    seconds = scaled(seconds, 0.5)
    measured: list[dict[str, Any]] = []
    with otlp_sink() as endpoint, tempfile.TemporaryDirectory() as folder:
        kinds = variants(endpoint, f"http://127.0.0.1:{free_port()}")
        async with scratch_database(server_url) as url:
            await asyncio.to_thread(upgrade_to_head, url)
            for _ in range(rounds):
                one: dict[str, Any] = {}
                for name, env in kinds.items():
                    one[f"commands_{name}"] = await _one(url, env, "commands", seconds, None)
                ids = await ticket_ids(url, Path(folder) / "ids.txt")
                for name, env in kinds.items():
                    one[f"details_{name}"] = await _one(url, env, "details", seconds, ids)
                measured.append(one)

    def median_rate(key: str) -> float:
        return statistics.median(float(r[key]["requests_per_second"]) for r in measured)

    def ratio(key: str, base: str) -> float:
        return round(median_rate(key) / max(median_rate(base), 0.001), 3)

    def p99(key: str) -> float:
        return statistics.median(float(r[key]["p99_ms"]) for r in measured)

    ratios = {
        "commands_on_100": ratio("commands_on_100", "commands_off"),
        "commands_on_10": ratio("commands_on_10", "commands_off"),
        "details_on_100": ratio("details_on_100", "details_off"),
        "details_on_10": ratio("details_on_10", "details_off"),
        "p99_commands_unreachable": round(
            p99("commands_unreachable") / max(p99("commands_on_100"), 0.001), 3
        ),
    }
    if "without" in kinds:
        ratios["commands_off"] = ratio("commands_off", "commands_without")
        ratios["details_off"] = ratio("details_off", "details_without")
        report.check(
            "tracing off / without the feature, commands",
            ratios["commands_off"],
            "ratio",
            minimum=0.98,
        )
        report.check(
            "tracing off / without the feature, details",
            ratios["details_off"],
            "ratio",
            minimum=0.98,
        )
    report.check(
        "tracing on, 10 % sampled / off, commands", ratios["commands_on_10"], "ratio", minimum=0.9
    )
    report.check(
        "p99 of commands, collector unreachable / reachable (100 % sampled)",
        ratios["p99_commands_unreachable"],
        "x",
        maximum=1.1,
    )
    report.figures["tracing"] = {
        "connections": CLIENTS,
        "seconds_per_variant": seconds,
        "variants": list(kinds),
        "rounds": measured,
        "ratio_medians": ratios,
    }
