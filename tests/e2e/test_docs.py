"""Swagger UI and the OpenAPI document work offline: every asset is served locally."""

import re

import httpx

ASSET = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)

COMMANDS = {
    "/auth/token": {"post"},
    "/tickets": {"post"},
    "/tickets/{ticket_id}": {"patch"},
    "/tickets/{ticket_id}/submit": {"post"},
    "/tickets/{ticket_id}/approve": {"post"},
    "/tickets/{ticket_id}/reject": {"post"},
    "/tickets/{ticket_id}/reopen": {"post"},
    "/tickets/{ticket_id}/comments": {"post"},
}


async def test_docs_use_only_local_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assets = ASSET.findall(html)
    assert any(url.endswith(".js") for url in assets), assets
    assert any(url.endswith(".css") for url in assets), assets
    for url in assets:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I), html
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html

    for url in assets:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
        if url.endswith(".js"):
            assert "javascript" in asset.headers["content-type"], asset.headers
        if url.endswith(".css"):
            assert asset.headers["content-type"].startswith("text/css"), asset.headers


async def test_docs_point_at_the_local_openapi(client: httpx.AsyncClient) -> None:
    html = (await client.get("/docs")).text
    match = re.search(r"""url:\s*['"]([^'"]+)['"]""", html)
    assert match, html
    assert match.group(1) == "/openapi.json"


async def test_openapi_lists_every_command(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, methods in COMMANDS.items():
        assert path in paths, (path, sorted(paths))
        assert methods <= set(paths[path]), (path, sorted(paths[path]))


async def test_openapi_documents_problems_and_headers(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    approve = paths["/tickets/{ticket_id}/approve"]["post"]
    for status in ("401", "403", "404", "409", "412", "422"):
        assert status in approve["responses"], (status, sorted(approve["responses"]))
    headers = {p["name"].lower() for p in approve["parameters"] if p["in"] == "header"}
    assert {"if-match", "idempotency-key"} <= headers, headers
    create = paths["/tickets"]["post"]
    assert "201" in create["responses"], sorted(create["responses"])
