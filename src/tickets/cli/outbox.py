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
)
from tickets.application.errors import DeadLetterNotFound
from tickets.cli.core import announce, app, settings_from_env, stop_on_signals
from tickets.domain.users import Role, User

R = TypeVar("R")
out = Console()
dead_letters = typer.Typer(help="Inspect, retry and discard parked outbox messages.")
outbox = typer.Typer(help="Outbox queue status.")
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
        stop = stop_on_signals()
        settings = settings_from_env()
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
    for column in ("id", "ticket", "version", "event", "attempts", "held", "last error"):
        table.add_column(column, overflow="fold")
    for d in letters:
        table.add_row(
            str(d.id),
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
def show(message_id: UUID) -> None:
    """A message's payload, every attempt's error, and its audit trail."""
    print_detail(with_admin(lambda admin: admin.show(ShowDeadLetter(operator(), message_id))))


@dead_letters.command("retry")
def retry(message_id: UUID) -> None:
    """Make a dead letter pending again (audited)."""
    print_detail(with_admin(lambda admin: admin.retry(RetryDeadLetter(operator(), message_id))))


@dead_letters.command("discard")
def discard(message_id: UUID) -> None:
    """Give up on a dead letter so its ticket's later events flow (audited)."""
    command = DiscardDeadLetter(operator(), message_id)
    print_detail(with_admin(lambda admin: admin.discard(command)))


@outbox.command("status")
def status() -> None:
    """Pending count, oldest pending age, and parked tickets."""
    from tickets.infrastructure.outbox.store import PENDING_COUNT_CAP

    s = with_admin(lambda admin: admin.status(GetOutboxStatus(operator())))
    summary = Table(title="outbox")
    for column in ("pending", "held behind dead letters", "dead", "oldest pending age (s)"):
        summary.add_column(column)
    # counted up to the cap: at it, the backlog is at least that big
    pending = f"{s.pending}+" if s.pending >= PENDING_COUNT_CAP else str(s.pending)
    summary.add_row(pending, str(s.held), str(s.dead), f"{s.oldest_pending_age_seconds}")
    out.print(summary)
    out.print(letters_table(s.parked, "parked tickets"))
