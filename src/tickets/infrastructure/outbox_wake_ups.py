"""Waking the outbox workers after commands commit: a ``NOTIFY`` on the outbox channel,
sent after the commit and shared by every commit that happened while one was on its way.

Why not inside the command's transaction (a trigger did that until migration 0005):
PostgreSQL serializes every transaction that notifies on one lock for the whole server,
held until its commit is flushed. With a NOTIFY in every command, commands committed
one at a time, without group commit, and that lock was the command path's ceiling
(docs/benchmarks.md, "This round: where the commands' time went"). Here the command's
transaction takes no such lock; one small transaction per wake-up does.

Why no wake-up is lost: a worker claims with a snapshot taken after the NOTIFY it woke
for committed, and that NOTIFY is sent only after the commits it stands for. A commit
that happens while a NOTIFY is on its way asks for another one, sent when that one is
done. A wake-up that cannot be sent (the database is away) is dropped: the workers'
poll (``TICKETS_OUTBOX_POLL_SECONDS``) finds those rows, as it finds the rows of a
process that crashed between its commit and its NOTIFY.
"""

import asyncio
import contextlib
import logging

import asyncpg

from tickets.infrastructure.outbox_rows import NOTIFY_CHANNEL

log = logging.getLogger("tickets.outbox")
NOTIFY = "SELECT pg_notify($1, '')"
SEND_TIMEOUT_SECONDS = 5.0


class OutboxWakeUps:
    """Sends the outbox NOTIFY for commits, at most one at a time per process."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._sending: asyncio.Task[None] | None = None
        self._again = False
        self.sent = 0

    def after_commit(self) -> None:
        """Ask for a NOTIFY that is sent after this moment (never waits)."""
        if self._sending is not None:
            # The NOTIFY on its way may have been sent before this commit: one more.
            self._again = True
            return
        self._sending = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        try:
            again = True
            while again:
                # Cleared before sending: a commit from now on asks for the next one.
                self._again = False
                await self._pool.execute(NOTIFY, NOTIFY_CHANNEL, timeout=SEND_TIMEOUT_SECONDS)
                self.sent += 1
                again = self._again
        except Exception as error:
            log.debug("outbox wake-up not sent (%r); the workers' poll finds the rows", error)
        finally:
            self._sending = None

    async def aclose(self) -> None:
        """Wait for the wake-up on its way (a CLI process ending after its command)."""
        if self._sending is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._sending), SEND_TIMEOUT_SECONDS)
