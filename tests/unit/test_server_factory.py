"""The app factory of `serve --workers N`'s API processes: settings passed explicitly,
the parent's environment left as it was."""

import os
from typing import Any

import pytest

from tickets import server
from tickets.config import Settings


def test_an_api_process_runs_no_outbox_worker_and_changes_no_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETS_RUN_WORKER", "true")
    monkeypatch.setenv("TICKETS_READ_WAIT_SECONDS", "2.5")
    built: list[Settings] = []

    def build_app(settings: Settings) -> Any:
        built.append(settings)
        return object()

    monkeypatch.setattr("tickets.bootstrap.build_app", build_app)
    monkeypatch.setattr(server, "configure_logging", lambda *_: None)
    before = dict(os.environ)
    app = server.api_process_app()
    assert isinstance(app, server.FreezeAfterStartup)
    assert [s.run_worker for s in built] == [False]
    assert built[0].read_wait_seconds == 2.5  # the rest as the environment says
    assert dict(os.environ) == before
