"""Dead-letter administration on an in-memory store: admins only, audited by the
store, and a message that is not a dead letter is not found."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from tests.unit.builders import admin, approver, requester
from tickets.application.dead_letter_admin import DeadLetterAdministration
from tickets.application.dead_letters import (
    AuditEntry,
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
from tickets.domain.errors import PermissionDenied
from tickets.domain.users import User

DAVE = admin("dave")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def letter(message_id: UUID) -> DeadLetter:
    return DeadLetter(
        message_id, 1, uuid4(), 1, "ticket.created.v1", 3, "boom", NOW, 0, "read_model"
    )


class FakeDeadLetters:
    """Dead letters by id; retry and discard change the status and audit who did it."""

    def __init__(self, *dead: UUID) -> None:
        self.details = {i: DeadLetterDetail(letter(i), "dead", {}, {}, [], []) for i in dead}
        self.limits: list[int] = []
        self.subscriptions: list[str | None] = []

    async def list_dead(self, limit: int) -> list[DeadLetter]:
        self.limits.append(limit)
        return [d.letter for d in self.details.values() if d.status == "dead"][:limit]

    async def get(
        self, message_id: UUID, subscription: str | None = None
    ) -> DeadLetterDetail | None:
        self.subscriptions.append(subscription)
        return self.details.get(message_id)

    async def retry(self, message_id: UUID, actor: User, subscription: str | None = None) -> bool:
        self.subscriptions.append(subscription)
        return self._move(message_id, actor, "retry", "pending")

    async def discard(self, message_id: UUID, actor: User, subscription: str | None = None) -> bool:
        self.subscriptions.append(subscription)
        return self._move(message_id, actor, "discard", "discarded")

    async def status(self) -> OutboxStatus:
        return OutboxStatus(0, 0, len(self.details), 0.0, [], [])

    def _move(self, message_id: UUID, actor: User, action: str, status: str) -> bool:
        detail = self.details.get(message_id)
        if detail is None or detail.status != "dead":
            return False
        audit = [*detail.audit, AuditEntry(action, actor.id, actor.name, NOW)]
        self.details[message_id] = DeadLetterDetail(detail.letter, status, {}, {}, [], audit)
        return True


Act = Callable[[DeadLetterAdministration, User, UUID], Awaitable[object]]
ACTS: dict[str, Act] = {
    "list": lambda a, u, _: a.list(ListDeadLetters(u)),
    "show": lambda a, u, i: a.show(ShowDeadLetter(u, i)),
    "status": lambda a, u, _: a.status(GetOutboxStatus(u)),
    "retry": lambda a, u, i: a.retry(RetryDeadLetter(u, i)),
    "discard": lambda a, u, i: a.discard(DiscardDeadLetter(u, i)),
}


@pytest.mark.parametrize("act", ACTS.values(), ids=ACTS.keys())
@pytest.mark.parametrize("who", [requester(), approver()], ids=["requester", "approver"])
async def test_only_admins_operate_the_outbox(act: Act, who: User) -> None:
    message_id = uuid4()
    store = FakeDeadLetters(message_id)
    with pytest.raises(PermissionDenied, match=r"^only admins operate the outbox$"):
        await act(DeadLetterAdministration(store), who, message_id)
    assert store.details[message_id].status == "dead"
    assert store.limits == []


async def test_an_admin_lists_shows_and_counts() -> None:
    message_id = uuid4()
    store = FakeDeadLetters(message_id, uuid4())
    administration = DeadLetterAdministration(store)
    assert len(await administration.list(ListDeadLetters(DAVE, limit=1))) == 1
    assert store.limits == [1]
    shown = await administration.show(ShowDeadLetter(DAVE, message_id))
    assert shown.letter.id == message_id
    assert (await administration.status(GetOutboxStatus(DAVE))).dead == 2


@pytest.mark.parametrize(("name", "status"), [("retry", "pending"), ("discard", "discarded")])
async def test_retry_and_discard_are_audited_and_show_the_result(name: str, status: str) -> None:
    message_id = uuid4()
    store = FakeDeadLetters(message_id)
    detail = await ACTS[name](DeadLetterAdministration(store), DAVE, message_id)
    assert isinstance(detail, DeadLetterDetail)
    assert detail.letter.id == message_id
    assert detail.status == status
    assert [(a.action, a.actor_id) for a in detail.audit] == [(name, DAVE.id)]


@pytest.mark.parametrize("name", ["retry", "discard"])
async def test_only_a_dead_letter_is_retried_or_discarded(name: str) -> None:
    message_id = uuid4()
    store = FakeDeadLetters(message_id)
    await ACTS[name](DeadLetterAdministration(store), DAVE, message_id)
    with pytest.raises(DeadLetterNotFound) as raised:
        await ACTS[name](DeadLetterAdministration(store), DAVE, message_id)
    assert str(raised.value) == f"{message_id} is not a dead letter"
    assert len(store.details[message_id].audit) == 1


async def test_an_unknown_message_is_not_found() -> None:
    unknown = uuid4()
    with pytest.raises(DeadLetterNotFound) as raised:
        await DeadLetterAdministration(FakeDeadLetters()).show(ShowDeadLetter(DAVE, unknown))
    assert str(raised.value) == f"no outbox message {unknown}"
    assert raised.value.code == "dead_letter.not_found"


async def test_the_subscription_named_reaches_the_store() -> None:
    retried, discarded = uuid4(), uuid4()
    store = FakeDeadLetters(retried, discarded)
    administration = DeadLetterAdministration(store)
    await administration.retry(RetryDeadLetter(DAVE, retried, "broker"))
    await administration.discard(DiscardDeadLetter(DAVE, discarded, "notifications"))
    await administration.show(ShowDeadLetter(DAVE, retried, "read_model"))
    assert store.subscriptions == [
        "broker",
        "broker",
        "notifications",
        "notifications",
        "read_model",
    ], "each act, then the show of its result, for the subscription named"
