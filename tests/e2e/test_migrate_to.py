"""`tickets migrate --to REVISION` on a real PostgreSQL: down (shown, then confirmed, or
refused without a terminal unless --yes) and up again; an unknown revision is a short
message listing the known ones."""

import asyncio
import os
import pty
import subprocess
from pathlib import Path

import asyncpg

from tests.conftest import TEST_SECRET
from tests.e2e.cli_helpers import TICKETS, run_env

HEAD_TABLE = "tickets.outbox_head"  # 0007: the log's head, dropped when going below it
MIGRATIONS = Path(__file__).parents[2] / "src" / "tickets" / "infrastructure"
WRITE = sorted(p.name[:4] for p in (MIGRATIONS / "migrations" / "versions").glob("[0-9]*.py"))
READ = sorted(p.name[:5] for p in (MIGRATIONS / "read_migrations" / "versions").glob("r*.py"))
HEAD = WRITE[-1]


def migrate(
    tmp_path: Path, database: str, *args: str, stdin: int = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    env = run_env(tmp_path, TICKETS_DATABASE_URL=database, TICKETS_JWT_SECRET=TEST_SECRET)
    return subprocess.run(
        [TICKETS, "migrate", *args],
        cwd=tmp_path,
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def state(database: str) -> tuple[str, bool]:
    """The write schema's revision, and whether 0007's head table exists."""

    async def read() -> tuple[str, bool]:
        connection = await asyncpg.connect(database)
        try:
            revision = await connection.fetchval("SELECT version_num FROM tickets.alembic_version")
            index = await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", HEAD_TABLE)
            return revision, index
        finally:
            await connection.close()

    return asyncio.run(read())


def test_an_unknown_revision_lists_the_known_ones(tmp_path: Path) -> None:
    result = migrate(tmp_path, "postgresql://nobody@127.0.0.1:1/none", "--to", "0099")
    assert result.returncode == 2, result.stderr
    assert "unknown revision '0099'" in result.stderr
    assert ", ".join([*WRITE, *READ]) in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr


def test_down_without_a_terminal_is_refused_unless_yes_then_up_again(
    tmp_path: Path, fresh_database: str
) -> None:
    assert migrate(tmp_path, fresh_database).returncode == 0
    assert state(fresh_database) == (HEAD, True)

    refused = migrate(tmp_path, fresh_database, "--to", "0003")
    assert refused.returncode == 1, refused.stderr
    for undone in WRITE[WRITE.index("0004") :]:
        assert f"undo {undone}" in refused.stderr
    assert "--yes" in refused.stderr
    assert state(fresh_database) == (HEAD, True), "refused, yet changed"

    down = migrate(tmp_path, fresh_database, "--to", "0003", "--yes")
    assert down.returncode == 0, down.stderr
    assert "now at 0003" in down.stderr
    assert state(fresh_database) == ("0003", False)

    again = migrate(tmp_path, fresh_database, "--to", "0003", "--yes")
    assert "already at 0003" in again.stderr

    up = migrate(tmp_path, fresh_database, "--to", HEAD)  # up: no question
    assert up.returncode == 0, up.stderr
    assert "apply 0004" in up.stderr
    assert state(fresh_database) == (HEAD, True)


def _on_a_terminal(tmp_path: Path, database: str, answer: str) -> subprocess.CompletedProcess[str]:
    main, terminal = pty.openpty()
    try:
        os.write(main, answer.encode() + b"\n")  # typed ahead: read at the question
        return migrate(tmp_path, database, "--to", "0004", stdin=terminal)
    finally:
        os.close(terminal)
        os.close(main)


def test_down_on_a_terminal_asks_first(tmp_path: Path, fresh_database: str) -> None:
    assert migrate(tmp_path, fresh_database).returncode == 0

    declined = _on_a_terminal(tmp_path, fresh_database, "n")
    assert declined.returncode == 1, declined.stderr
    assert "Roll back?" in declined.stderr
    assert state(fresh_database) == (HEAD, True)

    accepted = _on_a_terminal(tmp_path, fresh_database, "y")
    assert accepted.returncode == 0, accepted.stderr
    assert state(fresh_database)[0] == "0004"
