"""The `tickets` app and its core commands: serve, migrate, token."""

import asyncio
import signal
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from tickets.config import Settings
from tickets.domain.users import Role
from tickets.logging_setup import configure_logging

app = typer.Typer(help="Tickets: event-driven ticket management service.", no_args_is_help=True)
err = Console(stderr=True)


def settings_from_env() -> Settings:
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    return settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Serve the HTTP API (starting the embedded PostgreSQL when no URL is configured)."""
    from tickets.bootstrap import build_app

    settings = settings_from_env()
    where = (settings.database_url and "external database") or f"embedded ({settings.data_dir})"
    err.print(f"[bold]tickets[/] serving on http://{host}:{port} (docs at /docs), {where}")
    uvicorn.run(
        build_app(settings),
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations to the configured database."""
    from tickets.bootstrap import open_runtime

    async def run() -> None:
        async with open_runtime(settings_from_env()) as runtime:  # migrates on open
            err.print(f"migrated: {_redact(runtime.database_url)}")

    asyncio.run(run())


@app.command()
def token(
    username: Annotated[str, typer.Argument(help="user name; created on first use")],
    role: Annotated[Role, typer.Option(help="role carried by the token")] = Role.REQUESTER,
) -> None:
    """Print a bearer token for USERNAME (registering the user if new)."""
    from tickets.api.auth.tokens import issue_token
    from tickets.application.commands import RegisterUser
    from tickets.application.ports import MessageContext
    from tickets.bootstrap import open_runtime

    async def run() -> str:
        async with open_runtime(settings_from_env()) as runtime:
            outcome = await runtime.bus.handle(
                RegisterUser(name=username, role=role), MessageContext(correlation_id="cli")
            )
            return issue_token(outcome.result.user(), runtime.auth)

    print(asyncio.run(run()))


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def main() -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops like Ctrl-C
    app()
