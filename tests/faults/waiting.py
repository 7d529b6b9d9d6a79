"""Waiting on state that another process changes (a worker, a database)."""

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(
    condition: Callable[[], Awaitable[object]],
    within: float,
    every: float = 0.02,
) -> object:
    """Await ``condition`` until it returns something truthy; TimeoutError after ``within``.

    Only for effects of other processes or background tasks, which no in-process event
    can signal; in-process delivery in tests uses drain() instead.
    """
    async with asyncio.timeout(within):
        while True:
            result = await condition()
            if result:
                return result
            await asyncio.sleep(every)
