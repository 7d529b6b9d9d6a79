"""Property-based fuzzing of the whole OpenAPI surface against a real server process,
as each role and anonymously, with every schemathesis check (``--checks all``): never
a 5xx, every answer as documented (status, content type, headers, schema), invalid
data refused, valid data accepted, auth enforced, 405 with Allow for undocumented
methods. The only refusals of valid data let through are the state-only ones that
tests/e2e/schemathesis_hooks.py names."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import live_server as start_live_server


@pytest.fixture(scope="module")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("server")
    # fuzzed min_version values mostly time out: keep the wait short
    with start_live_server(database_url, workdir, TICKETS_READ_WAIT_SECONDS="0.2") as base:
        yield base


HERE = Path(__file__).resolve().parent


def _auth(live_server: str, role: str) -> list[str]:
    if role == "anonymous":
        return []
    token = httpx.post(
        f"{live_server}/auth/token", json={"username": f"fuzz-{role}", "role": role}
    ).json()["access_token"]
    return ["--header", f"Authorization: Bearer {token}"]


@pytest.mark.parametrize("role", ["requester", "approver", "admin", "anonymous"])
def test_every_answer_is_as_documented(live_server: str, role: str, tmp_path: Path) -> None:
    st = Path(sys.executable).parent / "st"
    result = subprocess.run(
        [
            str(st),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{live_server}/openapi.json",
            "--checks",
            "all",
            *_auth(live_server, role),
            "--max-examples",
            "30",
            "--seed",
            "20261127",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--request-timeout",
            "10",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # schemathesis keeps a cache in its working directory
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
            "PYTHONPATH": str(HERE.parents[1]),
        },
    )
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
