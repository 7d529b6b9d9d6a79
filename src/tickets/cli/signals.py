"""How a long-running command stops: Ctrl-C (SIGINT) or SIGTERM stops it cleanly, and
promptly; a second signal, or a clean stop that overruns its grace period, ends the
process at once.

Why a bound at all: a clean stop cancels tasks and closes connections, and one of them
can hang (a broker or database that no longer answers, a task that keeps swallowing its
cancellation). Then the event loop waits forever for it, and the loop's own signal
handlers, still installed, turn every further Ctrl-C into a no-op: only SIGKILL ended
the process. Here the first signal also arms a timer thread (independent of the loop,
which may be the thing stuck) and re-arms the signals to exit immediately.

A forced exit skips the remaining clean-up: the embedded database's watchdog stops the
server once no process uses it, and the outbox's leases expire on their own.
"""

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import typer

from tickets import event_loop

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM)
INTERRUPTED = 130  # the shell's code for a process ended by Ctrl-C (128 + SIGINT)


def force_exit(reason: str) -> None:
    """End the process now, from any thread, after one line saying why."""
    try:
        sys.stdout.flush()
        sys.stderr.write(f"stopping now: {reason}\n")
        sys.stderr.flush()
    finally:
        os._exit(INTERRUPTED)


def on_first_signal(stop: Callable[[], None], grace: float) -> None:
    """Call ``stop`` on the first SIGINT or SIGTERM; a second one, or ``grace`` seconds
    without the process having ended, exits at once. Call it inside the running loop."""
    loop = asyncio.get_running_loop()

    def second(sig: int) -> None:
        force_exit(f"{signal.Signals(sig).name} again")

    def first(_: int) -> None:
        for sig in SIGNALS:
            loop.add_signal_handler(sig, second, sig)
        timer = threading.Timer(grace, force_exit, (f"not stopped within {grace:g}s",))
        timer.daemon = True  # a process that ends in time does not wait for it
        timer.start()
        stop()

    for sig in SIGNALS:
        loop.add_signal_handler(sig, first, sig)


def stop_on_signals(grace: float) -> asyncio.Event:
    """An event the first SIGINT or SIGTERM sets, for a command that runs until stopped
    and stops itself within ``grace`` seconds (call it inside the running loop)."""
    stop = asyncio.Event()
    on_first_signal(stop.set, grace)
    return stop


def run_interruptible(main: Coroutine[Any, Any, T], grace: float) -> T:
    """Run ``main`` (a command that works towards an end: a seed, a rebuild); the first
    signal cancels it, so its clean-up (a rollback, child processes stopped) runs, and
    the command ends with exit code 130."""
    interrupted = False

    async def cancellable() -> T:
        task = asyncio.current_task()
        assert task is not None

        def cancel() -> None:
            nonlocal interrupted
            interrupted = True
            task.cancel()

        on_first_signal(cancel, grace)
        return await main

    try:
        return event_loop.run(cancellable())
    except asyncio.CancelledError:
        if not interrupted:
            raise
        print("stopped", file=sys.stderr)
        raise typer.Exit(INTERRUPTED) from None
