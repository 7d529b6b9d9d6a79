"""An identity provider's signing keys by ``kid``, refreshed without ever making a token
whose key is known wait.

The rules, and why each holds:

- A known ``kid`` is answered from memory at once, even while a refresh runs or after
  the set went stale (a stale set starts a refresh in the background). A slow or
  broken provider therefore never delays tokens whose key was already fetched; a key
  the provider removed stops working when the next refresh succeeds.
- One refresh at a time: ``_refresh`` is set and cleared on the event loop with no
  await in between the check and the set, so two requests cannot both start one.
- A refresh has a total deadline (``asyncio.timeout`` around the whole fetch, which
  runs on the loop and is cancelled with its socket; see jwks_fetch), so a provider
  dripping bytes cannot hold it longer.
- At most one refresh starts per cooldown, whether the previous one succeeded or
  failed: made-up ``kid``\\ s cannot make the service flood a provider, broken or not.
- An unknown ``kid`` waits only for a refresh that is running or that it starts (so at
  most the deadline); otherwise it is answered at once: 503 if the last refresh failed
  (the key may exist), 401 if it succeeded (the key does not).
"""

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import structlog

from tickets.api.auth.jwks_fetch import fetch_json
from tickets.api.auth.tokens import InvalidToken
from tickets.application.errors import ServiceUnavailable

Fetch = Callable[[str], Awaitable[Any]]
log = structlog.get_logger("tickets.auth")


class JwksKeys:
    def __init__(
        self,
        url: str,
        *,
        deadline_seconds: float,
        cache_seconds: float,
        cooldown_seconds: float,
        fetch: Fetch = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._deadline = deadline_seconds
        self._cache = cache_seconds
        self._cooldown = cooldown_seconds
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fresh_until = -math.inf
        self._next_attempt = -math.inf
        self._failed = False
        self._refresh: asyncio.Task[None] | None = None

    async def key_for(self, kid: str) -> jwt.PyJWK:
        """The key ``kid`` names; InvalidToken if the provider has no such key,
        ServiceUnavailable if its keys cannot be fetched now."""
        now = self._clock()
        key = self._keys.get(kid)
        if key is not None:
            if now >= self._fresh_until:
                self._start_refresh(now)  # in the background: this token does not wait
            return key
        refresh = self._start_refresh(now)
        if refresh is not None:
            # asyncio.wait, not awaiting the task: a request that gives up (client
            # gone) does not cancel the refresh others wait on, and the refresh's own
            # end (it ends by its deadline) is read from the state below.
            await asyncio.wait((refresh,))
            key = self._keys.get(kid)
            if key is not None:
                return key
        if self._failed:
            raise ServiceUnavailable("the identity provider's keys cannot be fetched")
        raise InvalidToken()

    async def aclose(self) -> None:
        """Stop a refresh in flight (at shutdown)."""
        refresh = self._refresh
        if refresh is not None:
            refresh.cancel()
            await asyncio.gather(refresh, return_exceptions=True)

    def _start_refresh(self, now: float) -> "asyncio.Task[None] | None":
        """The running refresh, or a new one if the cooldown allows; None otherwise."""
        if self._refresh is not None:
            return self._refresh
        if now < self._next_attempt:
            return None
        self._next_attempt = now + self._cooldown
        self._refresh = asyncio.create_task(self._run_refresh())
        return self._refresh

    async def _run_refresh(self) -> None:
        try:
            async with asyncio.timeout(self._deadline):
                document = await self._fetch(self._url)
            keys = _signing_keys(document)
        except Exception as error:  # whatever the provider did, it is one failed refresh
            self._failed = True
            log.warning("auth.jwks_refresh_failed", url=self._url, error=repr(error))
        except asyncio.CancelledError:  # shutting down (aclose)
            self._failed = True
            raise
        else:
            self._keys = keys
            self._fresh_until = self._clock() + self._cache
            self._failed = False
        finally:
            self._refresh = None


def _signing_keys(document: Any) -> dict[str, jwt.PyJWK]:
    """The signing keys of a JWKS document by kid; PyJWKSetError if it has none usable."""
    keys = jwt.PyJWKSet.from_dict(document).keys
    return {k.key_id: k for k in keys if k.key_id and k.public_key_use in ("sig", None)}
