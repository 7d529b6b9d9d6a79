"""A list page written straight from the view is the body TicketPageOut describes."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from tickets.api.query_schemas import TicketPageOut, page_response
from tickets.application.queries import Person, TicketPage, TicketSummary
from tickets.domain.status import TicketStatus


def test_a_page_is_the_json_of_its_response_model() -> None:
    at = datetime(2026, 11, 30, 23, 59, 1, 123456, tzinfo=UTC)
    items = [
        TicketSummary(
            id=uuid.uuid4(),
            title=f'ticket «{n}» with "quotes"',
            status=status,
            author=Person(uuid.uuid4(), f"author {n}"),
            comment_count=n,
            created_at=at,
            updated_at=at + timedelta(seconds=n),
            version=n + 1,
        )
        for n, status in enumerate(TicketStatus)
    ]
    for page in (TicketPage(items, "next-page"), TicketPage([], None)):
        response = page_response(page)
        expected = TicketPageOut.model_validate(page, from_attributes=True)
        assert response.media_type == "application/json"
        assert json.loads(response.body) == expected.model_dump(mode="json")
