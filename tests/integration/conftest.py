"""Helpers for tests on the real write database."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from tickets.application.commands import RegisterUser
from tickets.application.ports import MessageContext
from tickets.bootstrap import Runtime
from tickets.domain.users import Role, User


def context() -> MessageContext:
    return MessageContext(correlation_id=f"test-{uuid.uuid4().hex[:8]}")


async def register(runtime: Runtime, role: Role = Role.REQUESTER) -> User:
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    outcome = await runtime.bus.handle(RegisterUser(name=name, role=role), context())
    return outcome.result.user()


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection for asserting on what was committed."""
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()
