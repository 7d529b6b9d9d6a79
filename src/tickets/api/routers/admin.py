"""Admin-only outbox operations: dead letters and queue status."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from tickets.api.admin_schemas import (
    DeadLetterDetailOut,
    DeadLetterList,
    DeadLetterOut,
    OutboxStatusOut,
)
from tickets.api.auth.dependencies import CurrentUser, Services
from tickets.api.schemas import ProblemOut
from tickets.application.dead_letters import (
    DiscardDeadLetter,
    GetOutboxStatus,
    ListDeadLetters,
    RetryDeadLetter,
    ShowDeadLetter,
)

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    responses={
        403: {"model": ProblemOut, "description": "not an admin"},
    },
)
Only = Annotated[
    str | None,
    Query(max_length=100, description="only this subscription's dead letter (default: every one)"),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ProblemOut, "description": "no such dead letter"}
}


@router.get("/dead-letters", summary="Parked messages, oldest first")
async def list_dead_letters(
    services: Services,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeadLetterList:
    letters = await services.dead_letters.list(ListDeadLetters(user, limit))
    return DeadLetterList(items=[DeadLetterOut.of(d) for d in letters])


@router.get(
    "/dead-letters/{message_id}",
    summary="A message with payload, attempts, audit",
    responses=NOT_FOUND,
)
async def get_dead_letter(
    message_id: UUID, services: Services, user: CurrentUser, subscription: Only = None
) -> DeadLetterDetailOut:
    detail = await services.dead_letters.show(ShowDeadLetter(user, message_id, subscription))
    return DeadLetterDetailOut.of_detail(detail)


@router.post(
    "/dead-letters/{message_id}/retry",
    name="retry_dead_letter",
    summary="Deliver a dead letter again",
    responses=NOT_FOUND,
)
async def retry(
    message_id: UUID, services: Services, user: CurrentUser, subscription: Only = None
) -> DeadLetterDetailOut:
    detail = await services.dead_letters.retry(RetryDeadLetter(user, message_id, subscription))
    return DeadLetterDetailOut.of_detail(detail)


@router.post(
    "/dead-letters/{message_id}/discard",
    name="discard_dead_letter",
    summary="Give up on a dead letter; its ticket's later events flow again",
    responses=NOT_FOUND,
)
async def discard(
    message_id: UUID, services: Services, user: CurrentUser, subscription: Only = None
) -> DeadLetterDetailOut:
    command = DiscardDeadLetter(user, message_id, subscription)
    detail = await services.dead_letters.discard(command)
    return DeadLetterDetailOut.of_detail(detail)


@router.get("/outbox", summary="Each subscription's lag, and parked tickets")
async def outbox_status(services: Services, user: CurrentUser) -> OutboxStatusOut:
    return OutboxStatusOut.of(await services.dead_letters.status(GetOutboxStatus(user)))
