"""Commands in process against a peer: the same ticket lifecycle (create → submit →
approve by another user, 3 commands) through our MessageBus to commit, and through an
``eventsourcing`` library Application on PostgreSQL, at 1 and 4 concurrent streams."""

import asyncio
import functools
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID, uuid4

from sqlalchemy.engine import make_url

from tickets.application.commands import ApproveTicket, CreateTicket, RegisterUser, SubmitTicket
from tickets.application.messagebus import MessageBus
from tickets.application.ports import MessageContext
from tickets.bench.databases import scratch_runtime
from tickets.bench.report import Report, scaled
from tickets.domain.users import Role, User
from tickets.testing.scratch_databases import scratch_database

STREAMS = (1, 4)
SKIPPED = "eventsourcing not installed (pip install -e '.[bench]')"


@dataclass
class Window:
    """A measured interval after a warm-up; streams count commands committed inside it."""

    start: float
    stop: float
    counts: list[int] = field(default_factory=list)

    @classmethod
    def after(cls, warmup: float, seconds: float, streams: int) -> "Window":
        start = time.perf_counter() + warmup
        return cls(start, start + seconds, [0] * streams)

    def open(self) -> bool:
        return time.perf_counter() < self.stop

    def tick(self, stream: int) -> None:
        if self.start <= time.perf_counter() < self.stop:
            self.counts[stream] += 1

    def rate(self) -> float:
        return sum(self.counts) / (self.stop - self.start)


class PeerApp(Protocol):
    def create(self, title: str, author: str) -> UUID: ...
    def submit(self, ticket_id: UUID, actor: str) -> None: ...
    def approve(self, ticket_id: UUID, approver: str) -> None: ...
    def close(self) -> None: ...


async def _user(bus: MessageBus, name: str, role: Role) -> User:
    outcome = await bus.handle(RegisterUser(name=name, role=role), _context())
    return outcome.result.user()


def _context() -> MessageContext:
    return MessageContext(correlation_id=f"bench-peer-{uuid4().hex[:12]}")


async def _our_stream(
    bus: MessageBus, author: User, approver: User, window: Window, stream: int
) -> None:
    while window.open():
        created = await bus.handle(CreateTicket(actor=author, title="New laptop"), _context())
        window.tick(stream)
        ticket_id = created.result.id
        await bus.handle(SubmitTicket(actor=author, ticket_id=ticket_id), _context())
        window.tick(stream)
        await bus.handle(ApproveTicket(actor=approver, ticket_id=ticket_id), _context())
        window.tick(stream)


async def ours(server_url: str, streams: int, warmup: float, seconds: float) -> float:
    async with scratch_runtime(server_url) as runtime:
        bus = runtime.bus
        authors = [await _user(bus, f"peer-author-{s}", Role.REQUESTER) for s in range(streams)]
        deciders = [await _user(bus, f"peer-approver-{s}", Role.APPROVER) for s in range(streams)]
        window = Window.after(warmup, seconds, streams)
        await asyncio.gather(
            *(_our_stream(bus, authors[s], deciders[s], window, s) for s in range(streams))
        )
        return window.rate()


@functools.cache  # defined once per process: the library registers each class's topic
def _peer_class() -> Any:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Ticket(Aggregate):
        @event("Created")
        def __init__(self, title: str, author: str) -> None:
            self.title = title
            self.author = author
            self.status = "draft"
            self.approver = ""

        def submit(self, actor: str) -> None:
            if actor != self.author:
                raise PermissionError("only the author may submit this ticket")
            if self.status != "draft":
                raise ValueError(f"only drafts can be submitted; this ticket is {self.status}")
            if not self.title:
                raise ValueError("a ticket needs a title before it can be submitted")
            self._submitted()

        @event("Submitted")
        def _submitted(self) -> None:
            self.status = "submitted"

        def approve(self, approver: str) -> None:
            if approver == self.author:
                raise PermissionError("an approver cannot decide on a ticket they wrote")
            if self.status != "submitted":
                raise ValueError(f"only submitted tickets can be approved; this is {self.status}")
            self._approved(approver)

        @event("Approved")
        def _approved(self, approver: str) -> None:
            self.status = "approved"
            self.approver = approver

    class PeerTickets(Application[UUID]):
        def create(self, title: str, author: str) -> UUID:
            ticket = Ticket(title, author)
            self.save(ticket)
            return ticket.id

        def submit(self, ticket_id: UUID, actor: str) -> None:
            ticket: Ticket = self.repository.get(ticket_id)
            ticket.submit(actor)
            self.save(ticket)

        def approve(self, ticket_id: UUID, approver: str) -> None:
            ticket: Ticket = self.repository.get(ticket_id)
            ticket.approve(approver)
            self.save(ticket)

    return PeerTickets


def peer_env(database_url: str) -> dict[str, str]:
    """The library's documented settings for its PostgreSQL persistence module; a
    ``?host=/socket/dir`` query names a Unix-socket directory (libpq accepts it as host)."""
    url = make_url(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.database or "postgres",
        "POSTGRES_HOST": url.host or str(url.query.get("host") or "localhost"),
        "POSTGRES_PORT": str(url.port or url.query.get("port") or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
    }


def _peer_stream(app: PeerApp, window: Window, stream: int) -> None:
    author, approver = f"peer-author-{stream}", f"peer-approver-{stream}"
    while window.open():
        ticket_id = app.create("New laptop", author)
        window.tick(stream)
        app.submit(ticket_id, author)
        window.tick(stream)
        app.approve(ticket_id, approver)
        window.tick(stream)


async def theirs(server_url: str, streams: int, warmup: float, seconds: float) -> float:
    async with scratch_database(server_url) as url:
        app: PeerApp = await asyncio.to_thread(_peer_class(), peer_env(url))
        try:
            window = Window.after(warmup, seconds, streams)
            await asyncio.gather(
                *(asyncio.to_thread(_peer_stream, app, window, s) for s in range(streams))
            )
        finally:
            await asyncio.to_thread(app.close)
        return window.rate()


async def run(report: Report, server_url: str, quick: bool) -> None:
    try:
        import eventsourcing.postgres  # noqa: F401 - the peer and its persistence module
    except ImportError:
        report.figures["peer"] = {"skipped": SKIPPED}
        return
    seconds, warmup, rounds = (3.0, 0.5, 1) if quick else (6.0, 1.0, 3)
    seconds, warmup = scaled(seconds, 0.5), scaled(warmup, 0.1)
    measured: list[dict[str, float]] = []
    for _ in range(rounds):  # alternated, like the other scenarios; the median round decides
        rates: dict[str, float] = {}
        for streams in STREAMS:
            rates[f"ours_{streams}"] = await ours(server_url, streams, warmup, seconds)
            rates[f"eventsourcing_{streams}"] = await theirs(server_url, streams, warmup, seconds)
        measured.append(rates)
    report.figures["peer"] = {
        "lifecycle": "create, submit, approve (another user): 3 commands per ticket",
        "seconds_per_case": seconds,
        "warmup_seconds": warmup,
        "commands_per_second": {
            k: round(statistics.median(r[k] for r in measured)) for k in measured[0]
        },
        "rounds": [{k: round(v) for k, v in r.items()} for r in measured],
    }
    for streams in STREAMS:
        ratios = [r[f"ours_{streams}"] / r[f"eventsourcing_{streams}"] for r in measured]
        report.check(
            f"commands in process / eventsourcing, {streams} stream{'s' * (streams > 1)}",
            statistics.median(ratios),
            "ratio",
            minimum=2.0,
        )
