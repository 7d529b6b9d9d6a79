"""`tickets projections status`: every subscription's lag, not only the read model's."""

import asyncio
from pathlib import Path

from tests.conftest import TEST_SECRET
from tests.e2e.cli_helpers import run
from tickets.testing.scratch_databases import scratch_database


async def test_status_lists_every_subscription_with_its_lag(
    server_url: str, tmp_path: Path
) -> None:
    async with scratch_database(server_url) as database:
        settings = {"TICKETS_DATABASE_URL": database, "TICKETS_JWT_SECRET": TEST_SECRET}
        result = await asyncio.to_thread(run, tmp_path, "projections", "status", **settings)
    assert result.returncode == 0, result.stderr
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert {"read_model", "notifications"} <= set(rows)  # before any worker ran
    assert all(" 0 " in line for line in rows.values() if "subscription" not in line)
