"""The text value objects: one rule per kind of user-supplied text."""

import pytest

from tickets.domain.errors import (
    CommentBodyRequired,
    InvalidCharacter,
    ReasonRequired,
    ValueTooLong,
)
from tickets.domain.limits import COMMENT_MAX, DESCRIPTION_MAX, REASON_MAX, TITLE_MAX
from tickets.domain.text import CommentBody, Description, Reason, Text, Title

KINDS: list[tuple[type[Text], int]] = [
    (Title, TITLE_MAX),
    (Description, DESCRIPTION_MAX),
    (Reason, REASON_MAX),
    (CommentBody, COMMENT_MAX),
]


@pytest.mark.parametrize(("kind", "maximum"), KINDS, ids=lambda k: getattr(k, "__name__", ""))
def test_each_kind_accepts_its_maximum_and_refuses_one_more(kind: type[Text], maximum: int) -> None:
    assert kind.parse("x" * maximum).value == "x" * maximum
    with pytest.raises(ValueTooLong) as raised:
        kind.parse("x" * (maximum + 1))
    assert raised.value.field == kind.field


@pytest.mark.parametrize("kind", [k for k, _ in KINDS], ids=lambda k: k.__name__)
def test_no_kind_holds_a_nul(kind: type[Text]) -> None:
    with pytest.raises(InvalidCharacter):
        kind.parse("a\x00b")


def test_titles_reasons_and_comments_are_stripped_descriptions_kept_as_written() -> None:
    assert Title.parse("  Laptop \n").value == "Laptop"
    assert Reason.parse(" too dear ").value == "too dear"
    assert CommentBody.parse("\thi ").value == "hi"
    assert Description.parse("  indented\n").value == "  indented\n"


def test_a_blank_reason_or_comment_is_refused_a_blank_title_is_not() -> None:
    with pytest.raises(ReasonRequired):
        Reason.parse(" \n")
    with pytest.raises(CommentBodyRequired):
        CommentBody.parse("")
    assert Title.parse("   ").value == ""
    assert Description.parse("").value == ""


def test_the_rule_holds_for_direct_construction_too() -> None:
    with pytest.raises(ReasonRequired):
        Reason("")
    with pytest.raises(ValueTooLong):
        Title("t" * (TITLE_MAX + 1))


def test_kinds_with_the_same_text_are_different_values() -> None:
    assert Title("same") == Title("same")
    assert Title("same") != Reason("same")  # type: ignore[comparison-overlap]
