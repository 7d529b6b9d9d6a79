"""Guard for the uvicorn internals tickets.http_protocol still overrides (docs/design.md,
"Library internals": a gap, not yet justified by a figure): any change to what the
subclass relies on fails here, with the piece named, before an upgrade reaches the
server tests (tests/e2e/test_server_limits.py)."""

import inspect
from importlib.metadata import version

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tickets.http_protocol import BoundedHttpToolsProtocol

TESTED = "0.54"  # uvicorn is 0.x: a minor version may break what is used here


def test_uvicorn_is_the_version_the_protocol_was_written_against() -> None:
    assert version("uvicorn").startswith(TESTED + "."), (
        "uvicorn changed version: check tickets.http_protocol against HttpToolsProtocol, "
        "run tests/e2e/test_server_limits.py and update the bound in pyproject.toml"
    )


def test_the_overridden_methods_still_exist() -> None:
    overridden = {
        name
        for name, value in vars(BoundedHttpToolsProtocol).items()
        if callable(value) and not name.startswith("_")
    }
    missing = {name for name in overridden if not hasattr(HttpToolsProtocol, name)}
    assert not missing, f"HttpToolsProtocol no longer has {missing}: see tickets.http_protocol"


def test_the_attributes_used_are_still_set_by_uvicorn() -> None:
    source = inspect.getsource(HttpToolsProtocol)
    for attribute in (
        "self.timeout_keep_alive_task",
        "self.timeout_keep_alive ",
        "def timeout_keep_alive_handler",
        "self.flow",
        "self.cycle",
        "self.loop",
        "self.transport",
    ):
        assert attribute in source, f"HttpToolsProtocol no longer has {attribute.strip()!r}"
