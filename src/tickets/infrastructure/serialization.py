"""Domain events to and from their JSON payloads in the outbox.

Every read of a stored event goes through ``event_from_payload``, which upcasts old
versions first (see upcasting.py).
"""

from dataclasses import fields
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, get_type_hints
from uuid import UUID

from tickets.domain.events import EVENT_TYPES, DomainEvent
from tickets.infrastructure.upcasting import upcast


def event_to_payload(event: DomainEvent) -> dict[str, Any]:
    return {f.name: json_value(getattr(event, f.name)) for f in fields(event)}


def event_from_payload(event_type: str, payload: dict[str, Any]) -> DomainEvent:
    """The current-version domain event of a stored event of any version."""
    event_type, payload = upcast(event_type, payload)
    cls = EVENT_TYPES[event_type]
    values = {name: _typed(hint, payload[name]) for name, hint in _field_hints(event_type)}
    return cls(**values)


@cache
def _field_hints(event_type: str) -> tuple[tuple[str, Any], ...]:
    cls = EVENT_TYPES[event_type]
    hints = get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in fields(cls))


def json_value(value: Any) -> Any:
    """``value`` as JSON holds it: ids and times as text, enums by value, tuples as lists."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    return value


def _typed(hint: Any, value: Any) -> Any:
    if hint is UUID:
        return UUID(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    return value
