"""Pure domain model: the Ticket aggregate, users and roles, events and rules."""
