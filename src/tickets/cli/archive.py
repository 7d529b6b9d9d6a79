"""`tickets events archive --before YYYY-MM --to FILE`: old months of the log to a file."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tickets import event_loop
from tickets.cli.context import err, settings_from_env
from tickets.cli.events import events

out = Console(highlight=False)


@events.command("archive")
def archive_command(
    before: Annotated[str, typer.Option(help="archive the months before this one (YYYY-MM)")],
    to: Annotated[Path, typer.Option(help="a new file: gzip-compressed JSON lines")],
) -> None:
    """Write every event of the months before --before to a file, check the file by
    re-reading it, then drop those months' partitions. Refused (nothing changed) while a
    subscription has not passed them or a ticket with events there is parked."""
    from tickets.bootstrap import open_runtime
    from tickets.infrastructure.outbox.archive import archive, parse_month
    from tickets.infrastructure.outbox.archive_file import ArchiveRefused

    async def run() -> None:
        month = parse_month(before)
        async with open_runtime(settings_from_env()) as runtime:
            done = await archive(runtime.pools.write, runtime.dispatcher.subscriptions, month, to)
        out.print(f"archived {done.count} events of {', '.join(done.months)} to {escape(str(to))}")

    try:
        event_loop.run(run())
    except ArchiveRefused as refused:
        err.print(f"[red]refused:[/] {escape(str(refused))}", soft_wrap=True)
        raise typer.Exit(1) from None
