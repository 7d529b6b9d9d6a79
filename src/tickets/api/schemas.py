"""Request and response bodies. Requests reject unknown fields."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from tickets.application.commands import USERNAME
from tickets.application.results import CommentResult, TicketResult
from tickets.domain import limits
from tickets.domain.rejection import RejectionCode
from tickets.domain.status import TicketStatus
from tickets.domain.users import Role

# Documented for clients (and the fuzzer), checked by the domain, which answers with its
# own codes: text holds no NUL (PostgreSQL cannot store it); a required text has a
# character that is not whitespace (Python's str.isspace also counts \x1c-\x1f).
STORABLE: JsonDict = {"pattern": r"^[^\x00]*$"}
NOT_BLANK: JsonDict = {"pattern": r"^[^\x00]*[^\s\x00\x1c-\x1f][^\x00]*$"}


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoBody(StrictBody):
    """Commands without parameters take no body; an object with any field is refused."""


class TokenRequest(StrictBody):
    username: str = Field(min_length=1, max_length=64, pattern=USERNAME.pattern, examples=["alice"])
    role: Role = Field(examples=["requester"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="seconds until the token expires")


class TicketFields(StrictBody):
    title: str | None = Field(
        None, max_length=limits.TITLE_MAX, examples=["New laptop"], json_schema_extra=STORABLE
    )
    description: str | None = Field(
        None,
        max_length=limits.DESCRIPTION_MAX,
        examples=["Mine is five years old."],
        json_schema_extra=STORABLE,
    )


class RejectBody(StrictBody):
    reason: str = Field(
        max_length=limits.REASON_MAX,
        examples=["Budget is frozen until Q3."],
        json_schema_extra=NOT_BLANK,
    )
    reason_code: RejectionCode = Field(
        RejectionCode.UNSPECIFIED,
        description="why, as a code other systems can act on (published in ticket.rejected.v2)",
        examples=["budget"],
    )


class CommentBody(StrictBody):
    body: str = Field(
        max_length=limits.COMMENT_MAX,
        examples=["Which model do you need?"],
        json_schema_extra=NOT_BLANK,
    )


class AuthorOut(BaseModel):
    id: UUID
    name: str


class TicketOut(BaseModel):
    id: UUID
    title: str
    description: str
    status: TicketStatus
    author: AuthorOut
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, r: TicketResult) -> "TicketOut":
        return cls(
            id=r.id,
            title=r.title,
            description=r.description,
            status=r.status,
            author=AuthorOut(id=r.author_id, name=r.author_name),
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


class CommentOut(BaseModel):
    id: UUID
    ticket_id: UUID
    author: AuthorOut
    body: str
    created_at: datetime
    version: int = Field(description="the ticket's version after the comment")

    @classmethod
    def of(cls, r: CommentResult) -> "CommentOut":
        return cls(
            id=r.id,
            ticket_id=r.ticket_id,
            author=AuthorOut(id=r.author_id, name=r.author_name),
            body=r.body,
            created_at=r.created_at,
            version=r.version,
        )


class FieldErrorOut(BaseModel):
    field: str = Field(description="dotted location, e.g. body.title or header.If-Match")
    message: str
    type: str | None = None


class ProblemOut(BaseModel):
    """An RFC 9457 problem, served as application/problem+json."""

    type: str = Field(examples=["urn:tickets:problem:ticket.invalid_transition"])
    title: str
    status: int
    detail: str
    code: str = Field(description="stable machine-readable code, e.g. ticket.title_required")
    errors: list[FieldErrorOut] | None = Field(
        None, description="422 only: each field that is wrong (at most the first 20)"
    )
    error_count: int | None = Field(
        None, description="422 only: how many errors were found (more than listed if > 20)"
    )
