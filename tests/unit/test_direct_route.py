"""DirectRoute: which routes take the direct way, and that it answers as FastAPI does."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from tickets.api.app import create_app
from tickets.api.direct_route import DirectRoute, Plan


@asynccontextmanager
async def _no_services() -> AsyncIterator[Any]:
    yield None


def test_every_ticket_route_takes_the_direct_way() -> None:
    app = create_app(_no_services)
    direct = [r for r in app.state.api_routes if isinstance(r, DirectRoute)]
    paths = {(r.path, m) for r in direct for m in r.methods}
    assert ("/tickets", "POST") in paths
    assert ("/tickets", "GET") in paths
    assert ("/tickets/{ticket_id}", "GET") in paths
    assert ("/tickets/{ticket_id}/approve", "POST") in paths
    for route in direct:
        assert Plan.of(route) is not None, route.path


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=5)
    size: int = 1


class Answer(BaseModel):
    id: UUID
    name: str
    colour: Colour | None
    limit: int


async def user(request: Request) -> str:
    token = request.headers.get("authorization")
    if token != "Bearer good":
        raise HTTPException(401, "no")
    return "alice"


def _toy() -> FastAPI:
    router = APIRouter(route_class=DirectRoute)

    @router.get("/things/{thing_id}")
    async def read(
        thing_id: UUID,
        response: Response,
        who: Annotated[str, Depends(user)],
        colour: Colour | None = None,
        limit: Annotated[int, Query(ge=1, le=10)] = 3,
    ) -> Answer:
        response.headers["ETag"] = f'"{limit}"'
        return Answer(id=thing_id, name=who, colour=colour, limit=limit)

    @router.post("/things", status_code=201)
    async def create(who: Annotated[str, Depends(user)], body: Body | None = None) -> Answer:
        name = body.name if body else who
        return Answer(id=UUID(int=1), name=name, colour=None, limit=0)

    @router.post("/things/{thing_id}/rename")
    async def rename(thing_id: UUID, body: Body, who: Annotated[str, Depends(user)]) -> Answer:
        return Answer(id=thing_id, name=body.name, colour=None, limit=body.size)

    app = FastAPI()
    app.include_router(router)
    return app


GOOD = {"Authorization": "Bearer good"}
THING = "/things/00000000-0000-0000-0000-000000000007"
REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", THING, {"headers": GOOD}),
    ("GET", THING + "?colour=red&limit=10", {"headers": GOOD}),
    ("GET", THING + "?limit=2&limit=4", {"headers": GOOD}),
    ("GET", THING + "?limit=0", {"headers": GOOD}),
    ("GET", THING + "?limit=x&colour=green", {"headers": GOOD}),
    ("GET", THING + "?colour=", {"headers": GOOD}),
    ("GET", "/things/not-a-uuid", {"headers": GOOD}),
    ("GET", "/things/not-a-uuid", {}),
    ("GET", THING, {"headers": {"Authorization": "Bearer bad"}}),
    ("POST", "/things", {"headers": GOOD}),
    ("POST", "/things", {"headers": GOOD, "json": {"name": "bob"}}),
    (
        "POST",
        "/things",
        {"headers": {**GOOD, "Content-Type": "application/json"}, "content": b"null"},
    ),
    ("POST", "/things", {"headers": GOOD, "json": {"name": "toolong"}}),
    ("POST", "/things", {"headers": GOOD, "json": {"name": "bob", "extra": 1}}),
    ("POST", "/things", {"headers": GOOD, "json": [1]}),
    ("POST", "/things", {"headers": {**GOOD, "Content-Type": "application/json"}, "content": b"{"}),
    ("POST", "/things", {"headers": {**GOOD, "Content-Type": "text/plain"}, "content": b"{}"}),
    (
        "POST",
        "/things",
        {"headers": {**GOOD, "Content-Type": "application/json; charset=utf-8"}, "content": b"{}"},
    ),
    ("POST", "/things", {"json": {"name": "bob"}}),
    ("POST", "/things", {"content": b"{", "headers": {"Content-Type": "application/json"}}),
    ("POST", THING + "/rename", {"headers": GOOD, "json": {"name": "eve", "size": 2}}),
    ("POST", THING + "/rename", {"headers": GOOD}),
    (
        "POST",
        THING + "/rename",
        {"headers": {**GOOD, "Content-Type": "application/json"}, "content": b"null"},
    ),
    ("POST", THING + "/rename", {"headers": GOOD, "json": {"size": "x"}}),
    ("POST", "/things/bad/rename", {"headers": GOOD, "json": {"name": "x"}}),
]


async def _answers(app: FastAPI) -> list[tuple[int, dict[str, str], bytes]]:
    answers = []
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
        for method, url, options in REQUESTS:
            response = await client.request(method, url, **options)
            answers.append((response.status_code, dict(response.headers), response.content))
    return answers


async def test_the_direct_way_answers_as_fastapi_does(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _toy()
    direct = await _answers(app)
    monkeypatch.setattr(DirectRoute, "enabled", False)
    general = await _answers(app)
    for request, one, other in zip(REQUESTS, direct, general, strict=True):
        assert one == other, request
    statuses = {status for status, _, _ in direct}
    assert {200, 201, 401, 422} <= statuses  # the cases reach both ways


async def test_a_valid_request_skips_fastapis_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    import fastapi.routing

    calls = []
    solve = fastapi.routing.solve_dependencies

    async def counting(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return await solve(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    app = _toy()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
        assert (await client.get(THING, headers=GOOD)).status_code == 200
        assert calls == []
        assert (await client.get(THING + "?limit=0", headers=GOOD)).status_code == 422
        assert len(calls) == 1


def _route(router: APIRouter) -> APIRoute:
    route = router.routes[-1]
    assert isinstance(route, APIRoute)
    return route


def test_shapes_it_does_not_serve_stay_with_fastapi() -> None:
    router = APIRouter(route_class=DirectRoute)

    @router.get("/header")
    async def header(x_thing: Annotated[str, Header()]) -> Answer:
        raise AssertionError

    assert Plan.of(_route(router)) is None

    @router.get("/many")
    async def many(tag: Annotated[list[str], Query()]) -> Answer:
        raise AssertionError

    assert Plan.of(_route(router)) is None

    async def with_query(request: Request, q: str) -> str:
        return q

    @router.get("/nested")
    async def nested(value: Annotated[str, Depends(with_query)]) -> Answer:
        raise AssertionError

    assert Plan.of(_route(router)) is None

    def in_a_thread(request: Request) -> str:
        return "alice"

    @router.get("/threaded")
    async def threaded(who: Annotated[str, Depends(in_a_thread)]) -> Answer:
        raise AssertionError

    assert Plan.of(_route(router)) is None

    @router.get("/untyped")
    async def untyped() -> dict[str, Any]:
        raise AssertionError

    assert Plan.of(_route(router)) is not None  # a dict response model is still a model
