"""Read-your-writes: wait, bounded, until the read model shows a ticket at a version.

One LISTEN connection on the read database receives the `ticket:version` notices the
details projection sends on commit, and wakes the requests waiting for that ticket.
A waiter registers before it checks the current version, so a notice that arrives
between the check and the wait is not missed. Without a listener (connection lost),
waiters fall back to a short poll until their deadline, and the listener reconnects
in the background.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Protocol
from uuid import UUID

import asyncpg

from tickets.readmodel.ticket_details import READ_CHANNEL

log = logging.getLogger("tickets.readmodel")
VersionOf = Callable[[], Awaitable[int | None]]


class Pauses(Protocol):
    """The pauses between reconnects (infrastructure.backoff.Backoff, given by the
    composition root: the read model does not import the infrastructure)."""

    def next(self) -> float: ...

    def reset(self) -> None: ...


class VersionWaiter:
    def __init__(
        self, connect: Callable[[], Awaitable[asyncpg.Connection]], pauses: Pauses
    ) -> None:
        self._connect = connect
        self._pauses = pauses
        self._listener: asyncpg.Connection | None = None
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._stopped = False
        self._relisten: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        return self._listener is not None

    async def start(self) -> None:
        self._stopped = False
        if not await self._listen():
            self._listen_again()

    async def stop(self) -> None:
        self._stopped = True
        if self._relisten is not None:
            self._relisten.cancel()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    async def _listen(self) -> bool:
        try:
            listener = await self._connect()
            await listener.add_listener(READ_CHANNEL, self._on_notice)
            listener.add_termination_listener(self._on_lost)
        except Exception as error:  # waiting still works, by polling
            log.warning("read-your-writes listener unavailable (%s); polling instead", error)
            return False
        self._listener = listener
        return True

    def _on_lost(self, *_: object) -> None:
        self._listener = None
        self._listen_again()

    def _listen_again(self) -> None:
        """Reconnect in the background, backing off, until listening or stopped."""
        if self._stopped or (self._relisten is not None and not self._relisten.done()):
            return

        async def again() -> None:
            self._pauses.reset()
            while not self._stopped and self._listener is None:
                await asyncio.sleep(self._pauses.next())
                if await self._listen():
                    log.info("read-your-writes listener connected again")

        self._relisten = asyncio.get_running_loop().create_task(again())

    def _on_notice(self, _connection: object, _pid: int, _channel: str, payload: object) -> None:
        ticket, _, _version = str(payload).partition(":")
        for event in self._waiters.get(ticket, ()):
            event.set()

    async def wait_for(
        self, ticket_id: UUID, version: int, current: VersionOf, within: float
    ) -> int | None:
        """Wait until ``current()`` is at least ``version`` or ``within`` seconds pass;
        returns the last version seen (None if the ticket is not there at all)."""
        key = str(ticket_id)
        woken = asyncio.Event()
        self._waiters[key].add(woken)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + within
            while True:
                woken.clear()  # before reading: a notice during the read still wakes us
                seen = await current()
                remaining = deadline - loop.time()
                if (seen is not None and seen >= version) or remaining <= 0:
                    return seen
                poll = remaining if self._listener is not None else min(remaining, 0.05)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), poll)
        finally:
            self._waiters[key].discard(woken)
            if not self._waiters[key]:
                del self._waiters[key]
