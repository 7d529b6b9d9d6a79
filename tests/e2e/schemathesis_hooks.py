"""Schemathesis hooks for the fuzz run (loaded through SCHEMATHESIS_HOOKS).

Every built-in check runs (``--checks all``), none replaced or switched off. A schema
cannot know the server's state, so a schema-valid request may rightly be refused for
it; those answers, and only those, are named here and their failures dropped (the run
counts and prints every dropped failure). Any other failure of any check fails the
run."""

import re
from typing import Any

import schemathesis
from schemathesis.core.failures import ServerError
from schemathesis.openapi.checks import RejectedPositiveData

# (status, problem code, the one field it names or None): refusals of a schema-valid
# request that depend on the server's state, not on the request.
STATE_ONLY_REFUSALS = {
    # If-Match names a version the ticket does not have now: a stale view. The pattern
    # says what a version looks like, not which one is current.
    (412, "ticket.version_mismatch", None),
    # An Idempotency-Key the server stored with another request (the IETF
    # Idempotency-Key draft prescribes 422): the fuzzer reuses its example keys.
    (422, "idempotency.key_reused", None),
    # A cursor in the documented alphabet and length that is not a position the server
    # issued for this sort order: a cursor is opaque, which no pattern can describe.
    (422, "request.invalid", "cursor"),
}
# A min_version the read model has not reached within the bounded wait: 503 with
# Retry-After, as documented, whether the version is on its way or (a fuzzed 2**31-2)
# beyond any the ticket has had.
STATE_ONLY_UNAVAILABLE = {(503, "readmodel.behind", None)}


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but those the names above explain."""
    if isinstance(failure, RejectedPositiveData):
        return not (_answer_is(response, STATE_ONLY_REFUSALS) or _header_breaks_pattern(case))
    if isinstance(failure, ServerError):
        return not _answer_is(response, STATE_ONLY_UNAVAILABLE)
    return True


def _answer_is(response: Any, answers: set[tuple[int, str, str | None]]) -> bool:
    try:
        problem = response.json()
    except ValueError:
        return False
    if not isinstance(problem, dict):
        return False
    fields = [e.get("field") for e in problem.get("errors") or [] if isinstance(e, dict)]
    return any(
        response.status_code == status
        and problem.get("code") == code
        and (field is None or fields == [field])
        for status, code, field in answers
    )


def _header_breaks_pattern(case: Any) -> bool:
    """The "valid" request sent a header value outside the header's documented pattern,
    so it was not valid data. schemathesis 4.32's coverage phase does that for an
    optional header whose pattern holds a double quote (If-Match: it finds no positive
    value and sends its first negative one, ``0``, in "valid" combinations)."""
    headers = {name.lower(): value for name, value in (case.headers or {}).items()}
    for parameter in case.operation.definition.raw.get("parameters", []):
        pattern = parameter.get("schema", {}).get("pattern")
        value = headers.get(parameter["name"].lower())
        located = parameter.get("in") == "header" and pattern and value is not None
        if located and not re.search(pattern, str(value)):
            return True
    return False
