"""The AsyncAPI document and the code's integration mapping describe the same events."""

import dataclasses
import json
import uuid
from datetime import UTC, datetime
from typing import Any, get_type_hints

import jsonschema_rs
import pytest

from tests.support.asyncapi import document, message_schemas, messages, resolve
from tickets.domain.events import EVENT_TYPES, DomainEvent
from tickets.infrastructure.broker import wire
from tickets.infrastructure.broker.integration import (
    PUBLISHED,
    integration_messages,
    published_types,
)


def sample(cls: type[DomainEvent]) -> DomainEvent:
    """An instance with a plausible value for every field, whatever the event type."""
    values: dict[str, Any] = {}
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if f.default is not dataclasses.MISSING:
            continue
        if hint is uuid.UUID:
            values[f.name] = uuid.uuid4()
        elif hint is datetime:
            values[f.name] = datetime.now(UTC)
        elif hint is int:
            values[f.name] = 3
        else:
            values[f.name] = f"some {f.name}"
    return cls(**values)


def test_every_domain_event_type_is_published() -> None:
    assert set(PUBLISHED) == set(EVENT_TYPES.values())


def test_the_document_lists_exactly_the_published_event_types() -> None:
    assert sorted(messages()) == published_types()
    operation = resolve(document()["operations"]["publishTicketEvents"])
    assert sorted(m["name"] for m in operation["messages"]) == published_types()


@pytest.mark.parametrize("cls", sorted(PUBLISHED, key=lambda c: c.event_type))
def test_each_published_body_and_headers_match_the_document(cls: type[DomainEvent]) -> None:
    documented = messages()
    for out in integration_messages(uuid.uuid4(), "corr-1", sample(cls)):
        message = documented[out.routing_key]
        jsonschema_rs.validate(message["payload"], json.loads(out.body))
        jsonschema_rs.validate(message["headers"], out.headers)
        assert message["bindings"]["amqp"]["messageType"] == out.routing_key


def test_the_operation_binding_says_what_the_publisher_sets() -> None:
    """AMQP properties of a publish belong to the operation's binding (AsyncAPI 3)."""
    operation = document()["operations"]["publishTicketEvents"]
    amqp = operation["bindings"]["amqp"]
    assert amqp["deliveryMode"] == wire.PERSISTENT == 2
    assert amqp["timestamp"] is True  # wire.encode always sets the timestamp property
    assert amqp["mandatory"] is False  # and publishes with the mandatory bit off
    for message in messages().values():
        assert set(message["bindings"]["amqp"]) <= {"messageType", "bindingVersion"}


def _objects(schema: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            found.append(schema)
        for value in schema.values():
            found.extend(_objects(value))
    return found


def test_documented_objects_are_closed_and_fully_required() -> None:
    """With every property required and no others allowed, validation above proves
    the code sends exactly the documented fields: none missing, none extra."""
    for name, schema in message_schemas().items():
        for obj in _objects(schema):
            assert obj.get("additionalProperties") is False, name
            assert sorted(obj.get("required", [])) == sorted(obj.get("properties", {})), name
