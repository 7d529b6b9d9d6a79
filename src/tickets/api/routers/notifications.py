"""The current user's notifications: a page newest first, and marking them read."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from tickets.api.auth.dependencies import CurrentUser, Services
from tickets.api.notification_schemas import MarkedReadOut, NotificationOut, NotificationPageOut
from tickets.api.schemas import ProblemOut
from tickets.application.notification_queries import (
    ListNotifications,
    MarkAllNotificationsRead,
    MarkedRead,
    MarkNotificationRead,
    Notification,
    NotificationPage,
)
from tickets.application.queries import CURSOR_MAX, CURSOR_PATTERN, PAGE_MAX

router = APIRouter(prefix="/notifications", tags=["notifications"])
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ProblemOut, "description": "a limit or cursor not allowed"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "model": ProblemOut,
        "description": "`notification.not_found`: no such notification, or not yours",
    },
}


@router.get(
    "",
    name="list_notifications",
    summary="Your notifications, newest first, keyset-paged",
    responses=LIST_RESPONSES,
)
async def list_notifications(
    services: Services,
    user: CurrentUser,
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
    cursor: Annotated[
        str | None,
        Query(
            max_length=CURSOR_MAX,
            pattern=CURSOR_PATTERN,
            description="next_cursor of the page before, as it was given",
        ),
    ] = None,
) -> NotificationPageOut:
    page: NotificationPage = await services.notifications.list(
        ListNotifications(user, unread, limit, cursor)
    )
    return NotificationPageOut.model_validate(page, from_attributes=True)


@router.post(
    "/read-all",
    name="mark_all_notifications_read",
    summary="Mark all your unread notifications read",
)
async def mark_all_read(services: Services, user: CurrentUser) -> MarkedReadOut:
    marked: MarkedRead = await services.notifications.mark_all_read(MarkAllNotificationsRead(user))
    return MarkedReadOut(marked=marked.marked)


@router.post(
    "/{notification_id}/read",
    name="mark_notification_read",
    summary="Mark one of your notifications read",
    responses=NOT_FOUND,
)
async def mark_read(
    notification_id: UUID, services: Services, user: CurrentUser
) -> NotificationOut:
    notification: Notification = await services.notifications.mark_read(
        MarkNotificationRead(user, notification_id)
    )
    return NotificationOut.model_validate(notification, from_attributes=True)
