"""Corrections to the schemas FastAPI writes into the OpenAPI document, where its
defaults describe a request the server does not take or give generated clients
unusable names.

- An optional query parameter is typed ``T | None`` in Python, which FastAPI documents
  as ``anyOf [T, null]``; a query string has no null (an absent parameter is what None
  means), and generators turn the union into ``None | T | Unset``. The parameter is
  documented as ``T``, not required.
- An optional body (``Model | None = None``) becomes ``anyOf [$ref, null]``; generated
  clients then serialize their "unset" marker and crash before sending. The body is
  documented as the plain ``$ref`` with ``required: false``; the server refuses a JSON
  ``null`` body (see ``command_route.refuse_null_body``), as that schema says.
- Enums whose values are not identifiers get readable member names
  (``x-enum-varnames``), which generators use instead of ``VALUE_1``.
"""

from enum import Enum
from typing import Any

from tickets.application.queries import TicketSort

# Schema components whose values do not make identifiers: their members' Python names.
ENUM_NAMES: dict[str, type[Enum]] = {"TicketSort": TicketSort}
NULL = {"type": "null"}


def correct_schemas(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if not parameter.get("required"):
                    parameter["schema"] = _not_nullable(parameter.get("schema", {}))
            body = operation.get("requestBody")
            if body is not None:
                _correct_body(body)
    schemas = document.get("components", {}).get("schemas", {})
    for name, enum in ENUM_NAMES.items():
        if name in schemas:
            schemas[name]["x-enum-varnames"] = [member.name for member in enum]


def _not_nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf [T, null]`` as ``T``, the outer keywords (description, title) kept."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list) or NULL not in branches or len(branches) != 2:
        return schema
    (kept,) = (branch for branch in branches if branch != NULL)
    outer = {key: value for key, value in schema.items() if key != "anyOf"}
    if "$ref" in kept and outer:
        return {**outer, **kept}  # OpenAPI 3.1 allows keywords beside a $ref
    return {**kept, **outer}


def _correct_body(body: dict[str, Any]) -> None:
    body.setdefault("required", False)
    if body["required"]:
        return
    for media in body.get("content", {}).values():
        schema = _not_nullable(media.get("schema", {}))
        schema.pop("title", None)  # FastAPI's "Body": a name generators would use
        media["schema"] = schema
