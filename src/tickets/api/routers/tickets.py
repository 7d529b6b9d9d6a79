"""Ticket commands: create, edit, submit, approve, reject, reopen, comment."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from tickets.api.auth.dependencies import CurrentUser
from tickets.api.command_route import (
    command_headers,
    command_response,
    expected_version,
    refuse_null_body,
    run_command,
)
from tickets.api.paths import TICKET_ID
from tickets.api.schemas import (
    CommentBody,
    CommentOut,
    NoBody,
    ProblemOut,
    RejectBody,
    TicketFields,
    TicketOut,
)
from tickets.application.commands import (
    AddComment,
    ApproveTicket,
    CreateTicket,
    EditTicket,
    RejectTicket,
    ReopenTicket,
    SubmitTicket,
    TicketCommand,
)
from tickets.application.results import TicketResult
from tickets.domain.users import User

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemOut, "description": text}
    for status, text in {
        403: "not allowed (`auth.forbidden`, `ticket.self_decision`)",
        404: "no such ticket, or not visible to you",
        409: "business rule or state conflict, or a concurrent change",
        412: "If-Match does not match the current version",
        413: "body over 1 MiB",
        422: "malformed request",
    }.items()
}

router = APIRouter(prefix="/tickets", tags=["tickets"], responses=ERRORS)
# If-Match and Idempotency-Key are read from the request by command_route; see command_headers.
POST_COMMAND = command_headers()


async def _transition(
    request: Request,
    command: TicketCommand[TicketResult],
    body: Any = None,
    *,
    idempotent: bool = True,
) -> Response:
    outcome = await run_command(request, command, body, idempotent=idempotent)
    return command_response(TicketOut.of(outcome.result), outcome, outcome.result.version)


@router.post(
    "",
    status_code=201,
    summary="Create a draft ticket",
    openapi_extra=command_headers(if_match=False),
    response_model=TicketOut,
)
async def create_ticket(
    request: Request,
    user: CurrentUser,
    body: TicketFields | None = None,
) -> Response:
    if body is None:
        await refuse_null_body(request)
    fields = body or TicketFields()
    command = CreateTicket(
        actor=user, title=fields.title or "", description=fields.description or ""
    )
    outcome = await run_command(request, command, fields)
    response = command_response(TicketOut.of(outcome.result), outcome, outcome.result.version, 201)
    response.headers["Location"] = f"/tickets/{outcome.result.id}"
    return response


@router.patch(
    TICKET_ID,
    summary="Edit a draft (author only)",
    openapi_extra=command_headers(idempotency_key=False),
    response_model=TicketOut,
)
async def edit_ticket(
    ticket_id: UUID,
    body: TicketFields,
    request: Request,
    user: CurrentUser,
) -> Response:
    command = EditTicket(
        actor=user,
        ticket_id=ticket_id,
        expected_version=expected_version(request),
        title=body.title,
        description=body.description,
    )
    return await _transition(request, command, idempotent=False)


async def _bodiless(
    request: Request,
    body: NoBody | None,
    command_type: type[TicketCommand[TicketResult]],
    user: User,
    ticket_id: UUID,
) -> Response:
    """A transition that takes no body: ``body`` is declared so that one is refused."""
    if body is None:
        await refuse_null_body(request)
    version = expected_version(request)
    command = command_type(actor=user, ticket_id=ticket_id, expected_version=version)
    return await _transition(request, command)


@router.post(
    "/{ticket_id}/submit",
    summary="Submit a draft for approval (author only)",
    openapi_extra=POST_COMMAND,
    response_model=TicketOut,
)
async def submit_ticket(
    ticket_id: UUID,
    request: Request,
    user: CurrentUser,
    body: NoBody | None = None,
) -> Response:
    return await _bodiless(request, body, SubmitTicket, user, ticket_id)


@router.post(
    "/{ticket_id}/approve",
    summary="Approve a submitted ticket (approvers)",
    openapi_extra=POST_COMMAND,
    response_model=TicketOut,
)
async def approve_ticket(
    ticket_id: UUID,
    request: Request,
    user: CurrentUser,
    body: NoBody | None = None,
) -> Response:
    return await _bodiless(request, body, ApproveTicket, user, ticket_id)


@router.post(
    "/{ticket_id}/reject",
    summary="Reject a submitted ticket with a reason",
    openapi_extra=POST_COMMAND,
    response_model=TicketOut,
)
async def reject_ticket(
    ticket_id: UUID,
    body: RejectBody,
    request: Request,
    user: CurrentUser,
) -> Response:
    command = RejectTicket(
        actor=user,
        ticket_id=ticket_id,
        expected_version=expected_version(request),
        reason=body.reason,
        reason_code=body.reason_code,
    )
    return await _transition(request, command, body)


@router.post(
    "/{ticket_id}/reopen",
    summary="Reopen a rejected ticket as a draft (author)",
    openapi_extra=POST_COMMAND,
    response_model=TicketOut,
)
async def reopen_ticket(
    ticket_id: UUID,
    request: Request,
    user: CurrentUser,
    body: NoBody | None = None,
) -> Response:
    return await _bodiless(request, body, ReopenTicket, user, ticket_id)


@router.post(
    "/{ticket_id}/comments",
    status_code=201,
    summary="Comment on a ticket",
    openapi_extra=POST_COMMAND,
    response_model=CommentOut,
)
async def add_comment(
    ticket_id: UUID,
    body: CommentBody,
    request: Request,
    user: CurrentUser,
) -> Response:
    command = AddComment(
        actor=user,
        ticket_id=ticket_id,
        expected_version=expected_version(request),
        body=body.body,
    )
    outcome = await run_command(request, command, body)
    return command_response(CommentOut.of(outcome.result), outcome, outcome.result.version, 201)
