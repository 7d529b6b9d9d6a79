"""An optional query parameter a route reads itself instead of declaring it to FastAPI,
declared once here for both its validation and its OpenAPI entry.

Why: FastAPI solves every parameter a route declares on every request, and an absent
optional integer costs about as much as writing the answer (the figures are in
docs/benchmarks.md). The details route, the hottest read, reads its one optional
parameter this way. Nothing else changes for a client: pydantic checks the same
constraints, a bad value is the same RequestValidationError at the same location (so
the same 422 ``request.invalid``), and the OpenAPI entry is the one FastAPI would write,
given through the route's public ``openapi_extra``.
"""

from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")


class OptionalQuery(Generic[T]):
    """The query parameter ``name`` validated as ``annotation``; None when absent."""

    def __init__(self, name: str, annotation: Any, description: str) -> None:
        self.name = name
        self._adapter: TypeAdapter[T] = TypeAdapter(annotation)
        schema = self._adapter.json_schema()
        schema.update(description=description, title=name.replace("_", " ").title())
        self.openapi: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema,
            "description": description,
        }

    def read(self, request: Request) -> T | None:
        """The value (the last one, if repeated, as FastAPI takes it), or None."""
        raw = request.query_params.get(self.name)
        if raw is None:
            return None
        try:
            return self._adapter.validate_python(raw)
        except ValidationError as error:
            found = error.errors(include_url=False)
            located = [{**e, "loc": ("query", self.name, *e["loc"])} for e in found]
            raise RequestValidationError(located) from None
