"""One trace per command across processes: `tickets serve --workers 2` and a separate
`tickets worker`, publishing to RabbitMQ, export by OTLP/HTTP to a real receiver in this
test. A ticket goes through its lifecycle; its messages are consumed from the broker
and the trace is followed from the HTTP request to each published message's
``traceparent``, and on into a consumer (this test) that continues it."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest_asyncio
from aio_pika.abc import AbstractQueue
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from tests.conftest import TEST_SECRET
from tests.faults.processes import free_port, start_tickets, stop_gracefully
from tests.faults.waiting import eventually
from tests.support.broker import Received, bound_queue, take_all, unique_exchange
from tests.support.otlp_receiver import ReceivedSpan, Receiver, otlp_receiver
from tickets.api_processes import SPREADS_CONNECTIONS
from tickets.testing.scratch_databases import scratch_database
from tickets.tracing.propagation import context_of

STEPS = ("created", "submitted", "approved")


@dataclass
class Deployment:
    base: str
    exchange: str
    queue: AbstractQueue
    receiver: Receiver
    endpoint: str


@pytest_asyncio.fixture
async def deployment(server_url: str, broker_url: str) -> AsyncIterator[Deployment]:
    exchange = unique_exchange()
    with otlp_receiver() as (endpoint, receiver):
        async with (
            scratch_database(server_url) as database,
            bound_queue(broker_url, exchange) as queue,
        ):
            port = free_port()
            env = {
                "TICKETS_DATABASE_URL": database,
                "TICKETS_JWT_SECRET": TEST_SECRET,
                "TICKETS_DEV_LOGIN": "true",
                "TICKETS_RUN_WORKER": "false",  # the separate worker delivers
                "TICKETS_LOG_LEVEL": "WARNING",
                "TICKETS_DB_POOL_SIZE": "3",
                "TICKETS_BROKER_URL": broker_url,
                "TICKETS_BROKER_EXCHANGE": exchange,
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                "OTEL_SERVICE_NAME": "tickets-e2e",
                "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within the test's patience
            }
            api = start_tickets(["serve", "--port", str(port), "--workers", "2"], env, port=port)
            worker = start_tickets(["worker"], env, ready=("running", 1))
            try:
                yield Deployment(f"http://127.0.0.1:{port}", exchange, queue, receiver, endpoint)
            finally:
                assert stop_gracefully([api, worker]) == [0, 0]


async def token(client: httpx.AsyncClient, name: str, role: str) -> dict[str, str]:
    response = await client.post("/auth/token", json={"username": name, "role": role})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def continue_as_consumer(endpoint: str, message: Received) -> None:
    """What a consumer does with the message: continue its trace, in this process."""
    provider = TracerProvider(resource=Resource.create({"service.name": "e2e-consumer"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(f"{endpoint}/v1/traces")))
    parent = context_of({k: str(v) for k, v in message.headers.items()})
    tracer = provider.get_tracer("e2e-consumer")
    with tracer.start_as_current_span(
        f"process {message.routing_key}", context=parent, kind=SpanKind.CONSUMER
    ):
        pass
    provider.shutdown()


def one(spans: list[ReceivedSpan], **where: object) -> ReceivedSpan:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in where.items())]
    assert len(found) == 1, (where, [(s.name, s.parent_span_id) for s in found])
    return found[0]


async def test_one_trace_from_the_request_to_the_published_message_and_its_consumer(
    deployment: Deployment,
) -> None:
    limits = httpx.Limits(max_keepalive_connections=0)  # new connections: both API processes
    request_ids = {step: f"e2e-{step}-{uuid.uuid4().hex[:8]}" for step in STEPS}
    async with httpx.AsyncClient(base_url=deployment.base, limits=limits, timeout=10) as client:
        author = await token(client, "trace-author", "requester")
        approver = await token(client, "trace-approver", "approver")
        created = await client.post(
            "/tickets",
            json={"title": "traced"},
            headers={**author, "X-Request-ID": request_ids["created"]},
        )
        assert created.status_code == 201, created.text
        ticket = created.json()["id"]
        for step, path, who, version in (
            ("submitted", "submit", author, 1),
            ("approved", "approve", approver, 2),
        ):
            headers = {**who, "X-Request-ID": request_ids[step], "If-Match": f'"{version}"'}
            answer = await client.post(f"/tickets/{ticket}/{path}", headers=headers)
            assert answer.status_code == 200, answer.text

        taken: list[Received] = []

        async def all_published() -> bool:
            taken.extend(await take_all(deployment.queue))
            return len(taken) >= len(STEPS)

        await eventually(all_published, within=60, every=0.1)

        async def api_processes() -> set[object]:
            return {
                s.resource["process.pid"]
                for s in deployment.receiver.snapshot()
                if s.kind == "SERVER"
            }

        if SPREADS_CONNECTIONS:  # reads on new connections until both processes served one

            async def both_served() -> bool:
                await client.get(f"/tickets/{ticket}", headers=author)
                return len(await api_processes()) == 2

            await eventually(both_served, within=60, every=0.05)

    by_key = {m.routing_key.split(".")[1]: m for m in taken}
    assert sorted(by_key) == sorted(STEPS)
    for message in by_key.values():
        continue_as_consumer(deployment.endpoint, message)

    def trace_of(step: str) -> list[ReceivedSpan]:
        spans = deployment.receiver.snapshot()
        server = [
            s
            for s in spans
            if s.attributes.get("http.request.header.x-request-id") == [request_ids[step]]
        ]
        if not server:
            return []
        return [s for s in spans if s.trace_id == server[0].trace_id]

    for step in STEPS:
        message = by_key[step]

        async def complete(step: str = step) -> bool:
            names = {s.name for s in trace_of(step)}
            wanted = {f"publish {deployment.exchange}", "process broker", "process read_model"}
            # the delivery spans end after the publish (when the batch is settled)
            return wanted <= names and any(n.startswith("process ticket.") for n in names)

        await eventually(complete, within=30, every=0.1)
        spans = trace_of(step)
        server = one(spans, kind="SERVER")
        assert server.parent_span_id == ""  # the request starts the trace
        assert server.attributes["http.request.method"] == "POST"
        assert server.attributes["http.route"] in (
            "/tickets",
            "/tickets/{ticket_id}/submit",
            "/tickets/{ticket_id}/approve",
        )
        assert server.attributes["http.response.status_code"] in (200, 201)
        command = one(spans, parent_span_id=server.span_id, kind="INTERNAL")
        assert command.name.startswith("command ")
        assert command.attributes["tickets.ticket.id"] == ticket
        assert command.attributes["tickets.ticket.version"] == STEPS.index(step) + 1
        commit = one(spans, parent_span_id=command.span_id, kind="CLIENT")
        assert commit.attributes["db.system.name"] == "postgresql"
        assert commit.resource["process.pid"] == server.resource["process.pid"]

        deliveries = [
            s for s in spans if s.kind == "CONSUMER" and s.parent_span_id == command.span_id
        ]
        groups = {d.attributes["messaging.consumer.group.name"] for d in deliveries}
        assert {"broker", "read_model"} <= groups  # both projections: one subscription
        assert ("notifications" in groups) == (step == "approved")
        for delivery in deliveries:
            assert delivery.resource["process.pid"] != server.resource["process.pid"]
            assert delivery.attributes["tickets.delivery.outcome"] == "delivered"
            assert delivery.attributes["tickets.delivery.attempt"] == 1
            assert delivery.attributes["tickets.delivery.lag_seconds"] >= 0
            assert delivery.attributes["messaging.operation.type"] == "process"
        broker = one(deliveries, name="process broker")
        publish = one(spans, kind="PRODUCER")
        assert publish.parent_span_id == broker.span_id
        assert publish.attributes["messaging.system"] == "rabbitmq"
        assert publish.attributes["messaging.destination.name"] == deployment.exchange
        assert (
            publish.attributes["messaging.rabbitmq.destination.routing_key"] == message.routing_key
        )
        assert publish.attributes["messaging.message.id"] == message.message_id
        traceparent = message.headers["traceparent"]
        assert traceparent.startswith(f"00-{server.trace_id}-{publish.span_id}-")
        consumer = one(spans, parent_span_id=publish.span_id)
        assert consumer.resource["service.name"] == "e2e-consumer"
        ours = [s for s in spans if s is not consumer]
        assert {s.resource["service.name"] for s in ours} == {"tickets-e2e"}
        # An API process and the worker, and the consumer: three processes in one trace.
        assert len({s.resource["process.pid"] for s in ours}) == 2

    if SPREADS_CONNECTIONS:  # the whole lifecycle: both API processes and the worker
        pids = {s.resource.get("process.pid") for s in deployment.receiver.snapshot()}
        assert len(pids - {None}) >= 3
