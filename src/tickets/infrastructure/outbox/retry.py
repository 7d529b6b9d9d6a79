"""Exponential backoff with jitter, and when to give up."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 0.5
    cap_seconds: float = 60.0
    max_attempts: int = 8

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before the next try after failed ``attempt``: half the exponential
        step fixed, half random ("equal jitter"), so retries spread out but never stall."""
        step = min(self.cap_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        jitter: float = (rng or random).uniform(0, step / 2)
        return step / 2 + jitter
