"""Running a command from a route: correlation id, Idempotency-Key, If-Match, ETag."""

import hashlib
import json
import re
from typing import Any, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from tickets.api.auth.dependencies import services_of
from tickets.application.commands import Command
from tickets.application.messagebus import Outcome
from tickets.application.ports import IdempotencyRequest, MessageContext
from tickets.application.results import Result

# RFC 9110 entity-tag: optional W/, then etagc (visible ASCII but '"', or obs-text) quoted.
ETAG = re.compile(r'(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
# A version is what PostgreSQL's integer column holds: ASCII digits only (str.isdigit
# would take "²", which int() refuses), at most 10 of them, at most 2**31 - 1.
VERSION_TAG = re.compile(r"[0-9]{1,10}")
MAX_VERSION = 2**31 - 1
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
R = TypeVar("R", bound=Result)


def _header(name: str, description: str, pattern: str) -> dict[str, Any]:
    """An optional string header, as an OpenAPI parameter. The description is in the
    schema too: generators document a parameter from its schema."""
    schema = {"type": "string", "pattern": pattern, "description": description}
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema,
    }


_IF_MATCH = _header(
    "If-Match",
    'Expected ticket version, as returned in ETag: "3" (or *): a version N >= 1, quoted. '
    "A version other than the ticket's is a 412; another well-formed entity tag, which "
    "can match no version, is a 412 too; a malformed one a 422.",
    r'^(\*|(W/)?"[1-9][0-9]{0,9}")$',
)
_IDEMPOTENCY_KEY = _header(
    "Idempotency-Key",
    "Makes a retried POST safe: a repeat returns the stored response. 1-255 visible ASCII "
    "characters.",
    "^[!-~]{1,255}$",
)


def command_headers(*, if_match: bool = True, idempotency_key: bool = True) -> dict[str, Any]:
    """The ``openapi_extra`` documenting the headers a command route reads.

    The routes read If-Match and Idempotency-Key from the request themselves (and
    validate them here) rather than declaring FastAPI Header parameters: each declared
    parameter adds FastAPI's parameter validation to every request (bench profile),
    and these two are plain strings we check by hand.
    """
    parameters = [p for p, on in ((_IF_MATCH, if_match), (_IDEMPOTENCY_KEY, idempotency_key)) if on]
    return {"parameters": parameters}


def expected_version(request: Request) -> int | None:
    """The version the If-Match header demands; None for no header or ``*``."""
    if_match = request.headers.get("if-match")
    if if_match is None or if_match.strip() == "*":
        return None
    match = ETAG.fullmatch(if_match.strip())
    if match is None:
        raise HTTPException(422, 'If-Match must be one entity tag such as "3"')
    tag = match.group(1)
    if not VERSION_TAG.fullmatch(tag) or int(tag) > MAX_VERSION:
        raise HTTPException(412, "If-Match names no version this ticket can have")
    return int(tag)


async def refuse_null_body(request: Request) -> None:
    """422 for a JSON ``null`` body, which FastAPI reads as the absent optional body:
    the document allows an object or no body at all."""
    if (await request.body()).strip():
        raise HTTPException(422, "the body must be a JSON object, or no body at all")


async def run_command(
    request: Request, command: Command[R], body: Any = None, *, idempotent: bool = True
) -> Outcome[R]:
    """Send ``command`` through the bus with this request's context, honouring its
    Idempotency-Key header if the route is ``idempotent``."""
    key = request.headers.get("idempotency-key") if idempotent else None
    context = MessageContext(
        correlation_id=request.state.request_id,
        idempotency=_idempotency(request, key, body),
    )
    return await services_of(request).bus.handle(command, context)


def _idempotency(request: Request, key: str | None, body: Any) -> IdempotencyRequest | None:
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise HTTPException(422, "Idempotency-Key must be 1-255 visible ASCII characters")
    canonical = json.dumps(
        {
            "method": request.method,
            "path": request.url.path,
            "if_match": request.headers.get("if-match"),
            "body": body.model_dump(mode="json") if body is not None else None,
        },
        sort_keys=True,
    )
    return IdempotencyRequest(key, hashlib.sha256(canonical.encode()).hexdigest())


def command_response(
    body: BaseModel, outcome: Outcome[Result], version: int, status: int = 200
) -> Response:
    """The answer to a command, serialized here: a route that returns a Response skips
    FastAPI's validation and serialization of a response model (the route still
    declares the model, for the document)."""
    headers = {"ETag": f'"{version}"'}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(body.model_dump_json(), status, headers, media_type="application/json")
