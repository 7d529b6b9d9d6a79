"""Users and their roles, and the rules for changing a role."""

from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import UUID

from tickets.domain.errors import PermissionDenied, RuleViolation


class Role(StrEnum):
    REQUESTER = "requester"
    APPROVER = "approver"
    ADMIN = "admin"


class RoleMismatch(RuleViolation):
    """A login asked for a role the existing user does not hold."""

    code = "user.role_mismatch"


class OwnRoleChange(PermissionDenied):
    """An admin tried to change their own role (which could lock the last admin out)."""

    code = "user.own_role"


@dataclass(frozen=True, slots=True)
class User:
    """Someone acting on tickets; roles decide what they may do."""

    id: UUID
    name: str
    roles: frozenset[Role]

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def sees_all_tickets(self) -> bool:
        """Approvers and admins see every ticket; requesters see their own."""
        return Role.APPROVER in self.roles or Role.ADMIN in self.roles

    def check_login_as(self, role: Role) -> None:
        """A login never changes a role: asking for one the user lacks is refused."""
        if role not in self.roles:
            held = ", ".join(sorted(self.roles)) or "none"
            raise RoleMismatch(
                f"user {self.name} has the role {held}, not {role}; "
                "an admin changes roles (tickets users set-role / PUT /admin/users/{id}/role)"
            )

    def with_role(self, role: Role, by: "User") -> "User":
        """This user holding exactly ``role``, as changed by the admin ``by``."""
        if not by.has_role(Role.ADMIN):
            raise PermissionDenied("only admins change roles")
        if by.id == self.id:
            raise OwnRoleChange("admins cannot change their own role; ask another admin")
        return replace(self, roles=frozenset({role}))
