"""The doubling pause shared by the worker's reconnects, the broker link, the supervisor
and the read model's listener."""

import pytest

from tickets.infrastructure.backoff import Backoff


def test_pauses_double_up_to_the_cap() -> None:
    backoff = Backoff(first=0.5, cap=3.0, jitter=0.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_reset_starts_again_from_the_first_pause() -> None:
    backoff = Backoff(first=1.0, cap=8.0, jitter=0.0)
    backoff.next()
    backoff.next()
    backoff.reset()
    assert backoff.next() == 1.0


def test_jitter_takes_off_up_to_its_share_and_the_step_still_doubles() -> None:
    draws = iter([0.0, 0.5, 0.999, 1.0])
    backoff = Backoff(first=1.0, cap=4.0, jitter=0.2, draw=lambda: next(draws))
    pauses = [backoff.next() for _ in range(4)]
    assert pauses == pytest.approx([1.0, 1.8, 4 * (1 - 0.2 * 0.999), 3.2])


def test_pauses_vary_by_default_and_stay_within_the_jitter() -> None:
    pauses = set()
    for _ in range(20):
        pause = Backoff(first=1.0, cap=1.0).next()
        assert 0.8 <= pause <= 1.0
        pauses.add(pause)
    assert len(pauses) > 1
