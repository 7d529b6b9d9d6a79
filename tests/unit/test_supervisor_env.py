"""The supervisor gives its children the environment it was handed, and leaves its own
process's environment as it was."""

import os
import sys
import time

from tickets.supervisor import Supervisor

CHECK = "import os, sys; sys.exit(0 if os.environ.get('TICKETS_CHILD_ONLY') == 'yes' else 7)"


def test_children_get_the_given_environment() -> None:
    before = dict(os.environ)
    supervisor = Supervisor(
        [sys.executable, "-c", CHECK], 1, env={**os.environ, "TICKETS_CHILD_ONLY": "yes"}
    )
    supervisor.start()
    try:
        child = supervisor.children[0]
        assert child is not None
        deadline = time.monotonic() + 30
        while child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.returncode == 0  # 7: the variable did not reach it
    finally:
        assert supervisor.stop() == 0
    assert "TICKETS_CHILD_ONLY" not in os.environ
    assert dict(os.environ) == before
