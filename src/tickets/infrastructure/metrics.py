"""Prometheus implementation of the application's Metrics port."""

from prometheus_client import CollectorRegistry, Counter, Histogram


class PrometheusMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._commands = Counter(
            "tickets_commands",
            "Commands handled, by type and outcome (ok or an error code)",
            ["command", "outcome"],
            registry=registry,
        )
        self._latency = Histogram(
            "tickets_command_seconds",
            "Command handling time, message bus to commit",
            ["command"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )

    def command_handled(self, command: str, outcome: str, seconds: float) -> None:
        self._commands.labels(command, outcome).inc()
        self._latency.labels(command).observe(seconds)
