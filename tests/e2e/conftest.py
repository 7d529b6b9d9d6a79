"""HTTP against the real app (lifespan included) over an in-process ASGI transport."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
import pytest_asyncio

from tests.conftest import settings_for
from tickets.bootstrap import build_app
from tickets.testing.scratch_databases import execute, with_database

Login = Callable[..., Awaitable[dict[str, str]]]


@pytest_asyncio.fixture(scope="session")
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(settings_for(database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tickets") as http:
            yield http


@pytest_asyncio.fixture
async def login(client: httpx.AsyncClient) -> Login:
    """login("alice", "requester") -> Authorization headers for a fresh, unique user."""
    import uuid

    async def _login(name: str, role: str = "requester") -> dict[str, str]:
        username = f"{name}-{uuid.uuid4().hex[:8]}"
        response = await client.post("/auth/token", json={"username": username, "role": role})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return _login


@pytest.fixture
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database (not migrated), dropped afterwards."""
    name = f"tickets_cli_{uuid.uuid4().hex[:10]}"
    asyncio.run(execute(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(server_url, name)
    finally:
        asyncio.run(execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
