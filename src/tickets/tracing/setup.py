"""Tracing from the standard OpenTelemetry environment variables.

On only when an OTLP endpoint is set (``OTEL_EXPORTER_OTLP_ENDPOINT``, or the traces one)
and ``OTEL_SDK_DISABLED`` is not true. Spans go by OTLP/HTTP (protobuf) from a batching
processor's own thread: a request only appends its finished spans to a bounded queue,
so a slow or unreachable collector never slows it (the exporter retries in the
background, and the queue drops the oldest spans when full). Mistakes that can be seen
at start (a bad URL, an unknown sampler, the extra not installed) are one-line
``TracingConfigError``s instead.
"""

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from tickets.tracing import state

EXTRA_HINT = "pip install 'tickets[otel]'"
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)


class TracingConfigError(RuntimeError):
    """The OTEL_* settings cannot work; the message says what to change."""


def endpoint_of(environ: Mapping[str, str]) -> str | None:
    """The configured OTLP endpoint (the traces one wins), None when tracing is off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    for name in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        value = environ.get(name, "").strip()
        if value:
            _check_url(name, value)
            return value
    return None


def _check_url(name: str, value: str) -> None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  raises ValueError for a port that is not a number
    except ValueError as error:
        raise TracingConfigError(f"{name} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TracingConfigError(
            f"{name} must be an http:// or https:// URL of an OTLP/HTTP collector, "
            f"e.g. http://localhost:4318 (got {value!r})"
        )


def sampler_ratio(environ: Mapping[str, str]) -> tuple[str, float]:
    """OTEL_TRACES_SAMPLER (default parentbased_always_on) and its ratio argument."""
    name = environ.get("OTEL_TRACES_SAMPLER", "").strip().lower() or "parentbased_always_on"
    if name not in SAMPLERS:
        raise TracingConfigError(
            f"OTEL_TRACES_SAMPLER={name!r} is not a sampler this service knows; "
            f"use one of {', '.join(SAMPLERS)}"
        )
    raw = environ.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    ratio = 1.0
    if raw and name.endswith("traceidratio"):
        try:
            ratio = float(raw)
        except ValueError:
            ratio = -1.0
        if not 0.0 <= ratio <= 1.0:
            raise TracingConfigError(
                f"OTEL_TRACES_SAMPLER_ARG={raw!r} must be a ratio from 0 to 1, e.g. 0.1"
            )
    return name, ratio


def check(environ: Mapping[str, str] | None = None) -> str | None:
    """Validate the settings without starting anything; the endpoint when tracing is on."""
    environ = os.environ if environ is None else environ
    endpoint = endpoint_of(environ)
    if endpoint is None:
        return None
    sampler_ratio(environ)
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        raise TracingConfigError(
            f"tracing is asked for (OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}) but the "
            f"OpenTelemetry packages are not installed: {EXTRA_HINT}"
        ) from None
    return endpoint


def configure(role: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Start tracing in this process if the environment asks for it; returns the
    endpoint then (None: tracing stays off). ``role`` (api, worker, cli) becomes the
    ``service.instance.id`` prefix, so one trace shows which process did what."""
    environ = os.environ if environ is None else environ
    endpoint = check(environ)
    if endpoint is None or state.TRACER is not None:
        return endpoint
    from tickets.tracing.provider import start

    state.TRACER = start(role, *sampler_ratio(environ))
    return endpoint


def enabled() -> bool:
    """Whether this process traces (``configure`` started it)."""
    return state.TRACER is not None
