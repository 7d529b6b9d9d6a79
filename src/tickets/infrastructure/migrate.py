"""Apply Alembic migrations programmatically (used by `tickets migrate` and on start)."""

from alembic import command
from alembic.config import Config

WRITE_SCRIPTS = "tickets.infrastructure:migrations"
READ_SCRIPTS = "tickets.infrastructure:read_migrations"


def alembic_config(url: str, scripts: str = WRITE_SCRIPTS) -> Config:
    config = Config()
    config.set_main_option("script_location", scripts)
    config.attributes["url"] = url
    return config


def upgrade_to_head(url: str, read_url: str | None = None) -> None:
    """Bring the write schema at ``url`` and the read schema at ``read_url`` (default: the
    same database) up to date. Blocking; call it off the event loop."""
    command.upgrade(alembic_config(url), "head")
    command.upgrade(alembic_config(read_url or url, READ_SCRIPTS), "head")
