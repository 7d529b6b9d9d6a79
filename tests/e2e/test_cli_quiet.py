"""A command other than serve and worker prints its result and nothing else: it logs at
WARNING unless TICKETS_LOG_LEVEL or `tickets --verbose` asks for more; with an external
database it never looks at (or warns about) the embedded server's data folder."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.cli_helpers import TICKETS, run, run_env
from tickets.config import default_data_dir

TOKEN = re.compile(r"^[\w-]+\.[\w-]+\.[\w-]+$")


def test_token_prints_only_the_token(tmp_path: Path, fresh_database: str) -> None:
    settings = {"TICKETS_DATABASE_URL": fresh_database, "TICKETS_JWT_SECRET": TEST_SECRET}
    first = run(tmp_path, "token", "alice", "--role", "requester", **settings)
    assert first.returncode == 0, first.stderr
    assert TOKEN.match(first.stdout.strip()), first.stdout
    assert first.stderr == "", "the first run migrates, and says nothing about it"
    again = run(tmp_path, "token", "alice", "--role", "requester", **settings)
    assert (again.stdout.count("\n"), again.stderr) == (1, "")


def test_verbose_and_the_log_level_setting_bring_the_info_lines_back(
    tmp_path: Path, fresh_database: str
) -> None:
    settings = {"TICKETS_DATABASE_URL": fresh_database, "TICKETS_JWT_SECRET": TEST_SECRET}
    verbose = run(tmp_path, "--verbose", "token", "alice", **settings)
    assert verbose.returncode == 0, verbose.stderr
    assert "database: PostgreSQL at" in verbose.stderr
    assert TOKEN.match(verbose.stdout.strip()), verbose.stdout
    explicit = run(tmp_path, "token", "bob", TICKETS_LOG_LEVEL="INFO", **settings)
    assert "database: PostgreSQL at" in explicit.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the data folder is moved only for root")
def test_as_root_an_external_database_brings_no_word_about_the_data_folder(
    tmp_path: Path, fresh_database: str
) -> None:
    # The default data folder (no TICKETS_DATA_DIR) inside root's home: where the
    # embedded server would keep its data elsewhere, and say so.
    env = run_env(tmp_path, TICKETS_DATABASE_URL=fresh_database, TICKETS_JWT_SECRET=TEST_SECRET)
    del env["TICKETS_DATA_DIR"]
    env["HOME"] = str(default_data_dir().parent)
    result = subprocess.run(
        [TICKETS, "--verbose", "token", "alice"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "database: PostgreSQL at" in result.stderr, "verbose, yet silent"
    assert "root" not in result.stderr, result.stderr
    assert "embedded" not in result.stderr, result.stderr
