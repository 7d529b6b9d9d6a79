"""What the HTTP layer needs from the composition root, handed over at startup."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from tickets.api.auth.tokens import AuthConfig
from tickets.api.auth.verified_tokens import VerifiedTokens
from tickets.application.dead_letter_admin import DeadLetterAdministration
from tickets.application.messagebus import MessageBus
from tickets.application.notifications import NotificationInbox
from tickets.application.ticket_queries import TicketQueries


@dataclass(frozen=True)
class ApiServices:
    bus: MessageBus
    auth: AuthConfig
    tokens: VerifiedTokens
    registry: CollectorRegistry
    readiness: Callable[[], Awaitable[list[str]]]
    """Returns the reasons the service is not ready; empty when it is."""
    queries: TicketQueries
    dead_letters: DeadLetterAdministration
    notifications: NotificationInbox
