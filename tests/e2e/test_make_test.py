"""What `make test` tells and leaves behind: skipped broker tests say how to run them (and
fail in CI), and the embedded test server's data is gone when the session ends."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import BROKER_COMMAND

ROOT = Path(__file__).resolve().parents[2]
BROKER_TEST = "tests/integration/broker/test_link.py"
SERVER_TEST = "tests/e2e/test_cli_errors.py::test_a_missing_database_is_named_with_the_fix"


def pytest_run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TICKETS_", "PYTEST_"))}
    clean.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_skipped_broker_tests_say_how_to_run_them() -> None:
    result = pytest_run(BROKER_TEST, "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any("SKIPPED" in line and BROKER_COMMAND in line for line in lines), result.stdout
    summary = [line for line in lines if line.startswith(tuple("0123456789"))]
    assert any("broker test(s) skipped; to run them: " + BROKER_COMMAND in s for s in summary), (
        result.stdout
    )


def test_in_ci_unset_broker_tests_fail() -> None:
    result = pytest_run(BROKER_TEST, "-q", CI="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CI runs the broker tests" in result.stdout, result.stdout


def test_the_embedded_test_server_leaves_no_data_behind(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    result = pytest_run(SERVER_TEST, "-q", TMPDIR=str(temp))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout
    left = [p for p in temp.rglob("*") if "tickets-test-embedded" in p.name]
    assert left == [], left
