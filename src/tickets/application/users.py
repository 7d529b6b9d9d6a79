"""User administration: changing a role, and recording users first seen in an identity
provider's token. The handlers are registered with the others in command_handlers.py."""

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from tickets.application.commands import Command
from tickets.application.errors import ApplicationError, InvalidCommand
from tickets.application.ports import ClockAndIds, UnitOfWork
from tickets.application.results import UserResult
from tickets.domain.users import Role, User


class UserNotFound(ApplicationError):
    code = "user.not_found"


class UserNameTaken(ApplicationError):
    """An identity provider's user name is already another user's (twice over)."""

    code = "user.name_taken"


class UserRoles(Protocol):
    """Where the API reads a user's current roles (the users table)."""

    async def roles_of(self, user_id: UUID) -> frozenset[Role] | None:
        """The user's roles now; None if there is no such user."""


@dataclass(frozen=True, kw_only=True)
class ChangeUserRole(Command[UserResult]):
    """An admin gives a user (by id or by name) exactly one role."""

    actor: User
    role: Role
    user_id: UUID | None = None
    name: str | None = None

    def validate(self) -> None:
        if (self.user_id is None) == (self.name is None):
            raise InvalidCommand("user", "name the user by id or by name, not both")

    def idempotency_scope(self) -> str:
        return str(self.actor.id)


@dataclass(frozen=True, kw_only=True)
class ProvisionUser(Command[UserResult]):
    """Record a user an identity provider vouched for, the first time they are seen."""

    user_id: UUID
    name: str
    roles: frozenset[Role]


async def change_user_role(
    cmd: ChangeUserRole, uow: UnitOfWork, _clock_and_ids: ClockAndIds
) -> UserResult:
    if cmd.user_id is not None:
        user = await uow.users.get(cmd.user_id)
    else:
        assert cmd.name is not None
        user = await uow.users.get_by_name(cmd.name)
    if user is None:
        raise UserNotFound(f"no user {cmd.user_id or cmd.name}")
    changed = user.with_role(cmd.role, by=cmd.actor)
    if changed != user:
        changed = await uow.users.save(changed)
    return UserResult.of(changed)


async def provision_user(
    cmd: ProvisionUser, uow: UnitOfWork, _clock_and_ids: ClockAndIds
) -> UserResult:
    for name in (cmd.name, f"{cmd.name}#{cmd.user_id.hex[:8]}"):
        user = User(cmd.user_id, name, cmd.roles)
        if await uow.users.insert(user):
            return UserResult.of(user)
        existing = await uow.users.get(cmd.user_id)
        if existing is not None:  # seen before (or by another process just now)
            return UserResult.of(existing)
        # else the name belongs to another user: try the name made unique by the id
    raise UserNameTaken(f"cannot record user {cmd.name}: the name is taken")
