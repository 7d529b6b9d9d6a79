"""The list page and the details, written straight from the views, are the bodies their
response models (TicketPageOut, TicketDetailsOut) describe."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from tickets.api.query_schemas import (
    TicketDetailsOut,
    TicketPageOut,
    details_response,
    page_response,
)
from tickets.application.queries import (
    CommentView,
    Decision,
    HistoryEntry,
    Person,
    TicketDetails,
    TicketPage,
    TicketSummary,
)
from tickets.domain.status import TicketStatus

AT = datetime(2026, 11, 30, 23, 59, 1, 123456, tzinfo=UTC)


def person(n: int) -> Person:
    return Person(uuid.uuid4(), f"person «{n}»")


def test_a_page_is_the_json_of_its_response_model() -> None:
    items = [
        TicketSummary(
            id=uuid.uuid4(),
            title=f'ticket «{n}» with "quotes"',
            status=status,
            author=person(n),
            comment_count=n,
            created_at=AT,
            updated_at=AT + timedelta(seconds=n),
            version=n + 1,
        )
        for n, status in enumerate(TicketStatus)
    ]
    for page in (TicketPage(items, "next-page"), TicketPage([], None)):
        response = page_response(page)
        expected = TicketPageOut.model_validate(page, from_attributes=True)
        assert response.media_type == "application/json"
        assert json.loads(response.body) == expected.model_dump(mode="json")


def test_details_are_the_json_of_their_response_model() -> None:
    def details(decision: Decision | None, comments: int) -> TicketDetails:
        return TicketDetails(
            id=uuid.uuid4(),
            title="a title",
            description='a "description"\nover lines',
            status=TicketStatus.REJECTED if decision else TicketStatus.DRAFT,
            author=person(0),
            version=3 + comments,
            created_at=AT,
            updated_at=AT + timedelta(minutes=1),
            decision=decision,
            comments=[
                CommentView(uuid.uuid4(), person(n), f"comment {n}", AT) for n in range(comments)
            ],
            history=[HistoryEntry("ticket.created", 1, person(0), AT)],
        )

    rejected = Decision(TicketStatus.REJECTED, person(9), AT, "not now")
    for view in (details(rejected, 2), details(None, 0)):
        response = details_response(view)
        expected = TicketDetailsOut.model_validate(view, from_attributes=True)
        assert json.loads(response.body) == expected.model_dump(mode="json")
        assert response.headers["ETag"] == f'"{view.version}"'
