"""Length limits of user-supplied text, and the checks that enforce them."""

from tickets.domain.errors import InvalidCharacter, InvalidValue, ValueTooLong

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
COMMENT_MAX = 5_000
REASON_MAX = 5_000


def check_length(field: str, value: str, maximum: int) -> str:
    """Return ``value`` unchanged, or raise ValueTooLong when it exceeds ``maximum``
    and InvalidCharacter when it holds a NUL (text that no database stores faithfully)."""
    if len(value) > maximum:
        raise ValueTooLong(field, f"{field} must be at most {maximum} characters, got {len(value)}")
    if "\x00" in value:
        raise InvalidCharacter(field, f"{field} must not contain NUL characters")
    return value


def require_text(field: str, value: str, maximum: int, error: type[InvalidValue]) -> str:
    """Return ``value`` stripped; raise ``error`` when blank and ValueTooLong when too long."""
    stripped = value.strip()
    if not stripped:
        raise error(field, f"{field} must not be blank")
    return check_length(field, stripped, maximum)
