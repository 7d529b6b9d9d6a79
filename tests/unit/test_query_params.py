"""A query parameter read by the route itself answers and documents exactly as the same
parameter declared to FastAPI would: same values, same 422 problems, same OpenAPI entry.
These fail if FastAPI changes how it treats a declared parameter."""

from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Query, Request
from fastapi.routing import APIRoute
from pydantic import Field

from tickets.api.openapi import install_openapi
from tickets.api.problems import install_problem_handlers
from tickets.api.query_params import OptionalQuery

LIMIT = 2**31 - 1
READ = OptionalQuery[int]("min_version", Annotated[int, Field(ge=1, le=LIMIT)], "wait for it")


def _apps() -> tuple[FastAPI, FastAPI]:
    declared, read = FastAPI(), FastAPI()
    for app in (declared, read):
        install_problem_handlers(app)

    @declared.get("/things/{thing}")
    async def declared_route(
        thing: int,
        min_version: Annotated[int | None, Query(ge=1, le=LIMIT, description="wait for it")] = None,
    ) -> dict[str, Any]:
        return {"thing": thing, "min_version": min_version}

    @read.get("/things/{thing}", openapi_extra={"parameters": [READ.openapi]})
    async def read_route(thing: int, request: Request) -> dict[str, Any]:
        return {"thing": thing, "min_version": READ.read(request)}

    for app in (declared, read):  # the app's own corrections (a query string has no null)
        install_openapi(app, [r for r in app.routes if isinstance(r, APIRoute)])
    return declared, read


def _parameters(app: FastAPI) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = app.openapi()["paths"]["/things/{thing}"]["get"][
        "parameters"
    ]
    return parameters


def test_the_openapi_entry_is_the_one_fastapi_writes_for_the_declared_parameter() -> None:
    declared, read = _apps()
    assert _parameters(read) == _parameters(declared)
    assert [p["name"] for p in _parameters(read)] == ["thing", "min_version"]


QUERIES = ["", "?min_version=3", "?min_version=0", "?min_version=abc", "?min_version=",
           f"?min_version={LIMIT + 1}", "?min_version=1.5", "?min_version=1&min_version=2",
           "?min_version=%201", "?other=1"]  # fmt: skip


@pytest.mark.parametrize("query", QUERIES)
async def test_every_answer_is_the_declared_parameters_answer(query: str) -> None:
    answers = []
    for app in _apps():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get(f"/things/7{query}")
        answers.append((response.status_code, response.json()))
    declared, read = answers
    assert read == declared


async def test_a_bad_value_is_a_422_naming_the_parameter() -> None:
    app = _apps()[1]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/things/7?min_version=0")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "request.invalid"
    assert [e["field"] for e in body["errors"]] == ["query.min_version"]
