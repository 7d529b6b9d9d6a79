"""CPU a server's run consumed, from the kernel's per-process counters (psutil): the
server process with every process under it (`--workers 2`'s API processes and outbox
worker; the default configuration's worker runs inside the API process), plus the
PostgreSQL client backends connected to the run's database, found in pg_stat_activity
(PostgreSQL counts no CPU itself). Shared background processes (WAL writer,
checkpointer, autovacuum) are left out for every server alike: the run's share of them
cannot be told apart from a neighbour's on a shared server."""

from dataclasses import dataclass
from typing import Any

import asyncpg
import psutil

BACKENDS = """SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND backend_type = 'client backend'
                AND pid <> pg_backend_pid()"""


def process_seconds(process: psutil.Process) -> float | None:
    """User plus system CPU seconds of ``process`` (None if it is gone)."""
    try:
        times = process.cpu_times()
    except psutil.Error:
        return None
    return float(times.user + times.system)


def pid_seconds(pid: int) -> float | None:
    try:
        return process_seconds(psutil.Process(pid))
    except psutil.Error:
        return None


def tree_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and every process under it."""
    root = psutil.Process(pid)
    try:
        children = root.children(recursive=True)
    except psutil.Error:
        children = []
    return sum(process_seconds(p) or 0.0 for p in (root, *children))


@dataclass
class Reading:
    server: float
    backends: dict[int, float]


class CpuMeter:
    """Reads the server's and its database's backends' CPU at the start and the end of a
    window (``mark``, awaited twice); ``used`` is what the window consumed."""

    def __init__(self, server_pid: int, database_url: str) -> None:
        self.server_pid, self.url = server_pid, database_url
        self.readings: list[Reading] = []
        self.connection: asyncpg.Connection | None = None

    async def open(self) -> None:
        self.connection = await asyncpg.connect(self.url)

    async def mark(self) -> None:
        assert self.connection is not None, "open() first"
        pids = [row["pid"] for row in await self.connection.fetch(BACKENDS)]
        seconds = {pid: pid_seconds(pid) for pid in pids}
        backends = {pid: s for pid, s in seconds.items() if s is not None}
        self.readings.append(Reading(tree_seconds(self.server_pid), backends))

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()

    def used(self, commands: int) -> dict[str, Any]:
        """CPU seconds of the window, and milliseconds per command, by side.

        A backend that ended inside the window is not counted (the servers' pools keep
        theirs open for the whole run)."""
        start, end = self.readings[0], self.readings[-1]
        server = end.server - start.server
        postgres = sum(t - start.backends.get(pid, 0.0) for pid, t in end.backends.items())
        per = 1000 / max(commands, 1)
        return {
            "commands": commands,
            "api_cpu_seconds": round(server, 3),
            "postgres_cpu_seconds": round(postgres, 3),
            "backends": len(end.backends),
            "api_ms_per_command": round(server * per, 4),
            "postgres_ms_per_command": round(postgres * per, 4),
            "ms_per_command": round((server + postgres) * per, 4),
        }
