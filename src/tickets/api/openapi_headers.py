"""The response headers the OpenAPI document declares, as the routes set them:
ETag on every ticket command and on a ticket's details (command_route and
query_schemas.details_response), Location on a created ticket, Idempotent-Replayed on
a replayed POST command, Retry-After on a 503 (problems._known_error)."""

from typing import Any

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": 'The ticket\'s version after the request, as an entity tag: "3". '
        "Send it back as If-Match.",
        "required": True,
        "schema": {"type": "string", "pattern": '^"[1-9][0-9]{0,9}"$'},
    },
    "Location": {
        "description": "The created ticket: /tickets/{id}",
        "required": True,
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Idempotent-Replayed": {
        "description": "Present (true) when the answer is the stored answer to an earlier "
        "request with the same Idempotency-Key",
        "required": False,
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
}
# Where /health/ready answers 503 for an unhealthy dependency it sends no Retry-After:
# a monitor polls it on its own schedule.
OPTIONAL_RETRY_AFTER = {("get", "/health/ready")}
TICKET_COMMANDS = "tickets"  # the tag of the command routes (routers/tickets.py)
TICKET_DETAILS = "get_ticket"
CREATE_TICKET = "create_ticket"


def declare_headers(document: dict[str, Any]) -> None:
    document.setdefault("components", {})["headers"] = HEADERS
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                names = _headers_of(method, path, operation, status)
                if names:
                    response["headers"] = {name: _ref(name) for name in names}
            if (method, path) in OPTIONAL_RETRY_AFTER and "503" in operation["responses"]:
                optional = {**HEADERS["Retry-After"], "required": False}
                operation["responses"]["503"]["headers"] = {"Retry-After": optional}


def _headers_of(method: str, path: str, operation: dict[str, Any], status: str) -> list[str]:
    if status == "503":
        return [] if (method, path) in OPTIONAL_RETRY_AFTER else ["Retry-After"]
    if not status.startswith("2"):
        return []
    command = TICKET_COMMANDS in operation.get("tags", ())
    names = ["ETag"] if command or operation.get("operationId") == TICKET_DETAILS else []
    if operation.get("operationId") == CREATE_TICKET:
        names.append("Location")
    headers = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"}
    if "Idempotency-Key" in headers:
        names.append("Idempotent-Replayed")
    return names


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}
