"""A misbehaving identity provider (slow, dripping, failing, not JSON) never blocks a
token whose key is known, is asked at most once per cooldown whatever happened last,
and is used again as soon as it is healthy. Time is a fake clock; no test sleeps."""

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest

from tests.support.identity_provider import (
    AUDIENCE,
    ISSUER,
    IdentityProvider,
    SigningKey,
    access_claims,
    serving_jwks,
)
from tickets.api.auth.jwks import JwksConfig, JwksVerifier
from tickets.api.auth.jwks_keys import JwksKeys
from tickets.api.auth.tokens import InvalidToken
from tickets.application.errors import ServiceUnavailable

KNOWN = SigningKey.rsa("known")
GENEROUS = 20.0  # seconds: a deadline only a hang would pass


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def provider() -> Iterator[IdentityProvider]:
    with serving_jwks(KNOWN) as running:
        yield running


def verifier(provider: IdentityProvider, clock: Clock, **changes: float) -> JwksVerifier:
    config = JwksConfig(provider.url, ISSUER, AUDIENCE, roles_claim="realm_access.roles")
    config = dataclasses.replace(config, **changes)
    keys = JwksKeys(
        config.url,
        deadline_seconds=config.fetch_timeout_seconds,
        cache_seconds=config.cache_seconds,
        cooldown_seconds=config.refetch_cooldown_seconds,
        clock=clock,
    )
    return JwksVerifier(config, keys)


def unknown_kid_token(n: int = 0) -> str:
    return SigningKey.ec(f"made-up-{n}").sign(access_claims())


async def held(provider: IdentityProvider) -> None:
    """Until the provider holds (or drips) a request."""
    assert await asyncio.to_thread(provider.holding.wait, GENEROUS)


@pytest.mark.parametrize("mode", ["not-json", "error"])
async def test_a_broken_jwks_is_unavailable_for_an_unknown_kid(
    provider: IdentityProvider, mode: str
) -> None:
    provider.mode = mode
    with pytest.raises(ServiceUnavailable):
        await verifier(provider, Clock()).verify(unknown_kid_token())


async def test_the_cooldown_applies_to_failed_fetches(provider: IdentityProvider) -> None:
    clock = Clock()
    checker = verifier(provider, clock, refetch_cooldown_seconds=5)
    provider.mode = "error"
    for n in range(20):
        with pytest.raises(ServiceUnavailable):
            await checker.verify(unknown_kid_token(n))
    assert provider.fetches == 1
    provider.mode = "ok"
    with pytest.raises(ServiceUnavailable):  # still within the cooldown: not asked again
        await checker.verify(KNOWN.sign(access_claims()))
    assert provider.fetches == 1
    clock.now += 5
    user, _ = await checker.verify(KNOWN.sign(access_claims()))  # healthy again: it works
    assert user.name == "user-u-1"
    assert provider.fetches == 2


async def test_after_a_successful_fetch_an_unknown_kid_is_401_within_the_cooldown(
    provider: IdentityProvider,
) -> None:
    clock = Clock()
    checker = verifier(provider, clock, refetch_cooldown_seconds=5)
    await checker.verify(KNOWN.sign(access_claims()))
    for n in range(5):
        with pytest.raises(InvalidToken):
            await checker.verify(unknown_kid_token(n))
    assert provider.fetches == 1  # the load itself started the cooldown
    clock.now += 5
    for n in range(5):
        with pytest.raises(InvalidToken):
            await checker.verify(unknown_kid_token(n))
    assert provider.fetches == 2  # one refetch, for the first made-up kid after the cooldown


async def test_a_known_kid_never_waits_for_a_hanging_refresh(provider: IdentityProvider) -> None:
    clock = Clock()
    checker = verifier(provider, clock, fetch_timeout_seconds=GENEROUS * 2)
    await checker.verify(KNOWN.sign(access_claims()))
    provider.mode = "hold"
    clock.now += 5  # past the cooldown the load started
    waiting = asyncio.create_task(checker.verify(unknown_kid_token()))
    await held(provider)
    clock.now += 3600  # the cached set is stale as well: a refresh is due
    for subject in ("a", "b", "c"):
        user, _ = await asyncio.wait_for(
            checker.verify(KNOWN.sign(access_claims(subject))), GENEROUS
        )
        assert user.name == f"user-{subject}"
    assert not waiting.done()  # the refresh is still held by the provider
    assert provider.fetches == 2  # one refresh at a time: the stale set started none
    provider.release.set()
    with pytest.raises(InvalidToken):
        await asyncio.wait_for(waiting, GENEROUS)


async def test_one_refresh_at_a_time(provider: IdentityProvider) -> None:
    checker = verifier(provider, Clock(), refetch_cooldown_seconds=0)
    provider.mode = "hold"
    tokens = [unknown_kid_token(n) for n in range(10)]
    waiting = [asyncio.create_task(checker.verify(t)) for t in tokens]
    await held(provider)
    await asyncio.sleep(0)  # every task has started and found the refresh running
    provider.release.set()
    results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), GENEROUS)
    assert all(isinstance(r, InvalidToken) for r in results), results
    assert provider.fetches == 1


async def test_a_dripping_jwks_is_cut_at_the_deadline_and_healthy_again_works(
    provider: IdentityProvider,
) -> None:
    clock = Clock()
    checker = verifier(provider, clock, fetch_timeout_seconds=0.3, refetch_cooldown_seconds=5)
    provider.mode = "drip"
    with pytest.raises(ServiceUnavailable):
        await asyncio.wait_for(checker.verify(KNOWN.sign(access_claims())), GENEROUS)
    assert not provider.release.is_set()  # cut by our deadline, not by the provider
    provider.mode = "ok"
    clock.now += 5
    user, _ = await checker.verify(KNOWN.sign(access_claims("after")))
    assert user.name == "user-after"


async def test_closing_stops_a_refresh_in_flight(provider: IdentityProvider) -> None:
    checker = verifier(provider, Clock(), fetch_timeout_seconds=GENEROUS * 2)
    provider.mode = "hold"
    waiting = asyncio.create_task(checker.verify(unknown_kid_token()))
    await held(provider)
    await asyncio.wait_for(checker.aclose(), GENEROUS)
    with pytest.raises(ServiceUnavailable):  # the refresh ended as a failed one
        await asyncio.wait_for(waiting, GENEROUS)
