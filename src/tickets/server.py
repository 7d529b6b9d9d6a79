"""How `tickets serve` runs the API: one process or N sharing one port, with the HTTP
server's configuration (server_options.py), and where the outbox worker runs.

Where the worker runs: with one API process it runs inside it (`TICKETS_RUN_WORKER`,
default on), as it always has. With N > 1 the API processes run none; `serve` starts one
`tickets worker` process beside them instead and restarts it if it dies, so adding API
processes never adds claim loops competing for the same outbox rows. More delivery
throughput is a separate choice: `tickets worker --processes M`.
"""

import gc
import logging
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from tickets.api_processes import serve_processes
from tickets.config import Settings
from tickets.logging_setup import configure_logging
from tickets.server_options import server_options
from tickets.supervisor import Supervisor

log = logging.getLogger("tickets")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FreezeAfterStartup:
    """ASGI wrapper: once the lifespan startup completes, move every object allocated so
    far (modules, the app, pools) out of the garbage collector's generations, so its full
    collections stop walking that long-lived heap during requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_then_freeze(message: Message) -> None:
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                gc.collect()
                gc.freeze()

        await self.app(scope, receive, send_then_freeze)


def api_process_app() -> ASGIApp:
    """The app for one of the N API processes of `serve --workers N` (uvicorn's factory,
    called in each process): settings from the environment, as the parent read them,
    but never the in-process outbox worker, which runs in a process of its own beside
    them. Said here rather than by changing the parent's environment before the
    processes start."""
    from tickets.bootstrap import build_app

    settings = Settings().model_copy(update={"run_worker": False})
    configure_logging(settings.log_format, settings.log_level)
    return FreezeAfterStartup(build_app(settings))


def run_api(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve until SIGINT/SIGTERM; with ``workers`` > 1, N processes share the socket and
    one outbox worker process runs beside them (if the settings run a worker)."""
    if workers == 1:
        from tickets.bootstrap import build_app

        options = {**server_options(), "host": host, "port": port}
        uvicorn.run(FreezeAfterStartup(build_app(settings)), **options)
        return
    embedded = _hold_embedded(settings)
    worker = None
    if settings.run_worker:
        worker = Supervisor([sys.executable, "-m", "tickets", "worker"], processes=1)
        worker.start()
    try:
        # A process that fails (say, the database refused it at startup) is restarted
        # after a pause that grows while it keeps failing, as a worker process is.
        code = serve_processes("tickets.server:api_process_app", host, port, workers)
        if code:
            raise SystemExit(f"an API process exited with {code}")
    finally:
        if worker is not None:
            worker.stop()
        if embedded is not None:
            embedded.stop()


def _hold_embedded(settings: Settings) -> Any:
    """Start the embedded server once, before N processes join it at the same moment; this
    process keeps a handle until the last child has stopped."""
    if not settings.embedded:
        return None
    from tickets.infrastructure.embedded import start_embedded, usable_data_dir

    return start_embedded(usable_data_dir(settings.data_dir, settings.data_dir_is_explicit))
