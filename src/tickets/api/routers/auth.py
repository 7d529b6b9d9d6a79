"""Dev login: exchange a username and role for a real JWT."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from tickets.api.auth.dependencies import Services, services_of
from tickets.api.auth.tokens import issue_token
from tickets.api.command_route import run_command
from tickets.api.problems import problem
from tickets.api.schemas import ProblemOut, TokenRequest, TokenResponse
from tickets.application.commands import RegisterUser

# Says what the route needs and nothing about how the server is configured otherwise.
DEV_LOGIN_DISABLED = (
    "dev login is disabled on this server; it is enabled with TICKETS_DEV_LOGIN=true "
    "(for development only)"
)


class DevLoginRoute(APIRoute):
    """Answers a disabled dev login before the body is read, so the answer is the same
    404 whatever was sent: no body is parsed or validated for a route that is off."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def gated(request: Request) -> Response:
            if not services_of(request).auth.dev_login:
                return problem(
                    404, "auth.dev_login_disabled", "Dev login disabled", DEV_LOGIN_DISABLED
                )
            return await handler(request)

        return gated


router = APIRouter(prefix="/auth", tags=["auth"], route_class=DevLoginRoute)


@router.post(
    "/token",
    summary="Dev login: get a token for a user, created on first use",
    description="A login never changes an existing user's role: asking for another role "
    "than the user holds is 409 `user.role_mismatch` (an admin changes roles with "
    "`PUT /admin/users/{id}/role`).",
    responses={
        404: {
            "model": ProblemOut,
            "description": "dev login is disabled (`auth.dev_login_disabled`)",
        },
        409: {"model": ProblemOut, "description": "the user exists with another role"},
        422: {"model": ProblemOut, "description": "malformed request"},
    },
)
async def token(body: TokenRequest, request: Request, services: Services) -> TokenResponse:
    # A disabled dev login never reaches here: DevLoginRoute answers it.
    command = RegisterUser(name=body.username, role=body.role)
    outcome = await run_command(request, command, idempotent=False)
    return TokenResponse(
        access_token=issue_token(outcome.result.user(), services.auth),
        token_type="bearer",
        expires_in=services.auth.ttl_seconds,
    )
