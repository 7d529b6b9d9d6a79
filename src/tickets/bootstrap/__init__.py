"""Composition root: wires settings, the database and adapters to the ports. Each
module builds one part; this package gives the names the rest of the service uses."""

from tickets.bootstrap.api import build_app
from tickets.bootstrap.assembly import open_runtime
from tickets.bootstrap.database import describe_database, open_database
from tickets.bootstrap.outbox_wiring import retention_rules, subscriptions
from tickets.bootstrap.runtime import Runtime
from tickets.bootstrap.settings_checks import ConfigurationError, preflight
from tickets.bootstrap.workers import running_worker

__all__ = [
    "ConfigurationError",
    "Runtime",
    "build_app",
    "describe_database",
    "open_database",
    "open_runtime",
    "preflight",
    "retention_rules",
    "running_worker",
    "subscriptions",
]
