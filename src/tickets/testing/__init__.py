"""What tests and benchmarks share: scratch databases and synthetic outbox events.
The service itself never imports it."""
