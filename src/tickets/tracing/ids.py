"""Reading a W3C ``traceparent`` without OpenTelemetry (the CLI prints trace ids whether
or not the extra is installed)."""

HEX = frozenset("0123456789abcdef")


def trace_id_of(traceparent: object) -> str | None:
    """The 32 hex digits of a traceparent's trace id; None for anything else."""
    if not isinstance(traceparent, str | bytes):
        return None
    text = traceparent.decode("latin-1") if isinstance(traceparent, bytes) else traceparent
    parts = text.strip().split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or not set(parts[1]) <= HEX:
        return None
    if parts[1] == "0" * 32:
        return None
    return parts[1]
