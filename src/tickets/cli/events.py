"""`tickets events tail [--from-start]`: watch the integration events on the broker."""

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Iterable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tickets import event_loop
from tickets.cli.context import err, settings_from_env
from tickets.cli.core import app
from tickets.cli.help_format import Typer
from tickets.cli.signals import stop_on_signals

out = Console(highlight=False)
STOP_GRACE_SECONDS = 5.0
"""Closing a broker connection and a database pool takes well under a second."""
YIELD_EVERY = 100
"""Printing a replayed batch (2,000 events) awaits nothing, so the event loop, and with
it a Ctrl-C's handler, would wait for the whole batch: let the loop run every 100."""
events = Typer(help="Events: follow them on the message broker, archive old months of the log.")
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
        stop = stop_on_signals(STOP_GRACE_SECONDS)
        async with contextlib.AsyncExitStack() as stack:
            past: AsyncGenerator[Iterable[Any], None] | None = None
            if from_start:
                from tickets.bootstrap import open_runtime
                from tickets.infrastructure.broker.consumer import history
                from tickets.infrastructure.outbox.event_log import EventLog

                runtime = await stack.enter_async_context(open_runtime(settings))
                past = history(EventLog(runtime.pools.write))
            err.print(f"following [bold]{escape(exchange)}[/] ({escape(binding)}); Ctrl-C stops")
            stream = tail(url, exchange, binding, past)
            following = asyncio.create_task(_print_all(stream, raw))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({following, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in (following, stopping):
                task.cancel()
            # Wait for the follower's own clean-up (the broker connection, the replay's
            # database connection) before the exit stack closes the pools under it: a
            # pool closed while a cancelled replay still holds one of its connections
            # is what used to hang the exit.
            await asyncio.wait({following, stopping})
            if not following.cancelled() and following.exception() is not None:
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


async def _print_all(stream: AsyncGenerator[Any, None], raw: bool) -> None:
    # aclosing: cancelled, the stream is closed here and now (its broker and database
    # connections with it), not whenever the generator is collected
    async with contextlib.aclosing(stream) as received_messages:
        printed = 0
        async for received in received_messages:
            printed += 1
            if printed % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # a replayed batch awaits nothing: see YIELD_EVERY
            _print(received, raw)


def _print(received: Any, raw: bool) -> None:
    if raw:
        out.print(json.dumps(received.body), soft_wrap=True)
        return
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
