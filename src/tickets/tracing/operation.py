"""A span around a long operation (a projection rebuild), with progress as span events;
a shared no-op when tracing is off."""

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol

from tickets.tracing import state


class Operation(Protocol):
    def progress(self, name: str, **attributes: Any) -> None: ...


class _Quiet:
    def progress(self, name: str, **attributes: Any) -> None:
        pass


class _Recorded:
    def __init__(self, span: Any) -> None:
        self.span = span

    def progress(self, name: str, **attributes: Any) -> None:
        self.span.add_event(name, attributes)


QUIET = _Quiet()


@contextlib.contextmanager
def operation(name: str, **attributes: Any) -> Iterator[Operation]:
    """The span ``name`` (current while the block runs; an exception marks it failed)."""
    if state.TRACER is None:
        yield QUIET
        return
    with state.TRACER.start_as_current_span(name, attributes=attributes) as span:
        yield _Recorded(span)
