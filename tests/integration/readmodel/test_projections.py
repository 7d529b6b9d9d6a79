"""Each event type's projection, driven by real commands and delivered by the outbox:
read.ticket_list, read.ticket_details (comments, decision, history) and
read.status_counts, read back with raw SQL."""

from datetime import datetime
from typing import Any
from uuid import UUID

from tests.integration.conftest import context, register
from tests.integration.readmodel.reads import counts, details_row, history, list_row
from tests.support.progress import delivered
from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    Command,
    CreateTicket,
    EditTicket,
    RejectTicket,
    ReopenTicket,
    SubmitTicket,
)
from tickets.application.results import CommentResult, TicketResult
from tickets.bootstrap import Runtime
from tickets.domain.users import Role, User
from tickets.infrastructure.outbox.drain import drain

NO_DECISION = {
    "decided_by_id": None,
    "decided_by_name": None,
    "decided_at": None,
    "decision": None,
    "reason": None,
}


class Story:
    """One ticket's commands, remembering the history the read model should show."""

    def __init__(self, runtime: Runtime, author: User) -> None:
        self.runtime = runtime
        self.author = author
        self.ticket_id: UUID | None = None
        self.expected: list[tuple[str, int, str, str, datetime]] = []

    async def do(
        self, command: Command[TicketResult | CommentResult], event_type: str, actor: User
    ) -> Any:
        result = (await self.runtime.bus.handle(command, context())).result
        at = result.updated_at if isinstance(result, TicketResult) else result.created_at
        self.expected.append((event_type, result.version, str(actor.id), actor.name, at))
        return result

    async def create(self, title: str = "Printer jams", description: str = "Tray 2.") -> Any:
        command = CreateTicket(actor=self.author, title=title, description=description)
        created = await self.do(command, "ticket.created.v1", self.author)
        self.ticket_id = created.id
        return created

    @property
    def id(self) -> UUID:
        assert self.ticket_id is not None
        return self.ticket_id

    async def edit(self, title: str, description: str) -> Any:
        command = EditTicket(
            actor=self.author, ticket_id=self.id, title=title, description=description
        )
        return await self.do(command, "ticket.edited.v1", self.author)

    async def submit(self) -> Any:
        command = SubmitTicket(actor=self.author, ticket_id=self.id)
        return await self.do(command, "ticket.submitted.v1", self.author)

    async def approve(self, approver: User) -> Any:
        command = ApproveTicket(actor=approver, ticket_id=self.id)
        return await self.do(command, "ticket.approved.v1", approver)

    async def reject(self, approver: User, reason: str) -> Any:
        command = RejectTicket(actor=approver, ticket_id=self.id, reason=reason)
        return await self.do(command, "ticket.rejected.v2", approver)

    async def reopen(self) -> Any:
        command = ReopenTicket(actor=self.author, ticket_id=self.id)
        return await self.do(command, "ticket.reopened.v1", self.author)

    async def comment(self, actor: User, body: str) -> Any:
        command = AddComment(actor=actor, ticket_id=self.id, body=body)
        return await self.do(command, "comment.added.v1", actor)

    async def delivered(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
        """Drain the outbox, then the ticket's list row, details row and author counts."""
        await drain(self.runtime.dispatcher)
        pool = self.runtime.pools.read
        listed = await list_row(pool, self.id)
        details = await details_row(pool, self.id)
        assert listed is not None
        assert details is not None
        assert history(details) == self.expected
        return listed, details, await counts(pool, self.author.id)


async def story(runtime: Runtime) -> Story:
    return Story(runtime, await register(runtime))


async def test_ticket_created(runtime: Runtime) -> None:
    s = await story(runtime)
    created = await s.create("Printer jams", "Tray 2 only.")

    listed, details, by_status = await s.delivered()

    assert listed == {
        "ticket_id": created.id,
        "title": "Printer jams",
        "status": "draft",
        "author_id": s.author.id,
        "author_name": s.author.name,
        "comment_count": 0,
        "created_at": created.created_at,
        "updated_at": created.created_at,
        "version": 1,
    }
    assert {k: details[k] for k in listed if k != "comment_count"} == {
        k: v for k, v in listed.items() if k != "comment_count"
    }
    assert details["description"] == "Tray 2 only."
    assert {k: details[k] for k in NO_DECISION} == NO_DECISION
    assert details["comments"] == []
    assert len(details["history"]) == 1
    assert by_status == {"draft": 1}
    message = await runtime.pools.write.fetchval(
        "SELECT id FROM tickets.outbox_messages WHERE aggregate_id = $1", created.id
    )
    assert await delivered(runtime.pools.read, "read_model", [message], schema="read") == 1


async def test_ticket_edited(runtime: Runtime) -> None:
    s = await story(runtime)
    created = await s.create("Printer jams", "Tray 2.")
    edited = await s.edit("Printer jams on A3", "Tray 2 and 3.")

    listed, details, by_status = await s.delivered()

    assert listed["title"] == details["title"] == "Printer jams on A3"
    assert details["description"] == "Tray 2 and 3."
    assert listed["version"] == details["version"] == 2
    assert listed["created_at"] == details["created_at"] == created.created_at
    assert listed["updated_at"] == details["updated_at"] == edited.updated_at
    assert edited.updated_at > created.created_at
    assert listed["status"] == details["status"] == "draft"
    assert by_status == {"draft": 1}


async def test_ticket_submitted(runtime: Runtime) -> None:
    s = await story(runtime)
    await s.create()
    submitted = await s.submit()

    listed, details, by_status = await s.delivered()

    assert listed["status"] == details["status"] == "submitted"
    assert listed["version"] == details["version"] == 2
    assert listed["updated_at"] == details["updated_at"] == submitted.updated_at
    assert {k: details[k] for k in NO_DECISION} == NO_DECISION
    assert by_status == {"submitted": 1}


async def test_ticket_approved(runtime: Runtime) -> None:
    s = await story(runtime)
    approver = await register(runtime, Role.APPROVER)
    await s.create()
    await s.submit()
    approved = await s.approve(approver)

    listed, details, by_status = await s.delivered()

    assert listed["status"] == details["status"] == "approved"
    assert listed["version"] == details["version"] == 3
    assert listed["updated_at"] == details["updated_at"] == approved.updated_at
    assert {k: details[k] for k in NO_DECISION} == {
        "decided_by_id": approver.id,
        "decided_by_name": approver.name,
        "decided_at": approved.updated_at,
        "decision": "approved",
        "reason": None,
    }
    assert by_status == {"approved": 1}
    assert await counts(runtime.pools.read, approver.id) == {}, "counted for the author only"


async def test_ticket_rejected(runtime: Runtime) -> None:
    s = await story(runtime)
    approver = await register(runtime, Role.APPROVER)
    await s.create()
    await s.submit()
    rejected = await s.reject(approver, "Out of budget this quarter.")

    listed, details, by_status = await s.delivered()

    assert listed["status"] == details["status"] == "rejected"
    assert listed["version"] == details["version"] == 3
    assert {k: details[k] for k in NO_DECISION} == {
        "decided_by_id": approver.id,
        "decided_by_name": approver.name,
        "decided_at": rejected.updated_at,
        "decision": "rejected",
        "reason": "Out of budget this quarter.",
    }
    assert by_status == {"rejected": 1}


async def test_ticket_reopened_clears_the_decision(runtime: Runtime) -> None:
    s = await story(runtime)
    approver = await register(runtime, Role.APPROVER)
    await s.create()
    await s.submit()
    await s.reject(approver, "Needs a quote.")
    _, rejected, _ = await s.delivered()
    assert rejected["decision"] == "rejected"
    await s.comment(approver, "Attach the quote, please.")
    reopened = await s.reopen()

    listed, details, by_status = await s.delivered()

    assert listed["status"] == details["status"] == "draft"
    assert listed["version"] == details["version"] == 5
    assert listed["updated_at"] == details["updated_at"] == reopened.updated_at
    assert {k: details[k] for k in NO_DECISION} == NO_DECISION
    assert [c["body"] for c in details["comments"]] == ["Attach the quote, please."]
    assert listed["comment_count"] == 1
    assert by_status == {"draft": 1}


async def test_comment_added(runtime: Runtime) -> None:
    s = await story(runtime)
    approver = await register(runtime, Role.APPROVER)
    await s.create()
    first = await s.comment(s.author, "Any update?")
    second = await s.comment(approver, "Ordered a new one.")

    listed, details, by_status = await s.delivered()

    assert listed["comment_count"] == 2
    assert listed["version"] == details["version"] == 3
    assert listed["updated_at"] == details["updated_at"] == second.created_at
    assert [
        {**c, "created_at": datetime.fromisoformat(c["created_at"])} for c in details["comments"]
    ] == [
        {
            "id": str(first.id),
            "author": {"id": str(s.author.id), "name": s.author.name},
            "body": "Any update?",
            "created_at": first.created_at,
        },
        {
            "id": str(second.id),
            "author": {"id": str(approver.id), "name": approver.name},
            "body": "Ordered a new one.",
            "created_at": second.created_at,
        },
    ]
    assert listed["status"] == "draft"
    assert by_status == {"draft": 1}


async def test_whole_lifecycle_delivered_in_one_batch(runtime: Runtime) -> None:
    """Every event type of one ticket in a single drain: applied in version order."""
    s = await story(runtime)
    approver = await register(runtime, Role.APPROVER)
    await s.create("Desk lamp", "Flickers.")
    await s.edit("Desk lamp flickers", "Since the move.")
    await s.comment(s.author, "Photo attached.")
    await s.submit()
    await s.reject(approver, "Try another bulb.")
    await s.reopen()
    await s.comment(approver, "Then resubmit.")
    await s.submit()
    approved = await s.approve(approver)
    other = Story(runtime, s.author)
    await other.create("Second ticket")
    await other.submit()

    listed, details, by_status = await s.delivered()

    assert [h[1] for h in history(details)] == list(range(1, 10))
    assert listed["status"] == details["status"] == "approved"
    assert listed["title"] == details["title"] == "Desk lamp flickers"
    assert listed["comment_count"] == len(details["comments"]) == 2
    assert listed["version"] == details["version"] == approved.version == 9
    assert details["decision"] == "approved"
    assert details["reason"] is None, "the earlier rejection's reason is gone"
    assert details["decided_by_id"] == approver.id
    assert by_status == {"approved": 1, "submitted": 1}
