"""The benchmark harness runs end to end (`tickets bench --quick`), shrunk to seconds.
It asserts the report's shape only: timings belong in the benchmark, not in tests."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tickets.bench.http_load import TARGETS as HTTP_TARGETS
from tickets.cli.bench import SCENARIOS
from tickets.testing.scratch_databases import execute


@pytest.fixture
def dataset(server_url: str) -> str:
    return f"tickets_smoke_{uuid.uuid4().hex[:10]}"


def test_bench_quick_writes_every_target(server_url: str, dataset: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TICKETS_BENCH_SCALE": "0.02",
        "TICKETS_BENCH_DATASET": dataset,
        "TICKETS_LOG_LEVEL": "WARNING",
        "COLUMNS": "200",
    }
    env.pop("TICKETS_DATABASE_URL", None)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tickets",
                "bench",
                "--quick",
                "--out",
                str(tmp_path),
                "--database-url",
                server_url,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        asyncio.run(execute(server_url, f'DROP DATABASE IF EXISTS "{dataset}" WITH (FORCE)'))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    results = json.loads((tmp_path / "results.json").read_text())
    names = [t["name"] for t in results["targets"]]
    for expected in (
        *(target[0] for target in HTTP_TARGETS),
        "API RSS under load",
        "projection lag p99 under command load",
        "hot query plans with a sequential scan",
        "tracing on, 10 % sampled / off, commands",
        "overload: goodput at 10x / peak",
        "overload: admitted p99 at 10x / unloaded p99",
        "command p99 with pruning running, % of without",
    ):
        assert expected in names
    assert any(n.startswith("outbox delivery, 1 worker") for n in names)
    assert any(n.startswith("claim time, ") for n in names)
    assert all(row["claim_rows"] > 0 for row in results["figures"]["claims"])
    for target in results["targets"]:
        assert set(target) == {"name", "value", "unit", "target", "met"}
        assert isinstance(target["met"], bool)
    assert set(SCENARIOS) <= {
        "http",
        "overload",
        "outbox",
        "claims",
        "lag",
        "queries",
        "peer",
        "broker",
        "tracing",
        "storage",
    }
    assert (tmp_path / "benchmarks.md").read_text().startswith("# Benchmarks")
    assert results["figures"]["storage"]["total_bytes_per_lifecycle"] > 0
    assert "projection_lag.png" in results["plots"]
    assert (tmp_path / "projection_lag.png").stat().st_size > 1000
