"""Running a command from a route: correlation id, Idempotency-Key, If-Match, ETag."""

import hashlib
import json
import re
from typing import Annotated, Any

from fastapi import Header, Request, Response
from starlette.exceptions import HTTPException

from tickets.api.services import ApiServices
from tickets.application.commands import Command
from tickets.application.messagebus import Outcome
from tickets.application.ports import IdempotencyRequest, MessageContext

ETAG = re.compile(r'^(?:W/)?"([^"]*)"$')
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

IfMatch = Annotated[
    str | None,
    Header(description='Expected ticket version, as returned in ETag: "3" (or *)'),
]
IdempotencyKey = Annotated[
    str | None,
    Header(description="Makes a retried POST safe: a repeat returns the stored response"),
]


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header demands; None for no header or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = ETAG.fullmatch(if_match.strip())
    if match is None:
        raise HTTPException(422, 'If-Match must be one entity tag such as "3"')
    tag = match.group(1)
    if not tag.isdigit():
        raise HTTPException(412, f"If-Match {if_match} matches no version of this ticket")
    return int(tag)


async def run_command(
    request: Request,
    services: ApiServices,
    command: Command,
    idempotency_key: str | None,
    body: Any = None,
) -> Outcome:
    """Send ``command`` through the bus with this request's context."""
    context = MessageContext(
        correlation_id=request.state.request_id,
        idempotency=_idempotency(request, idempotency_key, body),
    )
    return await services.bus.handle(command, context)


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


def set_command_headers(response: Response, outcome: Outcome, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
