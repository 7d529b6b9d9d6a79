"""JWT bearer authentication."""
