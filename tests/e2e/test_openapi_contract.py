"""The OpenAPI document describes errors as they are served: problem+json, every
status an operation can answer, readable operation ids."""

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

PROBLEM_REF = "#/components/schemas/ProblemOut"
DUMP_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dump_openapi.py"


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


async def test_every_error_is_documented_as_a_problem(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                content = response.get("content", {})
                assert list(content) == ["application/problem+json"], (method, path, status)
                schema = content["application/problem+json"]["schema"]
                assert schema == {"$ref": PROBLEM_REF}, (method, path, status)
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas, sorted(schemas)
    assert {"type", "title", "status", "detail", "code"} <= set(schemas["ProblemOut"]["properties"])


async def test_statuses_the_app_answers_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "503" in paths["/health/ready"]["get"]["responses"]
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        if "requestBody" in operation:
            for status in ("400", "413", "422"):
                assert status in responses, (method, path, status)
        if operation.get("parameters"):
            assert "422" in responses, (method, path)
        if path.startswith(("/tickets", "/admin")):
            assert {"401", "503"} <= set(responses), (method, path, sorted(responses))


async def test_operation_ids_are_readable_and_unique(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids)), ids
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", operation_id), operation_id
        assert not re.search(r"_(get|post|patch|put|delete)$", operation_id), operation_id
    expected = {"list_tickets", "get_ticket", "ticket_stats", "create_ticket", "approve_ticket"}
    assert expected | {"list_dead_letters", "retry_dead_letter", "health_ready"} <= set(ids)


async def test_headers_document_their_syntax(document: dict[str, Any]) -> None:
    submit = document["paths"]["/tickets/{ticket_id}/submit"]["post"]
    headers = {p["name"]: p["schema"] for p in submit["parameters"] if p["in"] == "header"}
    assert re.fullmatch(headers["If-Match"]["pattern"], '"3"')
    assert re.fullmatch(headers["If-Match"]["pattern"], "*")
    assert not re.fullmatch(headers["If-Match"]["pattern"], '"\u00b2"')
    assert not re.fullmatch(headers["Idempotency-Key"]["pattern"], "has space")


async def test_public_routes_say_so_and_the_document_names_server_and_license(
    document: dict[str, Any],
) -> None:
    public = {(m, p) for m, p, op in _operations(document) if op["security"] == []}
    assert {("post", "/auth/token"), ("get", "/health/live"), ("get", "/metrics")} <= public
    for method, path, operation in _operations(document):
        if path.startswith(("/tickets", "/admin")):
            assert operation["security"] == [{"HTTPBearer": []}], (method, path)
    assert document["servers"]
    assert document["servers"][0]["url"] == "/"
    assert document["info"]["license"]["identifier"] == "MIT"


async def test_every_operation_documents_a_client_error(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        assert any(s.startswith("4") for s in operation["responses"]), (method, path)


async def test_optional_bodies_are_a_plain_reference(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path, name in (
        ("/tickets", "TicketFields"),
        ("/tickets/{ticket_id}/submit", "NoBody"),
        ("/tickets/{ticket_id}/approve", "NoBody"),
        ("/tickets/{ticket_id}/reopen", "NoBody"),
    ):
        body = paths[path]["post"]["requestBody"]
        assert body["required"] is False, path
        schema = body["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{name}"}, (path, schema)
    reject = paths["/tickets/{ticket_id}/reject"]["post"]["requestBody"]
    assert reject["required"] is True


async def test_optional_query_parameters_are_not_nullable(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            assert "anyOf" not in parameter["schema"], (method, path, parameter)
    listing = document["paths"]["/tickets"]["get"]["parameters"]
    cursor = next(p["schema"] for p in listing if p["name"] == "cursor")
    assert re.fullmatch(cursor["pattern"], "eyJzIjogIi1jcmVhdGVkX2F0In0")
    assert not re.fullmatch(cursor["pattern"], "a b")
    assert cursor["maxLength"] == 500


async def test_response_headers_are_declared(document: dict[str, Any]) -> None:
    paths = document["paths"]

    def headers(path: str, method: str, status: str) -> set[str]:
        return set(paths[path][method]["responses"][status].get("headers", {}))

    assert headers("/tickets", "post", "201") == {"ETag", "Location", "Idempotent-Replayed"}
    assert headers("/tickets/{ticket_id}", "patch", "200") == {"ETag"}
    for action in ("submit", "approve", "reject", "reopen"):
        assert headers(f"/tickets/{{ticket_id}}/{action}", "post", "200") == {
            "ETag",
            "Idempotent-Replayed",
        }
    assert headers("/tickets/{ticket_id}/comments", "post", "201") == {
        "ETag",
        "Idempotent-Replayed",
    }
    assert headers("/tickets/{ticket_id}", "get", "200") == {"ETag"}
    for method, path, operation in _operations(document):
        if "503" in operation["responses"]:
            assert headers(path, method, "503") == {"Retry-After"}, (method, path)
    etag = document["components"]["headers"]["ETag"]["schema"]["pattern"]
    assert re.fullmatch(etag, '"12"')
    assert not re.fullmatch(etag, '"0"')


async def test_schemas_say_what_the_server_gives(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    sort = schemas["TicketSort"]
    assert dict(zip(sort["x-enum-varnames"], sort["enum"], strict=True))["NEWEST"] == "-created_at"
    outcome = schemas["DecisionOut"]["properties"]["outcome"]
    assert sorted(outcome["enum"]) == ["approved", "rejected"]
    assert "token_type" in schemas["TokenResponse"]["required"]
    details_422 = document["paths"]["/tickets/{ticket_id}"]["get"]["responses"]["422"]
    assert "min_version" in details_422["description"]
    assert "cursor" not in details_422["description"]


async def test_header_descriptions_are_in_their_schemas(document: dict[str, Any]) -> None:
    submit = document["paths"]["/tickets/{ticket_id}/submit"]["post"]
    headers = {p["name"]: p["schema"] for p in submit["parameters"] if p["in"] == "header"}
    assert "ETag" in headers["If-Match"]["description"]
    assert "retried POST" in headers["Idempotency-Key"]["description"]
    assert not re.fullmatch(headers["If-Match"]["pattern"], '"0"')
    assert re.fullmatch(headers["If-Match"]["pattern"], 'W/"2147483647"')


async def test_the_dumped_document_is_the_served_one(document: dict[str, Any]) -> None:
    """`make openapi` lints what scripts/dump_openapi.py prints, built without a server."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(DUMP_SCRIPT), stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    assert json.loads(stdout) == document
