"""The HTTP edges: headers the app parses, unknown methods, 405 and OPTIONS, /metrics
label cardinality. Whatever arrives, the answer is a bounded 4xx problem, never a 500."""

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Login
from tests.e2e.http_helpers import assert_etag, assert_problem, create_ticket, no_server_errors


@pytest.fixture(autouse=True)
def _never_a_500(client: httpx.AsyncClient) -> Iterator[None]:
    with no_server_errors(client):
        yield


def _with_raw(headers: dict[str, str], name: bytes, value: bytes) -> httpx.Headers:
    return httpx.Headers([(k.encode(), v.encode()) for k, v in headers.items()] + [(name, value)])


# -- If-Match -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [b'"\xb2"', b'"\xb9"', b'"\xb3"', b'W/"\xb2"', b'"' + b"1" * 4301 + b'"', b'"2147483648"'],
    ids=["sup-2", "sup-1", "sup-3", "weak-sup-2", "4301-digits", "2^31"],
)
async def test_if_match_that_no_version_can_have(
    client: httpx.AsyncClient, login: Login, tag: bytes
) -> None:
    """str.isdigit() takes "²" and int() refuses it; int() refuses 4,301 digits: both
    were 500s. A well-formed entity tag that is not a version matches nothing: 412."""
    author = await login("ifmatch", "requester")
    ticket = await create_ticket(client, author)
    url = f"/tickets/{ticket['id']}"
    for method, path, body in (("POST", "/submit", None), ("PATCH", "", {"title": "x"})):
        headers = _with_raw(author, b"If-Match", tag)
        response = await client.request(method, url + path, json=body, headers=headers)
        assert_problem(response, 412, "ticket.version_mismatch")
    unchanged = await client.patch(url, json={"title": "y"}, headers={**author, "If-Match": '"1"'})
    assert_etag(unchanged, 2)


@pytest.mark.parametrize(
    "value",
    [b'"1 "', b'"\x01"', b'"1", "2"', b"\xb2", b'"' + b"9" * 5000],
    ids=["space", "control", "list", "unquoted", "unterminated"],
)
async def test_malformed_if_match_is_a_422(
    client: httpx.AsyncClient, login: Login, value: bytes
) -> None:
    author = await login("ifmatch", "requester")
    ticket = await create_ticket(client, author)
    headers = _with_raw(author, b"If-Match", value)
    response = await client.post(f"/tickets/{ticket['id']}/submit", headers=headers)
    assert_problem(response, 422, "request.invalid")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (b"Idempotency-Key", b"\xb2"),
        (b"Idempotency-Key", b"k" * 5000),
        (b"Authorization", b"Bearer \xb2\xff"),
        (b"Authorization", b"Bearer " + b"a" * 8000),
        (b"Authorization", b"\xb2"),
        (b"Content-Length", b"1" * 4301),
    ],
    ids=["key-non-ascii", "key-5000", "auth-non-ascii", "auth-8000", "auth-no-scheme", "length"],
)
async def test_other_parsed_headers_never_make_a_500(
    client: httpx.AsyncClient, login: Login, name: bytes, value: bytes
) -> None:
    author = await login("headers", "requester")
    base = {} if name == b"Authorization" else author
    response = await client.post(
        "/tickets", content=b'{"title": "x"}', headers=_with_raw(base, name, value)
    )
    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code)


# -- methods: 405, Allow, OPTIONS -----------------------------------------------------


async def test_patch_on_stats_is_method_not_allowed(
    client: httpx.AsyncClient, login: Login
) -> None:
    """/tickets/stats is GET only; PATCH there used to reach the edit route as ticket id
    "stats" and answer 422."""
    user = await login("stats", "requester")
    response = await client.patch("/tickets/stats", json={"title": "x"}, headers=user)
    assert_problem(response, 405, "request.method_not_allowed")
    assert _allow(response) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/tickets", {"GET", "HEAD", "POST"}),
        ("/tickets/00000000-0000-4000-8000-000000000000", {"GET", "HEAD", "PATCH"}),
        ("/tickets/stats", {"GET", "HEAD"}),
        ("/tickets/00000000-0000-4000-8000-000000000000/approve", {"POST"}),
    ],
)
async def test_allow_lists_every_method_of_the_path(
    client: httpx.AsyncClient, path: str, methods: set[str]
) -> None:
    """/tickets has GET from the queries router and POST from the commands router; HEAD
    is served wherever GET is."""
    refused = await client.put(path, json={})
    assert_problem(refused, 405, "request.method_not_allowed")
    assert _allow(refused) == methods | {"OPTIONS"}
    options = await client.options(path)
    assert options.status_code == 204, options.text
    assert _allow(options) == methods | {"OPTIONS"}


def _allow(response: httpx.Response) -> set[str]:
    return {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}


# -- /metrics ---------------------------------------------------------------------------


async def test_metrics_labels_stay_bounded(client: httpx.AsyncClient) -> None:
    """Unknown methods and unmatched paths each share one label value: /metrics must not
    grow with what unauthenticated clients send."""
    for i in range(30):
        await client.request(f"ODD{i}", "/tickets")
        await client.request(f"ODD{i}", f"/nowhere/{i}")
        await client.get(f"/nowhere/{i}")
    text = (await client.get("/metrics")).text
    name = "tickets_http_request_seconds_count"
    series = [line for line in text.splitlines() if line.startswith(name)]
    methods = {_label(line, "method") for line in series}
    routes = {_label(line, "route") for line in series}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}, methods
    assert "other" in methods
    assert not any(route.startswith("/nowhere") for route in routes), routes
    assert "unmatched" in routes
    assert all(route == "unmatched" or route.startswith("/") for route in routes), routes


def _label(line: str, name: str) -> str:
    return line.split(f'{name}="', 1)[1].split('"', 1)[0]
