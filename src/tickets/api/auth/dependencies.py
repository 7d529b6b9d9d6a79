"""FastAPI dependencies: the services of the running app and the current user."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tickets.api.auth.tokens import InvalidToken, verify_token
from tickets.api.services import ApiServices
from tickets.domain.users import User

_bearer = HTTPBearer(
    auto_error=False,
    description="A JWT from POST /auth/token (dev login) or `tickets token`.",
)


def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


Services = Annotated[ApiServices, Depends(get_services)]


def current_user(
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None:
        raise InvalidToken("a bearer token is required", "auth.missing_token")
    return verify_token(credentials.credentials, services.auth)


CurrentUser = Annotated[User, Depends(current_user)]
