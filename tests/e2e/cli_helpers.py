"""Running the real `tickets` console script as a user would, with chosen settings."""

import os
import subprocess
import sys
from pathlib import Path

TICKETS = str(Path(sys.executable).with_name("tickets"))


def run_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment without any TICKETS_… setting but ``settings`` (and a data folder
    in ``tmp_path``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETS_")}
    env.update({"TICKETS_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200", **settings})
    return env


def run(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """`tickets ARGS` in an empty folder with only ``settings`` (TICKETS_…) configured."""
    return subprocess.run(
        [TICKETS, *args],
        cwd=tmp_path,
        env=run_env(tmp_path, **settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
