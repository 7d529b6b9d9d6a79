"""Integration events on a message broker (RabbitMQ), published from the outbox."""
