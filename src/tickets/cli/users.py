"""User administration: `tickets users set-role USER --role ROLE`."""

from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console

from tickets import event_loop
from tickets.cli.context import settings_from_env
from tickets.cli.core import app
from tickets.cli.help_format import Typer
from tickets.cli.outbox import operator
from tickets.domain.users import Role

out = Console()
users = Typer(help="User administration.", no_args_is_help=True)
app.add_typer(users, name="users")


@users.command("set-role")
def set_role(
    user: Annotated[str, typer.Argument(help="the user's name or id")],
    role: Annotated[Role, typer.Option(help="the user's one role from now on")],
) -> None:
    """Give USER exactly one role; their tokens carry it within a few seconds."""
    from tickets.application.errors import ApplicationError
    from tickets.application.ports import MessageContext
    from tickets.application.results import UserResult
    from tickets.application.users import ChangeUserRole
    from tickets.bootstrap import open_runtime
    from tickets.domain.errors import DomainError

    try:
        user_id, name = UUID(user), None
    except ValueError:
        user_id, name = None, user
    command = ChangeUserRole(actor=operator(), role=role, user_id=user_id, name=name)

    async def run() -> UserResult:
        async with open_runtime(settings_from_env()) as runtime:
            outcome = await runtime.bus.handle(command, MessageContext(correlation_id="cli"))
            return outcome.result

    try:
        result = event_loop.run(run())
    except (ApplicationError, DomainError) as error:
        out.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    out.print(f"{result.name} ({result.id}) now has the role {', '.join(result.roles)}")
