"""How the app is assembled: its routes are its own, with readable operation ids."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi.routing import APIRoute

from tickets.api.app import create_app
from tickets.api.services import ApiServices


@asynccontextmanager
async def _no_services() -> AsyncIterator[ApiServices]:
    raise AssertionError("the app is not started in these tests")
    yield  # pragma: no cover


def test_every_documented_route_is_on_the_apps_own_route_list() -> None:
    """A route behind include_router is resolved twice per request (docs/benchmarks.md,
    "Routes on the app's own list"): the routers' routes go on the app's list itself."""
    app = create_app(_no_services)
    documented: list[APIRoute] = app.state.api_routes
    assert len(documented) > 20
    own = {id(route) for route in app.router.routes}
    assert [r.path for r in documented if id(r) not in own] == []


def test_operation_ids_are_the_route_names() -> None:
    app = create_app(_no_services)
    operations = app.openapi()["paths"]
    ids = {op["operationId"] for path in operations.values() for op in path.values()}
    names = {route.name for route in app.state.api_routes if route.include_in_schema}
    assert ids == names
    assert {"get_ticket", "list_tickets", "approve_ticket"} <= ids
