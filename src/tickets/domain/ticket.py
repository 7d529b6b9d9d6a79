"""The Ticket aggregate and its Comment entity.

Every change goes through a method that checks the rules and builds its event; the
event carries the version it produces, and ``_apply`` is the one place where an event
changes the ticket's state. The aggregate never does I/O.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple, TypedDict, assert_never
from uuid import UUID

from tickets.domain.errors import (
    InvalidTransition,
    PermissionDenied,
    SelfDecision,
    TicketNotEditable,
    TitleRequired,
)
from tickets.domain.events import (
    CommentAdded,
    DomainEvent,
    StatusChanged,
    TicketApproved,
    TicketCreated,
    TicketEdited,
    TicketEvent,
    TicketRejected,
    TicketReopened,
    TicketSubmitted,
)
from tickets.domain.rejection import RejectionCode
from tickets.domain.status import EDITABLE, Action, TicketStatus
from tickets.domain.text import CommentBody, Description, Reason, Title
from tickets.domain.users import Role, User


class Transition(NamedTuple):
    """One legal move: ``action`` takes a ticket from ``source`` to ``target``."""

    action: Action
    source: TicketStatus
    target: TicketStatus


INITIAL_STATUS = TicketStatus.DRAFT
"""A created ticket's status."""

TRANSITIONS: Mapping[type[StatusChanged], Transition] = MappingProxyType(
    {
        TicketSubmitted: Transition(Action.SUBMIT, TicketStatus.DRAFT, TicketStatus.SUBMITTED),
        TicketApproved: Transition(Action.APPROVE, TicketStatus.SUBMITTED, TicketStatus.APPROVED),
        TicketRejected: Transition(Action.REJECT, TicketStatus.SUBMITTED, TicketStatus.REJECTED),
        TicketReopened: Transition(Action.REOPEN, TicketStatus.REJECTED, TicketStatus.DRAFT),
    }
)
"""The one transition table: the event each legal move raises, keyed by that event.
The aggregate checks and applies moves from it; the read model's projections derive
their status moves from it (readmodel/moves.py)."""


def check_transition(current: TicketStatus, event: type[StatusChanged]) -> Transition:
    """The move ``event`` makes from ``current``; InvalidTransition if none."""
    move = TRANSITIONS[event]
    if current is not move.source:
        raise InvalidTransition(f"cannot {move.action} a ticket that is {current}")
    return move


class _EventHeader(TypedDict):
    """The fields every DomainEvent carries, as keyword arguments."""

    ticket_id: UUID
    version: int
    actor_id: UUID
    actor_name: str
    occurred_at: datetime


@dataclass(eq=False)
class Comment:
    id: UUID
    ticket_id: UUID
    author_id: UUID
    author_name: str
    body: str
    created_at: datetime


@dataclass(eq=False)
class Ticket:
    """A request that moves Draft → Submitted → Approved | Rejected (→ Draft).

    A ticket loaded from storage carries no comments: no rule reads earlier ones, so
    they are not loaded. ``new_comments`` are the comments added to this instance, the
    ones its unit of work saves; the full history lives in the events and the read model.
    """

    id: UUID
    title: str
    description: str
    author_id: UUID
    author_name: str
    status: TicketStatus
    version: int
    created_at: datetime
    updated_at: datetime
    new_comments: list[Comment] = field(default_factory=list)
    pending_events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls, ticket_id: UUID, author: User, title: str, description: str, now: datetime
    ) -> "Ticket":
        ticket = cls(
            id=ticket_id,
            title="",
            description="",
            author_id=author.id,
            author_name=author.name,
            status=INITIAL_STATUS,
            version=0,
            created_at=now,
            updated_at=now,
        )
        ticket._apply(
            TicketCreated(
                **ticket._event_fields(author, now),
                title=Title.parse(title).value,
                description=Description.parse(description).value,
            )
        )
        return ticket

    def is_visible_to(self, user: User) -> bool:
        return user.may_see(self.author_id)

    def edit(self, actor: User, title: str | None, description: str | None, now: datetime) -> None:
        """Change title and/or description of a Draft; a no-op when nothing changes."""
        self._require_author(actor, "edit")
        if self.status not in EDITABLE:
            raise TicketNotEditable(f"only drafts can be edited; this ticket is {self.status}")
        new_title = self.title if title is None else Title.parse(title).value
        new_description = (
            self.description if description is None else Description.parse(description).value
        )
        if (new_title, new_description) == (self.title, self.description):
            return
        self._apply(
            TicketEdited(
                **self._event_fields(actor, now), title=new_title, description=new_description
            )
        )

    def submit(self, actor: User, now: datetime) -> None:
        self._require_author(actor, "submit")
        check_transition(self.status, TicketSubmitted)
        if not self.title:
            raise TitleRequired("a ticket needs a title before it can be submitted")
        self._apply(TicketSubmitted(**self._event_fields(actor, now)))

    def approve(self, actor: User, now: datetime) -> None:
        self._require_decider(actor)
        check_transition(self.status, TicketApproved)
        self._apply(TicketApproved(**self._event_fields(actor, now)))

    def reject(
        self,
        actor: User,
        reason: str,
        now: datetime,
        code: RejectionCode = RejectionCode.UNSPECIFIED,
    ) -> None:
        self._require_decider(actor)
        check_transition(self.status, TicketRejected)
        stated = Reason.parse(reason)
        self._apply(
            TicketRejected(**self._event_fields(actor, now), reason=stated.value, reason_code=code)
        )

    def reopen(self, actor: User, now: datetime) -> None:
        self._require_author(actor, "reopen")
        check_transition(self.status, TicketReopened)
        self._apply(TicketReopened(**self._event_fields(actor, now)))

    def add_comment(self, actor: User, comment_id: UUID, body: str, now: datetime) -> Comment:
        """Comment on a ticket in any status; the author, approvers and admins may."""
        if not self.is_visible_to(actor):
            raise PermissionDenied("only the author, approvers and admins may comment")
        text = CommentBody.parse(body)
        self._apply(
            CommentAdded(**self._event_fields(actor, now), comment_id=comment_id, body=text.value)
        )
        return self.new_comments[-1]

    def pull_events(self) -> list[DomainEvent]:
        """Hand over the events recorded since the last pull, oldest first."""
        events, self.pending_events = self.pending_events, []
        return events

    def _require_author(self, actor: User, what: str) -> None:
        if actor.id != self.author_id:
            raise PermissionDenied(f"only the author may {what} this ticket")

    def _require_decider(self, actor: User) -> None:
        if not actor.has_role(Role.APPROVER):
            raise PermissionDenied("only approvers may approve or reject tickets")
        if actor.id == self.author_id:
            raise SelfDecision("an approver cannot decide on a ticket they wrote")

    def _event_fields(self, actor: User, now: datetime) -> _EventHeader:
        """What every event of this ticket carries: it produces the next version."""
        return {
            "ticket_id": self.id,
            "version": self.version + 1,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "occurred_at": now,
        }

    def _apply(self, event: TicketEvent) -> None:
        """The one place where state changes; the methods above have checked the rules."""
        match event:
            case TicketCreated() | TicketEdited():
                self.title, self.description = event.title, event.description
            case TicketSubmitted() | TicketApproved() | TicketRejected() | TicketReopened():
                # The method that built the event has checked the move.
                self.status = TRANSITIONS[type(event)].target
            case CommentAdded():
                self.new_comments.append(
                    Comment(
                        event.comment_id,
                        self.id,
                        event.actor_id,
                        event.actor_name,
                        event.body,
                        event.occurred_at,
                    )
                )
            case _:
                assert_never(event)
        self.version = event.version
        self.updated_at = event.occurred_at
        self.pending_events.append(event)
