"""Dead-letter administration: list, inspect, retry and discard parked outbox
messages, and the queue's status. Admins only; retry and discard are audited (who,
when, what) by the store. The HTTP admin routes and the CLI both come here."""

# Annotations stay unevaluated: the method named ``list`` would otherwise shadow the
# builtin in the annotations of the class body once a tool rewrites the methods
# (mutation testing does).
from __future__ import annotations

from tickets.application.dead_letters import (
    DeadLetter,
    DeadLetterDetail,
    DiscardDeadLetter,
    GetOutboxStatus,
    ListDeadLetters,
    OutboxStatus,
    RetryDeadLetter,
    ShowDeadLetter,
)
from tickets.application.errors import DeadLetterNotFound
from tickets.application.ports import DeadLetterStore
from tickets.domain.errors import PermissionDenied
from tickets.domain.users import Role, User


def require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied("only admins operate the outbox")


class DeadLetterAdministration:
    def __init__(self, store: DeadLetterStore) -> None:
        self._store = store

    async def list(self, query: ListDeadLetters) -> list[DeadLetter]:
        require_admin(query.actor)
        return await self._store.list_dead(query.limit)

    async def show(self, query: ShowDeadLetter) -> DeadLetterDetail:
        require_admin(query.actor)
        detail = await self._store.get(query.message_id, query.subscription)
        if detail is None:
            raise DeadLetterNotFound(f"no outbox message {query.message_id}")
        return detail

    async def status(self, query: GetOutboxStatus) -> OutboxStatus:
        require_admin(query.actor)
        return await self._store.status()

    async def retry(self, command: RetryDeadLetter) -> DeadLetterDetail:
        require_admin(command.actor)
        if not await self._store.retry(command.message_id, command.actor, command.subscription):
            raise DeadLetterNotFound(f"{command.message_id} is not a dead letter")
        return await self.show(
            ShowDeadLetter(command.actor, command.message_id, command.subscription)
        )

    async def discard(self, command: DiscardDeadLetter) -> DeadLetterDetail:
        require_admin(command.actor)
        if not await self._store.discard(command.message_id, command.actor, command.subscription):
            raise DeadLetterNotFound(f"{command.message_id} is not a dead letter")
        return await self.show(
            ShowDeadLetter(command.actor, command.message_id, command.subscription)
        )
