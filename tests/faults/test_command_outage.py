"""Commands while the database is away: each one is refused as ServiceUnavailable (an
HTTP 503), never an unexpected error, and commands work again once it is back."""

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import settings_for
from tests.integration.conftest import context, register
from tickets.api.problems import STATUS_BY_ERROR
from tickets.application.commands import CreateTicket, EditTicket, SubmitTicket
from tickets.application.errors import ServiceUnavailable
from tickets.bootstrap import open_runtime
from tickets.infrastructure.embedded import start_embedded


async def test_commands_during_a_database_restart_are_refused_as_unavailable() -> None:
    assert (ServiceUnavailable, 503) in [(cls, status) for cls, status, _ in STATUS_BY_ERROR]
    data_dir = Path(tempfile.mkdtemp(prefix="tickets-outage-"))
    server = await asyncio.to_thread(start_embedded, data_dir)
    try:
        async with open_runtime(settings_for(server.url)) as runtime:
            author = await register(runtime)
            created = await runtime.bus.handle(CreateTicket(actor=author, title="T"), context())
            ticket_id = created.result.id

            await asyncio.to_thread(server.stop)  # the pool's connections are now dead
            for command in (
                CreateTicket(actor=author, title="during"),
                EditTicket(actor=author, ticket_id=ticket_id, title="during"),
            ):
                with pytest.raises(ServiceUnavailable):
                    await runtime.bus.handle(command, context())

            server = await asyncio.to_thread(start_embedded, data_dir)
            outcomes: list[str] = []
            for _ in range(5):  # stale pooled connections are dropped as they fail
                try:
                    submitted = await runtime.bus.handle(
                        SubmitTicket(actor=author, ticket_id=ticket_id), context()
                    )
                except ServiceUnavailable:
                    outcomes.append("unavailable")
                    continue
                assert submitted.result.version == 2, "nothing written while it was away"
                outcomes.append("ok")
                break
            assert outcomes[-1] == "ok", outcomes
    finally:
        await asyncio.to_thread(server.stop)
        shutil.rmtree(data_dir, ignore_errors=True)
