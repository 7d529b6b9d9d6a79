"""Tracing misconfigured: a one-line refusal at start for what can be seen wrong then;
an unreachable collector is only a logged warning, and requests are served as usual."""

import socket
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.cli_helpers import run
from tests.e2e.test_cli_errors import assert_refused
from tests.support.live_server import live_server
from tickets.testing.scratch_databases import scratch_database


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("otel", "named"),
    [
        ({"OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:43x8"}, "not a valid URL"),
    ],
)
@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker"]])
def test_bad_tracing_settings_refuse_to_start_in_a_line(
    tmp_path: Path, otel: dict[str, str], named: str, command: list[str]
) -> None:
    settings = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", **otel}
    assert_refused(run(tmp_path, *command, **settings), named)


async def test_an_unreachable_collector_does_not_stop_requests(
    server_url: str, tmp_path: Path
) -> None:
    collector = f"http://127.0.0.1:{closed_port()}"
    async with scratch_database(server_url) as database:
        with live_server(
            database,
            tmp_path,
            OTEL_EXPORTER_OTLP_ENDPOINT=collector,
            OTEL_BSP_SCHEDULE_DELAY="50",
        ) as base:
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                answer = await client.post(
                    "/auth/token",
                    json={"username": f"u-{uuid.uuid4().hex[:6]}", "role": "requester"},
                )
                author = {"Authorization": f"Bearer {answer.json()['access_token']}"}
                for i in range(20):
                    created = await client.post("/tickets", json={"title": f"t{i}"}, headers=author)
                    assert created.status_code == 201, created.text
                    read = await client.get("/tickets", headers=author)
                    assert read.status_code == 200, read.text
                ready = await client.get("/health/ready")
                assert ready.status_code == 200, ready.text
