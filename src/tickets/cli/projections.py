"""`tickets projections rebuild [NAME]` and `tickets projections status`."""

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import TaskID
from rich.table import Table

from tickets import event_loop
from tickets.cli.core import app, progress_bar, settings_from_env
from tickets.readmodel.catalog import READ_MODEL, REBUILDABLE, live_projections

out = Console()
projections = typer.Typer(help="Read-model projections: rebuild from the log, show lag.")
app.add_typer(projections, name="projections")


@projections.command("rebuild")
def rebuild_command(
    name: Annotated[str | None, typer.Argument(help="one projection; default: all")] = None,
) -> None:
    """Replay the event log into fresh tables, then swap them in (reads keep working)."""
    from tickets.bootstrap import open_runtime
    from tickets.infrastructure.outbox.event_log import EventLog
    from tickets.readmodel.rebuild import rebuild

    if name is not None and name not in REBUILDABLE:
        out.print(f"[red]unknown projection {name!r}; known: {', '.join(REBUILDABLE)}[/]")
        raise typer.Exit(2)
    names = [name] if name else list(REBUILDABLE)

    async def run() -> None:
        async with open_runtime(settings_from_env()) as runtime:
            for each in names:
                with progress_bar(out) as bar:
                    task = bar.add_task(f"rebuilding {each}", total=None)

                    def report(done: int, total: int, task: TaskID = task) -> None:
                        bar.update(task, completed=done, total=total)

                    applied = await rebuild(
                        REBUILDABLE[each], runtime.read_pool, EventLog(runtime.pool), report
                    )
                out.print(f"{each}: {applied} events replayed, tables swapped in")

    event_loop.run(run())


@projections.command("status")
def status_command() -> None:
    """The read model's lag behind the event log, in events and in seconds (both
    projections are one subscription, ``read_model``, with one position)."""
    from tickets.bootstrap import open_runtime
    from tickets.cli.outbox import subscriptions_table

    async def run() -> Table:
        async with open_runtime(settings_from_env()) as runtime:
            status = await runtime.dead_letters.status()
        names = {p.name for p in live_projections()}
        read = [s for s in status.subscriptions if s.subscription == READ_MODEL]
        table = subscriptions_table(read)
        table.title = f"projections ({', '.join(sorted(names))})"
        return table

    out.print(event_loop.run(run()))
