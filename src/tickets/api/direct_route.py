"""A route class for the hot paths: a well-formed request skips FastAPI's generic
dependency solving; anything else is handed to FastAPI's own handler.

Why: FastAPI resolves a route's parameters and dependencies through a generic solver
that, per parameter and per dependency, inspects annotations, aliases and defaults again
on every request. In the bench profile that solver was the largest single share of a
request's CPU (a query parameter about 70,000 instructions, a dependency about as much),
more than the app's own work. This route plans the same steps once, when the route is
built, for routes of a simple shape: path and query parameters of single values, at most
one JSON body, dependencies that take only the request, a response model.

Why the answers are the same: a request takes the direct way only while every step
succeeds exactly as FastAPI's would (the same fields validate the same values, the same
dependencies run in the same order, the response is validated and serialized by the same
response field). At the first step that would fail (a body that is not plain JSON, a
missing or invalid parameter), the request goes to FastAPI's handler from the start,
which answers it as it always did, error included. A dependency's own error (401) is
raised by the dependency itself, in FastAPI's order: after the body was read, before
the parameters are validated.
"""

import enum
import inspect
import json
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response, params
from fastapi import routing as fastapi_routing
from fastapi._compat import ModelField, field_annotation_is_sequence
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# Defaults a request may share: FastAPI deep-copies a default per request, which for
# these immutable values is the value itself.
IMMUTABLE = (type(None), bool, int, float, str, bytes, enum.Enum)
_MISSING: Any = object()  # a required value that is absent, or one that is invalid
_ABSENT: Any = object()  # not in the request


class DirectRoute(APIRoute):
    """An APIRoute that serves a well-formed request through a plan made once."""

    enabled = True
    """Off: every request goes through FastAPI's handler (tests compare the two ways)."""

    def get_route_handler(self) -> Handler:
        general = super().get_route_handler()
        plan = Plan.of(_declared(self))
        if plan is None:
            return general

        async def handler(request: Request) -> Response:
            response = await plan.serve(request) if DirectRoute.enabled else None
            return response if response is not None else await general(request)

        return handler


def _declared(route: APIRoute) -> APIRoute:
    """What FastAPI builds this handler for: the route as included in a router (its
    path, dependencies and responses combined with the router's), when that is known."""
    current = getattr(fastapi_routing, "_effective_route_context_var", None)
    context = current.get() if current is not None else None
    if context is not None and getattr(context, "original_route", None) is route:
        return context  # type: ignore[no-any-return]
    return route


@dataclass(frozen=True)
class Param:
    name: str
    field: ModelField
    default: Any  # _MISSING: required
    loc: tuple[str, str]

    @classmethod
    def of(cls, field: ModelField, where: str) -> "Param | None":
        info = field.field_info
        if field.alias != field.name or info.validation_alias is not None:
            return None
        default = _MISSING if info.is_required() else info.default
        if info.default_factory is not None or info.validate_default:
            return None
        if default is not _MISSING and not isinstance(default, IMMUTABLE):
            return None
        if _is_sequence(field):
            return None
        return cls(field.name, field, default, (where, field.name))

    def value(self, raw: Any) -> Any:
        """The validated value, or _MISSING if FastAPI would answer an error."""
        if raw is _ABSENT:
            return self.default
        value, errors = self.field.validate(raw, {}, loc=self.loc)
        return _MISSING if errors else value


@dataclass(frozen=True)
class Plan:
    route: Any
    dependencies: Sequence[tuple[str, Callable[..., Any], str]]
    path: Sequence[Param]
    query: Sequence[Param]
    body: Param | None
    request_name: str | None
    response_name: str | None

    @classmethod
    def of(cls, route: Any) -> "Plan | None":
        """The plan for ``route``; None if its shape is not one this class serves."""
        d: Dependant = route.dependant
        if d.header_params or d.cookie_params or len(d.body_params) > 1:
            return None
        if d.background_tasks_param_name or d.security_scopes_param_name:
            return None
        if d.websocket_param_name or d.http_connection_param_name:
            return None
        if route.response_field is None or not _plain_response(route):
            return None
        if getattr(route, "is_json_stream", False) or getattr(route, "stream_item_field", None):
            return None
        dependencies = [_request_only(sub) for sub in d.dependencies]
        path = [Param.of(f, "path") for f in d.path_params]
        query = [Param.of(f, "query") for f in d.query_params]
        body = None
        if d.body_params:
            field = d.body_params[0]
            if route._embed_body_fields or isinstance(field.field_info, params.Form):
                return None
            body = Param.of(field, "body")
            if body is None:
                return None
        if None in dependencies or None in path or None in query:
            return None
        return cls(
            route,
            dependencies,  # type: ignore[arg-type]
            path,  # type: ignore[arg-type]
            query,  # type: ignore[arg-type]
            body,
            d.request_param_name,
            d.response_param_name,
        )

    async def serve(self, request: Request) -> Response | None:
        """The response, or None where FastAPI's own handler must answer."""
        body: Any = _ABSENT
        if self.body is not None:
            raw = await request.body()
            if raw:
                # FastAPI's rule in short: a JSON media type decodes the body; anything
                # else (another type, parameters, bad JSON) is left to FastAPI.
                if request.headers.get("content-type", "").lower() != "application/json":
                    return None
                try:
                    body = json.loads(raw)
                except ValueError:
                    return None
        values: dict[str, Any] = {}
        for name, call, request_name in self.dependencies:
            values[name] = await call(**{request_name: request})
        for param in self.path:
            value = param.value(request.path_params.get(param.name, _ABSENT))
            if value is _MISSING:
                return None
            values[param.name] = value
        if self.query:
            query = request.query_params
            for param in self.query:
                value = param.value(query.get(param.name, _ABSENT))
                if value is _MISSING:
                    return None
                values[param.name] = value
        if self.body is not None:
            value = self.body.value(body)
            if value is _MISSING:
                return None
            values[self.body.name] = value
        if self.request_name is not None:
            values[self.request_name] = request
        sub_response = Response()
        del sub_response.headers["content-length"]
        sub_response.status_code = None  # type: ignore[assignment]
        if self.response_name is not None:
            values[self.response_name] = sub_response
        answer = await self.route.dependant.call(**values)
        if isinstance(answer, Response):
            return answer
        return self._respond(answer, sub_response)

    def _respond(self, answer: Any, sub_response: Response) -> Response:
        """What FastAPI's handler makes of an endpoint's return value (its fast path:
        the response field validates it and writes JSON bytes)."""
        field = self.route.response_field
        value, errors = field.validate(answer, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=answer)
        content = field.serialize_json(value, by_alias=self.route.response_model_by_alias)
        status = sub_response.status_code or self.route.status_code or 200
        response = Response(content=content, media_type="application/json", status_code=status)
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        response.headers.raw.extend(sub_response.headers.raw)
        return response


def _request_only(sub: Dependant) -> tuple[str, Callable[..., Any], str] | None:
    """(name, call, request parameter) of a coroutine dependency that takes only the
    request; None for any other dependency."""
    others = (
        sub.path_params,
        sub.query_params,
        sub.header_params,
        sub.cookie_params,
        sub.body_params,
        sub.dependencies,
    )
    if any(others) or sub.name is None or sub.call is None or sub.request_param_name is None:
        return None
    if sub.response_param_name or sub.background_tasks_param_name or sub.concurrency:
        return None
    call = sub.call
    coroutine = getattr(call, "__call__", None)  # noqa: B004 (a function or a callable object)
    if not (_is_coroutine(call) or _is_coroutine(coroutine)):
        return None
    return sub.name, call, sub.request_param_name


def _is_coroutine(call: Any) -> bool:
    return inspect.iscoroutinefunction(call)


def _plain_response(route: Any) -> bool:
    """The default response class and no include/exclude options: FastAPI's fast path."""
    return isinstance(route.response_class, DefaultPlaceholder) and not (
        route.response_model_include
        or route.response_model_exclude
        or route.response_model_exclude_unset
        or route.response_model_exclude_defaults
        or route.response_model_exclude_none
    )


def _is_sequence(field: ModelField) -> bool:
    return bool(field_annotation_is_sequence(field.field_info.annotation))
