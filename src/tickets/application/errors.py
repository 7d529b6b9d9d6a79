"""Errors raised by the application layer (not business rules)."""

from typing import ClassVar


class ApplicationError(Exception):
    code: ClassVar[str] = "application.error"


class TicketNotFound(ApplicationError):
    """No such ticket, or the actor may not see it (the two are indistinguishable)."""

    code = "ticket.not_found"


class NotificationNotFound(ApplicationError):
    """No such notification, or not the actor's (the two are indistinguishable)."""

    code = "notification.not_found"


class VersionMismatch(ApplicationError):
    """The caller's expected version (If-Match) is not the current one."""

    code = "ticket.version_mismatch"

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"expected version {expected}, but the ticket is at version {current}")
        self.expected = expected
        self.current = current


class ConcurrencyConflict(ApplicationError):
    """Another command changed the ticket between our read and our write."""

    code = "ticket.version_conflict"

    def __init__(
        self, message: str = "the ticket was changed concurrently; reload it and try again"
    ):
        super().__init__(message)


class IdempotencyKeyReused(ApplicationError):
    """An Idempotency-Key was sent again with a different request."""

    code = "idempotency.key_reused"


class InvalidCommand(ApplicationError):
    """A command failed structural validation before reaching its handler."""

    code = "request.invalid_command"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ReadModelBehind(ApplicationError):
    """The read model did not reach the version a reader waits for, within the bound."""

    code = "readmodel.behind"

    def __init__(self, seen: int | None, wanted: int) -> None:
        shown = "does not show the ticket yet" if seen is None else f"shows version {seen}"
        super().__init__(f"the read model {shown}, not yet {wanted}; retry shortly")


class VersionNotWritten(ApplicationError):
    """A reader waits for a version no command has written: waiting could never end."""

    code = "ticket.version_not_written"

    def __init__(self, current: int, wanted: int) -> None:
        super().__init__(
            f"the ticket is at version {current}; version {wanted} has not been written, "
            "so there is nothing to wait for"
        )
        self.current = current


class ServiceUnavailable(ApplicationError):
    """A dependency (the database) could not be reached."""

    code = "service.unavailable"


class IdempotencyRace(Exception):
    """A unit of work's idempotency key was committed concurrently by another request.

    Raised by the unit of work's commit (infrastructure), handled by the message bus,
    which replays the winner's stored response; never shown to a caller.
    """


class InvalidQuery(ApplicationError):
    """A query's parameter is malformed (too long, a NUL character, a foreign cursor)."""

    code = "request.invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class DeadLetterNotFound(ApplicationError):
    """No outbox message with that id, or it is not (or no longer) a dead letter."""

    code = "dead_letter.not_found"
