"""Projection lag under sustained command load: commit to visible in the read model.

Commands run through the message bus at a steady rate while a worker process projects.
The details projection sends NOTIFY tickets_read '<ticket>:<version>' when its
transaction commits; the time from a command's commit to that notice is the lag.
"""

import asyncio
import sys
import time
import uuid
from typing import Any

from tickets.application.commands import Command, CreateTicket, RegisterUser, SubmitTicket
from tickets.application.ports import MessageContext
from tickets.application.results import TicketResult
from tickets.bench.databases import scratch_runtime
from tickets.bench.report import Report, scaled
from tickets.domain.users import Role
from tickets.infrastructure.pools import connect
from tickets.readmodel.ticket_details import READ_CHANNEL


async def run(report: Report, server_url: str, quick: bool) -> list[tuple[float, float]]:
    seconds, rate = (5.0, 100) if quick else (20.0, 200)
    seconds = scaled(seconds, 0.5)
    async with scratch_runtime(server_url) as runtime:
        context = MessageContext(correlation_id="bench-lag")
        registered = await runtime.bus.handle(
            RegisterUser(name="lag", role=Role.REQUESTER), context
        )
        author = registered.result.user()
        committed: dict[str, list[tuple[int, float]]] = {}  # ticket -> (version, commit time)
        samples: list[tuple[float, float]] = []  # (seconds since start, lag)
        started = time.perf_counter()

        def on_notice(_c: Any, _p: int, _ch: str, payload: object) -> None:
            # a notice for version N means every version up to N is visible now
            ticket, _, version = str(payload).partition(":")
            now = time.perf_counter()
            waiting = committed.get(ticket, [])
            for entry in [w for w in waiting if w[0] <= int(version)]:
                waiting.remove(entry)
                samples.append((entry[1] - started, now - entry[1]))

        listener = await connect(runtime.database_url)
        await listener.add_listener(READ_CHANNEL, on_notice)
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tickets",
            "worker",
            env=_env(runtime.database_url),
            stdout=asyncio.subprocess.PIPE,
        )
        assert worker.stdout is not None
        await asyncio.wait_for(worker.stdout.readline(), 60)  # "… running": it listens now
        try:
            interval = 1.0 / rate
            next_at = time.perf_counter()
            end = next_at + seconds
            tickets: list[uuid.UUID] = []
            while next_at < end:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
                if tickets and len(tickets) % 2:
                    command: Command[TicketResult] = SubmitTicket(
                        actor=author, ticket_id=tickets.pop()
                    )
                else:
                    command = CreateTicket(actor=author, title="lag")
                outcome = await runtime.bus.handle(command, context)
                result = outcome.result
                committed.setdefault(str(result.id), []).append(
                    (result.version, time.perf_counter())
                )
                if isinstance(command, CreateTicket):
                    tickets.append(result.id)
            for _ in range(100):  # let the last notices arrive (at most 10 s)
                if not any(committed.values()):
                    break
                await asyncio.sleep(0.1)
        finally:
            worker.terminate()
            await worker.wait()
            await listener.close()
    lags = sorted(lag for _, lag in samples)
    if not lags:  # nothing became visible during the run: the lag exceeds the run
        report.figures["projection_lag"] = {"error": "no notices received"}
        report.check("projection lag p99 under command load", seconds * 1000, "ms", maximum=100)
        return samples

    def pick(p: float) -> float:
        return lags[min(len(lags) - 1, int(p / 100 * len(lags)))]

    report.figures["projection_lag"] = {
        "commands_per_second": rate,
        "seconds": seconds,
        "samples": len(lags),
        "never_seen": sum(len(w) for w in committed.values()),
        "p50_ms": round(pick(50) * 1000, 1),
        "p99_ms": round(pick(99) * 1000, 1),
        "max_ms": round(lags[-1] * 1000, 1),
    }
    report.check("projection lag p99 under command load", pick(99) * 1000, "ms", maximum=100)
    return samples


def _env(url: str) -> dict[str, str]:
    import os

    from tickets.bench.databases import BENCH_SECRET

    return {
        **os.environ,
        "TICKETS_DATABASE_URL": url,
        "TICKETS_JWT_SECRET": BENCH_SECRET,
        "TICKETS_LOG_LEVEL": "WARNING",
    }
