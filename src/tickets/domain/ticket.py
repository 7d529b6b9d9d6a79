"""The Ticket aggregate and its Comment entity.

Every change goes through a method that checks the rules, then records a domain
event that carries the version it produces. The aggregate never does I/O.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from tickets.domain import limits
from tickets.domain.errors import (
    CommentBodyRequired,
    PermissionDenied,
    ReasonRequired,
    SelfDecision,
    TicketNotEditable,
    TitleRequired,
)
from tickets.domain.events import (
    CommentAdded,
    DomainEvent,
    TicketApproved,
    TicketCreated,
    TicketEdited,
    TicketRejected,
    TicketReopened,
    TicketSubmitted,
)
from tickets.domain.status import EDITABLE, Action, TicketStatus, next_status
from tickets.domain.users import Role, User


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

    ``comments`` holds only the comments added to this instance: a ticket loaded from
    storage starts with an empty list (no rule reads earlier comments, so they are not
    loaded), and the comments added in this unit of work are the ones saved with it.
    The full comment history lives in the events and the read model.
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
    comments: list[Comment] = field(default_factory=list)
    pending_events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls, ticket_id: UUID, author: User, title: str, description: str, now: datetime
    ) -> "Ticket":
        title = limits.check_length("title", title.strip(), limits.TITLE_MAX)
        description = limits.check_length("description", description, limits.DESCRIPTION_MAX)
        ticket = cls(
            id=ticket_id,
            title=title,
            description=description,
            author_id=author.id,
            author_name=author.name,
            status=TicketStatus.DRAFT,
            version=0,
            created_at=now,
            updated_at=now,
        )
        ticket._record(TicketCreated, author, now, title=title, description=description)
        return ticket

    def is_visible_to(self, user: User) -> bool:
        return user.id == self.author_id or user.sees_all_tickets

    def edit(self, actor: User, title: str | None, description: str | None, now: datetime) -> None:
        """Change title and/or description of a Draft; a no-op when nothing changes."""
        self._require_author(actor, "edit")
        if self.status not in EDITABLE:
            raise TicketNotEditable(f"only drafts can be edited; this ticket is {self.status}")
        new_title = self.title if title is None else title.strip()
        new_description = self.description if description is None else description
        limits.check_length("title", new_title, limits.TITLE_MAX)
        limits.check_length("description", new_description, limits.DESCRIPTION_MAX)
        if (new_title, new_description) == (self.title, self.description):
            return
        self._record(TicketEdited, actor, now, title=new_title, description=new_description)

    def submit(self, actor: User, now: datetime) -> None:
        self._require_author(actor, "submit")
        status = next_status(self.status, Action.SUBMIT)
        if not self.title:
            raise TitleRequired("a ticket needs a title before it can be submitted")
        self._record(TicketSubmitted, actor, now, _status=status)

    def approve(self, actor: User, now: datetime) -> None:
        self._require_decider(actor)
        status = next_status(self.status, Action.APPROVE)
        self._record(TicketApproved, actor, now, _status=status)

    def reject(self, actor: User, reason: str, now: datetime) -> None:
        self._require_decider(actor)
        status = next_status(self.status, Action.REJECT)
        reason = limits.require_text("reason", reason, limits.REASON_MAX, ReasonRequired)
        self._record(TicketRejected, actor, now, _status=status, reason=reason)

    def reopen(self, actor: User, now: datetime) -> None:
        self._require_author(actor, "reopen")
        status = next_status(self.status, Action.REOPEN)
        self._record(TicketReopened, actor, now, _status=status)

    def add_comment(self, actor: User, comment_id: UUID, body: str, now: datetime) -> Comment:
        """Comment on a ticket in any status; the author, approvers and admins may."""
        if not self.is_visible_to(actor):
            raise PermissionDenied("only the author, approvers and admins may comment")
        body = limits.require_text("body", body, limits.COMMENT_MAX, CommentBodyRequired)
        comment = Comment(comment_id, self.id, actor.id, actor.name, body, now)
        self.comments.append(comment)
        self._record(CommentAdded, actor, now, comment_id=comment_id, body=body)
        return comment

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

    def _record(
        self,
        event_type: type[DomainEvent],
        actor: User,
        now: datetime,
        _status: TicketStatus | None = None,
        **fields: Any,
    ) -> None:
        event = event_type(
            ticket_id=self.id,
            version=self.version + 1,
            actor_id=actor.id,
            actor_name=actor.name,
            occurred_at=now,
            **fields,
        )
        if isinstance(event, TicketCreated | TicketEdited):
            self.title, self.description = event.title, event.description
        if _status is not None:
            self.status = _status
        self.version = event.version
        self.updated_at = now
        self.pending_events.append(event)
