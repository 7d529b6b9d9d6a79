"""Length limits of user-supplied text (the value objects in ``text`` enforce them)."""

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
COMMENT_MAX = 5_000
REASON_MAX = 5_000
