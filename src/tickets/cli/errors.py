"""The one place that turns known startup and configuration mistakes into a short message.

Every command runs inside `reported_errors()` (see `main`): a mistake a user can fix (a
setting, an unreachable database, a busy port) or a database lost while a command runs
ends the process with exit code 1 and a few lines naming the setting and the fix; a
traceback only with `tickets --debug …` or TICKETS_LOG_LEVEL=DEBUG. Anything else is a
bug and keeps its traceback.
"""

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from pydantic import ValidationError

EXIT_CODE = 1
HIDDEN_INPUT = ("secret", "url", "password")


class StartupRefused(RuntimeError):
    """A command cannot start as configured; the message says why and what to do."""


def _known() -> tuple[type[Exception], ...]:
    # imported when needed: the composition root is heavy and most runs never fail
    from tickets.bootstrap import ConfigurationError
    from tickets.infrastructure.embedded import EmbeddedDatabaseError
    from tickets.infrastructure.reachability import DatabaseUnreachable
    from tickets.tracing.setup import TracingConfigError

    return (
        StartupRefused,
        ConfigurationError,
        EmbeddedDatabaseError,
        DatabaseUnreachable,
        TracingConfigError,
    )


def _lost_database(error: BaseException) -> bool:
    from tickets.infrastructure.database import is_connection_error

    return is_connection_error(error)


class _Debug:
    enabled = False


def enable_debug() -> None:
    _Debug.enabled = True


def _debugging() -> bool:
    return _Debug.enabled or os.environ.get("TICKETS_LOG_LEVEL", "").upper() == "DEBUG"


def settings_problems(error: ValidationError) -> list[str]:
    """One line per invalid setting, named as the user set it (TICKETS_…)."""
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        name = f"TICKETS_{field.upper()}"
        message = problem["msg"].removeprefix("Value error, ")
        shown = problem.get("input")
        if shown is not None and not any(word in field for word in HIDDEN_INPUT):
            message += f" (got {str(shown)[:60]!r})"
        lines.append(f"{name}: {message}")
    return lines


def _messages(error: BaseException) -> list[str] | None:
    if isinstance(error, ValidationError):
        return ["invalid settings:", *(f"  {line}" for line in settings_problems(error))]
    if isinstance(error, _known()):
        return [str(error)]
    if _lost_database(error):
        return [
            f"the database stopped answering while the command ran ({error!r})",
            "check that it is running and reachable, then run the command again",
        ]
    if isinstance(error, BaseExceptionGroup):  # raised from inside a task group
        for inner in error.exceptions:
            found = _messages(inner)
            if found is not None:
                return found
    return None


def report(lines: list[str]) -> None:
    """Print ``lines`` to stderr: plain text, or one JSON log line in json log format."""
    if os.environ.get("TICKETS_LOG_FORMAT", "").lower() == "json":
        at = datetime.now(UTC).isoformat()
        event = {"event": "startup.refused", "level": "error", "timestamp": at}
        print(json.dumps({**event, "error": " ".join(lines)}), file=sys.stderr)
        return
    first, *rest = lines
    print(f"error: {first}", *rest, sep="\n", file=sys.stderr)
    if not _debugging():
        print("(`tickets --debug …` shows the traceback)", file=sys.stderr)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Exit with a short message for a known mistake; let anything else through."""
    try:
        yield
    except Exception as error:
        lines = _messages(error)
        if lines is None or _debugging():
            raise
        report(lines)
        raise SystemExit(EXIT_CODE) from None
