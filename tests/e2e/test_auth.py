"""Bearer tokens: every claim required and verified; dev login validates its input."""

import base64
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.conftest import Login
from tests.e2e.http_helpers import assert_problem, claims_of, no_server_errors

ISSUER = "tickets"
AUDIENCE = "tickets-api"


@pytest.fixture(autouse=True)
def _never_a_500(client: httpx.AsyncClient) -> Iterator[None]:
    with no_server_errors(client):
        yield


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(user: dict[str, Any], **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user["sub"],
        "name": user["name"],
        "roles": user["roles"],
        "iat": now,
        "exp": now + 600,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    claims.update(changes)
    return claims


def _sign(claims: dict[str, Any], secret: str = TEST_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def user(login: Login) -> dict[str, Any]:
    """The verified claims of a real user, to build tokens from."""
    return claims_of(await login("tokenuser", "requester"))


async def _create(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/tickets", json={"title": "t"}, headers=headers)


GENERIC_DETAILS = {
    "auth.invalid_token": "invalid token",
    "auth.token_expired": "token expired",
    "auth.missing_token": "a bearer token is required",
}


def _assert_unauthorized(response: httpx.Response, code: str = "auth.invalid_token") -> None:
    problem = assert_problem(response, 401, code)
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")
    # One fixed text per code: nothing of what the JWT library said reaches the client.
    assert problem["detail"] == GENERIC_DETAILS[code], problem


async def test_handmade_valid_token_is_accepted(
    client: httpx.AsyncClient, user: dict[str, Any]
) -> None:
    """The control for every refusal below: the same recipe, nothing wrong with it."""
    response = await _create(client, _bearer(_sign(_claims(user))))
    assert response.status_code == 201, response.text
    assert response.json()["author"]["id"] == user["sub"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Basic dTpw"}],
    ids=["absent", "empty", "no-credentials", "basic"],
)
async def test_missing_token(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    _assert_unauthorized(await _create(client, headers), "auth.missing_token")


@pytest.mark.parametrize(
    "path",
    [
        "/tickets/00000000-0000-0000-0000-000000000000",
        "/tickets/00000000-0000-0000-0000-000000000000/submit",
        "/tickets/00000000-0000-0000-0000-000000000000/comments",
    ],
)
async def test_every_command_needs_a_token(client: httpx.AsyncClient, path: str) -> None:
    method = "PATCH" if path.count("/") == 2 else "POST"
    response = await client.request(method, path, json={"title": "x", "body": "x"})
    # An unknown field may be reported too, but never before the missing token.
    _assert_unauthorized(response, "auth.missing_token")


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "x" * 500, "eyJhbGciOiJIUzI1NiJ9..", "\u00e9"],
    ids=["word", "three-parts", "long", "header-only", "non-ascii"],
)
async def test_garbage_token(client: httpx.AsyncClient, token: str) -> None:
    headers = httpx.Headers([(b"Authorization", b"Bearer " + token.encode())])
    _assert_unauthorized(await client.post("/tickets", json={}, headers=headers))


async def test_alg_none_token(client: httpx.AsyncClient, user: dict[str, Any]) -> None:
    for alg in ("none", "None", "NONE"):
        token = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_claims(user))}."
        _assert_unauthorized(await _create(client, _bearer(token)))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_other_algorithm(client: httpx.AsyncClient, user: dict[str, Any]) -> None:
    token = jwt.encode(_claims(user), TEST_SECRET, algorithm="HS512")
    _assert_unauthorized(await _create(client, _bearer(token)))


async def test_expired_token(client: httpx.AsyncClient, user: dict[str, Any]) -> None:
    past = int(time.time()) - 3600
    token = _sign(_claims(user, iat=past - 600, exp=past))
    _assert_unauthorized(await _create(client, _bearer(token)), "auth.token_expired")


async def test_tampered_token(client: httpx.AsyncClient, user: dict[str, Any]) -> None:
    token = _sign(_claims(user))
    header, payload, signature = token.split(".")
    # Flip one character of the payload.
    middle = len(payload) // 2
    flipped = "A" if payload[middle] != "A" else "B"
    tampered = f"{header}.{payload[:middle]}{flipped}{payload[middle + 1 :]}.{signature}"
    _assert_unauthorized(await _create(client, _bearer(tampered)))

    # A payload rewritten to claim approver, with the old signature.
    forged = _b64(_claims(user, roles=["approver"]))
    _assert_unauthorized(await _create(client, _bearer(f"{header}.{forged}.{signature}")))


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"aud": ["someone-else"]},
        {"iss": "evil"},
        {"iat": "yesterday"},
        {"exp": "tomorrow"},
    ],
    ids=["audience", "audience-list", "issuer", "iat-string", "exp-string"],
)
async def test_wrong_claims(
    client: httpx.AsyncClient, user: dict[str, Any], changes: dict[str, Any]
) -> None:
    _assert_unauthorized(await _create(client, _bearer(_sign(_claims(user, **changes)))))


async def test_signed_with_another_secret(client: httpx.AsyncClient, user: dict[str, Any]) -> None:
    token = _sign(_claims(user), secret="another-secret-that-is-also-32-bytes-long")
    _assert_unauthorized(await _create(client, _bearer(token)))


@pytest.mark.parametrize("claim", ["sub", "name", "roles", "iat", "exp", "iss", "aud"])
async def test_missing_claim(client: httpx.AsyncClient, user: dict[str, Any], claim: str) -> None:
    claims = _claims(user)
    del claims[claim]
    _assert_unauthorized(await _create(client, _bearer(_sign(claims))))


@pytest.mark.parametrize(
    "changes",
    [
        {"sub": "not-a-uuid"},
        {"sub": 12345},
        {"roles": []},
        {"roles": ["superuser"]},
        {"roles": "requester"},
        {"roles": None},
        {"name": ""},
        {"name": 7},
    ],
    ids=str,
)
async def test_malformed_claims(
    client: httpx.AsyncClient, user: dict[str, Any], changes: dict[str, Any]
) -> None:
    _assert_unauthorized(await _create(client, _bearer(_sign(_claims(user, **changes)))))


# -- POST /auth/token -----------------------------------------------------------------


async def test_token_response_shape(client: httpx.AsyncClient) -> None:
    username = f"shape-{uuid.uuid4().hex[:8]}"
    response = await client.post("/auth/token", json={"username": username, "role": "approver"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert isinstance(body["expires_in"], int)
    assert body["expires_in"] > 0
    claims = jwt.decode(
        body["access_token"], TEST_SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
    )
    assert claims["name"] == username
    assert claims["roles"] == ["approver"]
    assert claims["exp"] - claims["iat"] == body["expires_in"]


@pytest.mark.parametrize(
    "body",
    [
        {"username": "role-x", "role": "superuser"},
        {"username": "role-x", "role": "Requester"},
        {"username": "role-x"},
        {"role": "requester"},
        {"username": "field-x", "role": "requester", "admin": True},
        {"username": "", "role": "requester"},
        {"username": "u" * 65, "role": "requester"},
    ],
    ids=["unknown-role", "role-case", "no-role", "no-username", "unknown-field", "empty", "long"],
)
async def test_token_request_validation(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/auth/token", json=body)
    assert_problem(response, 422, "request.invalid")


@pytest.mark.parametrize(
    "username", ["with space", " leading", "trailing ", "tab\there", "-dash-first", "semi;colon"]
)
async def test_token_username_rules(client: httpx.AsyncClient, username: str) -> None:
    response = await client.post("/auth/token", json={"username": username, "role": "requester"})
    problem = assert_problem(response, 422)
    assert problem["code"].startswith("request.invalid"), problem


async def test_same_username_is_the_same_user(client: httpx.AsyncClient) -> None:
    username = f"repeat-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "role": "requester"}
    first = await client.post("/auth/token", json=body)
    second = await client.post("/auth/token", json=body)
    assert first.status_code == second.status_code == 200
    one = jwt.decode(first.json()["access_token"], options={"verify_signature": False})
    two = jwt.decode(second.json()["access_token"], options={"verify_signature": False})
    assert one["sub"] == two["sub"]
    assert one["name"] == two["name"] == username

    other = await client.post(
        "/auth/token", json={"username": f"{username}-2", "role": "requester"}
    )
    three = jwt.decode(other.json()["access_token"], options={"verify_signature": False})
    assert three["sub"] != one["sub"]


async def test_logging_in_again_with_another_role_is_a_conflict(client: httpx.AsyncClient) -> None:
    username = f"relogin-{uuid.uuid4().hex[:8]}"
    first = await client.post("/auth/token", json={"username": username, "role": "requester"})
    assert first.status_code == 200, first.text
    for role in ("approver", "admin"):
        again = await client.post("/auth/token", json={"username": username, "role": role})
        assert_problem(again, 409, "user.role_mismatch")
    same = await client.post("/auth/token", json={"username": username, "role": "requester"})
    assert same.status_code == 200, same.text
    assert claims_of({"Authorization": f"Bearer {same.json()['access_token']}"})["roles"] == [
        "requester"
    ]
