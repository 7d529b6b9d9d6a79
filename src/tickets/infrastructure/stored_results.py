"""Command results as the JSON documents the idempotency store keeps.

Stored responses are durable: a document written by an earlier release must still
read back, so a result's ``kind`` and field names never change meaning.
"""

from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from tickets.application.results import (
    BatchResult,
    CommentResult,
    Result,
    TicketResult,
    UserResult,
)
from tickets.domain.status import TicketStatus
from tickets.domain.users import Role
from tickets.infrastructure.serialization import json_value

_KINDS: dict[str, type[Result]] = {
    "ticket": TicketResult,
    "comment": CommentResult,
    "user": UserResult,
    "batch": BatchResult,
}
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "id": UUID,
    "ticket_id": UUID,
    "author_id": UUID,
    "status": TicketStatus,
    "created_at": datetime.fromisoformat,
    "updated_at": datetime.fromisoformat,
    "roles": lambda roles: tuple(Role(r) for r in roles),
}


def result_to_json(result: Result) -> dict[str, Any]:
    kind = next(k for k, cls in _KINDS.items() if isinstance(result, cls))
    data = {k: json_value(v) for k, v in asdict(result).items()}
    return {"kind": kind, "data": data}


def result_from_json(document: dict[str, Any]) -> Result:
    cls = _KINDS[document["kind"]]
    data = document["data"]
    values = {f.name: _CONVERT.get(f.name, _same)(data[f.name]) for f in fields(cls)}
    return cls(**values)


def _same(value: Any) -> Any:
    return value
