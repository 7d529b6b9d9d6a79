"""Upcasters: stored events of an old version, turned into the current version on read.

The outbox is also the event log the projections are rebuilt from, so its rows are
never rewritten: a row keeps the event type and payload it was committed with. Every
reader decodes through ``serialization.event_from_payload``, which applies these
first, so the live worker, a projection rebuild and the broker publisher all see the
current version only, and the domain keeps one class per event.

Adding a version: give the domain event its new ``event_type`` (``….v2``) and fields,
and register here a function from the old payload to the new one, with a default for
what old rows cannot know. Upcasters chain (v1 → v2 → v3), and are never removed while
rows of the old version may exist.
"""

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


def _rejected_v1_to_v2(payload: Payload) -> Payload:
    """v1 had only the free-text reason; the code is ``unspecified`` for those rows."""
    return {**payload, "reason_code": "unspecified"}


UPCASTERS: dict[str, tuple[str, Upcaster]] = {
    "ticket.rejected.v1": ("ticket.rejected.v2", _rejected_v1_to_v2),
}


def upcast(event_type: str, payload: Payload) -> tuple[str, Payload]:
    """The current event type and payload of a stored (possibly old) event."""
    while event_type in UPCASTERS:
        event_type, step = UPCASTERS[event_type]
        payload = step(payload)
    return event_type, payload


def current_type(event_type: str) -> str:
    """The event type a stored type is read as."""
    while event_type in UPCASTERS:
        event_type = UPCASTERS[event_type][0]
    return event_type
