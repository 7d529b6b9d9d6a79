"""FastAPI dependencies: the services of the running app and the current user."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tickets.api.auth.tokens import InvalidToken
from tickets.api.services import ApiServices
from tickets.domain.users import User

_bearer = HTTPBearer(
    auto_error=False,
    description="A JWT from POST /auth/token (dev login) or `tickets token`, or an "
    "access token of the configured identity provider (TICKETS_JWT_JWKS_URL).",
)


def services_of(request: Request) -> ApiServices:
    """The running app's services (a plain function: commands call it, not Depends)."""
    services: ApiServices = request.app.state.services
    return services


# Both dependencies are coroutines on purpose: FastAPI runs a plain ``def`` dependency in
# a worker thread, a thread hop on every request for work that never blocks. Each
# dependency has a cost on every request (bench profile), so the user's does not
# depend on get_services but reads the services itself.
async def get_services(request: Request) -> ApiServices:
    return services_of(request)


Services = Annotated[ApiServices, Depends(get_services)]


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None:
        raise InvalidToken("a bearer token is required", "auth.missing_token")
    return await services_of(request).tokens.user_for(credentials.credentials)


CurrentUser = Annotated[User, Depends(current_user)]
