"""Ctrl-C stops a long-running command promptly, every time; a second one forces it.

`tickets events tail --from-start` used to hang on Ctrl-C now and then: stopped while
replaying the log, it left the replay holding a database connection that the closing
pool then waited for, forever, and a second Ctrl-C was swallowed by the loop's handler.
"""

import asyncio
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.cli_helpers import TICKETS, run, run_env
from tests.support.broker import delete_exchange, unique_exchange
from tickets.testing.scratch_databases import execute, with_database

STOP_DEADLINE = 15.0  # generous: a clean stop takes about a second on a busy machine


@pytest.fixture(scope="module")
def event_log(
    server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    """A database whose event log takes a while to replay (thousands of events), and
    how many events it holds."""
    name = f"tickets_signals_{time.time_ns()}"
    asyncio.run(execute(server_url, f'CREATE DATABASE "{name}"'))
    url = with_database(server_url, name)
    try:
        seeded = run(
            tmp_path_factory.mktemp("seed"),
            *("seed", "--tickets", "2000", "--workers", "0"),
            TICKETS_DATABASE_URL=url,
            TICKETS_JWT_SECRET=TEST_SECRET,
        )
        assert seeded.returncode == 0, seeded.stderr
        yield url, asyncio.run(_count_events(url))
    finally:
        asyncio.run(execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _count_events(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM tickets.outbox_messages")
        return count
    finally:
        await connection.close()


@pytest.fixture
def exchange(broker_url: str) -> Iterator[str]:
    name = unique_exchange()
    yield name
    asyncio.run(delete_exchange(broker_url, name))


@pytest.mark.parametrize("share", [0, 0.0001, 0.05, 0.4, 0.8])
def test_ctrl_c_stops_events_tail_from_start_promptly(
    tmp_path: Path, event_log: tuple[str, int], broker_url: str, exchange: str, share: float
) -> None:
    database, events = event_log
    after_lines = round(share * events)  # each event is at least one line
    env = run_env(
        tmp_path,
        TICKETS_DATABASE_URL=database,
        TICKETS_JWT_SECRET=TEST_SECRET,
        TICKETS_BROKER_URL=broker_url,
        TICKETS_BROKER_EXCHANGE=exchange,
    )
    process = subprocess.Popen(
        [TICKETS, "events", "tail", "--from-start"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        assert process.stdout is not None
        assert "following" in process.stderr.readline()
        for _ in range(after_lines):  # stop at a different point of the replay each time
            assert process.stdout.readline(), "the replay ended early"
        process.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        stdout, stderr = process.communicate(timeout=STOP_DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, (time.monotonic() - stopped, stderr)
    assert "stopping now" not in stderr, "a clean stop, not a forced one"
    assert "Traceback" not in stderr, stderr
    del stdout


WAITS_FOREVER = textwrap.dedent(
    """
    import asyncio, sys
    from tickets import event_loop
    from tickets.cli.signals import stop_on_signals

    async def main():
        stop = stop_on_signals(float(sys.argv[1]))
        print("ready", flush=True)
        await stop.wait()
        print("stopping", flush=True)
        while True:  # a clean-up that never ends, shielded from cancellation
            try:
                await asyncio.shield(asyncio.Event().wait())
            except asyncio.CancelledError:
                pass

    event_loop.run(main())
    """
)


def _stuck_after_signal(grace: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", WAITS_FOREVER, str(grace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGINT)
    assert process.stdout.readline().strip() == "stopping"
    return process


def _exit_of(process: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, stderr = process.communicate(timeout=STOP_DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, stderr


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_second_signal_forces_a_stuck_stop(second: signal.Signals) -> None:
    process = _stuck_after_signal(grace=600)
    process.send_signal(second)
    code, stderr = _exit_of(process)
    assert code == 130, stderr
    assert f"stopping now: {second.name} again" in stderr


def test_a_stop_that_overruns_its_grace_is_forced() -> None:
    code, stderr = _exit_of(_stuck_after_signal(grace=0.5))
    assert code == 130, stderr
    assert "stopping now: not stopped within 0.5s" in stderr
