"""Opaque keyset cursors: base64url JSON of the sort and the last row's key.

A cursor only says where a page starts; the viewer's visibility filter is applied to
every page, so a crafted cursor can never reveal a ticket the viewer may not see.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from tickets.application.errors import InvalidQuery


class InvalidCursor(InvalidQuery):
    """Not a cursor this service issued for this sort."""

    def __init__(self, message: str) -> None:
        super().__init__("cursor", message)


@dataclass(frozen=True)
class Cursor:
    sort: str
    at: datetime
    id: UUID

    def encode(self) -> str:
        raw = json.dumps({"s": self.sort, "t": self.at.isoformat(), "i": str(self.id)})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, sort: str) -> "Cursor":
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not all(isinstance(data.get(k), str) for k in ("s", "t", "i")):
                raise InvalidCursor("the cursor is malformed")
            at = datetime.fromisoformat(data["t"])
            at.astimezone(UTC)  # times that cannot exist in UTC are refused here
            cursor = cls(data["s"], at, UUID(data["i"]))
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            OverflowError,
            binascii.Error,
        ) as error:
            raise InvalidCursor("the cursor is malformed") from error
        if cursor.sort != sort:
            raise InvalidCursor("the cursor belongs to another sort order")
        if cursor.at.tzinfo is None:
            raise InvalidCursor("the cursor is malformed")
        return cursor
