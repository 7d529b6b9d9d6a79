"""`tickets seed --tickets N`: realistic demo data through the real command path."""

import asyncio
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console

from tickets.cli.context import log_level, progress_bar, settings_from_env
from tickets.cli.core import app
from tickets.cli.signals import run_interruptible
from tickets.logging_setup import configure_logging, louder, quieter

out = Console()
STOP_GRACE_SECONDS = 10.0
"""Ctrl-C: the batch in flight rolls back, the worker processes are asked to stop."""
VACUUM_SECONDS = 1800.0
"""A vacuum of a bulk load is maintenance, not a request: not held to the statement bound."""


@app.command()
def seed(
    tickets: Annotated[int, typer.Option(min=1, help="how many tickets to create")] = 1000,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="tickets per transaction")] = 500,
    workers: Annotated[
        int, typer.Option(min=0, max=16, help="worker processes projecting meanwhile")
    ] = 2,
    random_seed: Annotated[int, typer.Option(help="for a repeatable dataset")] = 7,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="log every command (the progress bars say enough)")
    ] = False,
) -> None:
    """Create users and N tickets in every status, with comments, through the message
    bus (one RunBatch command, so one unit of work, per batch), then wait until they are
    projected."""
    run_interruptible(_seed(tickets, batch, workers, random_seed, verbose), STOP_GRACE_SECONDS)


async def _seed(count: int, batch: int, workers: int, random_seed: int, verbose: bool) -> None:
    from tickets.application.commands import RegisterUser, RunBatch
    from tickets.application.ports import ClockAndIds, MessageContext
    from tickets.bootstrap import open_runtime
    from tickets.cli.demo_data import Cast, SpreadClock, ticket_story
    from tickets.domain.users import Role, User
    from tickets.infrastructure.clock_and_ids import RandomIds

    rng = random.Random(random_seed)
    settings = settings_from_env()
    level = log_level(settings, service=False)
    # one log line per seeded command would bury the progress bars: only when asked
    level = louder(level, "INFO") if verbose else quieter(level, "WARNING")
    configure_logging(settings.log_format, level)
    async with open_runtime(settings) as runtime:
        correlation_id = f"seed-{uuid.uuid4().hex[:8]}"

        def context() -> MessageContext:
            """One per command: its own command id, the run's correlation id."""
            return MessageContext(correlation_id=correlation_id)

        async def user(name: str, role: Role) -> User:
            outcome = await runtime.bus.handle(RegisterUser(name=name, role=role), context())
            return outcome.result.user()

        cast = Cast(
            [await user(f"requester{i:02d}", Role.REQUESTER) for i in range(40)],
            [await user(f"approver{i}", Role.APPROVER) for i in range(6)],
        )
        await user("admin", Role.ADMIN)
        span = timedelta(days=365)
        clock = SpreadClock(datetime.now(UTC) - span, span / (count * 6))
        bus = runtime.bus.with_clock_and_ids(ClockAndIds(clock=clock, ids=RandomIds()))
        processes = [
            await asyncio.create_subprocess_exec(sys.executable, "-m", "tickets", "worker")
            for _ in range(workers)
        ]
        started = time.perf_counter()
        try:
            with progress_bar(out) as bar:
                written = bar.add_task("tickets written", total=count)
                done = 0
                while done < count:
                    size = min(batch, count - done)
                    commands = tuple(
                        c for _ in range(size) for c in ticket_story(uuid.uuid4(), cast, rng)
                    )
                    await bus.handle(RunBatch(commands=commands), context())
                    done += size
                    bar.update(written, completed=done)
                if workers:
                    total = await runtime.behind()
                    projected = bar.add_task("events projected", total=total)
                    while (left := await runtime.behind()) > 0:
                        bar.update(projected, completed=total - left)
                        await asyncio.sleep(0.5)
                    bar.update(projected, completed=total)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                await process.wait()
        elapsed = time.perf_counter() - started
        out.print(f"seeded {count} tickets in {elapsed:.1f}s ({count / elapsed:.0f} tickets/s)")
        # A bulk load leaves dead row versions behind; refresh visibility maps and
        # statistics now rather than waiting for autovacuum (or without it).
        for table in ("tickets.tickets", "tickets.outbox_messages"):
            await runtime.pools.write.execute(f"VACUUM ANALYZE {table}", timeout=VACUUM_SECONDS)
        for table in ("read.ticket_list", "read.ticket_details", "read.status_counts"):
            await runtime.pools.read.execute(f"VACUUM ANALYZE {table}", timeout=VACUUM_SECONDS)
