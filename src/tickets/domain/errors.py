"""Named domain errors; each carries a stable machine-readable code."""

from typing import ClassVar


class DomainError(Exception):
    """A business rule refused the operation."""

    code: ClassVar[str] = "domain.error"


class PermissionDenied(DomainError):
    """The actor is known but may not do this."""

    code = "auth.forbidden"


class SelfDecision(PermissionDenied):
    """An approver tried to decide on a ticket they wrote."""

    code = "ticket.self_decision"


class RuleViolation(DomainError):
    """The ticket's state does not allow the operation."""

    code = "ticket.rule_violation"


class InvalidTransition(RuleViolation):
    """The transition table has no such move from the current status."""

    code = "ticket.invalid_transition"


class TicketNotEditable(RuleViolation):
    """Only drafts can be edited."""

    code = "ticket.not_editable"


class TitleRequired(RuleViolation):
    """A ticket cannot be submitted without a title."""

    code = "ticket.title_required"


class InvalidValue(DomainError):
    """A value breaks a field rule (blank where required, too long)."""

    code = "domain.invalid_value"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ReasonRequired(InvalidValue):
    code = "ticket.reason_required"


class CommentBodyRequired(InvalidValue):
    code = "comment.body_required"


class ValueTooLong(InvalidValue):
    code = "field.too_long"


class InvalidCharacter(InvalidValue):
    code = "field.invalid_character"
