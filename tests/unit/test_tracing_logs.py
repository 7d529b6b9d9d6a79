"""Every log line written inside a span carries its trace and span ids."""

import json
from collections.abc import Iterator

import pytest
import structlog

from tests.support.tracing import traced
from tickets.logging_setup import configure_logging
from tickets.tracing import state


@pytest.fixture(autouse=True)
def restore_quiet_logs() -> Iterator[None]:
    """Quiet logs again after capsys has let go of stderr (the logger keeps its stream)."""
    yield
    configure_logging("console", "WARNING")


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_lines_inside_a_span_carry_its_ids(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt, "INFO")
    log = structlog.get_logger("tickets.test")
    with traced():
        assert state.TRACER is not None
        with state.TRACER.start_as_current_span("work") as span:
            log.info("inside")
        log.info("outside")
    context = span.get_span_context()
    trace_id, span_id = format(context.trace_id, "032x"), format(context.span_id, "016x")
    inside, outside = capsys.readouterr().err.strip().splitlines()
    if fmt == "json":
        assert json.loads(inside)["trace_id"] == trace_id
        assert json.loads(inside)["span_id"] == span_id
        assert "trace_id" not in json.loads(outside)
    else:
        assert f"trace_id={trace_id}" in inside
        assert f"span_id={span_id}" in inside
        assert "trace_id" not in outside
