"""Why a ticket was rejected, as a code other systems can act on (next to the free text)."""

from enum import StrEnum


class RejectionCode(StrEnum):
    UNSPECIFIED = "unspecified"
    """No code given; also every rejection recorded before codes existed (v1 events)."""
    BUDGET = "budget"
    DUPLICATE = "duplicate"
    INCOMPLETE = "incomplete"
    OUT_OF_SCOPE = "out_of_scope"
    POLICY = "policy"
    OTHER = "other"
