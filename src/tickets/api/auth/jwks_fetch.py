"""One GET of a JWKS document, on the event loop, so that a deadline really ends it.

Why not urllib (as PyJWT's client uses) in a worker thread: its timeout applies to each
socket operation, so a provider dripping one byte every two seconds holds the thread
(and whatever waits on it) for as long as it likes, and a thread cannot be cancelled.
Here the caller's ``asyncio.timeout`` cancels the read wherever it is and the socket is
closed. The request is a plain HTTP/1.1 GET with ``Connection: close``; the answer may
be sized by Content-Length, chunked, or end with the connection. Redirects are not
followed and no proxy is used: a JWKS URL names the document itself.
"""

import asyncio
import json
import ssl
from typing import Any
from urllib.parse import urlsplit

MAX_JWKS_BYTES = 1024 * 1024  # a JWKS of a few keys is a few KB
MAX_HEADER_LINES = 100


class JwksFetchError(Exception):
    """The JWKS could not be fetched or is not JSON."""


async def fetch_json(url: str) -> Any:
    """The JSON document at ``url``; JwksFetchError, OSError or EOFError if there is
    none. Unbounded in time: the caller sets the deadline."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise JwksFetchError(f"not an http(s) URL: {url!r}")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    context = ssl.create_default_context() if secure else None
    reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=context)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rpartition("@")[2]
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n"
            "User-Agent: tickets\r\nConnection: close\r\n\r\n".encode("ascii")
        )
        await writer.drain()
        status, headers = await _head(reader)
        if status != 200:
            raise JwksFetchError(f"the JWKS URL answered HTTP {status}")
        body = await _body(reader, headers)
    finally:
        writer.close()
    try:
        return json.loads(body)
    except ValueError as error:  # not JSON, or not UTF-8
        raise JwksFetchError(f"the JWKS is not JSON: {error}") from None


async def _head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    fields = (await reader.readline()).split()
    if len(fields) < 2 or not fields[0].startswith(b"HTTP/") or not fields[1].isdigit():
        raise JwksFetchError("the JWKS URL did not answer HTTP")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return int(fields[1]), headers
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    raise JwksFetchError("the JWKS answer has too many header lines")


async def _body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _chunked(reader)
    length = headers.get("content-length")
    if length is not None:
        if not length.isdigit() or int(length) > MAX_JWKS_BYTES:
            raise JwksFetchError(f"the JWKS is too large or unsized: {length!r} bytes")
        return await reader.readexactly(int(length))
    body = b""
    while chunk := await reader.read(65536):
        body += chunk
        _bounded(len(body))
    return body


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size_line = (await reader.readline()).split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise JwksFetchError("a malformed chunk in the JWKS answer") from None
        _bounded(len(body) + size)
        if size == 0:
            return body
        body += await reader.readexactly(size)
        await reader.readline()  # the CRLF after each chunk


def _bounded(size: int) -> None:
    if size > MAX_JWKS_BYTES:
        raise JwksFetchError(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
