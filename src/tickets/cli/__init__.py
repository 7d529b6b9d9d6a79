"""The `tickets` command line."""

from tickets.cli import archive as _archive  # noqa: F401  registers its command
from tickets.cli import bench as _bench  # noqa: F401  registers its command
from tickets.cli import events as _events  # noqa: F401  registers its commands
from tickets.cli import outbox as _outbox  # noqa: F401  registers its commands
from tickets.cli import projections as _projections  # noqa: F401  registers its commands
from tickets.cli import seed as _seed  # noqa: F401  registers its command
from tickets.cli import users as _users  # noqa: F401  registers its commands
from tickets.cli.core import app, main

__all__ = ["app", "main"]
