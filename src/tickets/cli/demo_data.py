"""Demo data for `tickets seed`: command sequences with several users, every status and comments."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    Command,
    CreateTicket,
    RejectTicket,
    ReopenTicket,
    SubmitTicket,
)
from tickets.application.results import Result
from tickets.domain.users import User

SUBJECTS = [
    "laptop",
    "monitor",
    "VPN access",
    "standing desk",
    "training budget",
    "license",
    "travel",
    "headset",
    "conference ticket",
    "cloud account",
    "phone",
    "keyboard",
]
VERBS = ["New", "Replace", "Upgrade", "Renew", "Request", "Extra"]
REASONS = ["Budget is frozen this quarter.", "Please attach a quote.", "Duplicate request."]
REMARKS = ["Which model exactly?", "Approved by my manager.", "Any update?", "Thanks!"]


@dataclass(frozen=True)
class Cast:
    requesters: list[User]
    approvers: list[User]


class SpreadClock:
    """A clock that walks forward from ``start`` in steps, so seeded history spans time."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.current = start
        self.step = step

    def now(self) -> datetime:
        self.current += self.step
        return self.current


def ticket_story(ticket_id: UUID, cast: Cast, rng: random.Random) -> Iterator[Command[Result]]:
    """One ticket's commands, ending in a status drawn to cover every status."""
    author = rng.choice(cast.requesters)
    approver = rng.choice(cast.approvers)
    title = f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)} #{rng.randrange(10_000)}"
    description = f"Needed for {rng.choice(SUBJECTS)}."
    yield CreateTicket(actor=author, title=title, description=description, ticket_id=ticket_id)
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        yield AddComment(
            actor=rng.choice((author, approver)), ticket_id=ticket_id, body=rng.choice(REMARKS)
        )
    fate = rng.random()
    if fate < 0.10:
        return  # stays a draft
    yield SubmitTicket(actor=author, ticket_id=ticket_id)
    if fate < 0.25:
        return  # waits for a decision
    if fate < 0.70:
        yield ApproveTicket(actor=approver, ticket_id=ticket_id)
        return
    yield RejectTicket(actor=approver, ticket_id=ticket_id, reason=rng.choice(REASONS))
    if fate < 0.90:
        return
    yield ReopenTicket(actor=author, ticket_id=ticket_id)
    if fate < 0.95:
        yield SubmitTicket(actor=author, ticket_id=ticket_id)
