"""The pipeline behaviours around every command: what the log lines carry, and what
the metrics count (the time measured on a clock the test sets)."""

import itertools
import logging
from collections.abc import Iterator
from uuid import uuid4

import pytest
import structlog
from structlog.testing import capture_logs

from tests.unit.builders import approver, requester
from tests.unit.fakes import FakeClock, FakeIds, FakeStore, FakeUnitOfWork
from tickets.application import behaviours
from tickets.application.behaviours import default_behaviours
from tickets.application.command_handlers import COMMAND_HANDLERS
from tickets.application.commands import CreateTicket, SubmitTicket
from tickets.application.errors import TicketNotFound
from tickets.application.messagebus import MessageBus
from tickets.application.ports import ClockAndIds, MessageContext
from tickets.domain.errors import PermissionDenied

ALICE = requester("alice")


class RecordingMetrics:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []

    def command_handled(self, command: str, outcome: str, seconds: float) -> None:
        self.calls.append((command, outcome, seconds))


STEP = 0.0041152
"""How far perf_counter moves between two readings: the metrics behaviour, inside the
logging one, measures one step; the logging behaviour three (12.3456 ms)."""


@pytest.fixture
def ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    readings = itertools.count(10.0, STEP)
    monkeypatch.setattr(behaviours.time, "perf_counter", lambda: next(readings))


@pytest.fixture(autouse=True)
def info_logs() -> Iterator[None]:
    """The test session logs warnings only; these tests read the info lines."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    yield
    structlog.configure(**saved)


def bus(metrics: RecordingMetrics, handlers: dict = COMMAND_HANDLERS) -> MessageBus:  # type: ignore[type-arg]
    store = FakeStore()
    return MessageBus(
        lambda c: FakeUnitOfWork(store, c),
        ClockAndIds(FakeClock(), FakeIds()),
        default_behaviours(metrics),
        handlers,
    )


def context() -> MessageContext:
    return MessageContext(correlation_id="corr-1")


async def test_a_handled_command_is_logged_and_counted(ticks: None) -> None:
    metrics = RecordingMetrics()
    ctx = context()
    with capture_logs() as logs:
        await bus(metrics).handle(CreateTicket(actor=ALICE, title="Laptop"), ctx)
    assert logs == [
        {
            "event": "command.handled",
            "log_level": "info",
            "replayed": False,
            "ms": 12.35,
            "command": "CreateTicket",
            "command_id": str(ctx.command_id),
            "correlation_id": "corr-1",
        }
    ]
    assert metrics.calls == [("CreateTicket", "ok", pytest.approx(STEP))]


async def test_a_refused_command_is_logged_with_its_code_and_counted_by_it(ticks: None) -> None:
    metrics = RecordingMetrics()
    ctx = context()
    refused = SubmitTicket(actor=approver(), ticket_id=uuid4())
    with capture_logs() as logs, pytest.raises(TicketNotFound) as raised:
        await bus(metrics).handle(refused, ctx)
    assert logs == [
        {
            "event": "command.refused",
            "log_level": "info",
            "code": "ticket.not_found",
            "reason": str(raised.value),
            "command": "SubmitTicket",
            "command_id": str(ctx.command_id),
            "correlation_id": "corr-1",
        }
    ]
    assert metrics.calls == [("SubmitTicket", "ticket.not_found", pytest.approx(STEP))]


async def test_a_failed_command_is_logged_with_its_traceback_and_counted_as_error(
    ticks: None,
) -> None:
    async def broken(*_: object) -> object:
        raise RuntimeError("disk on fire")

    metrics = RecordingMetrics()
    ctx = context()
    handlers = {**COMMAND_HANDLERS, CreateTicket: broken}
    with capture_logs() as logs, pytest.raises(RuntimeError):
        await bus(metrics, handlers).handle(CreateTicket(actor=ALICE, title="x"), ctx)
    assert logs == [
        {
            "event": "command.failed",
            "log_level": "error",
            "exc_info": True,
            "command": "CreateTicket",
            "command_id": str(ctx.command_id),
            "correlation_id": "corr-1",
        }
    ]
    assert metrics.calls == [("CreateTicket", "error", pytest.approx(STEP))]


async def test_a_domain_refusal_is_counted_by_its_code() -> None:
    async def refuse(*_: object) -> object:
        raise PermissionDenied("no")

    metrics = RecordingMetrics()
    handlers = {**COMMAND_HANDLERS, CreateTicket: refuse}
    with capture_logs(), pytest.raises(PermissionDenied):
        await bus(metrics, handlers).handle(CreateTicket(actor=ALICE, title="x"), context())
    assert [(c, o) for c, o, _ in metrics.calls] == [("CreateTicket", "auth.forbidden")]
