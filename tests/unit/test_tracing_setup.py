"""Tracing's configuration from the OTEL_* variables: off unless an endpoint is set, and
a one-line TracingConfigError for what can be seen wrong at start."""

import logging
import sys

import pytest

from tickets.tracing import state
from tickets.tracing.ids import trace_id_of
from tickets.tracing.setup import TracingConfigError, check, configure, sampler_ratio

ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}


def test_off_without_an_endpoint_or_when_the_sdk_is_disabled() -> None:
    assert check({}) is None
    assert check({**ENDPOINT, "OTEL_SDK_DISABLED": "true"}) is None
    assert configure("test", {"OTEL_TRACES_SAMPLER": "always_on"}) is None
    assert state.TRACER is None


def test_the_traces_endpoint_wins() -> None:
    env = {**ENDPOINT, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector/v1/traces"}
    assert check(env) == "https://collector/v1/traces"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4318"}, "http:// or https://"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:port"}, "not a valid URL"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "grpc://x:4317"}, "TRACES_ENDPOINT"),
        ({**ENDPOINT, "OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER='sometimes'"),
        (
            {**ENDPOINT, "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"},
            "from 0 to 1",
        ),
    ],
)
def test_a_mistake_is_one_line_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(TracingConfigError) as refused:
        check(env)
    assert named in str(refused.value)
    assert "\n" not in str(refused.value)


def test_without_the_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # import fails
    with pytest.raises(TracingConfigError, match=r"pip install 'tickets\[otel\]'"):
        check(ENDPOINT)


def test_the_sampler_and_its_ratio() -> None:
    assert sampler_ratio({}) == ("parentbased_always_on", 1.0)
    env = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}
    assert sampler_ratio(env) == ("parentbased_traceidratio", 0.1)


def test_trace_ids_are_read_from_a_traceparent_without_opentelemetry() -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id_of(f"00-{trace}-00f067aa0ba902b7-01") == trace
    assert trace_id_of(f"00-{trace}-00f067aa0ba902b7-01".encode()) == trace
    assert trace_id_of("00-" + "0" * 32 + "-00f067aa0ba902b7-01") is None
    assert trace_id_of("garbage") is None
    assert trace_id_of(None) is None


def test_export_failures_are_logged_at_most_once_a_minute() -> None:
    from tickets.tracing.provider import OncePerMinute

    limit = OncePerMinute(seconds=3600)
    record = logging.LogRecord("otel", logging.WARNING, __file__, 1, "failed", None, None)
    assert [limit.filter(record) for _ in range(3)] == [True, False, False]
