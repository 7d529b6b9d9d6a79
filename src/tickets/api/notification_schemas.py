"""Response bodies of the notification endpoints; fields named as the application's
views (Notification, NotificationPage, MarkedRead) so FastAPI validates them directly."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class NotificationOut(BaseModel):
    id: UUID
    ticket_id: UUID
    kind: Literal["approved", "rejected"]
    text: str
    created_at: datetime
    read_at: datetime | None = Field(description="when it was first marked read; null: unread")


class NotificationPageOut(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None


class MarkedReadOut(BaseModel):
    marked: int = Field(description="notifications that were unread and are read now")
