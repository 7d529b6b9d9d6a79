"""The verified-token memory: a valid token is checked in full once, then only its expiry;
invalid tokens are never remembered; the roles in effect are the users table's, re-read
at most every few seconds, so a role change reaches every process's old tokens."""

import dataclasses
import time
from datetime import UTC, datetime
from uuid import UUID, uuid4

import jwt
import pytest

from tests.unit.test_tokens import ALICE, CONFIG, claims
from tickets.api.auth.tokens import InvalidToken, issue_token
from tickets.api.auth.verified_tokens import VerifiedTokens
from tickets.domain.users import Role, User


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Roles:
    """The users table's roles column, shared by every 'process' of a test."""

    def __init__(self, *users: User) -> None:
        self.roles: dict[UUID, frozenset[Role]] = {u.id: u.roles for u in users}
        self.reads = 0

    async def roles_of(self, user_id: UUID) -> frozenset[Role] | None:
        self.reads += 1
        return self.roles.get(user_id)


async def test_a_valid_token_is_verified_once_then_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = VerifiedTokens(CONFIG)
    token = issue_token(ALICE, CONFIG)
    assert await tokens.user_for(token) == ALICE

    def must_not_run(*args: object) -> None:
        raise AssertionError("a remembered token is not verified again")

    monkeypatch.setattr("tickets.api.auth.verified_tokens.verify_token_until", must_not_run)
    assert await tokens.user_for(token) == ALICE


async def test_a_remembered_token_expires_at_its_exp() -> None:
    clock = Clock()
    tokens = VerifiedTokens(CONFIG, clock=clock)
    issued = datetime.fromtimestamp(clock.now, UTC)
    token = issue_token(ALICE, CONFIG, now=issued)
    assert await tokens.user_for(token) == ALICE

    clock.now = issued.timestamp() + CONFIG.ttl_seconds  # exp itself is already too late
    with pytest.raises(InvalidToken) as refused:
        await tokens.user_for(token)
    assert refused.value.code == "auth.token_expired"


async def test_an_invalid_token_is_refused_every_time() -> None:
    tokens = VerifiedTokens(CONFIG)
    forged = jwt.encode(claims(), "another-secret-that-is-long-enough-for-hs256!!", "HS256")
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await tokens.user_for(forged)
    assert forged not in tokens._users


async def test_the_memory_is_bounded_and_forgets_the_oldest() -> None:
    tokens = VerifiedTokens(CONFIG, capacity=2)
    first, second, third = (
        issue_token(ALICE, CONFIG, now=datetime.fromtimestamp(time.time() - n, UTC))
        for n in (3, 2, 1)
    )
    for token in (first, second, third):
        await tokens.user_for(token)
    assert len(tokens._users) == 2
    assert first not in tokens._users
    assert {second, third} == set(tokens._users)


async def test_local_tokens_can_be_switched_off() -> None:
    tokens = VerifiedTokens(dataclasses.replace(CONFIG, local_tokens=False))
    with pytest.raises(InvalidToken):
        await tokens.user_for(issue_token(ALICE, CONFIG))


# --- roles follow the users table ----------------------------------------------------------

BOB = User(uuid4(), "bob", frozenset({Role.APPROVER}))


async def test_the_roles_in_effect_are_the_stored_ones() -> None:
    roles = Roles(BOB)
    roles.roles[BOB.id] = frozenset({Role.REQUESTER})  # changed after the token was issued
    tokens = VerifiedTokens(CONFIG, user_roles=roles)
    user = await tokens.user_for(issue_token(BOB, CONFIG))
    assert user == User(BOB.id, "bob", frozenset({Role.REQUESTER}))


async def test_a_role_change_reaches_old_tokens_in_every_process_within_the_ttl() -> None:
    clock, roles = Clock(), Roles(BOB)
    changed_here = VerifiedTokens(CONFIG, clock=clock, user_roles=roles, roles_ttl=5)
    elsewhere = VerifiedTokens(CONFIG, clock=clock, user_roles=roles, roles_ttl=5)
    token = issue_token(BOB, CONFIG, now=datetime.fromtimestamp(clock.now, UTC))
    for process in (changed_here, elsewhere):
        assert (await process.user_for(token)).roles == {Role.APPROVER}

    roles.roles[BOB.id] = frozenset({Role.REQUESTER})  # the admin's command commits
    changed_here.forget_user(BOB.id)
    assert (await changed_here.user_for(token)).roles == {Role.REQUESTER}  # at once

    clock.now += 4.9  # the other process may still use what it read, for under the ttl
    assert (await elsewhere.user_for(token)).roles == {Role.APPROVER}
    clock.now += 0.1
    assert (await elsewhere.user_for(token)).roles == {Role.REQUESTER}


async def test_roles_are_read_once_per_user_per_ttl() -> None:
    clock, roles = Clock(), Roles(BOB)
    tokens = VerifiedTokens(CONFIG, clock=clock, user_roles=roles, roles_ttl=5)
    issued = datetime.fromtimestamp(clock.now, UTC)
    first, second = issue_token(BOB, CONFIG, now=issued), issue_token(BOB, CONFIG)
    for token in (first, second, first, second):
        await tokens.user_for(token)
    assert roles.reads == 1
    clock.now += 5
    await tokens.user_for(first)
    assert roles.reads == 2


async def test_a_token_of_a_user_not_on_record_is_refused() -> None:
    tokens = VerifiedTokens(CONFIG, user_roles=Roles())
    with pytest.raises(InvalidToken):
        await tokens.user_for(issue_token(BOB, CONFIG))
