"""The OpenAPI document as served: what FastAPI generates, corrected where it would
describe the errors differently from how they are answered."""

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from tickets.api.openapi_headers import declare_headers
from tickets.api.openapi_schemas import correct_schemas
from tickets.api.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemOut"}
# FastAPI's default 422 schema; every error here is a problem instead.
UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError")
# Answers any operation of a kind may give, documented once here rather than per route.
# BodyLimitMiddleware refuses a declared Content-Length over the limit on any request.
ANY = {"413": "`request.too_large`: body over 1 MiB"}
WITH_BODY = {
    "400": "`request.bad`: a body that cannot be decoded at all",
    **ANY,
    "422": "`request.invalid`: the body, a parameter or a header does not match the schema",
}
WITH_PARAMETERS = {"422": WITH_BODY["422"]}
WITH_DATABASE = {"503": "`service.unavailable`: the database cannot be reached (`Retry-After`)"}
WITH_TOKEN = {"401": "`auth.*`: a missing, invalid or expired bearer token"}
WITHOUT_DATABASE = {("get", "/"), ("get", "/health/live"), ("get", "/metrics")}


def install_openapi(app: FastAPI, documented: Sequence[APIRoute]) -> None:
    """Name each documented operation after its route, and serve the corrected document
    at /openapi.json (built once, on first request), its operations in the order of
    ``documented`` (the app may try routes in another)."""
    for route in documented:
        # The route's name (the endpoint function's, unless the route sets ``name``):
        # stable and readable, where FastAPI's default glues name, path and method
        # (``list__tickets_get``).
        route.operation_id = route.name
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()  # FastAPI caches it in app.openapi_schema
            _correct(document)
            document["paths"] = _in_order(document.get("paths", {}), documented)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def _correct(document: dict[str, Any]) -> None:
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            # A route without the bearer scheme is public; saying so explicitly tells
            # linters and generators it was not forgotten.
            operation.setdefault("security", [])
            responses = operation.setdefault("responses", {})
            for status, text in _implied(path, method, operation).items():
                responses.setdefault(status, {"description": text})
            for status, response in responses.items():
                if status.startswith(("4", "5")) or status == "default":
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    schemas = document.get("components", {}).get("schemas", {})
    for name in UNUSED_SCHEMAS:
        schemas.pop(name, None)
    correct_schemas(document)
    declare_headers(document)


def _in_order(paths: dict[str, Any], routes: Sequence[APIRoute]) -> dict[str, Any]:
    ordered: dict[str, Any] = {}
    for route in routes:
        for method in sorted(route.methods or ()):
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                ordered.setdefault(route.path_format, {})[method.lower()] = operation
    return ordered


def _implied(path: str, method: str, operation: dict[str, Any]) -> dict[str, str]:
    implied: dict[str, str] = dict(ANY)
    if operation.get("parameters"):
        implied |= WITH_PARAMETERS
    if "requestBody" in operation:
        implied |= WITH_BODY
    if (method, path) not in WITHOUT_DATABASE:
        implied |= WITH_DATABASE
    if operation.get("security"):  # the routes that take the current user
        implied |= WITH_TOKEN
    return implied
