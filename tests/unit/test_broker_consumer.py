"""Topic matching and deduplication of the reference consumer."""

import pytest

from tickets.infrastructure.broker.consumer import Deduplicator, topic_matches


@pytest.mark.parametrize(
    ("binding", "key", "expected"),
    [
        ("#", "ticket.created.v1", True),
        ("ticket.#", "ticket.created.v1", True),
        ("ticket.#", "comment.added.v1", False),
        ("*.rejected.*", "ticket.rejected.v2", True),
        ("ticket.*", "ticket.rejected.v1", False),
        ("ticket.rejected.v1", "ticket.rejected.v1", True),
        ("#.v1", "comment.added.v1", True),
        ("#.v1", "ticket.rejected.v2", False),
    ],
)
def test_topic_matching(binding: str, key: str, expected: bool) -> None:
    assert topic_matches(binding, key) is expected


def test_a_repeat_is_skipped_within_the_window_and_the_oldest_forgotten_beyond() -> None:
    dedupe = Deduplicator(size=2)
    assert dedupe.first_time("a")
    assert not dedupe.first_time("a")
    assert dedupe.first_time("b")
    assert dedupe.first_time("c")  # "a" falls out of the window
    assert dedupe.first_time("a")
