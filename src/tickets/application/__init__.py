"""Use cases: commands, their handlers, the message bus and the ports they need."""
