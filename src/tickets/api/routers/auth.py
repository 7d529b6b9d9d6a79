"""Dev login: exchange a username and role for a real JWT."""

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException

from tickets.api.auth.dependencies import Services
from tickets.api.auth.tokens import issue_token
from tickets.api.command_route import run_command
from tickets.api.schemas import ProblemOut, TokenRequest, TokenResponse
from tickets.application.commands import RegisterUser

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/token",
    summary="Dev login: get a token for a user, created on first use",
    description="A login never changes an existing user's role: asking for another role "
    "than the user holds is 409 `user.role_mismatch` (an admin changes roles with "
    "`PUT /admin/users/{id}/role`).",
    responses={
        404: {"model": ProblemOut, "description": "dev login is disabled"},
        409: {"model": ProblemOut, "description": "the user exists with another role"},
        422: {"model": ProblemOut, "description": "malformed request"},
    },
)
async def token(body: TokenRequest, request: Request, services: Services) -> TokenResponse:
    if not services.auth.dev_login:
        raise HTTPException(404, "dev login is disabled")
    command = RegisterUser(name=body.username, role=body.role)
    outcome = await run_command(request, command, idempotent=False)
    return TokenResponse(
        access_token=issue_token(outcome.result.user(), services.auth),
        token_type="bearer",
        expires_in=services.auth.ttl_seconds,
    )
