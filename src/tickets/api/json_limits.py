"""Bounds on the shape of a JSON request body, checked on its bytes before it is parsed.

Why before parsing: Python's ``json`` module recurses once per nesting level, so a body
of a thousand ``[`` raises RecursionError inside the parser, and pydantic reports every
unknown member of an object, so an object with 80,000 members costs a second of CPU and
an answer of megabytes. No body of this API nests deeper than 2 levels or has more than
a handful of members; the bounds leave room and refuse the rest at the cost of a few
byte counts per request.

How: while a body streams in, the bytes that can open a level (``[``, ``{``) and the
member separators (``:``) are counted per chunk (C-speed ``bytes.count``). Only when a
count passes its bound (rare: no legitimate body does) is the whole body scanned
exactly, with strings (which may hold any of those bytes) removed first.
"""

import re
from dataclasses import dataclass, field

from starlette.exceptions import HTTPException

MAX_DEPTH = 32
"""Nesting levels a body may open (an object holding an array is 2)."""
MAX_MEMBERS = 100
"""Object members (``"name": value``) in a whole body, all objects together."""

# A JSON string, escapes included (the unrolled form never backtracks).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


class BodyRefused(HTTPException):
    """A body refused for its shape; answered as a 400 problem with ``code``.

    An HTTPException so that FastAPI's body reading lets it through as it is (it turns
    any other exception raised while reading into a generic 400)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(400, detail)
        self.code = code


@dataclass
class BodyShape:
    """Counts of a body's chunks as they arrive; ``check`` once the last one is in."""

    chunks: list[bytes] = field(default_factory=list)
    openers: int = 0
    separators: int = 0

    def feed(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.openers += chunk.count(b"[") + chunk.count(b"{")
        self.separators += chunk.count(b":")

    def check(self) -> None:
        """BodyRefused if the body nests deeper than MAX_DEPTH or has more than
        MAX_MEMBERS members. Whether it is JSON at all is left to the parser: a body
        whose brackets close more than they open fails there before it nests further."""
        if self.openers <= MAX_DEPTH and self.separators <= MAX_MEMBERS:
            return
        check_body(b"".join(self.chunks))


def check_body(body: bytes) -> None:
    structure = _STRING.sub(b"", body)
    depth = 0
    for byte in structure.translate(None, _NOT_BRACKETS):
        if byte in _OPENERS:
            depth += 1
            if depth > MAX_DEPTH:
                raise BodyRefused(
                    "request.too_deep", f"the JSON body nests deeper than {MAX_DEPTH} levels"
                )
        else:
            depth -= 1
    if structure.count(b":") > MAX_MEMBERS:
        raise BodyRefused(
            "request.too_many_members",
            f"the JSON body has more than {MAX_MEMBERS} object members",
        )
