"""The verified-token memory: a valid token is checked in full once, then only its expiry;
invalid tokens are never remembered."""

import time
from datetime import UTC, datetime

import jwt
import pytest

from tests.unit.test_tokens import ALICE, CONFIG, claims
from tickets.api.auth.tokens import InvalidToken, issue_token
from tickets.api.auth.verified_tokens import VerifiedTokens


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_valid_token_is_verified_once_then_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = VerifiedTokens(CONFIG)
    token = issue_token(ALICE, CONFIG)
    assert tokens.user_for(token) == ALICE

    def must_not_run(*args: object) -> None:
        raise AssertionError("a remembered token is not verified again")

    monkeypatch.setattr("tickets.api.auth.verified_tokens.verify_token_until", must_not_run)
    assert tokens.user_for(token) == ALICE


def test_a_remembered_token_expires_at_its_exp() -> None:
    clock = Clock()
    tokens = VerifiedTokens(CONFIG, clock=clock)
    issued = datetime.fromtimestamp(clock.now, UTC)
    token = issue_token(ALICE, CONFIG, now=issued)
    assert tokens.user_for(token) == ALICE

    clock.now = issued.timestamp() + CONFIG.ttl_seconds  # exp itself is already too late
    with pytest.raises(InvalidToken) as refused:
        tokens.user_for(token)
    assert refused.value.code == "auth.token_expired"


def test_an_invalid_token_is_refused_every_time() -> None:
    tokens = VerifiedTokens(CONFIG)
    forged = jwt.encode(claims(), "another-secret-that-is-long-enough-for-hs256!!", "HS256")
    for _ in range(2):
        with pytest.raises(InvalidToken):
            tokens.user_for(forged)
    assert forged not in tokens._users


def test_the_memory_is_bounded_and_forgets_the_oldest() -> None:
    tokens = VerifiedTokens(CONFIG, capacity=2)
    first, second, third = (
        issue_token(ALICE, CONFIG, now=datetime.fromtimestamp(time.time() - n, UTC))
        for n in (3, 2, 1)
    )
    for token in (first, second, third):
        tokens.user_for(token)
    assert len(tokens._users) == 2
    assert first not in tokens._users
    assert {second, third} == set(tokens._users)
