"""The `tickets` app and its core commands: serve, migrate, token."""

import errno
import signal
import socket
from typing import Annotated

import typer

from tickets import event_loop
from tickets.cli.context import Verbosity, announce, err, redact, settings_from_env
from tickets.cli.errors import StartupRefused, enable_debug, reported_errors
from tickets.cli.help_format import Typer
from tickets.domain.users import Role
from tickets.version import version

app = Typer(help="Tickets: event-driven ticket management service.", no_args_is_help=True)


def _print_version(asked: bool) -> None:
    if asked:
        print(f"tickets {version()}")
        raise typer.Exit()


@app.callback()
def options(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the traceback of a startup error")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="log at INFO (commands other than serve and worker log "
            "warnings only, unless TICKETS_LOG_LEVEL says otherwise)",
        ),
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """Tickets: event-driven ticket management service."""
    if debug:
        enable_debug()
    Verbosity.verbose = verbose


def check_port(host: str, port: int) -> None:
    """Bind and release ``host:port`` the way uvicorn will, so a busy port is reported
    before the database, the migrations and the worker start rather than after."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn chooses
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror:
            raise StartupRefused(f"--host {host}: not an address or name of this machine") from None
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise StartupRefused(
                    f"port {port} on {host} is already in use (another `tickets serve`?): "
                    "stop that process or choose another port with --port"
                ) from None
            if error.errno == errno.EACCES:
                raise StartupRefused(
                    f"not allowed to listen on port {port}: choose one above 1023 with --port"
                ) from None
            raise StartupRefused(f"cannot listen on {host}:{port}: {error.strerror}") from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API processes sharing the port; with more than 1, the outbox worker "
            "runs in one process of its own beside them",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (starting the embedded PostgreSQL when no URL is configured)."""
    from tickets.bootstrap import describe_database, preflight
    from tickets.server import run_api

    settings = settings_from_env(service=True)
    check_port(host, port)
    event_loop.run(preflight(settings))
    where = describe_database(settings)
    url = f"http://{host}:{port}"
    processes = f", {workers} processes" if workers > 1 else ""
    text = f"[bold]tickets[/] serving on {url} (docs at /docs), {where}{processes}"
    announce(settings, text, "serving", url=url, docs="/docs", database=where)
    run_api(settings, host, port, workers)


@app.command()
def migrate(
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="REVISION",
            help="move that revision's schema to it, up or down (a rollback asks first); "
            "default: both schemas to their latest",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="roll back without asking (needed without a terminal)")
    ] = False,
) -> None:
    """Apply database migrations to the configured database, or move one schema to a
    chosen revision (docs/operations.md, "Roll back a migration")."""
    from tickets.bootstrap import open_runtime

    if to is not None and to != "head":
        from tickets.cli.migrate_to import migrate_to

        migrate_to(to, yes)
        return
    settings = settings_from_env()

    async def run() -> None:
        async with open_runtime(settings) as runtime:  # migrates on open
            url = redact(runtime.database_url)
            announce(settings, f"migrated: {url}", "migrated", database=url)

    event_loop.run(run())


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
    from tickets.domain.users import RoleMismatch

    async def run() -> str | None:
        async with open_runtime(settings_from_env()) as runtime:
            if not runtime.auth.local_tokens:
                return None
            outcome = await runtime.bus.handle(
                RegisterUser(name=username, role=role), MessageContext(correlation_id="cli")
            )
            return issue_token(outcome.result.user(), runtime.auth)

    try:
        issued = event_loop.run(run())
    except RoleMismatch as refused:  # a short answer, not a traceback
        err.print(f"[red]{refused}[/]")
        raise typer.Exit(1) from None
    if issued is None:
        err.print(
            "[red]TICKETS_JWT_JWKS_URL is set: only the identity provider's tokens are "
            "accepted (TICKETS_DEV_LOGIN=true accepts this service's own as well)[/]"
        )
        raise typer.Exit(1)
    print(issued)


def main() -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops like Ctrl-C
    with reported_errors():
        app()
