"""A newcomer's first requests: `GET /` says what the service is and where to go, the
guessable `/health` names the two real checks, and HEAD works wherever GET does."""

import httpx
import pytest

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import assert_problem
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.drain import drain
from tickets.version import version

LINKED = ("/docs", "/openapi.json", "/health/live", "/health/ready", "/metrics")


async def test_the_index_names_the_service_and_links_where_to_start(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")  # no token
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "tickets"
    assert body["version"] == version()
    assert set(body["links"].values()) == set(LINKED)
    for path in body["links"].values():
        assert (await client.get(path)).status_code == 200, path


async def test_the_index_is_documented_as_public(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/"]["get"]
    assert not operation.get("security"), operation
    assert "503" not in operation["responses"], "the index needs no database"


async def test_health_names_the_live_and_ready_checks(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/health"), 404, "route.not_found")
    assert body["see"] == ["/health/live", "/health/ready"]
    assert "/health/live" in body["detail"]
    assert "/health/ready" in body["detail"]


@pytest.mark.parametrize("path", ["/", "/health/live", "/health/ready", "/metrics", "/docs"])
async def test_head_answers_like_get_without_a_body(client: httpx.AsyncClient, path: str) -> None:
    got = await client.get(path)
    head = await client.head(path)
    assert head.status_code == got.status_code == 200, (head.status_code, got.status_code)
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if path != "/metrics":  # the metrics grow between the two requests
        assert head.headers["content-length"] == str(len(got.content))


async def test_head_on_the_ticket_queries(
    client: httpx.AsyncClient, login: Login, runtime: Runtime
) -> None:
    user = await login("head", "requester")
    created = await client.post("/tickets", json={"title": "head"}, headers=user)
    assert created.status_code == 201, created.text
    await drain(runtime.dispatcher)  # these apps run no worker
    ticket = f"/tickets/{created.json()['id']}"
    for path in ("/tickets", "/tickets/stats", ticket):
        got = await client.get(path, headers=user)
        head = await client.head(path, headers=user)
        assert (head.status_code, head.content) == (got.status_code, b""), path
        assert head.status_code == 200, path
        assert head.headers.get("etag") == got.headers.get("etag"), path


async def test_head_keeps_the_status_of_an_error(client: httpx.AsyncClient) -> None:
    unauthenticated = await client.head("/tickets")
    assert (unauthenticated.status_code, unauthenticated.content) == (401, b"")
    missing = await client.head("/nowhere")
    assert (missing.status_code, missing.content) == (404, b"")


async def test_head_is_allowed_where_get_is(client: httpx.AsyncClient) -> None:
    refused = await client.put("/health/live")
    assert refused.status_code == 405
    assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    post_only = await client.head("/tickets/00000000-0000-4000-8000-000000000000/approve")
    assert post_only.status_code == 405, "HEAD where there is no GET"
    assert "HEAD" not in post_only.headers["allow"]


async def test_a_head_request_is_measured_as_head(client: httpx.AsyncClient) -> None:
    await client.head("/health/live")
    text = (await client.get("/metrics")).text
    assert 'method="HEAD",route="/health/live",status="200"' in text
