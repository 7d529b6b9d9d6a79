"""Users and their roles."""

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    REQUESTER = "requester"
    APPROVER = "approver"
    ADMIN = "admin"


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
