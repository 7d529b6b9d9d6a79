"""A doubling pause between tries of something that is down (a database, a broker, a
child process, the read model's listener), capped, and back to the first step once it
works again.

Each pause is shortened by a random part of up to ``jitter`` of it, so that many
clients that lost the same server at the same moment do not all try again at the same
moments (and meet it with one burst each time); the step itself still doubles.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    first: float = 0.5
    cap: float = 30.0
    jitter: float = 0.2
    """The largest share of a pause taken off at random (0: exact pauses)."""
    draw: Callable[[], float] = field(default=random.random, repr=False)
    """A number in [0, 1); replaced in tests to make the pauses known."""
    current: float = field(init=False)

    def __post_init__(self) -> None:
        self.current = self.first

    def next(self) -> float:
        """The pause to wait now; the step after it is twice as long, up to the cap."""
        pause = self.current * (1.0 - self.jitter * self.draw())
        self.current = min(self.current * 2, self.cap)
        return pause

    def reset(self) -> None:
        self.current = self.first
