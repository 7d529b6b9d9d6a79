"""The README's walkthrough runs as written against a live `tickets serve`.

Every shell block that follows a ``<!-- walkthrough -->`` comment in README.md is run, in
order, by bash with ``set -euo pipefail``. The walkthrough checks its own status codes
(``curl -f`` for the 2xx steps, explicit comparisons for the error examples), so a command
that no longer works, or answers differently, fails this test.
"""

import asyncio
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.live_server import live_server
from tickets.testing.scratch_databases import scratch_database

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"<!-- walkthrough -->\s*\n```sh\n(.*?)\n```", re.S)


def walkthrough_blocks(text: str) -> list[str]:
    return BLOCK.findall(text)


@pytest_asyncio.fixture
async def fresh_server(server_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A server on a database of its own: the walkthrough's user names are fixed."""
    async with scratch_database(server_url) as url:
        # a small pool: the walkthrough is sequential, and the test server is shared
        with live_server(url, tmp_path, TICKETS_DB_POOL_SIZE="2") as base:
            yield base


def test_readme_has_a_walkthrough() -> None:
    blocks = walkthrough_blocks(README.read_text())
    assert blocks, "README.md has no ```sh block after a <!-- walkthrough --> comment"
    script = "\n".join(blocks)
    for needle in ("min_version=", "cursor=", "/tickets/stats", "-X POST"):
        assert needle in script, f"the walkthrough no longer shows {needle}"


async def test_readme_walkthrough_runs(fresh_server: str, tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.fail("the README walkthrough needs curl on PATH")
    script = "set -euo pipefail\n" + "\n".join(walkthrough_blocks(README.read_text()))
    # `python3` in the walkthrough is the test's interpreter, whatever the machine has.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        env={**os.environ, "API": fresh_server, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 0, (
        f"walkthrough failed (exit {process.returncode})\n"
        f"--- stdout ---\n{stdout[-6000:]}\n--- stderr ---\n{stderr[-4000:]}"
    )
