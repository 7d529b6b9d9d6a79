"""Tickets: an event-driven ticket service (CQRS, DDD, transactional outbox)."""
