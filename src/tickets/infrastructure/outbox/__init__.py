"""Outbox delivery: claim, dispatch to handlers with tracking rows, retry, park."""
