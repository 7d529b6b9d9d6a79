"""Tracing off costs no import: building the app and the worker's modules loads none of
the tracing modules that need OpenTelemetry, nor its SDK."""

import json
import subprocess
import sys

PROBE = """
import json, sys
from tickets.bootstrap import build_app
from tickets.config import Settings
import tickets.cli.outbox, tickets.cli.events, tickets.server
build_app(Settings(database_url="postgresql://u@127.0.0.1:1/db", jwt_secret="x" * 40))
print(json.dumps(sorted(m for m in sys.modules
             if m.startswith(("opentelemetry.sdk", "opentelemetry.exporter", "tickets.tracing.")))))
"""


def test_building_the_app_with_tracing_off_imports_no_tracing_code() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}  # no OTEL_* variable
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    # the global every call site asks, the settings check, the log processor
    assert loaded <= {"tickets.tracing.state", "tickets.tracing.setup", "tickets.tracing.logs"}
