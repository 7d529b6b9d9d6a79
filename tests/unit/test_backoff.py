"""The doubling pause shared by the worker's reconnects, the broker link and the supervisor."""

from tickets.infrastructure.backoff import Backoff


def test_pauses_double_up_to_the_cap() -> None:
    backoff = Backoff(first=0.5, cap=3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_reset_starts_again_from_the_first_pause() -> None:
    backoff = Backoff(first=1.0, cap=8.0)
    backoff.next()
    backoff.next()
    backoff.reset()
    assert backoff.next() == 1.0
