"""docs/asyncapi.yaml, read back: each message's payload and headers schema, refs resolved."""

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text())
    return loaded


def resolve(node: Any, root: dict[str, Any] | None = None) -> Any:
    """The node with every local ``$ref`` replaced by what it points to."""
    root = root or document()
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, root)
        return {k: resolve(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, root) for v in node]
    return node


def messages() -> dict[str, dict[str, Any]]:
    """The published messages by name (the routing key), fully resolved."""
    channel = resolve(document()["channels"]["ticketEvents"])
    return {m["name"]: m for m in channel["messages"].values()}


def message_schemas() -> dict[str, dict[str, Any]]:
    return {name: m["payload"] for name, m in messages().items()}
