"""User-supplied text as value objects: each kind states its rule once.

A value object is valid by construction: ``__post_init__`` refuses text that is too
long, holds a NUL (which no database stores faithfully), or is blank where required.
``parse`` is how raw input becomes one: it strips the kinds that are stripped.
"""

from dataclasses import dataclass
from typing import ClassVar, Self

from tickets.domain import limits
from tickets.domain.errors import (
    CommentBodyRequired,
    InvalidCharacter,
    InvalidValue,
    ReasonRequired,
    ValueTooLong,
)


@dataclass(frozen=True, slots=True)
class Text:
    """Base of the text value objects; subclasses set the rule's parameters."""

    value: str

    field: ClassVar[str]
    maximum: ClassVar[int]
    stripped: ClassVar[bool] = True
    blank_error: ClassVar[type[InvalidValue] | None] = None
    """Raised for blank text; None where blank text is allowed."""

    def __post_init__(self) -> None:
        if self.blank_error is not None and not self.value.strip():
            raise self.blank_error(self.field, f"{self.field} must not be blank")
        if len(self.value) > self.maximum:
            raise ValueTooLong(
                self.field,
                f"{self.field} must be at most {self.maximum} characters, got {len(self.value)}",
            )
        if "\x00" in self.value:
            raise InvalidCharacter(self.field, f"{self.field} must not contain NUL characters")

    @classmethod
    def parse(cls, raw: str) -> Self:
        return cls(raw.strip() if cls.stripped else raw)


class Title(Text):
    """A ticket's title; a draft may have none yet (submitting needs one)."""

    field = "title"
    maximum = limits.TITLE_MAX


class Description(Text):
    """Kept as written: leading and trailing whitespace may be formatting."""

    field = "description"
    maximum = limits.DESCRIPTION_MAX
    stripped = False


class Reason(Text):
    """Why an approver rejected a ticket."""

    field = "reason"
    maximum = limits.REASON_MAX
    blank_error = ReasonRequired


class CommentBody(Text):
    field = "body"
    maximum = limits.COMMENT_MAX
    blank_error = CommentBodyRequired
