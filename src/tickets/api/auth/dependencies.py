"""FastAPI dependencies: the services of the running app and the current user."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from tickets.api.auth.tokens import InvalidToken
from tickets.api.services import ApiServices
from tickets.domain.users import User


def services_of(request: Request) -> ApiServices:
    """The running app's services (a plain function: routes call it, not Depends)."""
    services: ApiServices = request.app.state.services
    return services


# Every dependency a route declares costs FastAPI's dependency solving on every request
# (the profiles in docs/benchmarks.md): routes on the hot paths call services_of(request) instead of
# depending on Services, and the user is one dependency, not a user dependency on top
# of fastapi's HTTPBearer. Both are coroutines on purpose: FastAPI runs a plain ``def``
# dependency in a worker thread, a thread hop for work that never blocks.
async def get_services(request: Request) -> ApiServices:
    return services_of(request)


Services = Annotated[ApiServices, Depends(get_services)]


class BearerUser(SecurityBase):
    """The user of the request's ``Authorization: Bearer`` token, or 401.

    A security scheme itself, so OpenAPI documents it as FastAPI's HTTPBearer would
    (same scheme name and model); the header is read as HTTPBearer reads it: scheme and
    token split at the first space, the scheme compared without case."""

    def __init__(self, description: str) -> None:
        self.model = HTTPBearerModel(description=description)
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> User:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        token = token.strip()
        if not token or scheme.lower() != "bearer":
            raise InvalidToken("a bearer token is required", "auth.missing_token")
        return await services_of(request).tokens.user_for(token)


current_user = BearerUser(
    "A JWT from POST /auth/token (dev login) or `tickets token`, or an access token of "
    "the configured identity provider (TICKETS_JWT_JWKS_URL)."
)
CurrentUser = Annotated[User, Depends(current_user)]
