"""`tickets events tail [--from-start]`: watch the integration events on the broker."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tickets import event_loop
from tickets.cli.core import app, err, settings_from_env, stop_on_signals

out = Console(highlight=False)
events = typer.Typer(help="Integration events on the message broker.")
app.add_typer(events, name="events")


@events.command("tail")
def tail_command(
    from_start: Annotated[
        bool,
        typer.Option(
            "--from-start",
            help="first replay the whole event log from the database, then follow live",
        ),
    ] = False,
    binding: Annotated[
        str, typer.Option(help="topic binding key, e.g. 'ticket.#' or '*.*.v1'")
    ] = "#",
    raw: Annotated[bool, typer.Option("--json", help="print each message body as JSON")] = False,
) -> None:
    """Bind a temporary queue to the exchange and print events as they arrive, each once
    (deduplicated by message_id). Stops on Ctrl-C."""
    from tickets.infrastructure.broker.consumer import tail

    settings = settings_from_env()
    if settings.broker_url is None:
        err.print("[red]TICKETS_BROKER_URL is not set[/] (e.g. amqp://guest:guest@127.0.0.1:5672/)")
        raise typer.Exit(2)
    url, exchange = settings.broker_url, settings.broker_exchange

    async def run() -> None:
        stop = stop_on_signals()
        async with contextlib.AsyncExitStack() as stack:
            past: AsyncIterator[Iterable[Any]] | None = None
            if from_start:
                from tickets.bootstrap import open_runtime
                from tickets.infrastructure.broker.consumer import history
                from tickets.infrastructure.outbox.event_log import EventLog

                runtime = await stack.enter_async_context(open_runtime(settings))
                past = history(EventLog(runtime.pool))
            err.print(f"following [bold]{escape(exchange)}[/] ({escape(binding)}); Ctrl-C stops")
            stream = tail(url, exchange, binding, past)
            following = asyncio.create_task(_print_all(stream, raw))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({following, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in (following, stopping):
                task.cancel()
            if following.done() and not following.cancelled():
                following.result()  # a lost broker connection: say so, do not hang

    try:
        event_loop.run(run())
    except OSError as error:
        err.print(f"[red]cannot reach the broker:[/] {error}")
        raise typer.Exit(1) from None
    except Exception as error:
        if type(error).__module__.startswith(("aio_pika", "aiormq")):
            err.print(f"[red]broker connection failed:[/] {error}")
            raise typer.Exit(1) from None
        raise


async def _print_all(stream: AsyncIterator[Any], raw: bool) -> None:
    async for received in stream:
        if raw:
            out.print(json.dumps(received.body), soft_wrap=True)
            continue
        body = received.body
        origin = "log " if received.replayed else "live"
        data = json.dumps(body.get("data", {}), ensure_ascii=False)
        trace = f" trace {received.trace_id}" if received.trace_id else ""
        out.print(
            f"{origin} {body.get('occurred_at', '')[:19]} {received.routing_key:<22}"
            f" ticket {body.get('ticket_id')} v{body.get('ticket_version')}"
            f" by {escape(str(body.get('actor', {}).get('name')))} {escape(data)}{trace}",
            soft_wrap=True,
        )
