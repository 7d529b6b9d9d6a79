"""User roles: a login never changes a role; only an admin's command does, and never their
own; users first seen in an identity provider's token are recorded once."""

from uuid import uuid4

import pytest

from tests.unit.fakes import FakeStore, fake_bus
from tickets.application.commands import RegisterUser
from tickets.application.errors import InvalidCommand
from tickets.application.ports import MessageContext
from tickets.application.results import UserResult
from tickets.application.users import ChangeUserRole, ProvisionUser, UserNotFound
from tickets.domain.errors import PermissionDenied
from tickets.domain.users import (
    OwnRoleChange,
    Role,
    RoleManagedByIdentityProvider,
    RoleMismatch,
    User,
    provider_user_id,
)

ADMIN = User(uuid4(), "root", frozenset({Role.ADMIN}))


def ctx() -> MessageContext:
    return MessageContext(correlation_id="test")


async def registered(store: FakeStore, name: str, role: Role) -> User:
    bus, _ = fake_bus(store)
    result = (await bus.handle(RegisterUser(name=name, role=role), ctx())).result
    assert isinstance(result, UserResult)
    return User(result.id, result.name, frozenset(result.roles))


# --- the domain rule -----------------------------------------------------------------------


def test_an_admin_gives_another_user_exactly_one_role() -> None:
    bob = User(uuid4(), "bob", frozenset({Role.APPROVER, Role.ADMIN}))
    assert bob.with_role(Role.REQUESTER, by=ADMIN) == User(
        bob.id, "bob", frozenset({Role.REQUESTER})
    )


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.APPROVER])
def test_only_admins_change_roles(role: Role) -> None:
    actor = User(uuid4(), "eve", frozenset({role}))
    bob = User(uuid4(), "bob", frozenset({Role.REQUESTER}))
    with pytest.raises(PermissionDenied) as raised:
        bob.with_role(Role.ADMIN, by=actor)
    assert raised.value.code == "auth.forbidden"


def test_an_admin_cannot_change_their_own_role() -> None:
    with pytest.raises(OwnRoleChange) as raised:
        ADMIN.with_role(Role.REQUESTER, by=ADMIN)
    assert raised.value.code == "user.own_role"


def test_an_identity_provider_users_role_is_not_changed_here() -> None:
    carol = User(provider_user_id("https://idp.test", "kc-1"), "carol", frozenset({Role.ADMIN}))
    assert carol.from_identity_provider
    with pytest.raises(RoleManagedByIdentityProvider) as raised:
        carol.with_role(Role.REQUESTER, by=ADMIN)
    assert raised.value.code == "user.role_managed_by_identity_provider"
    assert "identity provider" in str(raised.value)


def test_this_services_own_users_are_not_from_an_identity_provider() -> None:
    assert not ADMIN.from_identity_provider


def test_a_login_with_another_role_is_a_role_mismatch() -> None:
    bob = User(uuid4(), "bob", frozenset({Role.REQUESTER}))
    bob.check_login_as(Role.REQUESTER)
    with pytest.raises(RoleMismatch) as raised:
        bob.check_login_as(Role.APPROVER)
    assert raised.value.code == "user.role_mismatch"
    assert "set-role" in str(raised.value)


# --- through the bus -----------------------------------------------------------------------


async def test_logging_in_again_with_another_role_changes_nothing() -> None:
    store = FakeStore()
    bob = await registered(store, "bob", Role.REQUESTER)
    bus, _ = fake_bus(store)
    with pytest.raises(RoleMismatch):
        await bus.handle(RegisterUser(name="bob", role=Role.APPROVER), ctx())
    assert store.users["bob"] == bob
    assert await registered(store, "bob", Role.REQUESTER) == bob


async def test_change_role_by_id_and_by_name() -> None:
    store = FakeStore()
    bob = await registered(store, "bob", Role.APPROVER)
    bus, _ = fake_bus(store)
    by_id = ChangeUserRole(actor=ADMIN, user_id=bob.id, role=Role.REQUESTER)
    result = (await bus.handle(by_id, ctx())).result
    assert isinstance(result, UserResult)
    assert (result.id, result.roles) == (bob.id, (Role.REQUESTER,))
    assert store.users["bob"].roles == {Role.REQUESTER}

    by_name = ChangeUserRole(actor=ADMIN, name="bob", role=Role.ADMIN)
    await bus.handle(by_name, ctx())
    assert store.users["bob"] == User(bob.id, "bob", frozenset({Role.ADMIN}))


async def test_change_role_refusals_store_nothing() -> None:
    store = FakeStore()
    bob = await registered(store, "bob", Role.APPROVER)
    requester = await registered(store, "eve", Role.REQUESTER)
    bus, _ = fake_bus(store)
    with pytest.raises(PermissionDenied):
        await bus.handle(ChangeUserRole(actor=requester, user_id=bob.id, role=Role.ADMIN), ctx())
    with pytest.raises(UserNotFound):
        await bus.handle(ChangeUserRole(actor=ADMIN, user_id=uuid4(), role=Role.ADMIN), ctx())
    with pytest.raises(InvalidCommand):
        ChangeUserRole(actor=ADMIN, user_id=bob.id, name="bob", role=Role.ADMIN).validate()
    with pytest.raises(InvalidCommand):
        ChangeUserRole(actor=ADMIN, role=Role.ADMIN).validate()
    assert store.users["bob"] == bob


async def test_a_provider_user_is_recorded_once() -> None:
    store = FakeStore()
    bus, _ = fake_bus(store)
    user_id = uuid4()
    command = ProvisionUser(user_id=user_id, name="carol", roles=frozenset({Role.APPROVER}))
    first = (await bus.handle(command, ctx())).result
    again = (await bus.handle(command, ctx())).result
    assert first == again
    assert store.users["carol"] == User(user_id, "carol", frozenset({Role.APPROVER}))


async def test_a_provider_user_whose_name_is_taken_gets_it_made_unique() -> None:
    store = FakeStore()
    local = await registered(store, "carol", Role.REQUESTER)
    bus, _ = fake_bus(store)
    user_id = uuid4()
    command = ProvisionUser(user_id=user_id, name="carol", roles=frozenset({Role.ADMIN}))
    result = (await bus.handle(command, ctx())).result
    assert isinstance(result, UserResult)
    assert result.id == user_id
    assert result.name == f"carol#{user_id.hex[:8]}"
    assert store.users["carol"] == local


@pytest.mark.parametrize(
    ("role", "sees_all"),
    [(Role.REQUESTER, False), (Role.APPROVER, True), (Role.ADMIN, True)],
)
def test_the_visibility_rule(role: Role, sees_all: bool) -> None:
    viewer, other = uuid4(), uuid4()
    user = User(viewer, "v", frozenset({role}))
    assert user.author_scope == (None if sees_all else viewer)
    assert user.may_see(viewer)
    assert user.may_see(other) is sees_all
