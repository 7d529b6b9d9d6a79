"""The event loop every tickets process runs on: uvloop where it is installed (a
dependency everywhere but Windows), asyncio's own otherwise.

`tickets serve` gets the same choice from uvicorn (``loop="auto"``, see server.py); the
worker, the seeder, the other commands and the benchmark's in-process scenarios run
through ``run`` here, so every process runs its coroutines on the same loop. uvloop does
an event loop's work (polling, callbacks, socket reads and writes) in C, so a request
costs fewer instructions with the same syscalls (the counts are in docs/benchmarks.md,
"HTTP against a hand-written endpoint, the server, the tail, processes").
"""

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a new event loop, like ``asyncio.run``."""
    try:
        import uvloop
    except ImportError:  # Windows, or an install without it
        return asyncio.run(main)
    return uvloop.run(main)
