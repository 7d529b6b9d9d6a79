"""`tickets projections rebuild [NAME]` and `tickets projections status`."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import TaskID
from rich.table import Table

from tickets import event_loop
from tickets.cli.context import err, progress_bar, settings_from_env
from tickets.cli.core import app
from tickets.cli.help_format import Typer
from tickets.cli.signals import run_interruptible
from tickets.readmodel.catalog import READ_MODEL, REBUILDABLE, live_projections

if TYPE_CHECKING:
    from tickets.readmodel.rebuild import EventSource

out = Console()
projections = Typer(help="Read-model projections: rebuild from the log, show lag.")
app.add_typer(projections, name="projections")
STOP_GRACE_SECONDS = 10.0


@projections.command("rebuild")
def rebuild_command(
    name: Annotated[str | None, typer.Argument(help="one projection; default: all")] = None,
    from_archive: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-archive",
            help="an archive of `tickets events archive` (repeatable): replayed before the log",
        ),
    ] = None,
) -> None:
    """Replay the event log into fresh tables, then swap them in (reads keep working)."""
    from tickets.bootstrap import open_runtime
    from tickets.infrastructure.outbox.archive_file import ArchiveRefused
    from tickets.infrastructure.outbox.archive_log import ArchivedLog
    from tickets.infrastructure.outbox.event_log import EventLog
    from tickets.readmodel.rebuild import rebuild

    if name is not None and name not in REBUILDABLE:
        out.print(f"[red]unknown projection {name!r}; known: {', '.join(REBUILDABLE)}[/]")
        raise typer.Exit(2)
    names = [name] if name else list(REBUILDABLE)

    async def run() -> None:
        async with open_runtime(settings_from_env()) as runtime:
            log: EventSource = EventLog(runtime.pools.write)
            if from_archive:  # every archive read and checked before anything changes
                log = await ArchivedLog.open(EventLog(runtime.pools.write), from_archive)
            for each in names:
                with progress_bar(out) as bar:
                    task = bar.add_task(f"rebuilding {each}", total=None)

                    def report(done: int, total: int, task: TaskID = task) -> None:
                        bar.update(task, completed=done, total=total)

                    applied = await rebuild(REBUILDABLE[each], runtime.pools.read, log, report)
                out.print(f"{each}: {applied} events replayed, tables swapped in")

    # Ctrl-C: the replay into the shadow tables stops (the swap is one transaction,
    # done whole or not at all); the live tables stay as they were
    try:
        run_interruptible(run(), STOP_GRACE_SECONDS)
    except ArchiveRefused as refused:
        err.print(f"[red]refused:[/] {escape(str(refused))}", soft_wrap=True)
        raise typer.Exit(1) from None


@projections.command("status")
def status_command() -> None:
    """Each subscription's lag behind the event log (the read model, notifications and,
    with a broker, the publisher), in events and in seconds; the read model is both
    projections, with one position."""
    from tickets.bootstrap import open_runtime
    from tickets.cli.outbox import subscriptions_table

    async def run() -> Table:
        async with open_runtime(settings_from_env()) as runtime:
            status = await runtime.dead_letters.status()
        names = ", ".join(sorted(p.name for p in live_projections()))
        table = subscriptions_table(status.subscriptions)
        table.caption = f"{READ_MODEL}: {names}"
        return table

    out.print(event_loop.run(run()))
