"""The access log: one line per request when INFO is on, not even built when it is off."""

import json
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tickets.api.middleware import _observe, access_log
from tickets.logging_setup import configure_logging


@pytest.fixture(autouse=True)
def restore_quiet_logs() -> Iterator[None]:
    yield
    configure_logging("console", "WARNING")


def _scope(access: object) -> dict[str, object]:
    app = SimpleNamespace(state=SimpleNamespace(access_log=access))
    return {"type": "http", "method": "GET", "path": "/tickets", "app": app}


def test_at_info_each_request_writes_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    _observe(_scope(access_log()), 200, 0.0125)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(x["event"], x["status"], x["ms"], x["path"]) for x in lines] == [
        ("http.request", 200, 12.5, "/tickets")
    ]


def test_above_info_there_is_no_access_logger(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "WARNING")
    assert access_log() is None
    _observe(_scope(None), 200, 0.01)
    assert capsys.readouterr().err == ""
