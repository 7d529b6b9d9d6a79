"""What every `tickets` command shares: its settings from the environment with logging
set for it, its status lines, its progress display, and URLs shown without secrets."""

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Console

from tickets.config import Settings
from tickets.logging_setup import configure_logging, louder

if TYPE_CHECKING:
    from rich.progress import Progress

err = Console(stderr=True)


class Verbosity:
    """Whether `tickets --verbose` asked for INFO (set by the app's callback)."""

    verbose = False


def log_level(settings: Settings, service: bool) -> str:
    """The level a command logs at. A service (serve, worker) logs at TICKETS_LOG_LEVEL
    (default INFO): its logs are its record. Any other command prints its result, which
    INFO lines about migrations and databases would bury: WARNING unless
    TICKETS_LOG_LEVEL is set or `tickets --verbose` asks for INFO."""
    explicit = "log_level" in settings.model_fields_set
    level = settings.log_level if service or explicit else "WARNING"
    if Verbosity.verbose:
        return louder(level, "INFO")
    return level


def settings_from_env(service: bool = False) -> Settings:
    """The validated settings (an invalid one ends the command with its name, see
    errors.py), with logging configured for a service or a command (see log_level)."""
    settings = Settings()
    configure_logging(settings.log_format, log_level(settings, service))
    return settings


def announce(
    settings: Settings, text: str, event: str, to: Console = err, **fields: object
) -> None:
    """A status line of a command (whatever the log level: it is output, and scripts
    wait for some): ``text`` on the console, or a JSON line shaped like a log line when
    logs are JSON, where every line must be JSON."""
    if settings.log_format == "json":
        at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        line = {"event": event, **fields, "level": "info", "timestamp": at}
        print(json.dumps(line, default=str), file=to.file, flush=True)
    else:
        to.print(text, highlight=False, soft_wrap=True)


def progress_bar(console: Console) -> "Progress":
    """A progress display for a long command: what, a bar, done of total, time left."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    what = Progress.get_default_columns()[0]
    columns = (what, BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    return Progress(*columns, console=console)


def redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
