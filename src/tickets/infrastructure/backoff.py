"""A doubling pause between tries of something that is down (a database, a broker, a
child process), capped, and back to the first step once it works again."""

from dataclasses import dataclass, field


@dataclass
class Backoff:
    first: float = 0.5
    cap: float = 30.0
    current: float = field(init=False)

    def __post_init__(self) -> None:
        self.current = self.first

    def next(self) -> float:
        """The pause to wait now; the one after it is twice as long, up to the cap."""
        pause = self.current
        self.current = min(self.current * 2, self.cap)
        return pause

    def reset(self) -> None:
        self.current = self.first
