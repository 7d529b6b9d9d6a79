"""The app configured with an identity provider's JWKS: its RS256/ES256 access tokens
work, first-seen users are recorded, HS256 tokens and dev login are off."""

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import jwt
import pytest
import pytest_asyncio

from tests.conftest import TEST_SECRET, settings_for
from tests.e2e.http_helpers import assert_problem, no_server_errors
from tests.support.identity_provider import (
    AUDIENCE,
    ISSUER,
    IdentityProvider,
    SigningKey,
    access_claims,
    serving_jwks,
)
from tickets.bootstrap import ConfigurationError, build_app

RSA_KEY = SigningKey.rsa("kc-rsa")
EC_KEY = SigningKey.ec("kc-ec")


@pytest.fixture(scope="module")
def provider() -> Iterator[IdentityProvider]:
    with serving_jwks(RSA_KEY, EC_KEY) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def idp_client(
    database_url: str, provider: IdentityProvider
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(
        database_url,
        jwt_jwks_url=provider.url,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_roles_claim="realm_access.roles",
        dev_login=None,
    )
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tickets") as http:
            with no_server_errors(http):
                yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("key", [RSA_KEY, EC_KEY], ids=["RS256", "ES256"])
async def test_a_providers_token_works_and_its_user_is_recorded(
    idp_client: httpx.AsyncClient, key: SigningKey
) -> None:
    subject = f"{key.algorithm}-{time.time_ns()}"
    headers = bearer(key.sign(access_claims(subject)))
    created = await idp_client.post("/tickets", json={"title": "from the IdP"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["author"]["name"] == f"user-{subject}"
    again = await idp_client.post("/tickets", json={"title": "again"}, headers=headers)
    assert again.json()["author"] == created.json()["author"]


async def test_dev_login_is_off(idp_client: httpx.AsyncClient) -> None:
    response = await idp_client.post("/auth/token", json={"username": "x", "role": "admin"})
    problem = assert_problem(response, 404, "auth.dev_login_disabled")
    assert "TICKETS_DEV_LOGIN" in problem["detail"]


async def test_a_nul_in_preferred_username_is_removed_before_the_user_is_stored(
    idp_client: httpx.AsyncClient,
) -> None:
    subject = f"nul-{time.time_ns()}"
    token = RSA_KEY.sign(access_claims(subject, preferred_username=f"ev\x00il-{subject}\ud800"))
    created = await idp_client.post("/tickets", json={"title": "t"}, headers=bearer(token))
    assert created.status_code == 201, created.text
    assert created.json()["author"]["name"] == f"evil-{subject}"


async def test_a_subject_with_a_lone_surrogate_is_refused(idp_client: httpx.AsyncClient) -> None:
    token = RSA_KEY.sign(access_claims("kc-\udfff"))
    response = await idp_client.post("/tickets", json={"title": "t"}, headers=bearer(token))
    problem = assert_problem(response, 401, "auth.invalid_token")
    assert "sub claim" in problem["detail"]


async def test_hs256_tokens_are_refused(idp_client: httpx.AsyncClient) -> None:
    now = int(time.time())
    claims = {
        "sub": "00000000-0000-0000-0000-000000000001",
        "name": "mallory",
        "roles": ["admin"],
        "iat": now,
        "exp": now + 300,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    token = jwt.encode(claims, TEST_SECRET, algorithm="HS256")
    response = await idp_client.get("/admin/outbox", headers=bearer(token))
    assert_problem(response, 401, "auth.invalid_token")


@pytest.mark.parametrize(
    "changes",
    [{"iss": "https://evil.example"}, {"aud": "another-api"}],
    ids=["issuer", "audience"],
)
async def test_wrong_issuer_or_audience(idp_client: httpx.AsyncClient, changes: dict) -> None:
    token = RSA_KEY.sign(access_claims(**changes))
    response = await idp_client.post("/tickets", json={"title": "t"}, headers=bearer(token))
    problem = assert_problem(response, 401, "auth.invalid_token")
    assert problem["detail"] == "invalid token"


async def test_an_unknown_kid(idp_client: httpx.AsyncClient) -> None:
    token = SigningKey.ec("unpublished").sign(access_claims())
    response = await idp_client.post("/tickets", json={"title": "t"}, headers=bearer(token))
    assert_problem(response, 401, "auth.invalid_token")


async def test_a_token_without_a_role_of_ours(idp_client: httpx.AsyncClient) -> None:
    token = RSA_KEY.sign(access_claims(realm_access={"roles": ["offline_access"]}))
    response = await idp_client.post("/tickets", json={"title": "t"}, headers=bearer(token))
    assert_problem(response, 403, "auth.no_role")


async def test_the_issuer_must_be_configured(database_url: str) -> None:
    settings = settings_for(database_url, jwt_jwks_url="https://idp.test/certs")
    app = build_app(settings)
    with pytest.raises(ConfigurationError, match="TICKETS_JWT_ISSUER"):
        async with app.router.lifespan_context(app):
            pass


async def test_a_jwks_that_is_not_json_is_503_not_500(database_url: str) -> None:
    with serving_jwks(RSA_KEY) as broken:
        broken.mode = "not-json"
        settings = settings_for(
            database_url,
            jwt_jwks_url=broken.url,
            jwt_issuer=ISSUER,
            jwt_audience=AUDIENCE,
            jwt_roles_claim="realm_access.roles",
            dev_login=None,
        )
        app = build_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://tickets") as http:
                token = SigningKey.ec("rotated-in").sign(access_claims())
                response = await http.get("/tickets", headers=bearer(token))
                assert_problem(response, 503, "service.unavailable")
                assert response.headers["retry-after"] == "1"


async def test_an_identity_provider_users_role_cannot_be_changed_here(
    idp_client: httpx.AsyncClient,
) -> None:
    suffix = time.time_ns()
    admin = bearer(RSA_KEY.sign(access_claims(f"adm-{suffix}", realm_access={"roles": ["admin"]})))
    carol_token = bearer(EC_KEY.sign(access_claims(f"carol-{suffix}")))
    created = await idp_client.post("/tickets", json={"title": "t"}, headers=carol_token)
    carol_id = created.json()["author"]["id"]
    response = await idp_client.put(
        f"/admin/users/{carol_id}/role", json={"role": "requester"}, headers=admin
    )
    problem = assert_problem(response, 409, "user.role_managed_by_identity_provider")
    assert "identity provider" in problem["detail"]
    again = await idp_client.put(
        f"/admin/users/{carol_id}/role", json={"role": "approver"}, headers=admin
    )
    assert_problem(again, 409, "user.role_managed_by_identity_provider")
