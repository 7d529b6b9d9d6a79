"""The OpenAPI document describes errors as they are served: problem+json, every
status an operation can answer, readable operation ids."""

import re
from typing import Any

import httpx
import pytest

PROBLEM_REF = "#/components/schemas/ProblemOut"


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
