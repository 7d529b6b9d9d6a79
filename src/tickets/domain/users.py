"""Users and their roles, and the rules for changing a role."""

from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

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


class RoleManagedByIdentityProvider(RuleViolation):
    """An admin tried to change the role of a user whose roles an identity provider's
    tokens carry: the provider is authoritative, a stored role would change nothing."""

    code = "user.role_managed_by_identity_provider"


def provider_user_id(issuer: str, subject: str) -> UUID:
    """The id of an identity provider's user: subjects are unique per issuer, not UUIDs.

    A name-based (version 5) UUID, while this service's own users get random (version 4)
    ids: the version tells the two kinds apart without a column to keep in step."""
    return uuid5(NAMESPACE_URL, f"{issuer}#{subject}")


@dataclass(frozen=True, slots=True)
class User:
    """Someone acting on tickets; roles decide what they may do."""

    id: UUID
    name: str
    roles: frozenset[Role]

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def author_scope(self) -> UUID | None:
        """The visibility rule, the one place it is written: approvers and admins see
        every ticket (None: no author filter); anyone else sees only the tickets they
        wrote (their own id). The aggregate, the query use cases and the read model's
        SQL filter all read it from here."""
        return None if Role.APPROVER in self.roles or Role.ADMIN in self.roles else self.id

    def may_see(self, author_id: UUID) -> bool:
        """Whether this user sees a ticket written by ``author_id``."""
        scope = self.author_scope
        return scope is None or scope == author_id

    @property
    def from_identity_provider(self) -> bool:
        """Whether an identity provider vouches for this user and their roles (see
        provider_user_id)."""
        return self.id.version == 5

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
        if self.from_identity_provider:
            raise RoleManagedByIdentityProvider(
                f"the roles of {self.name} come from the identity provider's tokens; "
                "change them in the identity provider"
            )
        return replace(self, roles=frozenset({role}))
