"""An archive file of the event log, read back whole and checked.

Gzip-compressed JSON lines: one event per line in position order, then one end line
``{"archive_end": {"count": N, "positions_sha256": H}}`` (the SHA-256 of each position
followed by a newline). A file without its end line, with a broken gzip stream, or
whose events do not match the end line is refused.
"""

import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ArchiveRefused(Exception):
    """Archiving or reading an archive cannot go on; the message is one line saying why."""


@dataclass(frozen=True)
class ArchiveFile:
    path: Path
    events: list[dict[str, Any]]
    positions_sha256: str


def read_archive(path: Path) -> ArchiveFile:
    """Every event of an archive, checked whole: refused if corrupt or truncated."""
    digest, events, end = hashlib.sha256(), [], None
    try:
        with gzip.open(path, "rt", encoding="utf-8") as source:
            for text in source:
                if end is not None:
                    raise ArchiveRefused(f"{path} has lines after its end marker")
                item = json.loads(text)
                if "archive_end" in item:
                    end = item["archive_end"]
                    continue
                events.append(item)
                digest.update(b"%d\n" % item["position"])
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError) as error:
        raise ArchiveRefused(f"{path} is corrupt or truncated: {error}") from None
    if end is None:
        raise ArchiveRefused(f"{path} is truncated: no end marker")
    if (end.get("count"), end.get("positions_sha256")) != (len(events), digest.hexdigest()):
        raise ArchiveRefused(f"{path} does not match its end marker (count or checksum)")
    return ArchiveFile(path, events, digest.hexdigest())
