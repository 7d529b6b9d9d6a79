"""Startup and configuration mistakes: the real `tickets` console script ends with exit
code 1 and a few lines naming the setting and the fix, never a traceback."""

import asyncio
import json
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.cli_helpers import run
from tickets.testing.scratch_databases import with_database

MAX_LINES = 4


def assert_refused(result: subprocess.CompletedProcess[str], *named: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    assert len(output.strip().splitlines()) <= MAX_LINES, output
    for word in named:
        assert word in output, output


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def password_refusing_server() -> Iterator[int]:
    """A port that speaks just enough PostgreSQL to refuse every password."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def refuse(connection: socket.socket) -> None:
        with connection:
            first = connection.recv(8)
            if first[4:8] == (80877103).to_bytes(4, "big"):  # SSLRequest: "no SSL"
                connection.sendall(b"N")
                connection.recv(4096)
            fields = b"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed\0\0"
            connection.sendall(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            refuse(connection)

    threading.Thread(target=serve, daemon=True).start()
    yield port
    listener.close()


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"TICKETS_DATABASE_URL": "garbage"}, ["TICKETS_DATABASE_URL", "postgresql://"]),
        ({"TICKETS_DATABASE_URL": "mysql://u@h/db"}, ["TICKETS_DATABASE_URL", "mysql"]),
        ({"TICKETS_JWT_SECRET": "too-short"}, ["TICKETS_JWT_SECRET", "32 bytes"]),
        ({"TICKETS_LOG_LEVEL": "verbose"}, ["TICKETS_LOG_LEVEL", "INFO"]),
        ({"TICKETS_DB_POOL_SIZE": "abc"}, ["TICKETS_DB_POOL_SIZE", "integer"]),
    ],
)
def test_an_invalid_setting_is_named_in_a_few_lines(
    tmp_path: Path, settings: dict[str, str], named: list[str]
) -> None:
    assert_refused(run(tmp_path, "migrate", **settings), *named)
    assert not (tmp_path / "data").exists(), "nothing may start before the settings are checked"


def test_an_unusable_data_dir_is_named(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result = run(tmp_path, "migrate", TICKETS_DATA_DIR=str(tmp_path / "a-file" / "data"))
    assert_refused(result, "TICKETS_DATA_DIR", "a-file")


def test_a_secret_is_never_echoed(tmp_path: Path) -> None:
    result = run(tmp_path, "migrate", TICKETS_JWT_SECRET="hunter2-secret")
    assert_refused(result, "TICKETS_JWT_SECRET")
    assert "hunter2" not in result.stderr


def test_an_unreachable_database_is_named(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/postgres"
    result = run(tmp_path, "migrate", TICKETS_DATABASE_URL=url, TICKETS_JWT_SECRET=TEST_SECRET)
    assert_refused(result, "TICKETS_DATABASE_URL", "is PostgreSQL running")


def test_a_wrong_password_is_named(tmp_path: Path, password_refusing_server: int) -> None:
    url = f"postgresql://postgres:wrong@127.0.0.1:{password_refusing_server}/postgres"
    result = run(tmp_path, "migrate", TICKETS_DATABASE_URL=url, TICKETS_JWT_SECRET=TEST_SECRET)
    assert_refused(result, "TICKETS_DATABASE_URL", "password")
    assert "wrong" not in result.stderr


def test_a_missing_database_is_named_with_the_fix(tmp_path: Path, server_url: str) -> None:
    name = f"tickets_missing_{uuid.uuid4().hex[:8]}"
    url = with_database(server_url, name)
    result = run(
        tmp_path, "outbox", "status", TICKETS_DATABASE_URL=url, TICKETS_JWT_SECRET=TEST_SECRET
    )
    assert_refused(result, "TICKETS_DATABASE_URL", name, "createdb")


def test_an_external_database_without_a_secret_is_refused_before_migrating(
    tmp_path: Path, fresh_database: str
) -> None:
    assert_refused(
        run(tmp_path, "migrate", TICKETS_DATABASE_URL=fresh_database), "TICKETS_JWT_SECRET"
    )

    async def schemas() -> int:
        connection = await asyncpg.connect(fresh_database)
        try:
            found: int = await connection.fetchval(
                "SELECT count(*) FROM pg_namespace WHERE nspname IN ('tickets', 'read')"
            )
            return found
        finally:
            await connection.close()

    assert asyncio.run(schemas()) == 0, "refused after migrating"


def test_a_busy_port_is_reported_before_anything_starts(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        # the database is unreachable too: naming the port proves it was checked first
        url = f"postgresql://postgres@127.0.0.1:{closed_port()}/postgres"
        result = run(
            tmp_path,
            "serve",
            "--port",
            str(port),
            TICKETS_DATABASE_URL=url,
            TICKETS_JWT_SECRET=TEST_SECRET,
        )
    assert_refused(result, str(port), "--port")
    assert "serving on" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run(tmp_path, "--debug", "migrate", TICKETS_DB_POOL_SIZE="abc")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_in_json_format_the_refusal_is_one_json_line(tmp_path: Path) -> None:
    result = run(tmp_path, "migrate", TICKETS_LOG_FORMAT="json", TICKETS_DB_POOL_SIZE="abc")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TICKETS_DB_POOL_SIZE" in json.loads(lines[0])["error"]


def test_migrate_is_quiet_and_says_which_database(tmp_path: Path, fresh_database: str) -> None:
    settings = {
        "TICKETS_DATABASE_URL": fresh_database,
        "TICKETS_JWT_SECRET": TEST_SECRET,
        "TICKETS_LOG_LEVEL": "INFO",
    }
    first = run(tmp_path, "migrate", **settings)
    assert first.returncode == 0, first.stderr
    name = urlsplit(fresh_database).path.lstrip("/")  # embedded URLs add ?host=<socket>
    said = [line for line in first.stderr.splitlines() if "database: PostgreSQL at" in line]
    assert len(said) == 1, first.stderr
    assert said[0].endswith(f"/{name}") or f"/{name} " in said[0], first.stderr
    assert "Running upgrade" not in first.stderr, first.stderr
    assert first.stderr.count("migrations applied") == 1, first.stderr

    again = run(tmp_path, "migrate", **settings)
    assert again.returncode == 0, again.stderr
    assert "migrations" not in again.stderr, again.stderr
    assert len(again.stderr.strip().splitlines()) <= 2, again.stderr


def _seed_log(tmp_path: Path, database: str, *flags: str) -> list[dict[str, object]]:
    result = run(
        tmp_path,
        "seed",
        *("--tickets", "2", "--batch", "1", "--workers", "0", *flags),
        TICKETS_DATABASE_URL=database,
        TICKETS_JWT_SECRET=TEST_SECRET,
        TICKETS_LOG_LEVEL="INFO",
        TICKETS_LOG_FORMAT="json",
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stderr.splitlines()]


def test_seed_logs_no_command_lines_by_default(tmp_path: Path, fresh_database: str) -> None:
    events = _seed_log(tmp_path, fresh_database)
    assert not [e for e in events if "command_id" in e], events


def test_seed_gives_each_command_its_own_id(tmp_path: Path, fresh_database: str) -> None:
    events = _seed_log(tmp_path, fresh_database, "--verbose")
    ids = [e["command_id"] for e in events if "command_id" in e]
    assert len(ids) >= 47 + 2, "every user and every batch is a logged command"
    assert len(ids) == len(set(ids)), "command ids repeat"
    assert len({e["correlation_id"] for e in events if "command_id" in e}) == 1
