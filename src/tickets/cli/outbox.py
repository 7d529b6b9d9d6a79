"""Outbox commands: the standalone worker, dead letters and queue status."""

import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

import typer
from rich.console import Console
from rich.table import Table

from tickets import event_loop
from tickets.application.dead_letter_admin import DeadLetterAdministration
from tickets.application.dead_letters import (
    DeadLetter,
    DeadLetterDetail,
    DiscardDeadLetter,
    GetOutboxStatus,
    ListDeadLetters,
    RetryDeadLetter,
    ShowDeadLetter,
    SubscriptionStatus,
)
from tickets.application.errors import DeadLetterNotFound
from tickets.cli.context import announce, settings_from_env
from tickets.cli.core import app
from tickets.cli.help_format import Typer
from tickets.cli.signals import stop_on_signals
from tickets.domain.users import Role, User

R = TypeVar("R")
STOP_MARGIN_SECONDS = 5.0
"""Closing the pools and the broker link after the last batch."""
out = Console()
Only = Annotated[
    str | None, typer.Option(help="only this subscription's dead letter (default: every one)")
]
dead_letters = Typer(help="Inspect, retry and discard parked outbox messages.")
outbox = Typer(help="Outbox queue status.")
app.add_typer(dead_letters, name="dead-letters")
app.add_typer(outbox, name="outbox")


def operator() -> User:
    """The audited actor for CLI operations: the OS user, as an admin."""
    name = f"cli:{getpass.getuser()}"
    return User(uuid5(NAMESPACE_URL, f"tickets:{name}"), name, frozenset({Role.ADMIN}))


def with_admin(action: Callable[[DeadLetterAdministration], Awaitable[R]]) -> R:
    """Run ``action`` on the same use cases the HTTP admin routes use; a message that
    is not there (or not a dead letter) is a one-line error and exit code 1."""
    from tickets.bootstrap import open_runtime

    async def run() -> R:
        async with open_runtime(settings_from_env()) as runtime:
            return await action(DeadLetterAdministration(runtime.dead_letters))

    try:
        return event_loop.run(run())
    except DeadLetterNotFound as error:
        out.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="claim loops")] = 2,
    metrics_port: Annotated[
        int | None, typer.Option(help="serve /metrics here (process i of N: port + i)")
    ] = None,
    processes: Annotated[
        int, typer.Option(min=1, max=64, help="worker processes, restarted if they die")
    ] = 1,
) -> None:
    """Run a standalone outbox worker until SIGTERM or Ctrl-C (finishing its batch)."""
    if processes > 1:
        raise typer.Exit(_supervise(processes, concurrency, metrics_port))
    from prometheus_client import start_http_server

    from tickets.bootstrap import open_runtime, running_worker

    async def run() -> None:
        settings = settings_from_env(service=True)
        # the worker finishes its batch within a lease (see running_worker)
        stop = stop_on_signals(settings.outbox_lease_seconds + STOP_MARGIN_SECONDS)
        async with open_runtime(settings, "worker") as runtime:
            if metrics_port is not None:
                start_http_server(metrics_port, registry=runtime.registry)
            async with running_worker(runtime, concurrency) as running:
                text = f"outbox worker {running.name} running ({concurrency} loops)"
                fields = {"worker": running.name, "loops": concurrency}
                announce(settings, text, "worker.running", out, **fields)  # scripts wait for it
                await stop.wait()
                text = "stopping: finishing the current batch"
                announce(settings, text, "worker.stopping", out, worker=running.name)

    event_loop.run(run())


def _supervise(processes: int, concurrency: int, metrics_port: int | None) -> int:
    """N copies of this command with --processes 1 (claims are safe to share: each
    message is leased by one worker at a time), restarted if they die."""
    from tickets.supervisor import Supervisor

    command = [sys.executable, "-m", "tickets", "worker", "--concurrency", str(concurrency)]
    per_slot = {}
    if metrics_port is not None:
        per_slot = {i: ["--metrics-port", str(metrics_port + i)] for i in range(processes)}
    supervisor = Supervisor(command, processes, args_for=per_slot)
    out.print(f"supervising {processes} outbox worker processes")
    return supervisor.run_until_signal()


def letters_table(letters: list[DeadLetter], title: str) -> Table:
    table = Table(title=title)
    columns = ("id", "subscription", "ticket", "version", "event", "attempts", "held", "last error")
    for column in columns:
        table.add_column(column, overflow="fold")
    for d in letters:
        table.add_row(
            str(d.id),
            d.subscription,
            str(d.ticket_id),
            str(d.version),
            d.event_type,
            str(d.attempts),
            str(d.held),
            (d.last_error or "")[:120],
        )
    return table


@dead_letters.command("list")
def list_letters(limit: Annotated[int, typer.Option(min=1, max=500)] = 100) -> None:
    """Parked messages, oldest first."""
    letters = with_admin(lambda admin: admin.list(ListDeadLetters(operator(), limit)))
    out.print(letters_table(letters, f"{len(letters)} dead letter(s)"))


def print_detail(detail: DeadLetterDetail) -> None:
    d = detail.letter
    out.print(
        f"[bold]{d.id}[/] {d.event_type} ticket {d.ticket_id} v{d.version} "
        f"subscription [bold]{d.subscription}[/] "
        f"status [bold]{detail.status}[/], {d.attempts} attempt(s), {d.held} held"
    )
    out.print_json(data=detail.payload)
    attempts = Table(title="attempts")
    for column in ("#", "handler", "error", "failed at"):
        attempts.add_column(column, overflow="fold")
    for a in detail.attempts:
        attempts.add_row(str(a.attempt), a.handler, a.error, a.failed_at.isoformat())
    out.print(attempts)
    for entry in detail.audit:
        out.print(f"audit: {entry.action} by {entry.actor_name} at {entry.at.isoformat()}")


@dead_letters.command("show")
def show(message_id: UUID, subscription: Only = None) -> None:
    """A message's payload, every attempt's error, and its audit trail."""
    query = ShowDeadLetter(operator(), message_id, subscription)
    print_detail(with_admin(lambda admin: admin.show(query)))


@dead_letters.command("retry")
def retry(message_id: UUID, subscription: Only = None) -> None:
    """Make a dead letter pending again (audited)."""
    command = RetryDeadLetter(operator(), message_id, subscription)
    print_detail(with_admin(lambda admin: admin.retry(command)))


@dead_letters.command("discard")
def discard(message_id: UUID, subscription: Only = None) -> None:
    """Give up on a dead letter so its ticket's later events flow (audited)."""
    command = DiscardDeadLetter(operator(), message_id, subscription)
    print_detail(with_admin(lambda admin: admin.discard(command)))


@outbox.command("status")
def status() -> None:
    """Each subscription's lag (events, seconds), parked tickets and dead letters."""
    s = with_admin(lambda admin: admin.status(GetOutboxStatus(operator())))
    out.print(subscriptions_table(s.subscriptions))
    out.print(letters_table(s.parked, "dead letters"))


def subscriptions_table(subscriptions: list[SubscriptionStatus]) -> Table:
    from tickets.infrastructure.outbox.store import LAG_COUNT_CAP

    table = Table(title="subscriptions")
    for column in ("subscription", "lag (events)", "lag (s)", "retrying", "dead"):
        table.add_column(column)
    for g in subscriptions:
        # a lane's backlog is counted up to a cap: at it, the lag is at least that big
        events = f"{g.lag_events}+" if g.lag_events >= LAG_COUNT_CAP else str(g.lag_events)
        table.add_row(g.subscription, events, f"{g.lag_seconds}", str(g.retrying), str(g.dead))
    return table
