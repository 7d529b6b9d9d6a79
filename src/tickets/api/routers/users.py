"""Admin-only user administration: changing a user's role."""

from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tickets.api.auth.dependencies import CurrentUser, Services
from tickets.api.command_route import run_command
from tickets.api.schemas import ProblemOut, StrictBody
from tickets.application.results import UserResult
from tickets.application.users import ChangeUserRole
from tickets.domain.users import Role

router = APIRouter(
    prefix="/admin/users",
    tags=["admin"],
    responses={
        403: {"model": ProblemOut, "description": "not an admin, or the admin's own role"},
    },
)


class RoleBody(StrictBody):
    role: Role = Field(examples=["approver"])


class UserOut(BaseModel):
    id: UUID
    name: str
    roles: list[Role]

    @classmethod
    def of(cls, result: UserResult) -> "UserOut":
        return cls(id=result.id, name=result.name, roles=list(result.roles))


@router.put(
    "/{user_id}/role",
    summary="Give a user exactly one role",
    description="The user's tokens carry the new role (and no longer the old one) within "
    "a few seconds in every API process, at once in this one; an admin cannot change "
    "their own role (403 `user.own_role`). Tokens of an identity provider carry the "
    "provider's roles: change those there.",
    responses={404: {"model": ProblemOut, "description": "no such user"}},
)
async def set_user_role(
    user_id: UUID, body: RoleBody, request: Request, services: Services, user: CurrentUser
) -> UserOut:
    command = ChangeUserRole(actor=user, user_id=user_id, role=body.role)
    result = (await run_command(request, command, idempotent=False)).result
    services.tokens.forget_user(user_id)
    return UserOut.of(result)
