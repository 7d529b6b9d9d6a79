"""A database lost while a CLI command runs is reported in two lines, not a traceback."""

import asyncpg
import pytest

from tickets.cli.errors import EXIT_CODE, reported_errors


@pytest.mark.parametrize(
    "error",
    [TimeoutError(), ConnectionResetError("reset"), asyncpg.ConnectionDoesNotExistError("gone")],
)
def test_a_lost_database_is_a_short_message(
    error: Exception, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TICKETS_LOG_LEVEL", raising=False)
    monkeypatch.delenv("TICKETS_LOG_FORMAT", raising=False)
    with pytest.raises(SystemExit) as exited, reported_errors():
        raise error
    assert exited.value.code == EXIT_CODE
    printed = capsys.readouterr().err
    assert printed.startswith("error: the database stopped answering while the command ran")
    assert "Traceback" not in printed


def test_a_bug_keeps_its_traceback() -> None:
    with pytest.raises(KeyError), reported_errors():
        raise KeyError("a bug")
