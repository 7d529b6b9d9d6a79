"""Keep N copies of a command running: restart any that dies, stop all gracefully.

The project's one process supervisor: `tickets worker --processes N` runs its workers
under it, and `tickets serve --workers N` its API processes (tickets.api_processes) and
its outbox worker process. A child that fails (crash, `kill -9`, OOM: a non-zero exit)
is restarted after a short pause that doubles while it keeps dying quickly; on stop
every child gets SIGTERM (each finishes its batch or its requests) and is killed only
if it outlives ``grace_seconds``.
"""

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence

from tickets.infrastructure.backoff import Backoff

log = logging.getLogger("tickets")

FIRST_PAUSE, LONGEST_PAUSE, STABLE_SECONDS = 0.5, 30.0, 10.0


class Supervisor:
    def __init__(
        self,
        command: list[str],
        processes: int,
        grace_seconds: float = 40.0,
        args_for: dict[int, list[str]] | None = None,
        env: Mapping[str, str] | None = None,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.command = command
        self.env = env  # the children's whole environment; None: this process's
        self.pass_fds = tuple(pass_fds)
        self.grace_seconds = grace_seconds
        self.args_for = args_for or {}
        self.children: list[subprocess.Popen[bytes] | None] = [None] * processes
        self._started_at = [0.0] * processes
        self._pause = [Backoff(FIRST_PAUSE, LONGEST_PAUSE) for _ in range(processes)]
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def pids(self) -> list[int]:
        return [c.pid for c in self.children if c is not None and c.poll() is None]

    def _spawn(self, slot: int) -> None:
        command = [*self.command, *self.args_for.get(slot, [])]
        self.children[slot] = subprocess.Popen(command, env=self.env, pass_fds=self.pass_fds)
        self._started_at[slot] = time.monotonic()

    def _watch(self) -> None:
        due: dict[int, float] = {}
        while not self._stopping.wait(0.2):
            for slot, child in enumerate(self.children):
                # Exit code 0 is a requested stop (Ctrl-C reaches every child of the
                # terminal's process group): not restarted.
                if child is None or child.poll() in (None, 0):
                    continue
                if slot not in due:
                    lived = time.monotonic() - self._started_at[slot]
                    if lived > STABLE_SECONDS:  # it ran well: a new failure, not a loop
                        self._pause[slot].reset()
                    pause = self._pause[slot].next()
                    log.warning(
                        "process %s exited with %s; restarting in %.1fs",
                        child.pid,
                        child.returncode,
                        pause,
                    )
                    due[slot] = time.monotonic() + pause
                elif time.monotonic() >= due[slot]:
                    del due[slot]
                    self._spawn(slot)

    def start(self) -> None:
        for slot in range(len(self.children)):
            self._spawn(slot)
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> int:
        """SIGTERM every child, wait for all, kill stragglers; the worst exit code."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        running = [c for c in self.children if c is not None and c.poll() is None]
        for child in running:
            child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        worst = 0
        for child in running:
            try:
                code = child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("process %s did not stop in time; killing it", child.pid)
                child.kill()
                code = child.wait()
            # A stop by signal is clean: handled (0), or one that arrived while the child
            # was still starting (130: the CLI's interrupted exit, or killed by it).
            if code not in (0, 130, -signal.SIGINT, -signal.SIGTERM):
                worst = worst or code
        return worst

    def run_until_signal(self) -> int:
        """Start, block until SIGINT or SIGTERM, then stop; the exit code for the CLI."""
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.start()
        while not stop.wait(0.5):
            pass
        return self.stop()
