"""Which database a process uses and how it is opened: the embedded server's data
folder, the external URLs, and the token secret kept beside the embedded data."""

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tickets.bootstrap.settings_checks import check_settings, preflight
from tickets.config import Settings
from tickets.infrastructure.embedded import start_embedded, usable_data_dir
from tickets.infrastructure.reachability import describe

log = logging.getLogger("tickets")


def embedded_data_dir(settings: Settings) -> Path | None:
    """The embedded server's data folder, or None with an external database: a process
    that does not use the folder must not look at it (nor warn about where it lies)."""
    if settings.database_url is not None:
        return None
    return usable_data_dir(settings.data_dir, settings.data_dir_is_explicit)


def describe_database(settings: Settings) -> str:
    """Which database a process opens, for its first line: a CLI run elsewhere must not
    silently use another one."""
    data_dir = embedded_data_dir(settings)
    if data_dir is not None:
        return f"embedded PostgreSQL, data in {data_dir}"
    return f"PostgreSQL at {describe(settings.database_url or '')}"


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """Check the settings, start (or join) the database, and give the write and read
    databases' URLs, unmigrated (`tickets migrate --to` chooses the revision itself)."""
    await preflight(settings)
    data_dir = embedded_data_dir(settings)
    if data_dir is None:
        assert settings.database_url is not None  # what "no data folder" means
        url = settings.database_url
        log.info("database: %s", describe_database(settings))
        yield url, settings.read_database_url or url
        return
    embedded = await asyncio.to_thread(start_embedded, data_dir)
    log.info("database: %s", describe_database(settings))
    try:
        yield embedded.url, settings.read_database_url or embedded.url
    finally:
        await asyncio.to_thread(embedded.stop)


def jwt_secret(settings: Settings, data_dir: Path | None) -> str:
    """The configured secret or, in embedded mode only (``data_dir`` given), one
    generated and kept on disk."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if not settings.embedded and not settings.local_tokens_enabled():
        return secrets.token_urlsafe(48)  # signs and verifies nothing: no HS256 tokens
    check_settings(settings)
    # check_settings refused an external database without a secret: this is embedded
    assert data_dir is not None
    path = data_dir / "jwt_secret"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of two processes starting together, exactly one writes the secret
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
