"""`tickets migrate --to REVISION`: one schema to a chosen revision, up or down.

Going down undoes migrations, and with them what they hold (a dropped index rebuilds,
a dropped table does not come back): the command shows the steps and asks first, and
without a terminal to ask on it refuses unless --yes says the question is answered.
"""

import sys

import typer
from rich.console import Console
from rich.markup import escape

from tickets import event_loop
from tickets.cli.context import announce, err, redact, settings_from_env

out = Console(highlight=False)


def migrate_to(target: str, yes: bool) -> None:
    from tickets.bootstrap import open_database
    from tickets.infrastructure.migration_plan import (
        UnknownRevision,
        carry_out,
        plan,
        schema_of,
    )

    try:
        schema_of(target)  # before anything starts
    except UnknownRevision as unknown:
        err.print(
            f"[red]{escape(str(unknown))}[/] (or head: both schemas to their latest)",
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    settings = settings_from_env()

    def confirmed() -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            err.print("[red]refusing to roll back without a terminal to confirm: add --yes[/]")
            return False
        return typer.confirm("Roll back?", default=False, err=True)

    async def run() -> bool:
        async with open_database(settings) as (url, read_url):
            chosen = await plan(url, read_url, target)
            where = redact(read_url if chosen.schema == "read" else url)
            if not chosen.steps:
                announce(
                    settings,
                    f"the {chosen.schema} schema is already at {target}: {where}",
                    "migrated",
                    database=where,
                    revision=target,
                )
                return True
            verb = "roll back" if chosen.down else "apply"
            err.print(
                f"{verb} the {chosen.schema} schema of {escape(where)} "
                f"from {chosen.current or 'empty'} to {target}:",
                soft_wrap=True,
            )
            for step in chosen.steps:
                line = f"  {'undo' if chosen.down else 'apply'} {step.revision}: {step.summary}"
                err.print(escape(line), soft_wrap=True)
            if chosen.down and not confirmed():
                return False
            await carry_out(url, read_url, chosen)
            announce(
                settings,
                f"the {chosen.schema} schema is now at {target}: {where}",
                "migrated",
                database=where,
                revision=target,
            )
            return True

    if not event_loop.run(run()):
        raise typer.Exit(1)
