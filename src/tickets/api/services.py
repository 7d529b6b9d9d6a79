"""What the HTTP layer needs from the composition root, handed over at startup."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from tickets.api.auth.tokens import AuthConfig
from tickets.api.auth.verified_tokens import VerifiedTokens
from tickets.application.messagebus import MessageBus
from tickets.application.operations import DeadLetterAdmin
from tickets.readmodel.freshness import VersionWaiter


@dataclass(frozen=True)
class ApiServices:
    bus: MessageBus
    auth: AuthConfig
    tokens: VerifiedTokens
    registry: CollectorRegistry
    readiness: Callable[[], Awaitable[list[str]]]
    """Returns the reasons the service is not ready; empty when it is."""
    dead_letters: DeadLetterAdmin
    read_pool: Any
    """asyncpg pool on the read database, for the read model's query functions."""
    freshness: VersionWaiter
    read_wait_seconds: float
