"""Domain events to and from their JSON payloads in the outbox.

Every read of a stored event goes through ``event_from_payload``, which upcasts old
versions first (see upcasting.py).
"""

from collections.abc import Callable
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
    values = {
        name: payload[name] if read is None else read(payload[name])
        for name, read in _field_readers(event_type)
    }
    return cls(**values)


Reader = Callable[[Any], Any]


@cache
def _field_readers(event_type: str) -> tuple[tuple[str, Reader | None], ...]:
    """Each field of the event type with what turns its JSON value back into the field's
    type (None: JSON holds it as it is), worked out once per type: the worker decodes
    every event it delivers."""
    cls = EVENT_TYPES[event_type]
    hints = get_type_hints(cls)
    return tuple((f.name, _reader(hints[f.name])) for f in fields(cls))


def _reader(hint: Any) -> Reader | None:
    if hint is UUID:
        return UUID
    if hint is datetime:
        return datetime.fromisoformat
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    return None


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
