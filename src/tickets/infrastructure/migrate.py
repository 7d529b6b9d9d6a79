"""Apply Alembic migrations programmatically (used by `tickets migrate` and on start)."""

from alembic import command
from alembic.config import Config

SCRIPT_LOCATION = "tickets.infrastructure:migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["url"] = url
    return config


def upgrade_to_head(url: str) -> None:
    """Bring the write schema at ``url`` up to date. Blocking; call it off the event loop."""
    command.upgrade(alembic_config(url), "head")
