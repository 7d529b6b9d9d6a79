"""The pause between two pruning batches: at least the configured one, and long enough
that deleting takes at most its share of the time however slow a batch was."""

import pytest

from tickets.infrastructure.retention import RetentionConfig


@pytest.mark.parametrize("batch_seconds", [0.0, 0.001, 0.02, 0.1, 0.5, 3.0])
def test_deleting_takes_at_most_its_share(batch_seconds: float) -> None:
    config = RetentionConfig(pause_seconds=0.1, busy_share=0.2)
    pause = config.pause_after(batch_seconds)
    assert pause >= 0.1
    assert batch_seconds / (batch_seconds + pause) <= 0.2 + 1e-9


def test_a_slow_batch_gets_a_proportionally_longer_pause() -> None:
    config = RetentionConfig(pause_seconds=0.1, busy_share=0.2)
    assert config.pause_after(0.01) == 0.1
    assert config.pause_after(0.5) == pytest.approx(2.0)
