"""Traces (OpenTelemetry), off unless an OTLP endpoint is configured; see setup.py."""
