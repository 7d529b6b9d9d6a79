"""RFC 9457 problem details, and the one table mapping errors to HTTP statuses."""

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tickets.api.auth.tokens import InvalidToken
from tickets.api.json_limits import BodyRefused
from tickets.application.errors import (
    ApplicationError,
    ConcurrencyConflict,
    DeadLetterNotFound,
    IdempotencyKeyReused,
    InvalidCommand,
    InvalidQuery,
    NotificationNotFound,
    ReadModelBehind,
    ServiceUnavailable,
    TicketNotFound,
    VersionMismatch,
    VersionNotWritten,
)
from tickets.application.users import UserNameTaken, UserNotFound
from tickets.domain.errors import DomainError, InvalidValue, PermissionDenied, RuleViolation
from tickets.domain.users import RoleManagedByIdentityProvider, RoleMismatch

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("tickets.api")

STATUS_BY_ERROR: list[tuple[type[Exception], int, str]] = [
    (PermissionDenied, 403, "Forbidden"),
    (RoleMismatch, 409, "Conflict with the user's role"),
    (RoleManagedByIdentityProvider, 409, "Role managed by the identity provider"),
    (RuleViolation, 409, "Conflict with the ticket's state"),
    (InvalidValue, 422, "Invalid value"),
    (TicketNotFound, 404, "Not found"),
    (DeadLetterNotFound, 404, "Not found"),
    (NotificationNotFound, 404, "Not found"),
    (UserNotFound, 404, "Not found"),
    (UserNameTaken, 409, "User name taken"),
    (VersionMismatch, 412, "Precondition failed"),
    (ConcurrencyConflict, 409, "Concurrent modification"),
    (VersionNotWritten, 409, "Version not written"),
    (IdempotencyKeyReused, 422, "Idempotency key reused"),
    (InvalidCommand, 422, "Invalid request"),
    (InvalidQuery, 422, "Invalid request"),
    (ServiceUnavailable, 503, "Service unavailable"),
    (ReadModelBehind, 503, "Read model behind"),
]

MAX_LISTED_ERRORS = 20
"""A 422 lists at most this many errors (and counts them all in ``error_count``): the
answer to a body with thousands of wrong members stays small."""
MAX_FIELD_CHARS = 200  # a field's name comes from the client (an unknown member's key)

HTTP_CODES = {
    400: "request.bad",
    401: "auth.unauthenticated",
    403: "auth.forbidden",
    404: "route.not_found",
    405: "request.method_not_allowed",
    412: "ticket.version_mismatch",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    422: "request.invalid",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"urn:tickets:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _known_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError | ApplicationError)
    for cls, status, title in STATUS_BY_ERROR:
        if isinstance(error, cls):
            extra: dict[str, Any] = {}
            if isinstance(error, InvalidValue | InvalidCommand | InvalidQuery):
                extra["errors"] = [{"field": error.field, "message": str(error)}]
            headers = {"Retry-After": "1"} if status == 503 else None
            return problem(status, error.code, title, str(error), headers, **extra)
    return _unexpected(_, error)


def _invalid_token(_: Request, error: Exception) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return problem(
        401, getattr(error, "code", "auth.invalid_token"), "Unauthorized", str(error), headers
    )


def _validation(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    found = error.errors()
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()))[:MAX_FIELD_CHARS],
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in found[:MAX_LISTED_ERRORS]
    ]
    detail = "the request does not match the schema"
    if len(found) > MAX_LISTED_ERRORS:
        detail += f" ({len(found)} errors, the first {MAX_LISTED_ERRORS} listed)"
    return problem(
        422,
        "request.invalid",
        "Invalid request",
        detail,
        errors=errors,
        error_count=len(found),
    )


def _body_refused(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, BodyRefused)
    return problem(400, error.code, "Request body refused", str(error.detail))


def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=headers)
    code = HTTP_CODES.get(error.status_code, f"http.{error.status_code}")
    title = str(error.detail) if error.detail else "Error"
    return problem(error.status_code, code, title, str(error.detail), headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path, plus OPTIONS, and HEAD where GET is
    (see head_requests).

    Starlette's own 405 names the methods of the first route matching the path only;
    ``/tickets`` has GET from the queries router and POST from the commands router.
    """
    methods = {"OPTIONS"}
    path = request.scope["path"]
    for route in request.app.state.api_routes:
        if route.path_regex.fullmatch(path):
            methods |= route.methods
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def internal_error(error: Exception) -> JSONResponse:
    """The 500 for a bug: logged with its traceback, answered without details."""
    log.error("request.unhandled_error", error=repr(error), exc_info=error)
    return problem(500, "internal.error", "Internal error", "an unexpected error occurred")


def _unexpected(_: Request, error: Exception) -> JSONResponse:
    return internal_error(error)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _known_error)
    app.add_exception_handler(ApplicationError, _known_error)
    app.add_exception_handler(InvalidToken, _invalid_token)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(BodyRefused, _body_refused)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
